import xmlrpc.client

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestInvoicingRpc(HttpCase):
    """The external API goes through the same rules: what an invoice billed cannot be forged over XML-RPC."""

    def test_accountant_cannot_mark_an_invoice_credited(self):
        accountant = new_test_user(self.env, "rpc_it_accountant", groups="account.group_account_invoice")
        client = self.env["res.partner"].create({"name": "RPC Client", "is_company": True})
        invoice = self.env["account.move"].create({"move_type": "out_invoice", "partner_id": client.id})
        for vals in ({"it_released": True}, {"it_invoice_kind": "flat"}):
            with self.assertRaises(xmlrpc.client.Fault) as caught, mute_logger("odoo.http"):
                self.xmlrpc_object.execute_kw(
                    self.env.cr.dbname, accountant.id, "rpc_it_accountant", "account.move", "write",
                    [invoice.ids, vals], {"context": {"it_timesheet_classified": True, "it_reclassify": True}},
                )
            self.assertIn("cannot be changed by hand", caught.exception.faultString)
        self.assertFalse(invoice.it_released)
        self.assertFalse(invoice.it_invoice_kind)

    def test_accountant_cannot_mark_an_invoice_line_as_billing_a_month(self):
        """The month an invoice line bills the overage of is the invoicing's (statements and reports read it)."""
        accountant = new_test_user(self.env, "rpc_it_accountant_lines", groups="account.group_account_invoice")
        client = self.env["res.partner"].create({"name": "RPC Client", "is_company": True})
        invoice = self.env["account.move"].create({"move_type": "out_invoice", "partner_id": client.id})
        line = {"name": "Hours beyond the included ones", "quantity": 1, "price_unit": 100, "it_period_id": 1}
        for method, args in (
            ("write", [invoice.ids, {"invoice_line_ids": [[0, 0, line]]}]),
            ("create", [[{"move_type": "out_invoice", "partner_id": client.id, "invoice_line_ids": [[0, 0, line]]}]]),
        ):
            with self.assertRaises(xmlrpc.client.Fault) as caught, mute_logger("odoo.http"):
                self.xmlrpc_object.execute_kw(
                    self.env.cr.dbname, accountant.id, "rpc_it_accountant_lines", "account.move", method, args)
            self.assertIn("Contract Month", caught.exception.faultString)
            self.assertIn("cannot be set by hand", caught.exception.faultString)
        self.assertFalse(invoice.invoice_line_ids)
