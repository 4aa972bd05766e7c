from odoo import api, fields, models


class ItTimesheetReclassify(models.TransientModel):
    """A manager decides how time on service requests is billed, and says why."""

    _name = "it.timesheet.reclassify"
    _description = "Reclassify Timesheet Lines"

    timesheet_ids = fields.Many2many("account.analytic.line", string="Timesheet Lines", required=True)
    billing_mode = fields.Selection(
        [
            ("non_billable", "Non-billable"),
            ("adhoc", "Ad-hoc (billed at the ad-hoc rate)"),
            ("auto", "By the contract rules"),
        ],
        string="Bill As", required=True, default="non_billable",
    )
    reason = fields.Text(required=True, help="Kept in the chatter of the service request.")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if "timesheet_ids" in fields_list and self.env.context.get("active_model") == "account.analytic.line":
            values["timesheet_ids"] = [(6, 0, self.env.context.get("active_ids", []))]
        return values

    def action_apply(self):
        self.ensure_one()
        self.timesheet_ids._it_reclassify(self.billing_mode, self.reason)
        return {"type": "ir.actions.act_window_close"}
