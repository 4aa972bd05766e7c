from odoo import api, fields, models
from odoo.tools import format_duration


class ItContractSla(models.Model):
    _name = "it.contract.sla"
    _inherit = ["it.protected.fields.mixin"]
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

    # the open requests of a contract whose response times change get their deadlines planned again;
    # the contract's chatter says what changed, line by line (a term of the contract)

    def _it_describe(self):
        self.ensure_one()
        return self.env._(
            "%(priority)s: response %(response)s, resolution %(resolution)s",
            priority=self._it_priority_label(), response=format_duration(self.response_hours),
            resolution=format_duration(self.resolution_hours),
        )

    def _it_priority_label(self):
        return dict(self._fields["priority"]._description_selection(self.env)).get(self.priority, self.priority)

    def _it_snapshot(self):
        return {line: (line.priority, line.response_hours, line.resolution_hours) for line in self}

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.contract_id._it_replan_open_requests()
        lines._it_track({line.contract_id: [] for line in lines}, added=lines)
        return lines

    def write(self, vals):
        contracts = self.contract_id
        before = self._it_snapshot()
        result = super().write(vals)
        (contracts | self.contract_id)._it_replan_open_requests()
        changes = {}
        for line, (priority, response, resolution) in before.items():
            if (line.priority, line.response_hours, line.resolution_hours) == (priority, response, resolution):
                continue
            old_label = dict(self._fields["priority"]._description_selection(self.env)).get(priority, priority)
            changes.setdefault(line.contract_id, []).append(self.env._(
                "%(old_priority)s (response %(old_response)s, resolution %(old_resolution)s) → %(new)s",
                old_priority=old_label, old_response=format_duration(response),
                old_resolution=format_duration(resolution),
                new=line._it_describe(),
            ))
        self._it_track(changes)
        return result

    def unlink(self):
        contracts = self.contract_id
        removed = {}
        for line in self:
            removed.setdefault(line.contract_id, []).append(self.env._("removed: %s", line._it_describe()))
        result = super().unlink()
        contracts._it_replan_open_requests()
        self.env["it.contract.sla"]._it_track({c: t for c, t in removed.items() if c.exists()})
        return result

    def _it_track(self, changes, added=None):
        for line in added or ():
            changes.setdefault(line.contract_id, []).append(self.env._("added: %s", line._it_describe()))
        self.env["it.contract"]._it_post_term_lines(self.env._("Response times changed:"), changes)
