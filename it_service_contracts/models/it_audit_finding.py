from odoo import api, fields, models
from odoo.exceptions import ValidationError

# how often recurring work repeats: a recurring finding's, and so its maintenance plan's
INTERVAL_TYPES = [("week", "Weeks"), ("month", "Months")]
# the longest recurring work repeats after (five years, in each unit): bounds that keep every date a maintenance
# plan's series computes within the calendar
MAX_INTERVAL = {"week": 260, "month": 60}


class ItAuditFinding(models.Model):
    """Something the audit found, what to do about it and how long it takes; it becomes a task of the work plan."""

    _name = "it.audit.finding"
    _inherit = ["it.audit.part"]
    _it_protected_fields = frozenset({"task_id", "maintenance_plan_id"})
    _description = "IT Audit Finding"
    _order = "audit_id, severity desc, sequence, id"
    _check_company_auto = True

    audit_id = fields.Many2one("it.audit", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="audit_id.company_id", store=True)
    partner_id = fields.Many2one(related="audit_id.partner_id")
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Finding", required=True)
    severity = fields.Selection(
        [("0", "Low"), ("1", "Medium"), ("2", "High"), ("3", "Critical")], required=True, default="1",
    )
    asset_ids = fields.Many2many(
        "it.asset", string="Affected Assets", check_company=True, domain="[('partner_id', '=', partner_id)]",
    )
    recommendation = fields.Text()
    estimated_hours = fields.Float(string="Estimated Hours")
    stage_id = fields.Many2one(
        "it.audit.stage", string="Modernisation Stage", index="btree_not_null",
        domain="[('audit_id', '=', audit_id)]",
    )
    task_id = fields.Many2one("project.task", string="Work Plan Task", readonly=True, copy=False)
    recurring = fields.Boolean(
        string="Recurring", help="Work to repeat regularly: it is proposed as a maintenance plan of the contract.",
    )
    recurrence_interval_number = fields.Integer(string="Every", default=1)
    recurrence_interval_type = fields.Selection(INTERVAL_TYPES, string="Unit", default="month")
    maintenance_plan_id = fields.Many2one(
        "it.maintenance.plan", string="Maintenance Plan", readonly=True, copy=False, index="btree_not_null",
        ondelete="set null",
    )

    _check_hours = models.Constraint("CHECK(estimated_hours >= 0)", "The estimated hours cannot be negative.")
    _check_recurrence = models.Constraint(
        "CHECK(NOT recurring OR (recurrence_interval_number >= 1 AND recurrence_interval_type IS NOT NULL "
        f"AND recurrence_interval_number <= CASE recurrence_interval_type WHEN 'week' THEN {MAX_INTERVAL['week']} "
        f"ELSE {MAX_INTERVAL['month']} END))",
        f"Recurring work repeats every 1 to {MAX_INTERVAL['week']} weeks or every 1 to {MAX_INTERVAL['month']} months.",
    )

    @api.constrains("stage_id", "audit_id")
    def _check_stage_audit(self):
        for finding in self:
            if finding.stage_id and finding.stage_id.audit_id != finding.audit_id:
                raise ValidationError(self.env._("A finding can only be planned in a stage of its own audit."))
