from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import format_datetime

# how far ahead of the server's clock a request may be reported (the clocks of the people and tools reporting)
REPORTED_AHEAD_TOLERANCE = timedelta(minutes=5)


class ProjectTask(models.Model):
    """What a request's SLA is measured against stays as it was (design rules 5 and 10): when it was reported,
    and, once the SLA is breached, its contract, priority and whether it counts."""

    _inherit = "project.task"

    # what a breached SLA was measured against, and whether it counts: an IT manager's to change
    _IT_BREACH_FIELDS = frozenset({"it_contract_id", "project_id", "priority", "active"})

    @api.constrains("it_reported_date", "it_maintenance_plan_id", "project_id")
    def _check_it_reported_date_not_ahead(self):
        """A request is reported when the client reports it: never later than now (a mistyped year would stop
        its SLA clock until then). A maintenance visit is reported at the start of the day it is planned for."""
        latest = fields.Datetime.now() + REPORTED_AHEAD_TOLERANCE
        for task in self:
            if task.it_is_service_request and not task.it_maintenance_plan_id and task.it_reported_date \
                    and task.it_reported_date > latest:
                raise ValidationError(self.env._(
                    "Request %(task)s cannot be reported on %(date)s, which is still to come: the SLA clock starts "
                    "when the client reports a request. Correct the date it was reported on.",
                    task=task.name, date=format_datetime(self.env, task.it_reported_date),
                ))

    def _it_check_reported_date_change(self, vals):
        """Once the firm has responded, the reported date is part of the SLA's history: it no longer moves."""
        if "it_reported_date" not in vals or self._it_is_addon_write():
            return
        new = fields.Datetime.to_datetime(vals["it_reported_date"])
        responded = self.sudo().filtered(lambda t: t.first_response_date and t.it_reported_date != new)
        if responded:
            raise AccessError(self.env._(
                "Request %(task)s has already been responded to: the date it was reported on is part of its SLA "
                "record and no longer changes.", task=responded[0].display_name,
            ))

    def _it_check_breached_terms_change(self, vals):
        """A breached SLA counts for the client's service credits and the firm's figures: what it was measured
        against (contract, project, priority) and whether the request counts at all (archived) are changed by an
        IT manager only, in the tracked chatter."""
        names = self._IT_BREACH_FIELDS & vals.keys()
        if not names or self.env.su or self._it_is_addon_write() \
                or self.env.user.has_group("it_service_contracts.group_it_manager"):
            return
        now = fields.Datetime.now()
        for task in self.sudo():
            changed = [name for name in names if task._fields[name].convert_to_write(task[name], task) != (
                vals[name] or False)]
            if changed and task._it_sla_target_state(now) == "breached":
                raise AccessError(self.env._(
                    "The SLA of request %(task)s was breached: its %(fields)s can only be changed by an IT manager, "
                    "since the breach counts for the client's service credits.",
                    task=task.display_name,
                    fields=", ".join(sorted(task._fields[name]._description_string(self.env) for name in changed)),
                ))

    def write(self, vals):
        self._it_check_reported_date_change(vals)
        self._it_check_breached_terms_change(vals)
        return super().write(vals)
