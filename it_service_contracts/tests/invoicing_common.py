from odoo import Command
from odoo.tests import new_test_user

from .timesheet_common import ItTimesheetCommon


class ItInvoicingCommon(ItTimesheetCommon):
    """A company with a chart of accounts, a client with an address, an accountant and an IT manager."""

    _it_chart_template = "generic_coa"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["account.chart.template"].try_loading(cls._it_chart_template, company=cls.company, install_demo=False)
        cls.client.write({"street": "ul. Marszałkowska 1", "city": "Warszawa", "zip": "00-001"})
        cls.accountant = new_test_user(
            cls.env, "it_accountant", groups="account.group_account_invoice",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )
        cls.manager = new_test_user(
            cls.env, "it_invoicing_manager",
            groups="it_service_contracts.group_it_manager,sales_team.group_sale_salesman",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )
        cls.tech_user = new_test_user(
            cls.env, "it_invoicing_tech", groups="it_service_contracts.group_it_technician",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )
        cls.technician.user_id = cls.tech_user
        # the runs in these tests see this company's work only (not the demo data of the database)
        cls.env.cr.execute("UPDATE it_contract SET state = 'cancelled' WHERE company_id != %s", [cls.company.id])
        cls.env.cr.execute("UPDATE project_task SET it_is_adhoc = FALSE WHERE company_id != %s", [cls.company.id])
        cls.env.invalidate_all()

    @classmethod
    def _audited_client(cls, name, **values):
        """Another client, with an address unless told otherwise, and its completed audit."""
        client = cls.env["res.partner"].create({
            "name": name, "is_company": True, "street": "Polna 1", "city": "Gdańsk", **values,
        })
        audit = cls.env["it.audit"].create({
            "partner_id": client.id, "company_id": cls.company.id,
            "asset_ids": [Command.create({
                "category_id": cls.env.ref("it_service_contracts.asset_category_server").id,
            })],
        })
        audit.action_done()
        return client, audit

    def _flat_for(self, name, **values):
        client, audit = self._audited_client(name, **values.pop("partner_values", {}))
        return self._flat(partner_id=client.id, audit_id=audit.id, site_ids=[(5, 0, 0)], **values)

    def _run_invoicing(self):
        """The scheduled action, in its own transaction, on what this test has written."""
        self.env.flush_all()
        self._trigger_cron("it_service_contracts.ir_cron_it_invoicing")

    def _as(self, user, records):
        return records.with_user(user).with_context(allowed_company_ids=self.company.ids)

    def _flat(self, **values):
        values = {"date_start": "2026-10-01", "monthly_fee": 2000.0, "monthly_hours": 10.0,
                  "hourly_rate": 130.0, **values}
        return self._active_contract("monthly_flat", **values)

    def _invoice_due(self, user=None):
        """What the accountant sees to invoice, then invoices it all with "Invoice Now"; the new invoices."""
        Due = self.env["it.invoice.due"].with_user(user or self.accountant).with_context(
            allowed_company_ids=self.company.ids)
        action = Due.action_open()
        rows = Due.search(action["domain"])
        before = self.env["account.move"].search([("move_type", "=", "out_invoice")])
        if rows:
            rows.action_invoice_now()
        return self.env["account.move"].search([("move_type", "=", "out_invoice")]) - before

    def assertInvoiceLines(self, move, expected):
        """``expected``: [(product, quantity, price unit)] in order."""
        self.assertEqual(
            [(line.product_id, round(line.quantity, 4), round(line.price_unit, 2)) for line in move.invoice_line_ids],
            [(product, round(quantity, 4), round(price, 2)) for product, quantity, price in expected],
        )
