from odoo.tests import HttpCase, tagged


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
