from odoo.exceptions import AccessError
from odoo.tests import Form, freeze_time, tagged

from .test_sla_common import SlaCommon, utc


@tagged("post_install", "-at_install")
class TestServiceRequest(SlaCommon):

    def _new_request(self, **values):
        vals = {"name": "Laptop will not boot", "partner_id": self.client.id}
        vals.update(values)
        return self.env["project.task"].with_context(it_service_request=True).create(vals)

    def test_request_finds_contract_and_project(self):
        task = self._new_request()
        self.assertEqual(task.it_contract_id, self.flat)
        self.assertEqual(task.project_id, self.flat.project_id)
        self.assertTrue(task.it_is_service_request)
        self.assertFalse(task.it_is_adhoc)
        self.assertFalse(task.it_site_id, "the client has two sites and remote support: remote until chosen")
        self.assertFalse(task.it_service_product_id, "two services in scope: to be chosen")
        self.assertTrue(task.sla_response_deadline)

    def test_request_from_a_site_address(self):
        task = self._new_request(partner_id=self.site_b.id)
        self.assertEqual(task.it_site_id, self.site_b)
        self.assertEqual(task.it_contract_id, self.flat)
        self.assertEqual(task.it_client_id, self.client)

    def test_single_service_found(self):
        self.flat.service_product_ids = self.service_servers
        task = self._new_request()
        self.assertEqual(task.it_service_product_id, self.service_servers)

    def test_client_without_contract_is_adhoc(self):
        task = self._new_request(partner_id=self.other_client.id)
        self.assertTrue(task.it_is_adhoc)
        self.assertFalse(task.it_contract_id)
        self.assertIn("no running contract", task.it_adhoc_reason)
        self.assertEqual(task.project_id, self.company._it_get_service_desk_project())
        self.assertTrue(task.project_id.it_service_desk)
        self.assertEqual(task.it_price_agreement, "time_materials")
        self.assertEqual(task.it_adhoc_hourly_rate, 200.0)
        self.assertFalse(task.sla_response_deadline, "no contract, no guaranteed response time")

    def test_adhoc_fixed_price(self):
        task = self._new_request(partner_id=self.other_client.id)
        with self.assertRefused("fixed price: enter the price", "project.task"):
            task.write({"it_price_agreement": "fixed"})
            task.flush_recordset()
        task.invalidate_recordset()
        self.assertEqual(task.it_price_agreement, "time_materials")
        task.write({"it_price_agreement": "fixed", "it_fixed_price": 450.0})
        self.assertEqual(task.it_fixed_price, 450.0)
        with self.assertRefused("negative", "project.task"):
            task.write({"it_fixed_price": -5.0})
            task.flush_recordset()

    def test_request_finds_its_contract_in_another_allowed_company(self):
        """Created without a company while another company is the current one: the client's contract in any
        company the user works in serves it, in that company's project."""
        main = self.env.ref("base.main_company")
        env = self.env(context=dict(self.env.context, allowed_company_ids=[main.id, self.company.id]))
        task = env["project.task"].with_context(it_service_request=True).create({
            "name": "VPN for the branch", "partner_id": self.client.id,
        })
        self.assertEqual(task.it_contract_id, self.flat)
        self.assertEqual((task.project_id, task.company_id), (self.flat.project_id, self.company))
        self.assertFalse(task.it_is_adhoc)

    def test_only_a_manager_quotes_a_fixed_price(self):
        task = self._new_request(partner_id=self.other_client.id)
        with self.assertRaisesRegex(AccessError, "Only an IT services manager can quote a fixed price"):
            task.with_user(self.technician).write({"it_price_agreement": "fixed", "it_fixed_price": 1.0})
        with self.assertRaisesRegex(AccessError, "Only an IT services manager"):
            self.env["project.task"].with_user(self.technician).with_context(it_service_request=True).create({
                "name": "Quoted by the technician", "partner_id": self.other_client.id, "it_fixed_price": 1.0,
            })
        self.assertEqual(task.it_price_agreement, "time_materials")
        task.with_user(self.technician).write({"name": "Laptop will not boot after the update"})
        task.with_user(self.lead).write({"it_price_agreement": "fixed", "it_fixed_price": 450.0})
        self.assertEqual(task.it_fixed_price, 450.0)

    def test_site_outside_contract_places_is_adhoc(self):
        self.flat.site_ids = self.site_a
        task = self._new_request(partner_id=self.site_a.id)
        self.assertEqual(task.it_contract_id, self.flat)
        task.it_site_id = self.site_b
        self.assertFalse(task.it_contract_id)
        self.assertTrue(task.it_is_adhoc)
        self.assertIn("Warehouse is outside the places of contract", task.it_adhoc_reason)
        self.assertEqual(task.it_price_agreement, "time_materials")
        self.assertFalse(task.sla_response_deadline)
        self.assertFalse(task.sla_state)

    def test_service_outside_scope_is_adhoc(self):
        task = self._new_request(it_service_product_id=self.service_other.id)
        self.assertTrue(task.it_is_adhoc)
        self.assertIn("Website design is outside the scope of contract", task.it_adhoc_reason)
        self.assertEqual(task.project_id, self.company._it_get_service_desk_project())
        # back in scope: the contract is found again
        task.it_service_product_id = self.service_support
        self.assertEqual(task.it_contract_id, self.flat)
        self.assertFalse(task.it_is_adhoc)
        self.assertFalse(task.it_adhoc_reason)

    def test_remote_support_not_covered(self):
        self.flat.remote_service = False
        task = self._new_request()
        self.assertTrue(task.it_is_adhoc)
        self.assertIn("does not cover remote support", task.it_adhoc_reason)

    def test_explicit_contract_outside_scope_refused(self):
        task = self._new_request()
        with self.assertRefused("outside the scope of contract .* ad-hoc", "project.task"):
            task.write({"it_contract_id": self.flat.id, "it_service_product_id": self.service_other.id})
            task.flush_recordset()
        task.invalidate_recordset()
        self.assertFalse(task.it_service_product_id, "nothing saved")
        with self.assertRefused("belongs to", "project.task"):
            self._new_request(partner_id=self.other_client.id, it_contract_id=self.flat.id)

    def test_several_covering_contracts_serve_the_request_under_the_first_drawn(self):
        """A flat contract and a package both cover the request: it is covered, not ad-hoc, under the flat
        contract (rule 4 draws its included hours first) and with its response times; a manager may choose the
        package instead; a service only the package covers goes to the package by itself."""
        package = self._active_contract("hour_package", service_calendar_id=self.service_calendar.id, sla_line_ids=[
            (0, 0, {"priority": "0", "response_hours": 8, "resolution_hours": 24}),
        ])
        with freeze_time("2026-01-12 09:00:00"):
            task = self._new_request()
        self.assertEqual(task.it_contract_id, self.flat)
        self.assertFalse(task.it_is_adhoc)
        # reported at 10:00 in Warsaw: the flat contract's 4 h
        self.assertEqual(task.sla_response_deadline, utc(2026, 1, 12, 13, 0))
        task.with_user(self.lead).it_contract_id = package
        self.assertEqual(task.it_contract_id, package, "a covering contract chosen by hand stays")
        self.flat.service_product_ids = self.service_support
        package.service_product_ids = self.service_support | self.service_servers
        with freeze_time("2026-01-13 09:00:00"):
            task = self._new_request(it_service_product_id=self.service_servers.id)
        self.assertEqual(task.it_contract_id, package)

    def test_request_from_the_client(self):
        action = self.client.action_view_it_requests()
        self.assertTrue(action["context"]["it_service_request"])
        self._new_request()
        self.client.invalidate_recordset(["it_request_count"])
        self.assertEqual(self.client.it_request_count, 1)
        self.assertEqual(self.site_a.it_request_count, 1)
        with Form(self.env["project.task"].with_context(**action["context"])) as form:
            form.name = "New laptop setup"
            self.assertEqual(form.partner_id, self.client)
        self.assertEqual(form.record.project_id, self.flat.project_id)
        self.assertEqual(form.record.it_contract_id, self.flat)

    @freeze_time("2026-01-12 08:00:00")
    def test_request_by_email_to_the_service_desk(self):
        desk = self.company._it_get_service_desk_project()
        contact = self.env["res.partner"].create({
            "name": "Anna Client", "email": "anna@client.example.com", "parent_id": self.client.id,
        })
        task = self.env["project.task"].message_new({
            "subject": "Mail server down",
            "email_from": "Anna Client <anna@client.example.com>",
            "author_id": contact.id,
            "body": "<p>Nobody can send mail.</p>",
        }, custom_values={"project_id": desk.id})
        self.assertEqual(task.project_id, desk)
        self.assertEqual(task.partner_id, contact)
        self.assertEqual(task.it_contract_id, self.flat)
        self.assertEqual(task.it_reported_date, utc(2026, 1, 12, 8, 0))
        self.assertEqual(task.sla_response_deadline, utc(2026, 1, 12, 12, 0))
        self.assertFalse(task.first_response_date, "the client's own email is not a response")

    def test_service_desk_data(self):
        desk = self.env.ref("it_service_contracts.project_service_desk")
        self.assertTrue(desk.it_service_desk)
        self.assertEqual(desk.alias_name, "servicedesk")
        self.assertTrue(desk.type_ids.filtered("it_waiting_customer"))
        self.assertTrue(self.env.ref("it_service_contracts.ir_cron_it_sla_watch").active)

    def test_task_outside_service_projects_untouched(self):
        project = self.env["project.project"].create({"name": "Internal", "company_id": self.company.id})
        task = self.env["project.task"].create({
            "name": "Office move", "project_id": project.id, "partner_id": self.client.id,
        })
        self.assertFalse(task.it_is_service_request)
        self.assertFalse(task.it_contract_id)
        self.assertFalse(task.it_is_adhoc)
        self.assertFalse(task.sla_state)
