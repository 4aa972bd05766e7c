from odoo import api, fields, models
from odoo.tools import SQL

VISIT_STATES = [
    ("planned", "Planned"),
    ("done", "Done"),
    ("late", "Late"),
    ("missed", "Missed"),
]
# a visit's place in its plan's series and the warning of a missed visit: kept by the addon alone
VISIT_BOOKKEEPING_FIELDS = frozenset({
    "it_maintenance_plan_id", "it_visit_nominal_date", "it_visit_warned", "it_visit_id",
})


class ItMaintenanceVisit(models.AbstractModel):
    """A maintenance visit is a service request created by its plan (``it.maintenance.plan``) with the assets
    to check; a critical check opens a follow-up request that points back to the visit. Mixed into
    ``project.task`` ahead of it, so that its overrides come before the request's own."""

    _name = "it.maintenance.visit"
    _description = "Maintenance Visit of a Service Request"

    it_maintenance_plan_id = fields.Many2one(
        "it.maintenance.plan", string="Maintenance Plan", readonly=True, copy=False, index="btree_not_null",
        ondelete="restrict",
    )
    it_visit_nominal_date = fields.Date(
        string="Nominal Visit Date", readonly=True, copy=False,
        help="The date of the plan's series this visit stands for; the visit itself is on a working day.",
    )
    it_planned_date = fields.Date(string="Visit Date", copy=False, index="btree_not_null", tracking=True)
    it_visit_state = fields.Selection(
        VISIT_STATES, string="Visit", compute="_compute_it_visit_state", store=True, index="btree_not_null",
        help="Planned until its date; late after it; missed when not done by its date plus the plan's grace days.",
    )
    it_visit_warned = fields.Boolean(string="Missed Visit Warned", readonly=True, copy=False)
    it_check_ids = fields.One2many("it.maintenance.check", "task_id", string="Checks", copy=False)
    it_visit_id = fields.Many2one(
        "project.task", string="Follow-up of Visit", readonly=True, copy=False, index="btree_not_null",
        ondelete="set null",
    )
    it_followup_ids = fields.One2many("project.task", "it_visit_id", string="Follow-up Requests", readonly=True)

    # one visit of a plan per nominal date, whatever the number of workers creating them
    _it_unique_visit = models.UniqueIndex(
        "(it_maintenance_plan_id, it_visit_nominal_date) WHERE it_maintenance_plan_id IS NOT NULL",
        "This visit of the maintenance plan exists already.",
    )

    @api.model
    def _it_guarded_fields(self):
        return super()._it_guarded_fields() | VISIT_BOOKKEEPING_FIELDS

    def _it_protected_message(self, names):
        visit = {
            self._fields[name]._description_string(self.env) for name in VISIT_BOOKKEEPING_FIELDS | {"it_visit_state"}
        }
        if visit.issuperset(names):
            return self.env._(
                "A maintenance visit's plan, series date, state and follow-up link (%(fields)s) are kept by its "
                "maintenance plan and cannot be set by hand.", fields=", ".join(names),
            )
        return super()._it_protected_message(names)

    def _it_sla_runs(self):
        """A visit is work agreed ahead, not a failure the client reported: no response time runs for it (its
        follow-up requests are failures, and get the contract's response times)."""
        return super()._it_sla_runs() and not self.it_maintenance_plan_id

    def _it_visit_done(self):
        self.ensure_one()
        return self.state == "1_done" or (bool(self.stage_id.fold) and self.state != "1_canceled")

    @api.depends("it_maintenance_plan_id.grace_days", "it_planned_date", "state", "stage_id.fold")
    def _compute_it_visit_state(self):
        """Time moves the state of an open visit: the scheduled action recomputes it day after day."""
        today = fields.Date.context_today(self)
        for task in self:
            plan = task.it_maintenance_plan_id
            if not plan:
                task.it_visit_state = False
            elif task._it_visit_done():
                task.it_visit_state = "done"
            elif not task.it_planned_date or task.it_planned_date >= today:
                task.it_visit_state = "planned"
            elif (today - task.it_planned_date).days > plan.grace_days:
                task.it_visit_state = "missed"
            else:
                task.it_visit_state = "late"

    @api.model
    def _it_visit_ids_to_refresh(self, today, limit, exclude_ids):
        """Open visits whose date or grace has passed since their state was computed, and missed visits not
        warned yet."""
        self.flush_model(["it_maintenance_plan_id", "it_planned_date", "it_visit_state", "it_visit_warned"])
        self.env["it.maintenance.plan"].flush_model(["grace_days"])
        rows = self.env.execute_query(SQL(
            """SELECT t.id FROM project_task t JOIN it_maintenance_plan p ON p.id = t.it_maintenance_plan_id
                WHERE NOT (t.id = ANY(%(exclude)s)) AND (
                      (t.it_visit_state = 'planned' AND t.it_planned_date < %(today)s)
                   OR (t.it_visit_state IN ('planned', 'late') AND t.it_planned_date + p.grace_days < %(today)s)
                   OR (t.it_visit_state = 'missed' AND t.it_visit_warned IS NOT TRUE))
                ORDER BY t.it_planned_date, t.id LIMIT %(limit)s""",
            today=today, exclude=list(exclude_ids), limit=limit,
        ))
        return [row[0] for row in rows]

    def _it_refresh_visit_state(self):
        """Bring these visits' state up to today and warn once about each missed one."""
        self.env.add_to_compute(self._fields["it_visit_state"], self)
        self.flush_recordset(["it_visit_state"])
        self.filtered(lambda visit: visit.it_visit_state == "missed" and not visit.it_visit_warned)._it_warn_missed()

    def _it_visit_responsible(self):
        """Who hears of a missed visit: the contract's account manager, else the plan's technician."""
        self.ensure_one()
        plan = self.it_maintenance_plan_id.sudo()
        return plan.contract_id.user_id or plan.user_id or self.env.ref("base.user_admin")

    def _it_warn_missed(self):
        """One activity per missed visit for whoever answers for it; the flag keeps it from being repeated."""
        if not self:
            return
        todo = self.env.ref("mail.mail_activity_data_todo")
        model = self.env["ir.model"]._get_id(self._name)
        today = fields.Date.context_today(self)
        self.env["mail.activity"].sudo().create([{
            "res_model_id": model,
            "res_id": visit.id,
            "activity_type_id": todo.id,
            "date_deadline": today,
            "summary": self.env._("Missed maintenance visit: %(visit)s", visit=visit.name),
            "user_id": visit._it_visit_responsible().id,
        } for visit in self])
        self._it_addon_write({"it_visit_warned": True})

    def _it_extra_cost(self):
        """A visit of a plan covered by the monthly fee never costs the client extra."""
        if self.sudo().it_maintenance_plan_id.covered_by_fee:
            return None
        return super()._it_extra_cost()


class ProjectTask(models.Model):
    _name = "project.task"
    _inherit = ["it.maintenance.visit", "project.task"]
