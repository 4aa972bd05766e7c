from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


class ItAudit(models.Model):
    """The audit of a client's hardware and software that precedes every fixed contract."""

    _name = "it.audit"
    _description = "IT Audit"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="/")
    partner_id = fields.Many2one(
        "res.partner", string="Client", required=True, index=True, tracking=True, check_company=True,
        domain="[('parent_id', '=', False)]",
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    user_id = fields.Many2one(
        "res.users", string="Auditor", default=lambda self: self.env.user, tracking=True,
        domain="[('share', '=', False)]",
    )
    state = fields.Selection(
        [("draft", "In Progress"), ("done", "Completed")],
        required=True, default="draft", readonly=True, copy=False, tracking=True,
    )
    estimated_monthly_hours = fields.Float(
        help="Hours of support per month the client's infrastructure is expected to need.",
    )
    recommended_type = fields.Selection(
        [("adhoc", "Ad-hoc Help"), ("hour_package", "Hour Package"), ("monthly_flat", "Flat Monthly Fee")],
        string="Recommendation", tracking=True,
    )
    summary = fields.Html(help="Findings, the work plan and the next stages of modernisation.")
    contract_ids = fields.One2many("it.contract", "audit_id", string="Contracts")

    _check_hours = models.Constraint(
        "CHECK(estimated_monthly_hours >= 0)", "The estimated monthly hours cannot be negative.",
    )

    @api.constrains("estimated_monthly_hours")
    def _check_estimated_monthly_hours(self):
        if any(audit.estimated_monthly_hours < 0 for audit in self):
            raise ValidationError(self.env._("The estimated monthly hours cannot be negative."))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].with_company(vals.get("company_id")).next_by_code(
                    "it.audit", sequence_date=vals.get("date"),
                ) or "/"
        return super().create(vals_list)

    def action_done(self):
        if not all(self.mapped("recommended_type")):
            raise UserError(self.env._("Give the audit a recommendation before completing it."))
        self.state = "done"
        return True

    def action_reopen(self):
        if self.contract_ids.filtered(lambda c: c.state == "active"):
            raise UserError(self.env._("An audit that a running contract rests on cannot be reopened."))
        self.state = "draft"
        return True
