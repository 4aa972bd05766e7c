from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, plaintext2html

from .it_asset import ASSET_STATES
from .it_forms import COOPERATION_FORMS
from .it_money import MONEY_GROUPS

MANAGER_FIELDS = {"state", "adjustment_hours", "chosen_type", "choice_reason"}
# what a completed audit recorded besides its inventory and findings (which their models keep): its recommendation
# follows from them
RECORD_FIELDS = frozenset({"partner_id", "company_id", "date", "adjustment_hours", "adjustment_reason"})
# the recommendation, priced when the audit is completed: later norms and rates do not change it
RECOMMENDATION_FIELDS = (
    "norm_hours", "estimated_monthly_hours", "adhoc_monthly_cost", "package_monthly_cost", "package_hours",
    "package_months", "flat_monthly_fee", "flat_hours", "per_asset_monthly_cost", "per_asset_cheaper",
    "recommended_type", "recommendation_reasons",
)


class ItAudit(models.Model):
    """The audit of a client's hardware and software that precedes every fixed contract."""

    _name = "it.audit"
    _description = "IT Audit"
    _inherit = ["mail.thread", "mail.activity.mixin", "it.protected.fields.mixin"]
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

    @api.depends(
        "asset_ids.category_id.monthly_hours", "asset_ids.category_id.requires_response",
        "asset_ids.category_id.monthly_asset_price", "asset_ids.date_in_service", "asset_ids.date_retired",
        "adjustment_hours", "date", "company_id.it_adhoc_hourly_rate", "company_id.it_package_hourly_rate",
        "company_id.it_flat_hourly_rate", "company_id.it_package_minimum_hours", "company_id.it_flat_minimum_fee",
        "state",
    )
    def _compute_recommendation(self):
        """The costs of the forms of cooperation for the inventory, by the norms and rates of today; a completed
        audit keeps those it was completed with (its report and the contracts offered on it rest on them)."""
        comparison = self.env["it.form.comparison"]
        kept = self._it_completed_recommendations()
        for audit in self:
            if audit.id in kept:
                audit.update(kept[audit.id])
                continue
            assets = audit.asset_ids.filtered_domain(self.env["it.asset"]._it_in_service_domain(audit.date))
            assets = assets.with_company(audit.company_id)  # its categories' prices are the audit's company's
            categories = assets.category_id
            norm = sum(asset.category_id.monthly_hours for asset in assets)
            priced = all(categories.mapped("monthly_asset_price")) if categories else False
            per_asset = sum(asset.category_id.monthly_asset_price for asset in assets) if priced else 0.0
            result = comparison._it_compare(
                audit.company_id, max(norm + audit.adjustment_hours, 0.0),
                needs_response=any(categories.mapped("requires_response")), per_asset_cost=per_asset,
            )
            audit.update({
                "norm_hours": norm,
                "estimated_monthly_hours": result["monthly_hours"],
                "adhoc_monthly_cost": result["costs"]["adhoc"],
                "package_monthly_cost": result["costs"]["hour_package"],
                "package_hours": result["package_hours"],
                "package_months": result["package_months"],
                "flat_monthly_fee": result["flat_fee"],
                "flat_hours": result["flat_hours"],
                "per_asset_monthly_cost": per_asset,
                "per_asset_cheaper": result["per_asset_cheaper"],
                "recommended_type": result["recommended"],
                "recommendation_reasons": "\n".join(result["reasons"]),
            })

    def _it_completed_recommendations(self):
        """``{audit id: recommendation}`` as stored, of those of these audits that are completed and were priced so:
        ``write`` stores the recommendation, then the state, whenever the state changes (an audit being completed
        is priced then; a reopened one again)."""
        done = [audit.id for audit in self if audit.state == "done" and isinstance(audit.id, int)]
        if not done:
            return {}
        rows = self.env.execute_query_dict(SQL(
            "SELECT id, %s FROM it_audit WHERE id IN %s AND state = 'done' AND recommended_type IS NOT NULL",
            SQL(", ").join(SQL.identifier(name) for name in RECOMMENDATION_FIELDS), tuple(done),
        ))
        return {row.pop("id"): row for row in rows}

    @api.depends("recommended_type", "chosen_type")
    def _compute_contract_type(self):
        for audit in self:
            audit.contract_type = audit.chosen_type or audit.recommended_type

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

    def _it_attach_to_draft_contracts(self):
        """Draft contracts of the client written before the audit was completed now rest on it."""
        drafts = self.env["it.contract"].search([
            ("partner_id", "in", self.partner_id.ids), ("state", "=", "draft"), ("audit_id", "=", False),
        ])
        audit_of = {audit.partner_id: audit for audit in self}
        for contract in drafts:
            contract.audit_id = audit_of[contract.partner_id]

    # ------------------------------------------------------------------ actions

    def action_done(self):
        if any(audit.state != "draft" for audit in self):
            raise UserError(self.env._("Only an audit in progress can be completed."))
        self.state = "done"
        return True

    def action_reopen(self):
        self.state = "draft"
        return True

    def action_create_work_plan(self):
        """One task per finding in the client's work plan project, with the finding's estimate; never twice."""
        for audit in self:
            findings = audit.finding_ids.filtered(lambda f: not f.task_id)
            if not findings:
                continue
            project = audit._it_work_plan_project()
            tasks = self.env["project.task"].create([{
                "name": finding.name,
                "project_id": project.id,
                "partner_id": audit.partner_id.id,
                "allocated_hours": finding.estimated_hours,
                "priority": "1" if finding.severity in ("2", "3") else "0",
                "description": finding.recommendation,
                "date_deadline": finding.stage_id.planned_date,
                "it_asset_id": finding.asset_ids[:1].id,
            } for finding in findings])
            for finding, task in zip(findings, tasks, strict=True):
                finding._it_addon_write({"task_id": task.id})
        return self[:1].project_id._get_records_action() if len(self) == 1 else True

    def action_propose_maintenance_plans(self):
        """A maintenance plan of the client's contract for each recurring finding of the work plan, never twice
        (the IT manager then completes them: technician, checklist, first visit)."""
        plans = self.env["it.maintenance.plan"]
        today = fields.Date.context_today(self)
        for audit in self:
            findings = audit.finding_ids.filtered(lambda f: f.recurring and not f.maintenance_plan_id)
            if not findings:
                continue
            contract = audit.contract_ids.filtered_domain(
                self.env["it.contract"]._it_plannable_condition(today),
            ).sorted(lambda c: (c.state == "active", c.date_start), reverse=True)[:1]
            if not contract:
                raise UserError(self.env._(
                    "Audit %(audit)s has no draft or running contract: a maintenance plan belongs to a contract. "
                    "Create the contract first.", audit=audit.name,
                ))
            created = plans.create([{
                "name": finding.name,
                "contract_id": contract.id,
                "interval_number": finding.recurrence_interval_number,
                "interval_type": finding.recurrence_interval_type,
                "date_start": max(contract.date_start, today),
                "planned_hours": finding.estimated_hours,
                "asset_ids": [Command.set(finding.asset_ids.ids)],
                "checklist": plaintext2html(finding.recommendation or finding.name),
            } for finding in findings])
            for finding, plan in zip(findings, created, strict=True):
                finding._it_addon_write({"maintenance_plan_id": plan.id})
            plans |= created
        if not plans:
            raise UserError(self.env._("No recurring finding is waiting for a maintenance plan."))
        return plans._get_records_action(name=self.env._("Maintenance Plans"))

    def _it_work_plan_project(self):
        self.ensure_one()
        if not self.project_id:
            # technicians plan the work, but only managers create projects (and their analytic accounts)
            project = self.env["project.project"].sudo().create({
                "name": self.env._("Work plan %(audit)s - %(client)s", audit=self.name, client=self.partner_id.name),
                "partner_id": self.partner_id.id,
                "company_id": self.company_id.id,
                "allow_timesheets": True,
            })
            self._it_addon_write({"project_id": project.id})
        return self.project_id

    def action_create_contract(self):
        """A draft contract filled from the audit's recommendation (or the form the manager chose)."""
        self.ensure_one()
        if self.state != "done":
            raise UserError(self.env._("Complete the audit before creating a contract from it."))
        if self.contract_type == "adhoc":
            raise UserError(self.env._(
                "Ad-hoc help needs no contract: the client is served and invoiced job by job.",
            ))
        contract = self.env["it.contract"].create(self._it_contract_values())
        return contract._get_records_action(name=self.env._("Contract"))

    def _it_contract_values(self):
        assets = self.asset_ids.filtered_domain(self.env["it.asset"]._it_in_service_domain(self.date))
        # asset categories are shared by the companies of the database, their support services and prices are each
        # company's: a category brings the audit's company's service into the scope, if that company may sell it
        services = {
            category: category.sudo().with_company(self.company_id).service_product_id.filtered_domain(
                self.env["product.product"]._check_company_domain(self.company_id)).sudo(False)
            for category in assets.category_id
        }
        values = {
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "audit_id": self.id,
            "contract_type": self.contract_type,
            "user_id": self.env.user.id,
            "service_product_ids": [(6, 0, self.env["product.product"].union(*services.values()).ids)],
            "site_ids": [(6, 0, assets.site_id.ids)],
        }
        if self.contract_type == "hour_package":
            values.update(validity_months=self.package_months, hours_total=self.package_hours)
        else:
            values.update(monthly_hours=self.flat_hours, monthly_fee=self.flat_monthly_fee)
        if self.per_asset_cheaper:
            values["line_ids"] = [(0, 0, {
                "product_id": service.id,
                "pricing": "per_asset",
                "asset_category_id": category.id,
                "price_unit": category.with_company(self.company_id).monthly_asset_price,
            }) for category, service in services.items() if service]
        return values

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
