from odoo import api, fields, models


class ItContractAmendmentSla(models.Model):
    """The response times per priority an amendment puts in force."""

    _name = "it.contract.amendment.sla"
    _description = "IT Contract Amendment Response Time"
    _order = "amendment_id, priority desc"

    amendment_id = fields.Many2one("it.contract.amendment", required=True, index=True, ondelete="cascade")
    priority = fields.Selection(
        selection=lambda self: self.env["it.contract.sla"]._fields["priority"].selection, required=True,
    )
    response_hours = fields.Float(string="Response (h)", required=True)
    resolution_hours = fields.Float(string="Resolution (h)", required=True)

    _unique_priority = models.Constraint(
        "UNIQUE(amendment_id, priority)", "An amendment has one response time per priority.",
    )
    _check_hours = models.Constraint(
        "CHECK(response_hours > 0 AND resolution_hours >= response_hours)",
        "Response times must be positive and the resolution time cannot be shorter than the response time.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        self.env["it.contract.amendment"].browse(
            {vals.get("amendment_id") for vals in vals_list} - {None, False})._it_check_still_open()
        return super().create(vals_list)

    def write(self, vals):
        (self.amendment_id | self.amendment_id.browse(vals.get("amendment_id") or []))._it_check_still_open()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_while_open(self):
        self.amendment_id._it_check_still_open()
