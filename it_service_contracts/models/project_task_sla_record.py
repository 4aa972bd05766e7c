from odoo import fields, models
from odoo.exceptions import AccessError


class ItSlaRecord(models.AbstractModel):
    """What a request's SLA was measured against stays as it was (design rules 5 and 10): when it was reported,
    once the firm has responded, and once the SLA is breached, its contract, priority and whether it counts.
    Mixed into ``project.task`` ahead of it, so that these checks come before any of the request's logic."""

    _name = "it.sla.record"
    _description = "SLA Record of a Service Request"

    # what a breached SLA was measured against, and whether it counts: an IT manager's to change
    _IT_BREACH_FIELDS = frozenset({"it_contract_id", "project_id", "priority", "active"})

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
            changed = task._it_changed_fields(vals, names)
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


class ProjectTask(models.Model):
    _name = "project.task"
    _inherit = ["it.sla.record", "project.task"]
