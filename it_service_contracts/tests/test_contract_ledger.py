from odoo.exceptions import AccessError
from odoo.tests import freeze_time, new_test_user, tagged

from .timesheet_common import ItTimesheetCommon

LEDGER_FIELDS = ["date", "movement_type", "task_id", "description", "hours", "balance"]


@tagged("post_install", "-at_install")
@freeze_time("2026-01-20")
class TestContractLedger(ItTimesheetCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.package = cls._active_contract(hours_total=20.0)
        cls.request_a = cls._request(cls.package, name="Printer down")
        cls.request_b = cls._request(cls.package, name="Mail not syncing")
        cls.other_package = cls._active_contract(
            partner_id=cls.other_client.id, audit_id=False, site_ids=[(5, 0, 0)],
            audit_exception_reason="Audit booked for next month", hours_total=8.0,
        )
        cls._log(cls._request(cls.other_package, partner=cls.other_client, name="Laptop slow"), 2.0)

    def _rows(self, contract):
        contract.invalidate_recordset(["ledger_ids"])
        return [
            (str(row.date), row.movement_type, row.task_id, row.description or False, round(row.hours, 4),
             round(row.balance, 4))
            for row in contract.ledger_ids
        ]

    def _assertClosesOnContract(self, contract):
        """The last balance is what the package holds; the usage is what its counter says."""
        contract.invalidate_recordset()
        ledger = contract.ledger_ids
        self.assertAlmostEqual(ledger[-1:].balance, contract.hours_remaining - contract.hours_forfeited, places=6)
        usage = ledger.filtered(lambda row: row.movement_type == "usage")
        self.assertAlmostEqual(-sum(usage.mapped("hours")), contract.hours_used, places=6)

    def test_movements_and_balance(self):
        for day, request, hours in (
            ("2026-01-10", self.request_a, 2.0), ("2026-01-15", self.request_a, 1.5),
            ("2026-01-12", self.request_b, 3.0), ("2026-02-03", self.request_a, 1.0),
            ("2026-02-10", self.request_b, 0.5),
        ):
            self._log(request, hours, date=day)
        # neither time out of the package's scope nor time on a plain task is the package's
        self._log(self._request(service=self.service_other, name="Website"), 1.0, date="2026-01-12")
        self._log(self.plain_task, 1.0, date="2026-01-12")
        Adjustment = self.env["it.contract.adjustment"]
        Adjustment.create({"contract_id": self.package.id, "date": "2026-01-14", "hours": 4.0,
                           "reason": "Goodwill after outage"})
        Adjustment.create({"contract_id": self.package.id, "date": "2026-02-05", "hours": -1.0,
                           "reason": "Double-counted visit"})
        self.assertEqual(self._rows(self.package), [
            ("2026-01-01", "purchase", self.env["project.task"], False, 20.0, 20.0),
            ("2026-01-12", "usage", self.request_b, False, -3.0, 17.0),
            ("2026-01-14", "adjustment", self.env["project.task"], "Goodwill after outage", 4.0, 21.0),
            ("2026-01-15", "usage", self.request_a, False, -3.5, 17.5),
            ("2026-02-03", "usage", self.request_a, False, -1.0, 16.5),
            ("2026-02-05", "adjustment", self.env["project.task"], "Double-counted visit", -1.0, 15.5),
            ("2026-02-10", "usage", self.request_b, False, -0.5, 15.0),
        ])
        self.assertEqual(self.package.hours_remaining, 15.0)
        self._assertClosesOnContract(self.package)
        ledger = self.package.ledger_ids
        self.assertEqual(ledger.partner_id, self.client)
        self.assertEqual(ledger.company_id, self.company)
        # ids are unique and the same on the next reading
        self.assertEqual(len(set(ledger.ids)), len(ledger))
        self.env.invalidate_all()
        self.assertEqual(self.package.ledger_ids.ids, ledger.ids)

    def test_billable_time_and_split_lines(self):
        """The usage is the billable time the package covered, also when a line ran past its last hour."""
        self.package._it_addon_write({"billing_increment": 0.25})  # as if agreed before it started
        self._log(self.request_a, 0.1, date="2026-01-05")  # billed 0.25
        self._log(self.request_a, 21.0, date="2026-01-06")  # 19.75 on the package, the rest ad-hoc
        self.assertEqual(self.package.hours_remaining, 0.0)
        self.assertEqual(self._rows(self.package), [
            ("2026-01-01", "purchase", self.env["project.task"], False, 20.0, 20.0),
            ("2026-01-06", "usage", self.request_a, False, -20.0, 0.0),
        ])
        self._assertClosesOnContract(self.package)

    def test_rollover_and_expiry(self):
        self.package.write({"rollover_allowed": True, "rollover_cap_hours": 4.0})
        self._log(self.request_a, 13.0, date="2026-03-02")
        with freeze_time("2026-07-02"):
            self._trigger_cron("it_service_contracts.ir_cron_it_contract_states")
            renewal = self.env["it.contract"].browse(self.package.action_renew()["res_id"])
            self.assertEqual(self._rows(self.package)[-1][1], "expiry")
            self.assertFalse(renewal.ledger_ids, "a draft renewal has no ledger yet")
            renewal.action_activate()
        self.assertEqual((self.package.hours_carried_over, self.package.hours_forfeited), (4.0, 3.0))
        self.assertEqual(self._rows(self.package), [
            ("2026-01-01", "purchase", self.env["project.task"], False, 20.0, 20.0),
            ("2026-03-02", "usage", self.request_a, False, -13.0, 7.0),
            ("2026-06-30", "rollover_out", self.env["project.task"], renewal.name, -4.0, 3.0),
            ("2026-06-30", "expiry", self.env["project.task"], False, -3.0, 0.0),
        ])
        self.assertEqual(self._rows(renewal), [
            ("2026-07-02", "purchase", self.env["project.task"], False, 20.0, 20.0),
            ("2026-07-02", "rollover_in", self.env["project.task"], self.package.name, 4.0, 24.0),
        ])
        self.assertEqual(self.package.hours_remaining, 3.0, "an expired package keeps its forfeited hours in "
                         "hours_remaining, for a reactivation; the ledger shows them leaving")
        self.assertEqual(renewal.hours_remaining, 24.0)
        self._assertClosesOnContract(self.package)
        self._assertClosesOnContract(renewal)
        # reactivated, the package has its forfeited hours back: no expiry any more
        with freeze_time("2026-07-02"):
            self.package.validity_months = 12  # its end is ahead again
            self.package.action_activate()
        self.assertEqual(self._rows(self.package)[-1][1:], (
            "rollover_out", self.env["project.task"], renewal.name, -4.0, self.package.hours_remaining))
        self._assertClosesOnContract(self.package)

    def test_only_running_hour_packages(self):
        draft = self._create_contract(hours_total=5.0)
        flat = self._active_contract("monthly_flat")
        self._log(self._request(flat), 2.0)
        Ledger = self.env["it.contract.ledger"]
        self.assertFalse(Ledger.search([("contract_id", "in", (draft | flat).ids)]))
        draft.action_cancel()
        self.assertFalse(draft.ledger_ids)

    def test_portal_contact_reads_own_client_only(self):
        self._log(self.request_a, 2.0)
        portal_a = new_test_user(
            self.env, "ledger_portal_a", groups="base.group_portal", company_id=self.company.id,
            partner_id=self.env["res.partner"].create({"name": "Paula", "parent_id": self.client.id}).id,
        )
        portal_b = new_test_user(
            self.env, "ledger_portal_b", groups="base.group_portal", company_id=self.company.id,
            partner_id=self.env["res.partner"].create({"name": "Piotr", "parent_id": self.other_client.id}).id,
        )
        own, foreign = self.package.ledger_ids, self.other_package.ledger_ids
        self.assertTrue(own and foreign)
        Ledger = self.env["it.contract.ledger"].with_user(portal_a)
        self.assertEqual(Ledger.search([]), own)
        self.assertFalse(Ledger.search([("contract_id", "=", self.other_package.id)]))
        self.assertFalse(Ledger.search([("partner_id", "=", self.other_client.id)]))
        self.assertEqual(Ledger.search_count([]), len(own))
        rows = Ledger.search_read([("contract_id", "=", self.package.id)], LEDGER_FIELDS)
        self.assertEqual([row["balance"] for row in rows], own.mapped("balance"))
        self.assertEqual(rows[-1]["task_id"], (self.request_a.id, self.request_a.display_name))
        with self.assertRaises(AccessError):
            Ledger.browse(foreign.ids).read(["hours"])
        with self.assertRaises(AccessError):
            Ledger.browse(foreign[:1].id).balance  # noqa: B018
        with self.assertRaises(AccessError):
            self.package.with_user(portal_a).read(["ledger_ids"])
        self.assertEqual(self.env["it.contract.ledger"].with_user(portal_b).search([]), foreign)
        # balances are the contract's own, whatever a search leaves out
        row = Ledger.search([("movement_type", "=", "usage")])
        self.assertEqual(row.balance, 18.0)
        with self.assertRaises(AccessError):
            Ledger.browse(own[:1].id).write({"hours": 50.0})

    def test_other_company_and_staff_roles(self):
        company_b = self.env["res.company"].create({"name": "Other MSP"})
        manager_b = new_test_user(
            self.env, "ledger_manager_b", groups="it_service_contracts.group_it_manager",
            company_id=company_b.id, company_ids=[(6, 0, company_b.ids)],
        )
        technician = new_test_user(
            self.env, "ledger_technician", groups="it_service_contracts.group_it_technician",
            company_id=self.company.id, company_ids=[(6, 0, self.company.ids)],
        )
        accountant = new_test_user(
            self.env, "ledger_accountant", groups="account.group_account_invoice",
            company_id=self.company.id, company_ids=[(6, 0, self.company.ids)],
        )
        self._log(self.request_a, 2.0)
        own = self.package.ledger_ids
        Ledger_b = self.env(user=manager_b, context={"allowed_company_ids": company_b.ids})["it.contract.ledger"]
        self.assertFalse(Ledger_b.search([]))
        with self.assertRaises(AccessError):
            Ledger_b.browse(own.ids).read(["hours"])
        for user in (technician, accountant):
            Ledger = self.env["it.contract.ledger"].with_user(user)
            self.assertEqual(Ledger.search([("contract_id", "=", self.package.id)]), own)
            with self.assertRaises(AccessError):
                Ledger.browse(own[:1].id).write({"hours": 50.0})
            with self.assertRaises(AccessError):
                Ledger.create({"contract_id": self.package.id, "hours": 50.0})
            with self.assertRaises(AccessError):
                Ledger.browse(own.ids).unlink()
        self.assertEqual(self.package.with_user(technician).ledger_ids, own)

    def test_reading_the_ledger_takes_the_same_queries_however_long(self):
        """5 movements or 50: the same queries, for the staff on the contract form and for a client's contact."""
        manager = new_test_user(
            self.env, "ledger_manager_count", groups="it_service_contracts.group_it_manager",
            company_id=self.company.id, company_ids=[(6, 0, self.company.ids)],
        )
        portals = {}
        for package, count in ((self.other_package, 3), (self.package, 49)):
            requests = [self._request(package, partner=package.partner_id, name=f"Request {i}") for i in range(count)]
            self.env["account.analytic.line"].create([{
                "name": "Work", "task_id": request.id, "project_id": request.project_id.id,
                "employee_id": self.technician.id, "unit_amount": 0.25, "date": "2026-01-15",
            } for request in requests])
            portals[package] = new_test_user(
                self.env, f"ledger_portal_{package.id}", groups="base.group_portal", company_id=self.company.id,
                partner_id=self.env["res.partner"].create({"name": "Contact", "parent_id": package.partner_id.id}).id,
            )
        self.env.flush_all()
        self.assertEqual(len(self.other_package.ledger_ids), 5)
        self.assertEqual(len(self.package.ledger_ids), 50)

        def queries(read):
            counts = []
            for package in (self.other_package, self.package):
                read(package)  # caches of the user's groups and rules, as on any page after the first
                self.env.invalidate_all()
                before = self.env.cr.sql_log_count
                read(package)
                counts.append(self.env.cr.sql_log_count - before)
            return counts

        spec = {"ledger_ids": {"fields": {
            "date": {}, "movement_type": {}, "task_id": {"fields": {"display_name": {}}}, "description": {},
            "hours": {}, "balance": {},
        }}}
        short, long = queries(lambda package: package.with_user(manager).web_read(spec))
        self.assertEqual(short, long)
        short, long = queries(lambda package: self.env["it.contract.ledger"].with_user(portals[package]).search_read(
            [("contract_id", "=", package.id)], LEDGER_FIELDS))
        self.assertEqual(short, long)
