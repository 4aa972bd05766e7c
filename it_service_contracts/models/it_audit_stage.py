from odoo import api, fields, models
from odoo.tools import SQL

from .it_money import MONEY_GROUPS


class ItAuditStage(models.Model):
    """A stage of modernisation: the findings to be dealt with together, by a planned date."""

    _name = "it.audit.stage"
    _inherit = ["it.audit.part"]
    _description = "IT Modernisation Stage"
    _order = "audit_id, sequence, planned_date, id"
    _check_company_auto = True

    audit_id = fields.Many2one("it.audit", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="audit_id.company_id", store=True)
    currency_id = fields.Many2one(related="audit_id.currency_id")
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Stage", required=True, translate=True)
    planned_date = fields.Date()
    finding_ids = fields.One2many("it.audit.finding", "stage_id", string="Findings")
    estimated_hours = fields.Float(compute="_compute_estimated_hours", store=True)
    estimated_cost = fields.Monetary(
        compute="_compute_estimated_cost", store=True, groups=MONEY_GROUPS,
        help="The stage's hours at the company's ad-hoc rate: project work is priced apart from the contract.",
    )

    @api.depends("finding_ids.estimated_hours")
    def _compute_estimated_hours(self):
        for stage in self:
            stage.estimated_hours = sum(stage.finding_ids.mapped("estimated_hours"))

    @api.depends("estimated_hours", "audit_id.company_id.it_adhoc_hourly_rate", "audit_id.state")
    def _compute_estimated_cost(self):
        """At today's ad-hoc rate; a completed audit's stages keep the cost they were completed with (its report
        rests on it, as its recommendation does)."""
        kept = self._it_completed_costs()
        for stage in self:
            stage.estimated_cost = kept[stage.id] if stage.id in kept else (
                stage.estimated_hours * stage.audit_id.company_id.it_adhoc_hourly_rate)

    def _it_completed_costs(self):
        """``{stage id: cost}`` as stored, of those of these stages whose audit is completed and was so when last
        written to the database (``it.audit._it_completed_recommendations()``)."""
        done = [stage.id for stage in self if stage.audit_id.state == "done" and isinstance(stage.id, int)]
        if not done:
            return {}
        return dict(self.env.execute_query(SQL(
            """SELECT s.id, s.estimated_cost FROM it_audit_stage s JOIN it_audit a ON a.id = s.audit_id
                WHERE s.id IN %s AND a.state = 'done' AND s.estimated_cost IS NOT NULL""", tuple(done),
        )))
