from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    it_adhoc_hourly_rate = fields.Monetary(related="company_id.it_adhoc_hourly_rate", readonly=False)
    it_package_hourly_rate = fields.Monetary(related="company_id.it_package_hourly_rate", readonly=False)
    it_flat_hourly_rate = fields.Monetary(related="company_id.it_flat_hourly_rate", readonly=False)
    it_contract_acceptance_required = fields.Boolean(
        related="company_id.it_contract_acceptance_required", readonly=False,
    )
    it_invoice_auto_post = fields.Boolean(related="company_id.it_invoice_auto_post", readonly=False)
    it_invoice_journal_id = fields.Many2one(related="company_id.it_invoice_journal_id", readonly=False)
    it_invoice_user_id = fields.Many2one(related="company_id.it_invoice_user_id", readonly=False)

    # ------------------------------------------------------------------ service requests and SLA

    it_sla_risk_share = fields.Float(related="company_id.it_sla_risk_share", readonly=False)
    it_service_desk_lead_id = fields.Many2one(related="company_id.it_service_desk_lead_id", readonly=False)
    it_holiday_year = fields.Integer(
        string="Public Holidays Year", default=lambda self: fields.Date.context_today(self).year,
    )

    def action_it_fill_public_holidays(self):
        self.ensure_one()
        leaves = self.env["resource.calendar.leaves"]._it_fill_public_holidays(self.company_id, self.it_holiday_year)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "%(count)s public holidays of %(year)s added to the calendar of %(company)s.",
                    count=len(leaves), year=self.it_holiday_year, company=self.company_id.name,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
