from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import ItServiceCommon


@tagged("post_install", "-at_install")
class TestContractTour(HttpCase):
    def test_contract_tour(self):
        """An account manager creates an hour package in the UI and activates it."""
        company = self.env.ref("base.user_admin").company_id
        self.env = self.env(context={"allowed_company_ids": company.ids})
        client = self.env["res.partner"].create({"name": "Tour Client Sp. z o.o.", "is_company": True})
        self.env["res.partner"].create({"name": "Tour Client HQ", "type": "other", "parent_id": client.id})
        self.env["product.product"].create({
            "name": "Tour Helpdesk Service", "type": "service", "company_id": company.id,
        })
        audit = self.env["it.audit"].create({
            "partner_id": client.id, "company_id": company.id, "asset_ids": [(0, 0, {
                "category_id": self.env.ref("it_service_contracts.asset_category_workstation").id,
            })],
        })
        audit.action_done()
        self.start_tour("/odoo/action-it_service_contracts.it_contract_action", "it_contract_tour", login="admin")
        contract = self.env["it.contract"].search([("partner_id", "=", client.id)])
        self.assertEqual(contract.state, "active")
        self.assertEqual(contract.contract_type, "hour_package")
        self.assertEqual(contract.hours_total, 25)
        self.assertEqual(contract.audit_id, audit)
        self.assertEqual(contract.service_product_ids.name, "Tour Helpdesk Service")


@tagged("post_install", "-at_install")
class TestPortalRequestTour(HttpCase, ItServiceCommon):
    """A client reports a request in the portal and approves paid work; the technician logs time on it."""

    def test_portal_request_and_time(self):
        self._it_english_frontend()
        self.client.write({"lang": "en_US", "email": "office@client.example"})
        contract = self._active_contract(
            "monthly_flat", date_start=fields.Date.today().replace(day=1), monthly_hours=1.0,
            approval_required=True, hourly_rate=110.0,
            sla_line_ids=[Command.create({"priority": "2", "response_hours": 2.0, "resolution_hours": 8.0})],
        )
        contact = self.env["res.partner"].create({
            "name": "Clara Client", "parent_id": self.client.id, "email": "clara@client.example", "lang": "en_US",
        })
        new_test_user(self.env, "tour_client", groups="base.group_portal", partner_id=contact.id, lang="en_US")
        technician = new_test_user(
            self.env, "tour_tech", groups="it_service_contracts.group_it_technician", lang="en_US",
            company_id=self.company.id, company_ids=[Command.set(self.company.ids)],
        )
        self.env["hr.employee"].create({"name": "Tour Tech", "user_id": technician.id, "company_id": self.company.id})
        # this month's included hour is used already
        earlier = self.env["project.task"].create({
            "name": "Earlier work", "project_id": contract.project_id.id, "partner_id": self.client.id,
            "it_service_product_id": self.service_support.id,
        })
        self.env["account.analytic.line"].with_user(technician).create({
            "name": "Work", "task_id": earlier.id, "unit_amount": 1.0,
        })

        self.start_tour("/my/it/requests", "it_portal_request_tour", login="tour_client")
        request = self.env["project.task"].search([("name", "=", "Tour: the plotter prints nothing")])
        self.assertEqual((request.it_contract_id, request.partner_id, request.priority), (contract, contact, "2"))
        self.assertEqual((request.it_approval_state, request.it_approval_partner_id), ("approved", contact))
        self.assertEqual(request.it_approval_comment, "Approved, please come today")

        self.start_tour(f"/odoo/project.task/{request.id}", "it_technician_logs_time_tour", login="tour_tech")
        line = request.timesheet_ids
        self.assertEqual((line.unit_amount, line.it_billing_type, line.user_id), (1.0, "overage", technician))
