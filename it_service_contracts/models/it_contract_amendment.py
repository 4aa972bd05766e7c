from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import float_compare

from .it_acceptance_mixin import ACCEPTANCE_FIELDS

# the terms an amendment can change; the amendment holds all of them as they are from its effective date
SCALAR_TERMS = ("hourly_rate", "monthly_fee", "monthly_hours", "hours_total", "out_of_hours_response_hours",
                "remote_service")
SET_TERMS = ("service_product_ids", "site_ids")
# what a package's client bought, invoiced when it started: no amendment changes it
PACKAGE_BOUGHT_TERMS = ("hours_total", "hourly_rate")
TERMS_AND_DATE = frozenset({*SCALAR_TERMS, *SET_TERMS, "sla_line_ids", "effective_date", "contract_id"})


class ItContractAmendment(models.Model):
    """A change of a running contract's terms from an effective date (scope, places, rates, hours, fee,
    response times).

    The amendment holds the whole set of terms in force from its date. Once in force, the contract holds
    them too (its chatter tracks each change) and the amendment keeps the terms they replaced, so that the
    terms in force on any day are one indexed look-up (:meth:`it.contract._it_terms_on`): the terms kept by the
    first amendment in force after that day, else the contract's own.
    """

    _name = "it.contract.amendment"
    _inherit = ["mail.thread", "mail.activity.mixin", "portal.mixin", "it.acceptance.mixin"]
    _description = "IT Contract Amendment"
    _order = "contract_id, effective_date, id"
    _check_company_auto = True
    _it_protected_fields = frozenset({"state", "terms_before"}) | ACCEPTANCE_FIELDS
    _it_acceptance_report = "it_service_contracts.action_report_it_contract_amendment"

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="/")
    # no check_company: the amendment's company is its contract's (a new amendment has none yet, and Odoo's
    # company domain would then offer no contract at all)
    contract_id = fields.Many2one(
        "it.contract", string="Contract", required=True, index=True, ondelete="cascade",
        domain="[('state', '=', 'active')]",
    )
    partner_id = fields.Many2one(related="contract_id.partner_id", store=True, string="Client")
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    currency_id = fields.Many2one(related="contract_id.currency_id")
    user_id = fields.Many2one(related="contract_id.user_id", string="Account Manager")
    contract_type = fields.Selection(related="contract_id.contract_type")
    effective_date = fields.Date(
        required=True, tracking=True, default=fields.Date.context_today,
        help="The first day the new terms apply: time logged from this day is classified and invoiced under them.",
    )
    reason = fields.Text(help="Why the terms change, as agreed with the client.")
    state = fields.Selection(
        [("draft", "Draft"), ("confirmed", "Confirmed"), ("in_force", "In Force"), ("cancelled", "Cancelled")],
        default="draft", required=True, readonly=True, tracking=True, copy=False,
        help="Confirmed: agreed, in force from its effective date (a daily scheduled action brings it in force).",
    )

    hourly_rate = fields.Monetary(
        compute="_compute_terms", store=True, readonly=False, precompute=True, currency_field="currency_id",
    )
    monthly_fee = fields.Monetary(
        compute="_compute_terms", store=True, readonly=False, precompute=True, currency_field="currency_id",
    )
    monthly_hours = fields.Float(
        string="Included Hours per Month", compute="_compute_terms", store=True, readonly=False, precompute=True,
    )
    hours_total = fields.Float(
        string="Hours Bought", compute="_compute_terms", store=True, readonly=False, precompute=True,
    )
    out_of_hours_response_hours = fields.Float(
        string="Out-of-Hours Response (h)", compute="_compute_terms", store=True, readonly=False, precompute=True,
    )
    remote_service = fields.Boolean(compute="_compute_terms", store=True, readonly=False, precompute=True)
    service_product_ids = fields.Many2many(
        "product.product", "it_contract_amendment_product_rel", "amendment_id", "product_id", string="Scope",
        compute="_compute_terms", store=True, readonly=False, precompute=True,
    )
    site_ids = fields.Many2many(
        "res.partner", "it_contract_amendment_site_rel", "amendment_id", "partner_id", string="Places",
        compute="_compute_terms", store=True, readonly=False, precompute=True,
    )
    sla_line_ids = fields.One2many(
        "it.contract.amendment.sla", "amendment_id", string="Response Times",
        compute="_compute_terms", store=True, readonly=False, precompute=True,
    )
    terms_before = fields.Json(readonly=True, copy=False, help="The contract's terms this amendment replaced.")
    change_html = fields.Html(string="Changes", compute="_compute_change_html", sanitize=False)

    _contract_date_index = models.Index("(contract_id, effective_date) WHERE state = 'in_force'")

    # ------------------------------------------------------------------ defaults and checks

    @api.depends("contract_id")
    def _compute_terms(self):
        """A new amendment starts from the contract's terms as they are: the manager changes what changes."""
        for amendment in self:
            contract = amendment.contract_id.sudo()
            if amendment.state != "draft" or not contract:
                continue
            amendment.update({name: contract[name] for name in SCALAR_TERMS})
            amendment.service_product_ids = contract.service_product_ids
            amendment.site_ids = contract.site_ids
            amendment.sla_line_ids = [Command.clear()] + [Command.create({
                "priority": line.priority, "response_hours": line.response_hours,
                "resolution_hours": line.resolution_hours,
            }) for line in contract.sla_line_ids]

    @api.constrains("contract_id", "effective_date", "state")
    def _check_effective_date(self):
        for amendment in self.filtered(lambda a: a.state != "cancelled"):
            contract = amendment.contract_id
            if contract.state in ("draft", "cancelled", "closed"):
                raise ValidationError(self.env._(
                    "Contract %(contract)s is %(state)s: only a running contract is amended (a draft is edited).",
                    contract=contract.name,
                    state=dict(contract._fields["state"]._description_selection(self.env))[contract.state],
                ))
            if amendment.effective_date < contract.date_start or (
                    contract.date_end and amendment.effective_date > contract.date_end):
                raise ValidationError(self.env._(
                    "The amendment of %(contract)s takes effect on %(date)s, outside the contract's validity "
                    "(%(start)s to %(end)s).",
                    contract=contract.name, date=amendment.effective_date, start=contract.date_start,
                    end=contract.date_end or self.env._("open-ended"),
                ))

    @api.constrains(*SCALAR_TERMS, *SET_TERMS, "contract_id", "state")
    def _check_terms(self):
        """The terms are checked by the contract's own rules (:meth:`it.contract._it_check_terms`) when the
        amendment is made, changed or confirmed, not once it comes in force: a confirmed amendment with terms the
        contract refuses would fail every night and hold back the amendments after it. Every term that differs
        from the contract's and that the contract would take (``_it_contract_values``) is tried."""
        for amendment in self.filtered(lambda a: a.state in ("draft", "confirmed")):
            contract = amendment.contract_id
            if contract.state != "active":
                continue  # refused by _check_effective_date
            values = {
                name: value for name, value in amendment._it_contract_values().items()
                if (amendment[name] if name in SET_TERMS else value) != contract[name]
            }
            if not values:
                continue
            try:
                contract._it_check_terms(values)
            except ValidationError as error:
                raise ValidationError(self.env._(
                    "Amendment %(amendment)s: %(problem)s", amendment=amendment.name, problem=error.args[0],
                )) from None

    @api.constrains(*PACKAGE_BOUGHT_TERMS, "contract_id")
    def _check_package_bought_terms(self):
        """A package's hours and rate were bought and invoiced when it started: an amendment that changed them
        would change what the client has without an invoice saying so."""
        for amendment in self.filtered(lambda a: a.state == "draft" and a.contract_id.contract_type == "hour_package"):
            contract = amendment.contract_id
            if any(amendment.currency_id.compare_amounts(amendment[name], contract[name]) if name == "hourly_rate"
                   else float_compare(amendment[name], contract[name], precision_digits=6)
                   for name in PACKAGE_BOUGHT_TERMS):
                raise ValidationError(self.env._(
                    "Amendment %(amendment)s: the hours and the rate of package %(contract)s were bought and invoiced "
                    "when it started, and no amendment changes them. Sell more hours as a new package, or have an IT "
                    "manager correct the hours with an adjustment (with its reason).",
                    amendment=amendment.name, contract=contract.name,
                ))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("it.contract.amendment") or "/"
        return super().create(vals_list)

    def _it_check_still_open(self):
        """An agreed amendment's terms, its response times included, are history: a change is a new amendment
        (only the addon's own bookkeeping writes it)."""
        agreed = self.filtered(lambda a: a.state in ("confirmed", "in_force"))
        if agreed and not self._it_is_addon_write():
            raise UserError(self.env._(
                "Amendment %s is agreed: it no longer changes. Cancel it before it takes effect, or make another "
                "amendment.", agreed[0].name,
            ))

    def write(self, vals):
        if vals.keys() - {"access_token"}:  # the token of its portal link is no term: an agreed amendment gets one
            self._it_check_still_open()
        result = super().write(vals)
        if not self._it_is_addon_write() and TERMS_AND_DATE & vals.keys():
            # the client accepted other terms: the changed amendment is to be sent again
            self.filtered(lambda a: a.acceptance_state in ("sent", "accepted"))._it_addon_write({
                "acceptance_state": "to_send", "accepted_signature": False, "accepted_by_name": False,
                "accepted_partner_id": False, "accepted_date": False,
            })
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if self.filtered(lambda a: a.state in ("confirmed", "in_force")):
            raise UserError(self.env._("An agreed amendment is kept: cancel it instead."))

    # ------------------------------------------------------------------ actions

    def action_confirm(self):
        """The client agreed: the amendment takes effect on its date (today or earlier: at once)."""
        for amendment in self.sorted("effective_date"):
            if amendment.state != "draft":
                raise UserError(self.env._("Only a draft amendment is confirmed (%s).", amendment.name))
            contract = amendment.contract_id
            if contract.state != "active":
                raise UserError(self.env._("Contract %s is not running: it cannot be amended.", contract.name))
            if contract.acceptance_required and amendment.acceptance_state != "accepted":
                raise UserError(self.env._(
                    "Contract %(contract)s requires the client's online acceptance: send amendment %(amendment)s "
                    "and wait until the client accepts it.", contract=contract.name, amendment=amendment.name,
                ))
            later = self.search_count([
                ("contract_id", "=", contract.id), ("state", "in", ("confirmed", "in_force")),
                ("effective_date", ">=", amendment.effective_date), ("id", "!=", amendment.id),
            ])
            if later:
                raise UserError(self.env._(
                    "Contract %(contract)s already has an amendment from %(date)s or later: amendments take effect in "
                    "date order.", contract=contract.name, date=amendment.effective_date,
                ))
            amendment._it_addon_write({"state": "confirmed"})
        self.filtered(lambda a: a.effective_date <= fields.Date.context_today(a))._it_bring_in_force()
        return True

    def action_cancel(self):
        if self.filtered(lambda a: a.state == "in_force"):
            raise UserError(self.env._(
                "An amendment in force is history: make another amendment to change the terms again.",
            ))
        self._it_addon_write({"state": "cancelled"})
        return True

    def action_reset_to_draft(self):
        if self.filtered(lambda a: a.state != "cancelled"):
            raise UserError(self.env._("Only a cancelled amendment goes back to draft."))
        self._it_addon_write({"state": "draft"})
        return True

    # ------------------------------------------------------------------ the document and the client's acceptance

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for amendment in self:
            amendment.access_url = f"/my/it/amendments/{amendment.id}"
        return result

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Amendment %s", self.name)

    def _it_acceptance_check_open(self):
        if self.state != "draft":
            raise UserError(self.env._("Amendment %s is no longer open for acceptance.", self.name))

    def _it_after_answer(self):
        """The account manager hears of the client's answer: confirm the amendment, or read why it was refused."""
        for amendment in self:
            accepted = amendment.acceptance_state == "accepted"
            amendment.sudo().activity_schedule(
                "mail.mail_activity_data_todo", user_id=(amendment.user_id or self.env.user).id,
                summary=self.env._("Client accepted: confirm the amendment") if accepted
                else self.env._("Client refused the amendment"),
            )

    def action_it_send_document(self):
        """Send the amendment's document to the client's contact for acceptance."""
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._("Amendment %s is agreed already: there is nothing to send.", self.name))
        return self._it_send_document_action(
            "it_service_contracts.mail_template_it_amendment_document", self.env._("Send the Amendment"))

    # ------------------------------------------------------------------ taking effect

    def _it_contract_values(self):
        self.ensure_one()
        values = {name: self[name] for name in SCALAR_TERMS}
        if self.contract_id.contract_type == "hour_package":
            for name in ("monthly_hours", "monthly_fee", *PACKAGE_BOUGHT_TERMS):
                del values[name]
        else:
            del values["hours_total"]
        values.update({name: [Command.set(self[name].ids)] for name in SET_TERMS})
        return values

    def _it_bring_in_force(self):
        """The contract takes these terms (tracked in its chatter); the amendment keeps those they replace; the
        months from the effective date get their included hours and the time logged from then is classified
        again under the new terms."""
        for amendment in self.sudo().filtered(lambda a: a.state == "confirmed").sorted("effective_date"):
            contract = amendment.contract_id
            before = contract._it_terms_snapshot()
            contract._it_addon_write(amendment._it_contract_values())
            by_priority = {line.priority: line for line in contract.sla_line_ids}
            for line in amendment.sla_line_ids:
                values = {"response_hours": line.response_hours, "resolution_hours": line.resolution_hours}
                if line.priority in by_priority:
                    if (by_priority[line.priority].response_hours, by_priority[line.priority].resolution_hours) != (
                            line.response_hours, line.resolution_hours):
                        by_priority[line.priority].write(values)
                else:
                    self.env["it.contract.sla"].create({"contract_id": contract.id, "priority": line.priority,
                                                        **values})
            amendment._it_addon_write({"state": "in_force", "terms_before": before})
            # every reader of the contract reads its chatter: the new rate and fee are in the tracking of the
            # contract's fields, which Odoo shows to who may read those fields only
            changes = contract._it_terms_changes(before, contract._it_terms_snapshot(amendment), money=False)
            body = Markup("<p>%s</p>") % self.env._(
                "Amendment %(amendment)s in force from %(date)s.",
                amendment=amendment._get_html_link(), date=amendment.effective_date)
            contract.message_post(body=body + contract._it_changes_html(changes) if changes else body)
            # the time logged from the effective date gives back what it drew and draws again under the new terms
            lines = self.env["account.analytic.line"].sudo().search([
                ("task_id.it_client_id", "=", contract.partner_id.id), ("date", ">=", amendment.effective_date),
                ("it_invoice_id", "=", False), ("it_billing_type", "!=", False),
            ])
            with lines._it_drawing_again():
                self.env["it.contract.period"].sudo()._it_update_included_hours(contract, amendment.effective_date)

    @api.model
    def _cron_bring_in_force(self, batch_size=200):
        """Bring in force the confirmed amendments whose effective date has come (batched, re-runnable)."""
        today = fields.Date.context_today(self)
        domain = Domain([("state", "=", "confirmed"), ("effective_date", "<=", today)])
        self.env["it.cron.batch"]._it_run(
            lambda limit, exclude: self.search(domain & Domain("id", "not in", list(exclude)), limit=limit,
                                               order="effective_date, id"),
            lambda amendments: amendments._it_bring_in_force(), batch_size=batch_size,
            responsible=lambda amendment: amendment.contract_id.user_id,
            label=self.env._("Amendments taking effect"),
            remaining=lambda exclude: self.search_count(domain & Domain("id", "not in", list(exclude))),
        )

    # ------------------------------------------------------------------ before / after

    @api.depends("state", "terms_before", *SCALAR_TERMS, *SET_TERMS, "sla_line_ids.response_hours",
                 "sla_line_ids.resolution_hours", "contract_id")
    def _compute_change_html(self):
        for amendment in self:
            contract = amendment.contract_id
            if not contract:
                amendment.change_html = False
                continue
            before = amendment.terms_before or contract._it_terms_snapshot()
            amendment.change_html = contract._it_changes_html(
                contract._it_terms_changes(before, contract._it_terms_snapshot(amendment)))
