from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.account_move import INVOICE_KINDS


class ItInvoiceDue(models.TransientModel):
    """The accountant's list of what the next invoicing run will invoice, with the amounts."""

    _name = "it.invoice.due"
    _description = "IT Services to Invoice"
    _order = "kind, partner_id, id"

    kind = fields.Selection(INVOICE_KINDS, string="Billing", required=True, readonly=True)
    contract_id = fields.Many2one("it.contract", string="Contract", readonly=True)
    task_id = fields.Many2one("project.task", string="Service Request", readonly=True)
    reference = fields.Char(string="What", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Client", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    month = fields.Date(string="Month Billed", readonly=True)
    amount_untaxed = fields.Monetary(string="Untaxed Amount", readonly=True)
    problem = fields.Char(string="Cannot Be Invoiced", readonly=True)

    @api.model
    def action_open(self):
        """Fill the list for this user with what is due today, and show it."""
        self.search([("create_uid", "=", self.env.uid)]).unlink()
        Invoicing = self.env["it.invoicing"]
        today = fields.Date.context_today(self)
        companies = self.env.companies
        rows = []
        for kind, _label in INVOICE_KINDS:
            model = Invoicing._it_model(kind).sudo()
            records = model.browse(Invoicing._it_due_ids(kind, today)).filtered(
                lambda r: r.company_id in companies)
            months = Invoicing._it_billed_months(records, today) if kind == "flat" else {}
            for record in records:
                row = {"kind": kind, "company_id": record.company_id.id}
                row["reference"] = record.display_name
                if kind == "adhoc":
                    row.update(task_id=record.id, partner_id=record.partner_id.commercial_partner_id.id)
                else:
                    row.update(contract_id=record.id, partner_id=record.partner_id.id)
                    if kind == "flat":
                        row["month"] = months[record][0] if record in months else False
                try:
                    with self.env.cr.savepoint():
                        plans = getattr(Invoicing, f"_it_plan_{kind}")(
                            {record: months[record]} if kind == "flat" else record, today)
                        Invoicing._it_check_plan(plans[0])
                    row["amount_untaxed"] = sum(
                        line["quantity"] * line["price_unit"] for line in plans[0]["lines"])
                except UserError as error:
                    row["problem"] = error.args[0]
                rows.append(row)
        self.create(rows)
        action = self.env["ir.actions.act_window"]._for_xml_id("it_service_contracts.it_invoice_due_action")
        action["domain"] = [("create_uid", "=", self.env.uid)]
        return action

    def action_invoice_now(self):
        """Invoice the selected rows at once; what fails gets an activity, the rest is invoiced. A row another user
        (or another click) invoiced in the meantime is said to be invoiced already: that transaction held it, this
        one was run again by Odoo once it had committed (``it.invoicing._it_invoice_now``), and found it no longer
        due."""
        # rows another click of this user invoiced (and removed) before this request was run again
        rows = self.exists()
        Invoicing = self.env["it.invoicing"]
        moves = Invoicing._it_invoice_now(rows.task_id) | Invoicing._it_invoice_now(rows.contract_id)
        left = rows.filtered(lambda row: row.task_id not in moves.it_task_id and row.contract_id not in (
            moves.it_contract_id))
        # what is no longer due was invoiced by someone else; what is still due failed and has its activity
        today = fields.Date.context_today(self)
        still_due = set()
        for kind, kind_rows in left.grouped("kind").items():
            records = kind_rows.task_id if kind == "adhoc" else kind_rows.contract_id
            still_due.update((kind, record_id) for record_id in Invoicing._it_due_ids(kind, today, ids=records.ids))
        failed = left.filtered(lambda row: (row.kind, (row.task_id or row.contract_id).id) in still_due)
        elsewhere = left - failed
        message = self.env._("%(count)s invoices created.", count=len(moves))
        if failed:
            message += " " + self.env._(
                "Not invoiced (see the activity on each): %(names)s",
                names=", ".join((row.task_id or row.contract_id).display_name for row in failed),
            )
        if elsewhere:
            message += " " + self.env._(
                "Already invoiced by someone else in the meantime: %(names)s",
                names=", ".join((row.task_id or row.contract_id).display_name for row in elsewhere),
            )
        if len(rows) < len(self):
            message += " " + self.env._(
                "%(count)s of the selected rows were handled by another of your requests in the meantime (a second "
                "click, or the list opened again).",
                count=len(self) - len(rows),
            )
        rows.unlink()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action.update(domain=[("id", "in", moves.ids)], context={"create": False})
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": "warning" if failed else "info" if elsewhere else "success", "message": message,
                       "sticky": bool(failed),
                       "next": action},
        }
