from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ItContractSla(models.Model):
    _name = "it.contract.sla"
    _description = "IT Contract Response Time"
    _order = "contract_id, priority desc"

    contract_id = fields.Many2one("it.contract", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    priority = fields.Selection(
        [("0", "Low priority"), ("1", "Medium priority"), ("2", "High priority"), ("3", "Urgent")],
        required=True, default="0",
        help="The request priority these response times apply to.",
    )
    response_hours = fields.Float(
        string="Response (h)", required=True,
        help="Working hours on the service calendar within which a technician must respond.",
    )
    resolution_hours = fields.Float(
        string="Resolution (h)", required=True,
        help="Working hours on the service calendar within which the request must be resolved.",
    )

    _unique_priority = models.Constraint(
        "UNIQUE(contract_id, priority)",
        "A contract has one response time per priority.",
    )
    _check_hours = models.Constraint(
        "CHECK(response_hours > 0 AND resolution_hours >= response_hours)",
        "Response times must be positive and the resolution time cannot be shorter than the response time.",
    )

    @api.constrains("response_hours", "resolution_hours")
    def _check_response_resolution(self):
        for line in self:
            if line.response_hours <= 0 or line.resolution_hours <= 0:
                raise ValidationError(self.env._("Response and resolution times must be positive."))
            if line.resolution_hours < line.response_hours:
                raise ValidationError(self.env._(
                    "The resolution time (%(resolution)s h) cannot be shorter than the response time "
                    "(%(response)s h).",
                    resolution=line.resolution_hours, response=line.response_hours,
                ))

    @api.constrains("contract_id", "priority")
    def _check_unique_priority(self):
        for line in self:
            if len(line.contract_id.sla_line_ids.filtered_domain([("priority", "=", line.priority)])) > 1:
                raise ValidationError(self.env._(
                    "Contract %(contract)s already has a response time for this priority.",
                    contract=line.contract_id.name,
                ))

    # the open requests of a contract whose response times change get their deadlines planned again

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.contract_id._it_replan_open_requests()
        return lines

    def write(self, vals):
        contracts = self.contract_id
        result = super().write(vals)
        (contracts | self.contract_id)._it_replan_open_requests()
        return result

    def unlink(self):
        contracts = self.contract_id
        result = super().unlink()
        contracts._it_replan_open_requests()
        return result
