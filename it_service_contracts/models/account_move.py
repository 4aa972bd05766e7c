import psycopg2
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare

INVOICE_KINDS = [
    ("adhoc", "Ad-hoc Job"),
    ("package", "Hour Package"),
    ("flat", "Monthly Fee"),
]
# what an invoice bills: a run's kinds, and the ad-hoc time logged on a request after its first invoice
MOVE_KINDS = [*INVOICE_KINDS, ("adhoc_more", "Ad-hoc: Further Time")]
# written by the addon alone: they decide what has been invoiced
IT_BILLING_FIELDS = frozenset({"it_period_id", "it_task_id", "it_invoice_kind", "it_released"})
# marks the PDFs the addon attaches to a monthly invoice, which the Send wizard then mails with it
IT_REPORT_ATTACHMENT = "it_service_contracts:monthly_report"
# an issued invoice, the one place it is written: a customer invoice until it is cancelled or fully credited; the
# unique indexes below and the invoicing's queries use it as it is, AccountMove._it_issued() on records
ISSUED_INVOICE = "move_type = 'out_invoice' AND state != 'cancel' AND it_released IS NOT TRUE"


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "it.protected.fields.mixin"]
    _it_protected_fields = IT_BILLING_FIELDS

    it_contract_id = fields.Many2one(
        "it.contract", string="IT Contract", index="btree_not_null", copy=False, check_company=True,
        readonly=True, help="The IT service contract this invoice was issued for.",
    )
    it_period_id = fields.Many2one(
        "it.contract.period", string="Contract Month", index="btree_not_null", copy=False, readonly=True,
        help="The month of the flat contract whose fee this invoice bills.",
    )
    it_task_id = fields.Many2one(
        "project.task", string="Service Request", index="btree_not_null", copy=False, readonly=True,
        help="The ad-hoc job this invoice bills.",
    )
    it_invoice_kind = fields.Selection(MOVE_KINDS, string="IT Billing", copy=False, readonly=True)
    it_released = fields.Boolean(
        string="Credited", copy=False, readonly=True,
        help="Fully credited: what this invoice billed can be invoiced again.",
    )

    _it_period_invoice_uniq = models.UniqueIndex(
        f"(it_period_id) WHERE it_period_id IS NOT NULL AND {ISSUED_INVOICE}",
        "This contract month has already been invoiced.",
    )
    _it_package_invoice_uniq = models.UniqueIndex(
        f"(it_contract_id) WHERE it_invoice_kind = 'package' AND {ISSUED_INVOICE}",
        "This hour package has already been invoiced.",
    )
    # a request's first invoice (its quoted price, or its time); the ad-hoc time logged on it after that is billed on
    # further invoices, each line once (account.analytic.line._it_set_invoice)
    _it_task_invoice_uniq = models.UniqueIndex(
        f"(it_task_id) WHERE it_task_id IS NOT NULL AND it_invoice_kind = 'adhoc' AND {ISSUED_INVOICE}",
        "This ad-hoc job has already been invoiced.",
    )

    def write(self, vals):
        if "it_contract_id" in vals and not self._it_is_addon_write() and any(self.mapped("it_invoice_kind")):
            raise UserError(self._it_protected_message([self._fields["it_contract_id"].string]))
        if vals.get("state") in ("draft", "cancel"):
            self._it_check_release_stays(vals["state"])
        return super().write(vals)

    def _it_check_release_stays(self, state):
        """What a cancellation or a credit note released is invoiced again (by the next run): the documents that
        released it do not come back, or the same time, month, package or job would be billed twice. A cancelled IT
        invoice is not set back to draft; a posted credit note that released its invoice stays posted."""
        for move in self.sudo():
            if move.it_invoice_kind and move.state == "cancel" and state == "draft":
                raise UserError(self.env._(
                    "Invoice %(invoice)s was cancelled: what it billed was released, and the next run (or Invoice "
                    "Now) bills it again on a new invoice. A cancelled IT invoice is not set back to draft.",
                    invoice=move.display_name,
                ))
            credited = move.reversed_entry_id
            if move.move_type == "out_refund" and move.state == "posted" and credited.it_released \
                    and credited.it_invoice_kind and not credited._it_credited_in_full(without=move):
                raise UserError(self.env._(
                    "Credit note %(refund)s released what invoice %(invoice)s billed, to be invoiced again: it stays "
                    "posted. If the credit was a mistake, the client's next invoice bills it again.",
                    refund=move.name, invoice=credited.name,
                ))

    @api.model
    def _it_is_second_issued_invoice(self, error):
        """Whether a database ``error`` is one of the unique indexes of ISSUED_INVOICE refusing a second issued
        invoice of a month, package or job."""
        indexes = (type(self)._it_period_invoice_uniq, type(self)._it_package_invoice_uniq,
                   type(self)._it_task_invoice_uniq)
        return isinstance(error, psycopg2.errors.UniqueViolation) \
            and error.diag.constraint_name in {index.full_name(self) for index in indexes}

    def _it_issued(self):
        """The issued invoices among these, by the condition of ISSUED_INVOICE."""
        self.flush_recordset(["move_type", "state", "it_released"])
        if not self.ids:
            return self
        return self.browse(row[0] for row in self.env.execute_query(SQL(
            "SELECT id FROM account_move WHERE id IN %s AND " + ISSUED_INVOICE, tuple(self.ids))))

    def _it_protected_message(self, names):
        return self.env._(
            "What an invoice bills for the IT contracts (%(fields)s) is set by the invoicing itself and cannot be "
            "changed by hand.", fields=", ".join(names),
        )

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        credited = posted.filtered(lambda move: move.move_type == "out_refund").reversed_entry_id
        credited.filtered(lambda move: move.it_invoice_kind)._it_release_if_credited()
        monthly = posted.filtered(lambda move: move.it_invoice_kind == "flat")
        # not while the modules load (the demo's invoices): wkhtmltopdf would run without the web server that
        # serves the documents' styles, for seconds a document. The registry says so, not a context key, which
        # an RPC call could send to post an invoice without its statement.
        if self.env.registry.ready:
            monthly._it_attach_usage_statement()
            monthly._it_attach_monthly_client_report()
        return posted

    def button_cancel(self):
        result = super().button_cancel()
        self.filtered(lambda move: move.it_invoice_kind and move.state == "cancel")._it_release()
        return result

    def _it_release_if_credited(self):
        """Release the invoices whose posted credit notes add up to their total."""
        for invoice in self:
            if invoice._it_credited_in_full():
                invoice._it_release()

    def _it_credited_in_full(self, without=None):
        """Whether this invoice's posted credit notes (other than ``without``) add up to its total."""
        self.ensure_one()
        refunds = self.reversal_move_ids.filtered(lambda move: move.state == "posted") - (without or self.browse())
        return float_compare(
            sum(refunds.mapped("amount_total")), self.amount_total, precision_rounding=self.currency_id.rounding,
        ) >= 0

    def _it_release(self):
        """What these invoices billed is free to be invoiced again: the time, the month, the package, the job."""
        moves = self.sudo()
        moves.filtered(lambda move: move.state != "cancel")._it_addon_write({"it_released": True})
        lines = self.env["account.analytic.line"].sudo().search([("it_invoice_id", "in", moves.ids)])
        lines._it_free_from_invoice()
        tasks = self.env["project.task"].sudo().search([("it_credit_move_id", "in", moves.ids)])
        tasks._it_addon_write({"it_credit_move_id": False})
        for move in moves:
            move.message_post(body=self.env._(
                "What this invoice billed is released and will be invoiced again by the next run."
            ))

    def _it_take_over_billing(self, original, lines, tasks):
        """This invoice, Odoo's draft copy of ``original`` made by *Reverse and Create Invoice* (which credited
        ``original`` in full and released what it billed), bills what ``original`` billed: its month, package or
        job, its time ``lines`` and the service credits given for ``tasks``."""
        self.ensure_one()
        move = self.sudo()
        if not original.it_released or (move.move_type, move.partner_id, move.company_id) != (
                original.move_type, original.partner_id, original.company_id):
            return
        # the credited invoice no longer counts as issued in the database before its copy takes its month: the
        # unique indexes of ISSUED_INVOICE are checked statement by statement
        original.flush_recordset(["it_released"])
        move._it_addon_write({
            "it_contract_id": original.it_contract_id.id, "it_period_id": original.it_period_id.id,
            "it_task_id": original.it_task_id.id, "it_invoice_kind": original.it_invoice_kind,
        })
        if len(move.invoice_line_ids) == len(original.invoice_line_ids):
            for line, copied in zip(original.invoice_line_ids, move.invoice_line_ids, strict=True):
                if line.it_period_id:
                    copied._it_addon_write({"it_period_id": line.it_period_id.id})
        lines._it_set_invoice(move)
        tasks._it_addon_write({"it_credit_move_id": move.id})
        original.message_post(body=Markup("<p>%s</p>") % self.env._(
            "Corrected by %(invoice)s, which bills what this invoice billed.", invoice=move._get_html_link(),
        ))

    def _it_attach_usage_statement(self):
        """The usage statement of the month is attached to each posted monthly contract invoice (an invoice posted
        again gets it anew, with the monthly client report, in place of the ones it had)."""
        self._it_report_attachments().unlink()
        report = self.env.ref("it_service_contracts.action_report_it_usage_statement").sudo()
        for move in self:
            content, _type = report._render_qweb_pdf(report.report_name, move.ids)
            self.env["ir.attachment"].sudo().create({
                "name": self.env._("Usage statement %s.pdf", move.name),
                "raw": content,
                "res_model": "account.move",
                "res_id": move.id,
                "mimetype": "application/pdf",
                "description": IT_REPORT_ATTACHMENT,
            })

    def _it_report_attachments(self):
        """The usage statement and the monthly client report attached to these invoices."""
        return self.env["ir.attachment"].sudo().search([
            ("res_model", "=", "account.move"), ("res_id", "in", self.ids),
            ("description", "=", IT_REPORT_ATTACHMENT),
        ])

    def _it_reported_period(self):
        """The month the monthly client report sent with this invoice is about: the contract's last month
        ended by the invoice date (none for the first invoice of a contract billed in advance)."""
        self.ensure_one()
        return self.env["it.contract.period"].sudo().search([
            ("contract_id", "=", self.it_contract_id.id),
            ("date_end", "<", self.invoice_date or fields.Date.context_today(self)),
        ], order="date_start desc", limit=1)

    def _it_attach_monthly_client_report(self):
        """The monthly client report of the month just ended goes with each posted monthly invoice."""
        report = self.env.ref("it_service_contracts.action_report_it_monthly_client").sudo()
        for move in self:
            period = move._it_reported_period()
            if not period:
                continue
            content, _type = report._render_qweb_pdf(report.report_name, period.ids)
            self.env["ir.attachment"].sudo().create({
                "name": self.env._("IT report %(contract)s %(month)s.pdf", contract=period.contract_id.name,
                                   month=period.date_start.strftime("%Y-%m")),
                "raw": content,
                "res_model": "account.move",
                "res_id": move.id,
                "mimetype": "application/pdf",
                "description": IT_REPORT_ATTACHMENT,
            })

    def _it_statement_lines(self):
        """The work this invoice accounts for: a monthly invoice's months (the month of its fee and the months
        whose overage it bills, with the month just ended), a package's use to date, the time of anything else it
        bills (an ad-hoc job)."""
        self.ensure_one()
        move = self.sudo()
        lines = self.env["account.analytic.line"].sudo()
        billed = lines.search([("it_invoice_id", "=", move.id)])
        periods = self.env["it.contract.period"].sudo()
        if move.it_invoice_kind == "flat":
            periods = (move.it_period_id | billed.it_period_id | move._it_reported_period()).sorted("date_start")
            billed |= lines.search([("it_period_id", "in", periods.ids)])
        elif move.it_invoice_kind == "package":
            billed |= lines.search([("it_contract_id", "=", move.it_contract_id.id)])
        return billed.filtered("it_billing_type").sorted(lambda line: (line.date, line.id)), periods

    def _it_usage_statement(self):
        """What the usage statement of this invoice shows: the work of what it bills (``_it_statement_lines``),
        line by line with where each hour is billed, summed per request, technician and billing type, and the
        included hours of each month."""
        self.ensure_one()
        lines, periods = self._it_statement_lines()
        labels = dict(lines._fields["it_billing_type"]._description_selection(self.env))
        rows, hours_by_request, by_technician, by_type = [], {}, {}, {}
        for line in lines:
            technician = line.employee_id.name or line.user_id.name or ""
            kind = labels.get(line.it_billing_type, "")
            rows.append({
                "date": line.date, "request": line.task_id.display_name or line.name, "technician": technician,
                "worked": line.unit_amount, "billable": line.it_billable_hours, "type": kind,
                "billed": self._it_billed_where(line),
            })
            request = line.task_id.display_name or line.name
            hours_by_request[request] = hours_by_request.get(request, 0.0) + line.it_billable_hours
            by_technician[technician] = by_technician.get(technician, 0.0) + line.it_billable_hours
            by_type[kind] = by_type.get(kind, 0.0) + line.it_billable_hours
        return {
            "rows": rows,
            "requests": list(hours_by_request.items()),
            "by_technician": sorted(by_technician.items()),
            "by_type": sorted(by_type.items()),
            "periods": periods,
            "package": self.sudo().it_contract_id if self.it_invoice_kind == "package" else False,
            "lines": lines,
        }

    def _it_billed_where(self, line):
        """Where a line's hours are paid for, in the reader's words."""
        paid_by = {
            "included": self.env._("the monthly fee"),
            "covered": self.env._("the monthly fee"),
            "package": self.env._("the prepaid package"),
            "non_billable": self.env._("not billed"),
        }.get(line.it_billing_type)
        if paid_by:
            return paid_by
        if line.it_invoice_id:
            return line.it_invoice_id.name if line.it_invoice_id != self else self.env._("this invoice")
        return self.env._("a later invoice")
