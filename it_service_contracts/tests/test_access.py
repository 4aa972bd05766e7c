from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import ItServiceCommon


@tagged("post_install", "-at_install")
class TestAccess(ItServiceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls._active_contract(hourly_rate=150.0)
        cls.technician = new_test_user(
            cls.env, "it_tech", groups="it_service_contracts.group_it_technician",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )
        cls.manager = new_test_user(
            cls.env, "it_manager", groups="it_service_contracts.group_it_manager",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )
        cls.company_b = cls.env["res.company"].create({"name": "Other MSP"})
        cls.manager_b = new_test_user(
            cls.env, "it_manager_b", groups="it_service_contracts.group_it_manager",
            company_id=cls.company_b.id, company_ids=[(6, 0, cls.company_b.ids)],
        )

    def test_technician_neither_reads_nor_changes_rates(self):
        contract = self.contract.with_user(self.technician)
        self.assertEqual(contract.name, self.contract.name)
        with self.assertRaises(AccessError):
            contract.read(["hourly_rate"])
        with self.assertRaises(AccessError):
            contract.write({"hourly_rate": 100.0})
        with self.assertRaises(AccessError):
            self.env["it.contract"].with_user(self.technician).create(self._contract_vals())
        with self.assertRaises(AccessError):
            self.contract.sla_line_ids.with_user(self.technician).create({
                "contract_id": self.contract.id, "priority": "2", "response_hours": 1, "resolution_hours": 2,
            })
        self.assertEqual(self.contract.hourly_rate, 150.0)

    def test_technician_cannot_change_company_rates(self):
        with self.assertRaises(AccessError):
            self.company.with_user(self.technician).write({"it_adhoc_hourly_rate": 999.0})
        self.assertEqual(self.company.it_adhoc_hourly_rate, 200.0)

    def test_manager_changes_rates(self):
        prepared = self._create_contract()
        prepared.with_user(self.manager).write({"hourly_rate": 140.0})
        self.assertEqual(prepared.hourly_rate, 140.0)

    def test_other_company_cannot_see_contracts(self):
        env_b = self.env(user=self.manager_b, context={"allowed_company_ids": self.company_b.ids})
        Contract = env_b["it.contract"]
        self.assertFalse(Contract.search([("id", "=", self.contract.id)]))
        with self.assertRaises(AccessError):
            Contract.browse(self.contract.id).read(["name"])
        with self.assertRaises(AccessError):
            env_b["it.audit"].browse(self.audit.id).read(["name"])
        own = self.env["it.contract"].with_user(self.manager).search([("id", "=", self.contract.id)])
        self.assertEqual(own, self.contract)

    def test_portal_and_plain_users_have_no_access(self):
        employee = new_test_user(self.env, "plain_employee", groups="base.group_user", company_id=self.company.id)
        contact = self.env["res.partner"].create({"name": "Jane Client", "parent_id": self.client.id})
        portal = new_test_user(
            self.env, "client_portal", groups="base.group_portal", company_id=self.company.id, partner_id=contact.id,
        )
        self.assertTrue(portal._is_portal())
        self.assertEqual(portal.partner_id.commercial_partner_id, self.client)
        for user in (employee, portal):
            for model in ("it.contract", "it.contract.period", "it.contract.adjustment", "it.audit",
                          "it.contract.sla", "it.contract.line"):
                if user == portal and model == "it.contract.period":
                    continue  # its own client's months, for the monthly client report (tested there)
                with self.subTest(user=user.login, model=model), self.assertRaises(AccessError):
                    self.env[model].with_user(user).search([])
            with self.assertRaises(AccessError):
                self.contract.with_user(user).read(["hours_remaining"])
            with self.assertRaises(AccessError):
                self.env["it.contract.adjustment"].with_user(user).create(
                    {"contract_id": self.contract.id, "hours": 5.0, "reason": "Free hours"},
                )
        self.assertFalse(self.contract.adjustment_ids)
