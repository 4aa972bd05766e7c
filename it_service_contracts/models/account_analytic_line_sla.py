from odoo import api, fields, models


class AccountAnalyticLine(models.Model):
    """The first timesheet on a service request counts as the technician's first response (SLA clock)."""

    _inherit = "account.analytic.line"  # pylint: disable=consider-merging-classes-inherited

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        tasks = lines.filtered("project_id").task_id
        if tasks:
            tasks._it_record_first_response(fields.Datetime.now())
        return lines
