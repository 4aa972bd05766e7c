from odoo import api, fields, models

from ..models.account_analytic_line import BILLING_TYPES
from ..models.it_money import MONEY_GROUPS


class TimesheetsAnalysisReport(models.Model):
    """The timesheet analysis shows how the time is billed (its search view shares the timesheets' filters)."""

    _inherit = "timesheets.analysis.report"

    it_contract_id = fields.Many2one("it.contract", string="IT Contract", readonly=True)
    it_billing_type = fields.Selection(BILLING_TYPES, string="Billing", readonly=True)
    it_billable_hours = fields.Float(string="Billable Time", readonly=True)
    it_invoice_id = fields.Many2one("account.move", string="IT Invoice", readonly=True, groups=MONEY_GROUPS)

    @api.model
    def _select(self):
        return super()._select() + """,
            A.it_contract_id AS it_contract_id,
            A.it_billing_type AS it_billing_type,
            A.it_billable_hours AS it_billable_hours,
            A.it_invoice_id AS it_invoice_id
        """
