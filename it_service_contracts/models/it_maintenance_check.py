from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError

CHECK_RESULTS = [
    ("ok", "OK"),
    ("attention", "Needs Attention"),
    ("critical", "Critical"),
]
# the state a check's result gives its asset (it.asset ASSET_STATES); an asset at its end of life stays there
ASSET_STATE_OF_RESULT = {"ok": "ok", "attention": "attention", "critical": "critical"}


class ItMaintenanceCheck(models.Model):
    """One asset checked at a maintenance visit: its result sets the asset's state, and a critical one opens a
    follow-up request for the asset (once)."""

    _name = "it.maintenance.check"
    _description = "IT Maintenance Check"
    _inherit = ["it.protected.fields.mixin"]
    _order = "task_id, asset_id, id"
    _check_company_auto = True
    _it_protected_fields = frozenset({"followup_task_id"})

    task_id = fields.Many2one("project.task", string="Visit", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="task_id.company_id", string="Company", store=True, index=True)
    partner_id = fields.Many2one(related="task_id.it_client_id", string="Client", store=True, index=True)
    asset_id = fields.Many2one(
        "it.asset", string="Asset", required=True, index=True, ondelete="restrict", check_company=True,
        domain="[('partner_id', '=', partner_id)]",
    )
    result = fields.Selection(CHECK_RESULTS, index="btree_not_null")
    note = fields.Text()
    followup_task_id = fields.Many2one(
        "project.task", string="Follow-up Request", readonly=True, copy=False, index="btree_not_null",
        ondelete="set null",
    )

    _unique_asset_per_visit = models.UniqueIndex("(task_id, asset_id)", "An asset is checked once per visit.")

    @api.constrains("task_id")
    def _check_task_is_visit(self):
        """A check is what a maintenance visit found: on any other request it would be reported to the client
        and set an asset's state outside the regular supervision."""
        for check in self:
            if not check.task_id.it_maintenance_plan_id:
                raise ValidationError(self.env._(
                    "Request %(request)s is not a maintenance visit: assets are checked on the visits their "
                    "maintenance plans create.", request=check.task_id.display_name,
                ))

    @api.constrains("task_id", "asset_id")
    def _check_asset_of_client(self):
        for check in self:
            if check.asset_id.partner_id != check.task_id.it_client_id:
                raise ValidationError(self.env._(
                    "%(asset)s is not an asset of %(client)s, the client of visit %(visit)s.",
                    asset=check.asset_id.display_name, client=check.task_id.it_client_id.display_name or "-",
                    visit=check.task_id.display_name,
                ))

    @api.model_create_multi
    def create(self, vals_list):
        checks = super().create(vals_list)
        checks._it_apply_results()
        return checks

    def write(self, vals):
        result = super().write(vals)
        if "result" in vals:
            self._it_apply_results()
        return result

    def _it_apply_results(self):
        """The results of these checks set their assets' state; a critical one opens its follow-up request."""
        checked = self.filtered("result")
        for result, checks in checked.grouped("result").items():
            state = ASSET_STATE_OF_RESULT[result]
            checks.asset_id.filtered(lambda asset, s=state: asset.state not in (s, "end_of_life")).state = state
        checked.filtered(lambda check: check.result == "critical" and not check.followup_task_id)._it_open_followups()

    def _it_open_followups(self):
        if not self:
            return
        tasks = self.env["project.task"]._it_addon_create([{
            "name": self.env._("Critical: %(asset)s", asset=check.asset_id.display_name),
            "project_id": check.task_id.project_id.id,
            "partner_id": check.task_id.partner_id.id,
            "it_site_id": (check.asset_id.site_id or check.task_id.it_site_id).id,
            "it_asset_id": check.asset_id.id,
            "it_visit_id": check.task_id.id,
            "priority": "1",
            "description": check.note,
            "user_ids": [Command.set(check.task_id.user_ids.ids)],
        } for check in self])
        for check, task in zip(self, tasks, strict=True):
            check._it_addon_write({"followup_task_id": task.id})
