from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .it_asset import ASSET_STATES
from .it_audit_recommendation import RECOMMENDATION_FIELDS
from .it_forms import COOPERATION_FORMS
from .it_money import MONEY_GROUPS

MANAGER_FIELDS = {"state", "adjustment_hours", "chosen_type", "choice_reason"}
# what a completed audit recorded besides its inventory and findings (which their models keep): its recommendation
# follows from them
RECORD_FIELDS = frozenset({"partner_id", "company_id", "date", "adjustment_hours", "adjustment_reason"})


class ItAudit(models.Model):
    """The audit of a client's hardware and software that precedes every fixed contract."""

    _name = "it.audit"
    _description = "IT Audit"
    _inherit = [
        "it.audit.recommendation", "it.audit.offer", "mail.thread", "mail.activity.mixin", "it.protected.fields.mixin",
    ]
    _it_protected_fields = frozenset({"project_id"})
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
    asset_ids = fields.One2many("it.asset", "audit_id", string="Inventory")
    asset_count = fields.Integer(compute="_compute_asset_count", string="Assets")
    finding_ids = fields.One2many("it.audit.finding", "audit_id", string="Findings")
    stage_ids = fields.One2many("it.audit.stage", "audit_id", string="Modernisation Stages")
    project_id = fields.Many2one(
        "project.project", string="Work Plan Project", readonly=True, copy=False, check_company=True,
    )
    norm_hours = fields.Float(
        string="Hours from Norms", compute="_compute_recommendation", store=True,
        help="The inventory's monthly support hours by the effort norms of the asset categories.",
    )
    adjustment_hours = fields.Float(
        string="Adjustment (h/month)", tracking=True,
        help="The auditor's correction of the norms for this client (plus or minus hours a month).",
    )
    adjustment_reason = fields.Char()
    estimated_monthly_hours = fields.Float(
        compute="_compute_recommendation", store=True,
        help="Hours of support per month the client's infrastructure is expected to need.",
    )
    adhoc_monthly_cost = fields.Monetary(
        string="Ad-hoc per Month", compute="_compute_recommendation", store=True, groups=MONEY_GROUPS,
    )
    package_monthly_cost = fields.Monetary(
        string="Hour Package per Month", compute="_compute_recommendation", store=True, groups=MONEY_GROUPS,
    )
    package_hours = fields.Integer(string="Package Hours", compute="_compute_recommendation", store=True)
    package_months = fields.Integer(string="Package Validity", compute="_compute_recommendation", store=True)
    flat_monthly_fee = fields.Monetary(
        string="Flat Fee per Month", compute="_compute_recommendation", store=True, groups=MONEY_GROUPS,
    )
    flat_hours = fields.Integer(string="Included Hours", compute="_compute_recommendation", store=True)
    per_asset_monthly_cost = fields.Monetary(
        string="Per-asset Pricing per Month", compute="_compute_recommendation", store=True, groups=MONEY_GROUPS,
        help="What managing the inventory would cost priced per asset; empty when a category has no price.",
    )
    per_asset_cheaper = fields.Boolean(compute="_compute_recommendation", store=True)
    recommended_type = fields.Selection(
        COOPERATION_FORMS, string="Recommendation", compute="_compute_recommendation", store=True, tracking=True,
    )
    # the reasons compare the costs of the forms
    recommendation_reasons = fields.Text(compute="_compute_recommendation", store=True, groups=MONEY_GROUPS)
    chosen_type = fields.Selection(
        COOPERATION_FORMS, string="Chosen Form", tracking=True,
        help="A manager may choose another form than the recommended one, with a reason.",
    )
    choice_reason = fields.Char(tracking=True)
    contract_type = fields.Selection(COOPERATION_FORMS, string="Form Offered", compute="_compute_contract_type")
    summary = fields.Html(help="Overall conclusions of the audit.")
    contract_ids = fields.One2many("it.contract", "audit_id", string="Contracts")

    _check_hours = models.Constraint(
        "CHECK(estimated_monthly_hours >= 0)", "The estimated monthly hours cannot be negative.",
    )

    def _compute_asset_count(self):
        counts = dict(self.env["it.asset"]._read_group([("audit_id", "in", self.ids)], ["audit_id"], ["__count"]))
        for audit in self:
            audit.asset_count = counts.get(audit, 0)

    @api.constrains("chosen_type", "choice_reason", "recommended_type")
    def _check_choice_reason(self):
        for audit in self:
            if audit.chosen_type and audit.chosen_type != audit.recommended_type and not audit.choice_reason:
                raise ValidationError(self.env._(
                    "Say why %(audit)s offers another form than the recommended one.", audit=audit.name,
                ))

    @api.constrains("state", "asset_ids")
    def _check_completed_with_inventory(self):
        for audit in self.filtered(lambda a: a.state == "done"):
            if not audit.asset_ids:
                raise ValidationError(self.env._(
                    "Audit %(audit)s cannot be completed without an inventory: record the client's assets first.",
                    audit=audit.name,
                ))

    @api.constrains("partner_id", "asset_ids")
    def _check_assets_of_client(self):
        for audit in self:
            if audit.asset_ids.partner_id - audit.partner_id:
                raise ValidationError(self.env._(
                    "The inventory of audit %(audit)s can only hold assets of %(client)s.",
                    audit=audit.name, client=audit.partner_id.display_name,
                ))

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        completed = []
        for vals in vals_list:
            self._it_check_manager_fields(vals, create=True)
            # an audit recorded as completed is completed once its inventory and findings are in
            completed.append(vals.pop("state", "draft") == "done")
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].with_company(vals.get("company_id")).next_by_code(
                    "it.audit", sequence_date=vals.get("date"),
                ) or "/"
        audits = super().create(vals_list)
        if done := [audit.id for audit, is_done in zip(audits, completed, strict=True) if is_done]:
            audits.browse(done).write({"state": "done"})
        return audits

    def write(self, vals):
        self._it_check_manager_fields(vals)
        self._it_check_choice_change(vals)
        if vals.get("state") == "draft":
            self._it_check_can_reopen()
        elif not RECORD_FIELDS.isdisjoint(vals):
            self.filtered(lambda audit: audit._it_changed_fields(vals, RECORD_FIELDS))._it_check_open()
        if "state" in vals:
            # priced as they stand when the state changes (_it_completed_recommendations reads them stored)
            self.flush_recordset(list(RECOMMENDATION_FIELDS))
            self.stage_ids.flush_recordset(["estimated_cost"])
        result = super().write(vals)
        if "state" in vals:
            self.flush_recordset(["state"])
        if vals.get("state") == "done":
            self._it_attach_to_draft_contracts()
        return result

    def _it_check_manager_fields(self, vals, create=False):
        """Completing, reopening, the recommendation's adjustments and the choice of form are a manager's,
        whatever the write path."""
        touched = MANAGER_FIELDS.intersection(vals)
        if create and vals.get("state", "draft") == "draft":
            touched.discard("state")
        if touched and not self.env.su and not self.env.user.has_group("it_service_contracts.group_it_manager"):
            raise AccessError(self.env._("Only an IT manager may complete an audit or change its recommendation."))

    @api.ondelete(at_uninstall=False)
    def _unlink_except_completed(self):
        self._it_check_open()

    def _it_check_open(self):
        """What a completed audit recorded (client, date, inventory, findings, the manager's adjustment) is what its
        recommendation and the contracts resting on it were priced on: it no longer changes, whoever writes. The
        audit's own fields, its assets (``it.asset._it_check_audit_record()``) and its findings ask this; a manager
        corrects an audit by reopening it (``_it_check_can_reopen()``), else a new audit is made."""
        done = self.sudo().filtered(lambda audit: audit.state == "done")
        if done:
            raise UserError(self.env._(
                "Audit %(audit)s is completed: what it recorded (client, date, inventory, findings) is what its "
                "recommendation and contracts rest on, and no longer changes. To correct it, an IT manager reopens "
                "it while no confirmed contract rests on it; otherwise record a new audit of the client. Equipment "
                "acquired since goes into the client's inventory without an audit.",
                audit=done[0].name,
            ))

    def _it_check_choice_change(self, vals):
        """The form a manager chose on a completed audit may change until a contract is confirmed on it: then it is
        what the client agreed to (QA: rewritten afterwards, it offered another form of contract)."""
        names = {"chosen_type", "choice_reason"} & vals.keys()
        if not names:
            return
        for audit in self.sudo().filtered(lambda a: a.state == "done" and a._it_held_by_contracts()):
            if audit._it_changed_fields(vals, names):
                raise UserError(self.env._(
                    "The form chosen on audit %(audit)s is what contracts %(contracts)s were agreed on: it no longer "
                    "changes. Record a new audit of the client to offer another form.",
                    audit=audit.name, contracts=", ".join(audit._it_held_by_contracts().mapped("name")),
                ))

    def _it_held_by_contracts(self):
        """The confirmed or running contracts (or those that ran) resting on this audit."""
        return self.contract_ids.filtered(
            lambda c: c.state in ("active", "expired", "closed") or (c.state == "draft" and c.date_confirmed)
        )

    def _it_check_can_reopen(self):
        held = self._it_held_by_contracts()
        if held:
            raise UserError(self.env._(
                "An audit that a confirmed or running contract rests on cannot be reopened (%(contracts)s).",
                contracts=", ".join(held.mapped("name")),
            ))

    # ------------------------------------------------------------------ actions

    def action_done(self):
        if any(audit.state != "draft" for audit in self):
            raise UserError(self.env._("Only an audit in progress can be completed."))
        self.state = "done"
        return True

    def action_reopen(self):
        self.state = "draft"
        return True

    def action_send_report(self):
        self.ensure_one()
        template = self.env.ref("it_service_contracts.mail_template_it_audit_report")
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "force_email": True,
            },
        }

    @api.readonly
    def action_view_assets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("it_service_contracts.it_asset_action")
        action["domain"] = [("audit_id", "=", self.id)]
        action["context"] = {
            "default_audit_id": self.id, "default_partner_id": self.partner_id.id,
            "default_company_id": self.company_id.id,
        }
        return action

    # ------------------------------------------------------------------ report

    def _it_report_inventory(self):
        """Inventory summary for the report: (category, {state: count}, total) sorted as the categories are."""
        self.ensure_one()
        rows = self.env["it.asset"]._read_group(
            [("audit_id", "=", self.id)], ["category_id", "state"], ["__count"],
        )
        states = [state for state, _label in ASSET_STATES]
        summary = {}
        for category, state, count in rows:
            summary.setdefault(category, dict.fromkeys(states, 0))[state] = count
        return [(category, states, sum(states.values())) for category, states in
                sorted(summary.items(), key=lambda item: (item[0].sequence, item[0].name))]
