
from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL, float_compare, format_date, format_datetime

from .it_acceptance_mixin import ACCEPTANCE_FIELDS
from .it_money import MONEY_GROUPS

# counters of the hours: kept by the addon alone (design rule 9); a manager corrects them with an adjustment
COUNTER_FIELDS = frozenset({
    "hours_used", "hours_remaining", "hours_adjusted", "hours_available", "hours_rolled_over",
    "hours_carried_over", "hours_forfeited", "hours_rollover_available", "usage_warning_sent",
    "depleted_warning_sent", "expiry_warning_sent",
})

# who may read the quotations of a contract (the access rights of sale.order)
QUOTATION_GROUPS = "sales_team.group_sale_salesman,account.group_account_invoice,account.group_account_readonly"
# the terms the client accepts: a change of one of them on a contract sent or accepted asks for a new acceptance
TERM_FIELDS = frozenset({
    "contract_type", "partner_id", "date_start", "date_end", "validity_months", "service_product_ids", "site_ids",
    "remote_service", "service_calendar_id", "out_of_hours_response_hours", "hourly_rate", "hours_total",
    "package_price_agreed", "monthly_fee", "monthly_hours", "billing_increment", "onsite_minimum_hours",
    "rollover_allowed", "rollover_cap_hours", "invoice_day", "invoice_timing", "service_credit_percent",
    "service_credit_cap_percent", "note",
})

CONTRACT_TYPES = [
    ("hour_package", "Hour Package"),
    ("monthly_flat", "Flat Monthly Fee"),
]


class ItContract(models.Model):
    _name = "it.contract"
    _description = "IT Service Contract"
    # it.acceptance.mixin brings it.protected.fields.mixin
    _inherit = ["mail.thread", "mail.activity.mixin", "portal.mixin", "it.acceptance.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True
    _it_protected_fields = COUNTER_FIELDS | ACCEPTANCE_FIELDS
    _it_acceptance_report = "it_service_contracts.action_report_it_contract_document"

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/", index="trigram",
    )
    partner_id = fields.Many2one(
        "res.partner", string="Client", required=True, index=True, tracking=True, check_company=True,
        domain="[('parent_id', '=', False)]",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    user_id = fields.Many2one(
        "res.users", string="Account Manager", default=lambda self: self.env.user, tracking=True,
        domain="[('share', '=', False)]",
    )
    contract_type = fields.Selection(
        CONTRACT_TYPES, string="Type", required=True, default="hour_package", tracking=True,
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("active", "Active"),
            ("expired", "Expired"),
            ("closed", "Closed"),
            ("cancelled", "Cancelled"),
        ],
        required=True, default="draft", readonly=True, copy=False, index=True, tracking=True,
    )
    date_confirmed = fields.Date(
        string="Confirmed On", readonly=True, copy=False,
        help="Set when the client has agreed to the contract; a confirmed contract starts by itself on its start date.",
    )
    date_start = fields.Date(
        string="Start Date", required=True, default=fields.Date.context_today, tracking=True,
    )
    date_end = fields.Date(
        string="End Date", compute="_compute_date_end", store=True, readonly=False, precompute=True, copy=False,
        tracking=True,
        help="Hour packages end after their validity; flat contracts may run until closed.",
    )
    validity_months = fields.Integer(
        string="Validity (months)", default=12, tracking=True,
        help="How long the hours of a package can be used: 1 to 12 months.",
    )
    service_product_ids = fields.Many2many(
        "product.product", "it_contract_service_product_rel", "contract_id", "product_id",
        string="Scope", check_company=True, domain="[('type', '=', 'service')]", tracking=True,
        help="The services the contract covers; other work is ad-hoc.",
    )
    site_ids = fields.Many2many(
        "res.partner", "it_contract_site_rel", "contract_id", "partner_id",
        string="Sites", check_company=True, tracking=True,
        domain="[('id', 'child_of', partner_id)]",
        help="The client's addresses where on-site service is covered.",
    )
    remote_service = fields.Boolean(
        string="Remote Support", default=True, tracking=True,
        help="Remote work is covered as well as work on the sites.",
    )
    sla_line_ids = fields.One2many("it.contract.sla", "contract_id", string="Response Times", copy=True)
    service_calendar_id = fields.Many2one(
        "resource.calendar", string="Service Hours", check_company=True, tracking=True,
        default=lambda self: self.env.company.resource_calendar_id,
        help="Working hours and public holidays on which response times are counted.",
    )
    out_of_hours_response_hours = fields.Float(
        string="Out-of-hours Response (h)", tracking=True,
        help="Guaranteed response time, in clock hours, for failures reported outside service hours.",
    )
    hourly_rate = fields.Monetary(
        compute="_compute_hourly_rate", store=True, readonly=False, precompute=True, tracking=True,
        groups=MONEY_GROUPS,
        help="Price of a package hour, or of an hour beyond the included ones on a flat contract.",
    )
    hours_total = fields.Float(string="Hours Bought", tracking=True)
    hours_used = fields.Float(
        readonly=True, copy=False, default=0.0, help="Billable hours drawn from the package by timesheets.",
    )
    adjustment_ids = fields.One2many("it.contract.adjustment", "contract_id", string="Adjustments", readonly=True)
    hours_adjusted = fields.Float(
        string="Hours Adjusted", compute="_compute_hours_adjusted", store=True,
        help="Hours added (or taken off) by the managers' adjustments.",
    )
    hours_available = fields.Float(
        string="Hours Available", compute="_compute_hours_available", store=True,
        help="Hours bought, carried in and adjusted: what the package's time can draw on.",
    )
    hours_remaining = fields.Float(compute="_compute_hours_remaining", store=True)
    ledger_ids = fields.One2many(
        "it.contract.ledger", "contract_id", string="Ledger", readonly=True,
        help="The movements of the package's hours, with the balance after each one.",
    )
    package_price = fields.Monetary(compute="_compute_package_price", string="Package Price", groups=MONEY_GROUPS)
    monthly_fee = fields.Monetary(tracking=True, groups=MONEY_GROUPS)
    monthly_hours = fields.Float(string="Included Hours per Month", tracking=True)
    line_ids = fields.One2many("it.contract.line", "contract_id", string="Additional Services", copy=False)
    analytic_account_id = fields.Many2one(
        "account.analytic.account", string="Analytic Account", copy=False, check_company=True, index="btree_not_null",
    )
    project_id = fields.Many2one(
        "project.project", string="Service Project", copy=False, check_company=True, index="btree_not_null",
        help="The project whose tasks are this contract's service requests.",
    )
    invoice_ids = fields.One2many(
        "account.move", "it_contract_id", string="Invoices", readonly=True, groups=MONEY_GROUPS,
    )
    invoice_count = fields.Integer(compute="_compute_invoice_count", groups=MONEY_GROUPS)
    audit_id = fields.Many2one(
        "it.audit", string="Audit", check_company=True, tracking=True, index="btree_not_null",
        compute="_compute_audit_id", store=True, readonly=False, precompute=True,
        domain="[('partner_id', '=', partner_id), ('state', '=', 'done')]",
        help="The audit of the client's hardware and software this contract is based on: by default the client's "
        "latest completed audit.",
    )
    audit_exception_reason = fields.Text(
        string="Started without Audit Because", tracking=True, copy=False,
        help="A manager's exception: why this contract may start without a completed audit.",
    )
    # the advice compares what each form would cost: computed as the system, its text shown to who sees money
    renewal_actual_monthly_hours = fields.Float(
        string="Actual Hours per Month", compute="_compute_renewal_advice", compute_sudo=True,
        help="The client's billable and covered hours of the last 12 months, per month.",
    )
    renewal_recommended_type = fields.Selection(
        [*CONTRACT_TYPES, ("adhoc", "Ad-hoc Help")], string="Best Form on Actual Use",
        compute="_compute_renewal_advice", compute_sudo=True,
    )
    renewal_advice = fields.Text(compute="_compute_renewal_advice", compute_sudo=True, groups=MONEY_GROUPS)
    previous_contract_id = fields.Many2one("it.contract", string="Renewal Of", readonly=True, copy=False)
    renewal_ids = fields.One2many("it.contract", "previous_contract_id", string="Renewals", readonly=True)
    note = fields.Html(string="Terms")
    color = fields.Integer()

    _check_validity = models.Constraint(
        "CHECK(contract_type != 'hour_package' OR validity_months BETWEEN 1 AND 12)",
        "An hour package is valid for 1 to 12 months.",
    )
    _check_dates = models.Constraint(
        "CHECK(date_end IS NULL OR date_end >= date_start)",
        "A contract cannot end before it starts.",
    )
    _check_amounts = models.Constraint(
        "CHECK(hourly_rate >= 0 AND hours_total >= 0 AND monthly_fee >= 0 AND monthly_hours >= 0 "
        "AND out_of_hours_response_hours >= 0)",
        "Rates, hours and fees cannot be negative.",
    )
    _partner_state_idx = models.Index("(partner_id, state)")

    # billing of the time, package usage and warnings, expiry and rollover, flat months
    billing_increment = fields.Float(
        string="Billing Increment (h)", default=0.0, tracking=True,
        help="Billable time is rounded up to a multiple of this, e.g. 0.25 for 15 minutes; 0 bills the exact time.",
    )
    onsite_minimum_hours = fields.Float(
        string="On-site Minimum (h)", default=0.0, tracking=True,
        help="Least time billed for one visit on a client's site; 0 for none.",
    )
    usage_warning_percent = fields.Float(
        string="Usage Warning (%)", default=80.0, tracking=True,
        help="The account manager and the client are warned once this share of the package hours is used.",
    )
    expiry_warning_days = fields.Integer(
        string="Expiry Warning (days)", default=14, tracking=True,
        help="The account manager and the client are warned this many days before the package ends.",
    )
    usage_warning_sent = fields.Boolean(readonly=True, copy=False)
    depleted_warning_sent = fields.Boolean(readonly=True, copy=False)
    expiry_warning_sent = fields.Boolean(readonly=True, copy=False)
    rollover_allowed = fields.Boolean(
        string="Roll Over Unused Hours", tracking=True,
        help="Hours left when the package ends are carried into its renewal, up to the cap; otherwise they are "
        "forfeited.",
    )
    rollover_cap_hours = fields.Float(
        string="Rollover Cap (h)", tracking=True, help="Most hours carried into the renewal; 0 carries them all.",
    )
    hours_rolled_over = fields.Float(
        string="Hours Carried In", readonly=True, copy=False,
        help="Unused hours of the previous package included in the hours of this one; they are not billed again.",
    )
    hours_rollover_available = fields.Float(
        string="Hours to Carry Over", readonly=True, copy=False,
        help="Unused hours that will be added to the renewal of this package.",
    )
    hours_carried_over = fields.Float(
        string="Hours Carried Out", readonly=True, copy=False, help="Unused hours moved into the renewal.",
    )
    hours_forfeited = fields.Float(
        readonly=True, copy=False, help="Hours left unused when the package expired and not carried over.",
    )
    period_ids = fields.One2many("it.contract.period", "contract_id", string="Months", readonly=True)
    current_period_id = fields.Many2one(
        "it.contract.period", string="This Month", compute="_compute_current_period",
    )
    current_hours_included = fields.Float(string="Included This Month", compute="_compute_current_period")
    current_hours_used = fields.Float(string="Used This Month", compute="_compute_current_period")
    current_hours_remaining = fields.Float(string="Left This Month", compute="_compute_current_period")
    current_hours_overage = fields.Float(string="Overage This Month", compute="_compute_current_period")
    timesheet_ids = fields.One2many("account.analytic.line", "it_contract_id", string="Timesheets", readonly=True)

    _check_hours_used = models.Constraint(
        "CHECK(contract_type != 'hour_package' OR hours_used IS NULL OR "
        "(hours_used >= 0 AND hours_used <= COALESCE(hours_available, hours_total)))",
        "The hours used of a package cannot be negative nor exceed the hours available.",
    )
    _check_hours_available = models.Constraint(
        "CHECK(hours_available IS NULL OR hours_available >= 0)",
        "A package cannot have fewer than zero hours available.",
    )
    _check_billing_terms = models.Constraint(
        "CHECK(billing_increment >= 0 AND onsite_minimum_hours >= 0 AND rollover_cap_hours >= 0 "
        "AND usage_warning_percent > 0 AND usage_warning_percent <= 100 AND expiry_warning_days >= 0)",
        "Billing increment, on-site minimum and rollover cap cannot be negative; the usage warning is a share "
        "between 0 and 100%, the expiry warning a number of days.",
    )

    # invoicing
    fee_product_id = fields.Many2one(
        "product.product", string="Fee Product", check_company=True, domain="[('type', '=', 'service')]",
        compute="_compute_fee_product_id", store=True, readonly=False, precompute=True, tracking=True,
        help="The product of the invoice line: the monthly fee of a flat contract, the hours of a package.",
    )
    invoice_day = fields.Integer(
        string="Invoicing Day", default=1, tracking=True,
        help="Day of the month (1 to 28) from which the monthly invoice of a flat contract is issued.",
    )
    invoice_timing = fields.Selection(
        [("advance", "In Advance"), ("arrears", "In Arrears")], string="Fee Invoiced", default="advance",
        required=True, tracking=True,
        help="In advance: the fee of the current month; in arrears: the fee of the month just ended.",
    )
    package_price_agreed = fields.Monetary(
        string="Negotiated Package Price", tracking=True, groups=MONEY_GROUPS,
        help="The price agreed for the whole package; empty bills the hours bought at the hourly rate.",
    )
    service_credit_percent = fields.Float(
        string="Credit per Breach (%)", tracking=True, groups=MONEY_GROUPS,
        help="Share of the monthly fee credited for each request whose response time was breached in a month.",
    )
    service_credit_cap_percent = fields.Float(
        string="Credit Cap (%)", tracking=True, groups=MONEY_GROUPS,
        help="Most of the monthly fee credited for one month; 0 for no cap.",
    )
    # quotations are Sales documents: for who may read them (a technician opens the contract all the same)
    sale_order_ids = fields.One2many(
        "sale.order", "it_contract_id", string="Quotations", readonly=True, groups=QUOTATION_GROUPS,
    )
    sale_order_count = fields.Integer(
        compute="_compute_sale_order_count", string="Quotation Count", groups=QUOTATION_GROUPS,
    )
    approval_required = fields.Boolean(
        string="Approval Before Paid Work", tracking=True,
        help="Work that would cost the client extra (hours used up, outside the scope or places) waits for the "
        "client's approval in the portal.",
    )

    # the client's acceptance of the contract document (fields of it.acceptance.mixin)
    acceptance_required = fields.Boolean(
        string="Online Acceptance Required", compute="_compute_acceptance_required", store=True, readonly=False,
        precompute=True, tracking=True,
        help="The contract starts only once the client's contact has accepted and signed it in the portal. "
        "Defaults from the company's setting.",
    )
    version_history = fields.Html(
        string="Versions", compute="_compute_version_history", sanitize=False,
        help="The original terms, then each amendment, in order, with its state.",
    )

    _check_invoicing_terms = models.Constraint(
        "CHECK(invoice_day BETWEEN 1 AND 28 AND service_credit_percent >= 0 AND service_credit_percent <= 100 "
        "AND service_credit_cap_percent >= 0 AND service_credit_cap_percent <= 100 AND package_price_agreed >= 0)",
        "The invoicing day is between 1 and 28; service credits are shares between 0 and 100%; a negotiated "
        "price cannot be negative.",
    )

    # ------------------------------------------------------------------ compute

    @api.depends("contract_type", "date_start", "validity_months")
    def _compute_date_end(self):
        for contract in self:
            if contract.contract_type == "hour_package" and contract.date_start and 1 <= contract.validity_months <= 12:
                contract.date_end = contract._package_end_date()
            elif contract.contract_type == "hour_package":
                contract.date_end = False

    def _package_end_date(self):
        self.ensure_one()
        return self.date_start + relativedelta(months=self.validity_months, days=-1)

    @api.depends("contract_type", "company_id")
    def _compute_hourly_rate(self):
        for contract in self:
            company = contract.company_id or self.env.company
            contract.hourly_rate = (
                company.it_package_hourly_rate if contract.contract_type == "hour_package"
                else company.it_flat_hourly_rate
            )

    @api.depends("adjustment_ids.hours")
    def _compute_hours_adjusted(self):
        totals = dict(self.env["it.contract.adjustment"].sudo()._read_group(
            [("contract_id", "in", self.ids)], ["contract_id"], ["hours:sum"],
        ))
        for contract in self:
            contract.hours_adjusted = totals.get(contract.sudo(), 0.0)

    @api.depends("hours_total", "hours_adjusted", "hours_carried_over")
    def _compute_hours_available(self):
        for contract in self:
            # hours carried into a renewal left this package for good, even if it is reactivated
            contract.hours_available = contract.hours_total + contract.hours_adjusted - contract.hours_carried_over

    @api.depends("hours_available", "hours_used")
    def _compute_hours_remaining(self):
        for contract in self:
            contract.hours_remaining = contract.hours_available - contract.hours_used

    @api.depends("hours_total", "hourly_rate", "hours_rolled_over")
    def _compute_package_price(self):
        for contract in self:
            contract.package_price = (contract.hours_total - contract.hours_rolled_over) * contract.hourly_rate

    @api.depends("company_id")
    def _compute_acceptance_required(self):
        for contract in self:
            contract.acceptance_required = (contract.company_id or self.env.company).it_contract_acceptance_required

    @api.depends("create_date", "date_start", "acceptance_state", "sent_date", "accepted_date", "refused_date")
    def _compute_version_history(self):
        headers = (self.env._("Version"), self.env._("Valid From"), self.env._("State"), self.env._("Details"))
        for contract in self:
            rows = Markup().join(
                Markup("<tr>%s</tr>") % Markup().join(Markup("<td>%s</td>") % (cell or "") for cell in row)
                for row in contract._it_version_history()
            )
            contract.version_history = Markup(
                '<table class="table table-sm o_it_version_history"><thead><tr>%s</tr></thead><tbody>%s</tbody></table>'
            ) % (Markup().join(Markup("<th>%s</th>") % header for header in headers), rows)

    def _it_version_history(self):
        """The versions of the contract's terms, in order: ``[(version, valid from, state, details)]``. First the
        original terms (created, sent, accepted or refused by the client); the amendments (it.contract.amendment)
        add their rows after them by extending this method."""
        self.ensure_one()
        states = dict(self._fields["acceptance_state"]._description_selection(self.env))
        details = [self.env._("created on %(date)s by %(user)s", date=format_datetime(self.env, self.create_date),
                              user=self.create_uid.name)] if self.create_date else []
        if self.sent_date:
            details.append(self.env._("sent on %s", format_datetime(self.env, self.sent_date)))
        if self.acceptance_state == "accepted":
            details.append(self.env._("accepted by %(name)s on %(date)s", name=self.accepted_by_name,
                                      date=format_datetime(self.env, self.accepted_date)))
        elif self.refused_date:
            details.append(self.env._("refused by %(name)s on %(date)s: %(comment)s",
                                      name=self.refused_partner_id.name,
                                      date=format_datetime(self.env, self.refused_date),
                                      comment=self.refusal_comment))
        return [(self.env._("Original terms"), format_date(self.env, self.date_start),
                 states.get(self.acceptance_state, ""), "; ".join(details))]

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for contract in self:
            contract.access_url = f"/my/it/contracts/{contract.id}"
        return result

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Contract %s", self.name)

    @api.depends("contract_type")
    def _compute_fee_product_id(self):
        for contract in self.filtered(lambda c: not c.fee_product_id):
            contract.fee_product_id = self.env.ref(
                "it_service_contracts.product_it_package" if contract.contract_type == "hour_package"
                else "it_service_contracts.product_it_flat_fee", raise_if_not_found=False,
            )

    def _compute_sale_order_count(self):
        counts = dict(self.env["sale.order"]._read_group(
            [("it_contract_id", "in", self.ids)], ["it_contract_id"], ["__count"],
        ))
        for contract in self:
            contract.sale_order_count = counts.get(contract, 0)

    def _compute_invoice_count(self):
        # counted as the system: an IT services manager sees how many, without the right to read invoices
        counts = dict(self.env["account.move"].sudo()._read_group(
            [("it_contract_id", "in", self.ids)], ["it_contract_id"], ["__count"],
        ))
        for contract in self:
            contract.invoice_count = counts.get(contract, 0)

    @api.depends("partner_id")
    def _compute_audit_id(self):
        """A contract rests on its client's latest completed audit, however it is written (form, RPC, import)."""
        stale = self.filtered(lambda c: c.partner_id and c.audit_id.partner_id != c.partner_id)
        latest = {}
        for audit in self.env["it.audit"].search(
            [("partner_id", "in", stale.partner_id.ids), ("state", "=", "done")], order="date desc, id desc",
        ):
            latest.setdefault(audit.partner_id, audit)
        for contract in stale:
            contract.audit_id = latest.get(contract.partner_id, False)

    def _compute_renewal_advice(self):
        """The audit's comparison run again on what the client really used in the last 12 months."""
        today = fields.Date.context_today(self)
        since = today - relativedelta(months=12)
        hours_by_client = {}
        for contract, total in self.env["account.analytic.line"].sudo()._read_group(
            [("it_contract_id.partner_id", "in", self.partner_id.ids), ("date", ">=", since), ("date", "<=", today),
             ("it_billing_type", "!=", "non_billable")],
            ["it_contract_id"], ["unit_amount:sum"],
        ):
            hours_by_client[contract.partner_id] = hours_by_client.get(contract.partner_id, 0.0) + total
        labels = dict(self._fields["renewal_recommended_type"]._description_selection(self.env))
        for contract in self:
            if contract.state not in ("active", "expired") or contract.date_start > today:
                contract.update({"renewal_actual_monthly_hours": 0.0, "renewal_recommended_type": False,
                                 "renewal_advice": False})
                continue
            months = min(12, max(1, (today.year - contract.date_start.year) * 12
                                 + today.month - contract.date_start.month + 1))
            monthly = hours_by_client.get(contract.partner_id, 0.0) / months
            result = self.env["it.form.comparison"]._it_compare(
                contract.company_id, monthly,
                needs_response=bool(contract.audit_id.asset_ids.category_id.filtered("requires_response")),
            )
            advice = self.env._(
                "Over the last %(months)s months the client used %(hours)s hours a month; as %(current)s that costs "
                "about %(cost)s a month.", months=months, hours=f"{monthly:.2f}",
                current=labels[contract.contract_type], cost=f"{result['costs'][contract.contract_type]:.2f}",
            )
            if result["recommended"] != contract.contract_type:
                advice += "\n" + self.env._(
                    "Suggestion: renew as %(form)s, about %(cost)s a month.",
                    form=labels[result["recommended"]], cost=f"{result['costs'][result['recommended']]:.2f}",
                )
            contract.update({
                "renewal_actual_monthly_hours": monthly,
                "renewal_recommended_type": result["recommended"],
                "renewal_advice": advice,
            })

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        if self.partner_id:
            self.site_ids = self.site_ids.filtered(lambda site: site.commercial_partner_id == self.partner_id)

    # ------------------------------------------------------------------ constraints

    @api.constrains("contract_type", "validity_months", "date_start", "date_end")
    def _check_package_validity(self):
        for contract in self.filtered(lambda c: c.contract_type == "hour_package"):
            if not 1 <= contract.validity_months <= 12:
                raise ValidationError(self.env._(
                    "An hour package is valid for 1 to 12 months, not %(months)s.", months=contract.validity_months,
                ))
            if contract.date_end != contract._package_end_date():
                raise ValidationError(self.env._(
                    "The end date of hour package %(name)s follows from its start date and validity: %(date)s.",
                    name=contract.name, date=contract._package_end_date(),
                ))

    @api.constrains("date_start", "date_end")
    def _check_dates_order(self):
        for contract in self:
            if contract.date_end and contract.date_end < contract.date_start:
                raise ValidationError(self.env._(
                    "Contract %(name)s cannot end (%(end)s) before it starts (%(start)s).",
                    name=contract.name, end=contract.date_end, start=contract.date_start,
                ))

    @api.constrains("hourly_rate", "hours_total", "monthly_fee", "monthly_hours", "out_of_hours_response_hours")
    def _check_amounts_positive(self):
        for contract in self:
            if min(contract.hourly_rate, contract.hours_total, contract.monthly_fee, contract.monthly_hours,
                   contract.out_of_hours_response_hours) < 0:
                raise ValidationError(self.env._(
                    "Rates, hours and fees of contract %(name)s cannot be negative.", name=contract.name,
                ))

    @api.constrains("hourly_rate", "contract_type", "company_id")
    def _check_hourly_rate(self):
        """Design rule 1: each form of cooperation is cheaper per hour than the looser one."""
        for contract in self:
            company = contract.company_id
            if contract.hourly_rate <= 0:
                raise ValidationError(self.env._("The hourly rate of contract %s must be positive.", contract.name))
            if contract.contract_type == "hour_package" and contract.hourly_rate >= company.it_adhoc_hourly_rate:
                raise ValidationError(self.env._(
                    "The hourly rate of an hour package (%(rate)s) must be lower than the ad-hoc rate (%(adhoc)s).",
                    rate=contract.hourly_rate, adhoc=company.it_adhoc_hourly_rate,
                ))
            if contract.contract_type == "monthly_flat" and contract.hourly_rate >= company.it_package_hourly_rate:
                raise ValidationError(self.env._(
                    "The hourly rate of a flat monthly contract (%(rate)s) must be lower than the standard hour "
                    "package rate (%(package)s).",
                    rate=contract.hourly_rate, package=company.it_package_hourly_rate,
                ))

    @api.constrains("partner_id", "site_ids")
    def _check_sites(self):
        for contract in self:
            foreign = contract.site_ids - contract.site_ids.filtered_domain(
                [("commercial_partner_id", "=", contract.partner_id.id)]
            )
            if foreign:
                raise ValidationError(self.env._(
                    "The sites of a contract must be addresses of its client %(client)s: %(sites)s.",
                    client=contract.partner_id.display_name, sites=", ".join(foreign.mapped("display_name")),
                ))

    @api.constrains("state", "partner_id", "service_product_ids", "site_ids", "remote_service", "audit_id",
                    "audit_exception_reason",
                    "hours_total", "monthly_fee", "service_calendar_id", "acceptance_required", "acceptance_state")
    def _check_ready_when_active(self):
        """A running contract must say whom, what and where it covers, and rest on a completed audit."""
        for contract in self.filtered(lambda c: c.state == "active"):
            contract._check_can_activate()

    def _it_check_accepted(self):
        """A contract that requires the client's online acceptance starts only once accepted."""
        self.ensure_one()
        if self.acceptance_required and self.acceptance_state != "accepted":
            raise ValidationError(self.env._(
                "Contract %(name)s cannot start before the client accepts it online: send it to %(client)s and "
                "wait until their contact accepts and signs it in the portal (now: %(state)s).",
                name=self.name, client=self.partner_id.display_name,
                state=dict(self._fields["acceptance_state"]._description_selection(self.env))[self.acceptance_state],
            ))

    def _check_can_activate(self):
        self.ensure_one()
        self._it_check_accepted()
        problems = []
        if not self.partner_id:
            problems.append(self.env._("a client"))
        if not self.service_product_ids:
            problems.append(self.env._("a scope (at least one service)"))
        if not self.site_ids and not self.remote_service:
            problems.append(self.env._("a place of service (a site or remote support)"))
        if self.contract_type == "hour_package" and self.hours_total <= 0:
            problems.append(self.env._("a number of hours bought"))
        if self.contract_type == "monthly_flat":
            if self.monthly_fee <= 0:
                problems.append(self.env._("a monthly fee"))
            if not self.service_calendar_id:
                problems.append(self.env._("service hours"))
        if problems:
            raise ValidationError(self.env._(
                "Contract %(name)s cannot start without %(missing)s.",
                name=self.name, missing=", ".join(problems),
            ))
        if self.audit_exception_reason:
            return
        if self.audit_id.state != "done" or self.audit_id.partner_id != self.partner_id:
            raise ValidationError(self.env._(
                "Contract %(name)s cannot start before the hardware and software audit of %(client)s is completed.",
                name=self.name, client=self.partner_id.display_name,
            ))

    @api.constrains("state", "contract_type", "partner_id", "date_start", "date_end")
    def _check_single_flat_contract(self):
        flats = self.filtered(lambda c: c.contract_type == "monthly_flat" and c.state == "active")
        for contract in flats:
            domain = Domain([
                ("id", "!=", contract.id),
                ("partner_id", "=", contract.partner_id.id),
                ("contract_type", "=", "monthly_flat"),
                ("state", "=", "active"),
                "|", ("date_end", "=", False), ("date_end", ">=", contract.date_start),
            ])
            if contract.date_end:
                domain &= Domain("date_start", "<=", contract.date_end)
            if self.search_count(domain, limit=1):
                raise ValidationError(self.env._(
                    "%(client)s already has an active flat monthly contract for these dates.",
                    client=contract.partner_id.display_name,
                ))

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        self._it_check_protected_fields(vals_list, create=True)
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].with_company(vals.get("company_id")).next_by_code(
                    "it.contract", sequence_date=vals.get("date_start"),
                ) or "/"
        contracts = super().create(vals_list)
        contracts.filtered("audit_exception_reason")._it_post_audit_exception()
        return contracts

    def write(self, vals):
        self._it_check_protected_fields([vals])
        self._it_check_hours_bought_change(vals)
        self._it_check_terms_of_a_contract_that_ran(vals)
        terms = TERM_FIELDS & vals.keys()
        if terms and not self._it_is_addon_write() and (
            self.env.context.get("tracking_disable") or self.env.context.get("mail_notrack")
        ):
            # the chatter tracks every change of a term, whatever the context says
            self = self.with_context(tracking_disable=False, mail_notrack=False)
        # a change of the terms by hand asks for a new acceptance; the addon's own changes (hours carried over
        # into a renewal, by the rollover terms the client accepted) do not
        pending = self.filtered(lambda c: c.state == "draft" and c.acceptance_state in ("sent", "accepted"))
        before = {contract: {name: contract[name] for name in terms} for contract in pending} if (
            terms and not self._it_is_addon_write()) else {}
        # Odoo does not track HTML fields: the further terms are posted when they change
        notes = {contract: contract.note for contract in self} if "note" in vals else {}
        result = super().write(vals)
        if notes:
            for contract, old_note in notes.items():
                if (old_note or "") != (contract.note or ""):
                    contract.message_post(
                        body=Markup("%s<br/>%s") % (self.env._("Further terms changed:"), contract.note or ""),
                        subtype_xmlid="mail.mt_note",
                    )
        if before:
            self.browse([
                c.id for c, values in before.items() if any(c[n] != v for n, v in values.items())
            ])._it_terms_changed_after_sending()
        if {"service_calendar_id", "out_of_hours_response_hours"} & vals.keys():
            self._it_replan_open_requests()
        if vals.get("audit_exception_reason"):
            self._it_post_audit_exception()
        return result

    def _it_post_audit_exception(self):
        for contract in self:
            contract.message_post(body=self.env._(
                "Exception to the audit rule recorded by %(user)s: %(reason)s",
                user=self.env.user.name, reason=contract.audit_exception_reason,
            ))

    def _it_replan_open_requests(self):
        """The response times, service calendar or out-of-hours promise of these contracts changed."""
        running = self.filtered(lambda c: c.state == "active")
        if running:
            self.env["project.task"]._it_recompute_open_deadlines([("it_contract_id", "in", running.ids)])

    def _it_check_terms_of_a_contract_that_ran(self, vals):
        """What a contract that has run is (its type, client and start) is history: its requests, time,
        months and invoices rest on it. A new contract is made instead."""
        names = {"contract_type", "partner_id", "date_start"} & vals.keys()
        if not names:
            return
        for contract in self.filtered(lambda c: c.state in ("active", "expired", "closed")):
            changed = [
                name for name in names
                if contract[name] != contract._fields[name].convert_to_record(
                    contract._fields[name].convert_to_cache(vals[name], contract), contract)
            ]
            if changed:
                raise UserError(self.env._(
                    "Contract %(name)s has run: its %(fields)s can no longer change. Close it and make a new "
                    "contract (Renew prepares one) instead.",
                    name=contract.name,
                    fields=", ".join(contract._fields[name]._description_string(self.env) for name in changed),
                ))

    def _it_check_hours_bought_change(self, vals):
        """The hours bought are the sale; once a package has started, hours are corrected by an adjustment."""
        if "hours_total" not in vals or self._it_is_addon_write():
            return
        started = self.filtered(lambda c: c.contract_type == "hour_package" and c.state != "draft" and float_compare(
            c.hours_total, vals["hours_total"] or 0.0, precision_digits=6))
        if started:
            raise UserError(self.env._(
                "Package %(name)s has started: its hours bought no longer change. Correct its hours with an "
                "adjustment, which keeps the reason.", name=started[0].name,
            ))

    def _it_protected_message(self, names):
        acceptance = {self._fields[name]._description_string(self.env) for name in ACCEPTANCE_FIELDS}
        if acceptance.intersection(names):
            return self.env._(
                "The client's acceptance of a contract (%(fields)s) is recorded when the contract is sent and when "
                "the client's contact accepts or refuses it in the portal; it cannot be set by hand.",
                fields=", ".join(names),
            )
        return self.env._(
            "The hours counters of a contract (%(fields)s) are kept by its timesheets; a manager corrects the hours "
            "with an adjustment, which keeps the reason.",
            fields=", ".join(names),
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if any(contract.state not in ("draft", "cancelled") for contract in self):
            raise UserError(self.env._("Only draft or cancelled contracts can be deleted; close the others instead."))

    # ------------------------------------------------------------------ actions

    def action_confirm(self):
        """The client agreed: check everything is in place and start now or on the start date."""
        for contract in self:
            if contract.state != "draft":
                raise UserError(self.env._("Only a draft contract can be confirmed (%s).", contract.name))
            contract._check_can_activate()
        self.date_confirmed = fields.Date.context_today(self)
        self.filtered(lambda c: c.date_start <= fields.Date.context_today(c)).action_activate()
        return True

    def action_activate(self):
        """Start these contracts; an expired one is reactivated: it keeps the date it was confirmed and its
        invoice, and what it forfeited at expiry is available again (the hours it carried into a renewal are not:
        they left it for good)."""
        for contract in self:
            if contract.state not in ("draft", "expired"):
                raise UserError(self.env._("Contract %s cannot be activated from its current state.", contract.name))
            contract._it_check_accepted()
        starting = self.filtered(lambda c: c.state == "draft")
        reactivated = self - starting
        if reactivated:
            reactivated._it_addon_write({"hours_forfeited": 0.0, "hours_rollover_available": 0.0})
            for contract in reactivated:
                contract.message_post(body=self.env._("Contract reactivated by %s.", self.env.user.name))
        self.write({"state": "active"})
        starting.filtered(lambda c: not c.date_confirmed).date_confirmed = fields.Date.context_today(self)
        self._ensure_service_project()
        self._it_ensure_current_period()
        self.env["it.invoicing"]._it_invoice_now(starting.filtered(lambda c: c.contract_type == "hour_package"))
        return True

    def action_close(self):
        if any(contract.state not in ("active", "expired") for contract in self):
            raise UserError(self.env._("Only running or expired contracts can be closed."))
        self.state = "closed"
        return True

    def action_cancel(self):
        if any(contract.state != "draft" for contract in self):
            raise UserError(self.env._("Only contracts that have not started can be cancelled; close the others."))
        self.state = "cancelled"
        return True

    def action_reset_to_draft(self):
        if any(contract.state != "cancelled" for contract in self):
            raise UserError(self.env._("Only cancelled contracts can be set back to draft."))
        self.write({"state": "draft", "date_confirmed": False})
        return True

    def action_renew(self):
        """Create the next contract with the same terms, starting the day after this one ends."""
        self.ensure_one()
        if self.state not in ("active", "expired", "closed"):
            raise UserError(self.env._("Only a contract that has run can be renewed."))
        if self.renewal_ids.filtered(lambda c: c.state != "cancelled"):
            raise UserError(self.env._("Contract %s has already been renewed.", self.name))
        start = max(
            self.date_end + relativedelta(days=1) if self.date_end else fields.Date.context_today(self),
            fields.Date.context_today(self),
        )
        default = {"date_start": start, "previous_contract_id": self.id, **self._it_renewal_terms()}
        if self.contract_type == "monthly_flat" and self.date_end:
            default["date_end"] = start + (self.date_end - self.date_start)
        renewal = self.copy(default)
        self._it_after_renew(renewal)
        self.message_post(body=self.env._("Renewed by %s.", renewal._get_html_link()))
        return renewal._get_records_action(name=self.env._("Renewal"))

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action["domain"] = [("it_contract_id", "=", self.id)]
        action["context"] = {"default_move_type": "out_invoice", "default_partner_id": self.partner_id.id,
                             "default_it_contract_id": self.id}
        return action

    def action_view_sale_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_quotations_with_onboarding")
        action.update(domain=[("it_contract_id", "=", self.id)], context={
            "default_it_contract_id": self.id, "default_partner_id": self.partner_id.id,
            "default_company_id": self.company_id.id,
        })
        return action

    def action_new_quotation(self):
        """Quote extra work under this contract: an ordinary Sales quotation, priced individually."""
        self.ensure_one()
        if self.state not in ("draft", "active"):
            raise UserError(self.env._("Additional services are quoted under a draft or running contract."))
        order = self.env["sale.order"].create({
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "it_contract_id": self.id,
            "origin": self.name,
        })
        return order._get_records_action(name=self.env._("Quotation"))

    # ------------------------------------------------------------------ the contract document and its acceptance

    def _it_acceptance_document_name(self):
        self.ensure_one()
        return self.env._("Contract %s", self.name)

    def _it_mark_sent(self):
        """Only a draft waits for the client's acceptance; a running contract's document is sent for the record."""
        return super(ItContract, self.filtered(lambda c: c.state == "draft"))._it_mark_sent()

    def _it_acceptance_check_open(self):
        """Only a contract that has not started is accepted or refused; a running one changes by amendment."""
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._(
                "Contract %(name)s is no longer waiting for your acceptance (it is %(state)s).",
                name=self.name, state=dict(self._fields["state"]._description_selection(self.env))[self.state],
            ))

    def _it_after_answer(self):
        """The account manager is given a to-do: activate the accepted contract, or answer the refusal."""
        for contract in self:
            if contract.acceptance_state == "accepted":
                summary = self.env._("Contract %s accepted by the client: activate it", contract.name)
            else:
                summary = self.env._("Contract %s refused by the client: see their comment", contract.name)
            contract.sudo().activity_schedule(
                "mail.mail_activity_data_todo", summary=summary,
                user_id=contract.user_id.id or contract.create_uid.id or self.env.uid,
            )

    def _it_document_recipient(self):
        """Who receives the contract document: a contact person of the client with an email (the one who will
        sign it in the portal), else the client itself."""
        self.ensure_one()
        client = self.partner_id.commercial_partner_id
        return client.child_ids.filtered(lambda p: p.type == "contact" and p.email)[:1] or client

    def _it_terms_changed_after_sending(self):
        """The terms of these drafts changed after they were sent (or accepted): what the client saw or signed
        no longer holds, so the contract goes back to be sent and accepted again. The signed document stays in
        the chatter."""
        pending = self.filtered(lambda c: c.state == "draft" and c.acceptance_state in ("sent", "accepted"))
        if not pending:
            return
        for contract in pending:
            contract.message_post(body=self.env._(
                "The terms changed after the contract was sent to the client: send it again for acceptance.",
            ), subtype_xmlid="mail.mt_note")
        pending._it_addon_write({
            "acceptance_state": "to_send", "accepted_partner_id": False, "accepted_by_name": False,
            "accepted_signature": False, "accepted_date": False, "signed_document_id": False,
        })

    def _it_service_hours_rows(self):
        """The service hours of the contract's calendar, day by day: ``[(day, "08:00-16:00"), ...]``, in the
        language of the environment."""
        self.ensure_one()
        days = {
            "0": self.env._("Monday"), "1": self.env._("Tuesday"), "2": self.env._("Wednesday"),
            "3": self.env._("Thursday"), "4": self.env._("Friday"), "5": self.env._("Saturday"),
            "6": self.env._("Sunday"),
        }
        by_day = {}
        for attendance in self.service_calendar_id.attendance_ids.filtered(lambda a: a.day_period != "lunch"):
            if attendance.display_type:
                continue
            by_day.setdefault(attendance.dayofweek, []).append((attendance.hour_from, attendance.hour_to))

        def hhmm(value):
            hours, minutes = divmod(round(value * 60), 60)
            return f"{hours:02d}:{minutes:02d}"

        rows = []
        for day in sorted(by_day, key=int):
            intervals = sorted(set(by_day[day]))
            merged = []
            for start, end in intervals:
                if merged and start <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], end))
                else:
                    merged.append((start, end))
            rows.append((days.get(day, day), ", ".join(f"{hhmm(start)}-{hhmm(end)}" for start, end in merged)))
        return rows

    def action_it_send_document(self):
        """Send the contract document to the client's contact for acceptance."""
        self.ensure_one()
        if self.state in ("closed", "cancelled"):
            raise UserError(self.env._("Contract %s is closed or cancelled: there is nothing to send.", self.name))
        return self._it_send_document_action(
            "it_service_contracts.mail_template_it_contract_document", self.env._("Send the Contract"))

    def _it_post_term_lines(self, title, lines):
        """Post in the chatter what changed in a list of terms (response times, additional services), which
        Odoo's field tracking does not show line by line; as every change of a term, whatever the context says."""
        self.browse([contract.id for contract, texts in lines.items() if texts])._it_terms_changed_after_sending()
        for contract, texts in lines.items():
            if texts:
                contract.sudo().message_post(
                    body=Markup("%s<ul>%s</ul>") % (title, Markup().join(Markup("<li>%s</li>") % t for t in texts)),
                    subtype_xmlid="mail.mt_note",
                )

    def action_view_project(self):
        self.ensure_one()
        return self.project_id._get_records_action()

    def _ensure_service_project(self):
        """Each running contract gets a project for its requests, with the analytic account its time goes to
        and the service stages (new, in progress, waiting for the client, done)."""
        without_project = self.filtered(lambda c: not c.project_id)
        if without_project:
            projects = self.env["project.project"].sudo().create([{
                "name": f"{contract.name} - {contract.partner_id.name}",
                "partner_id": contract.partner_id.id,
                "company_id": contract.company_id.id,
                "allow_timesheets": True,
                "account_id": contract.analytic_account_id.id or False,
            } for contract in without_project])
            for contract, project in zip(without_project, projects, strict=True):
                contract.project_id = project
        for contract in self.filtered(lambda c: not c.analytic_account_id):
            contract.analytic_account_id = contract.project_id.account_id
        self.project_id._it_add_default_service_stages()

    # ------------------------------------------------------------------ cron

    @api.model
    def _cron_update_states(self, batch_size=500):
        """Start confirmed contracts whose start date has come and expire those whose end date has passed."""
        today = fields.Date.context_today(self)
        to_start = Domain([("state", "=", "draft"), ("date_confirmed", "!=", False), ("date_start", "<=", today)])
        to_expire = Domain([("state", "=", "active"), ("date_end", "<", today)])
        for domain, process, label in (
            (to_start, lambda contracts: contracts.action_activate(), self.env._("Starting contracts")),
            (to_expire, lambda contracts: contracts._expire(), self.env._("Expiring contracts")),
        ):
            self.env["it.cron.batch"]._it_run(
                lambda limit, exclude, domain=domain: self.search(
                    domain & Domain("id", "not in", list(exclude)), limit=limit, order="id"),
                process, batch_size=batch_size, responsible=lambda contract: contract.user_id, label=label,
                remaining=lambda exclude, domain=domain: self.search_count(
                    domain & Domain("id", "not in", list(exclude))),
            )

    def _expire(self):
        self.state = "expired"
        self._it_on_expiry()

    # ------------------------------------------------------------------ hours (timesheets)
    # Billing of the time, package usage and warnings, expiry and rollover, flat months.

    @api.depends("period_ids.hours_used", "period_ids.hours_overage", "period_ids.hours_included",
                 "contract_type", "monthly_hours")
    def _compute_current_period(self):
        today = fields.Date.context_today(self)
        periods = self.env["it.contract.period"].search([
            ("contract_id", "in", self.ids), ("date_start", "<=", today), ("date_end", ">=", today),
        ])
        by_contract = {period.contract_id: period for period in periods}
        for contract in self:
            period = by_contract.get(contract, self.env["it.contract.period"])
            contract.current_period_id = period
            contract.current_hours_included = period.hours_included if period else (
                contract.monthly_hours if contract.contract_type == "monthly_flat" else 0.0)
            contract.current_hours_used = period.hours_used
            contract.current_hours_remaining = period.hours_remaining if period else contract.current_hours_included
            contract.current_hours_overage = period.hours_overage

    @api.constrains("hours_total", "hours_available", "hours_used")
    def _check_hours_used_within_total(self):
        for package in self.filtered(lambda c: c.contract_type == "hour_package"):
            if package.hours_used > package.hours_available:
                raise ValidationError(self.env._(
                    "Package %(name)s has already used %(used)s hours; it cannot have fewer hours than that "
                    "(%(total)s).",
                    name=package.name, used=round(package.hours_used, 2), total=round(package.hours_available, 2),
                ))

    @api.constrains("billing_increment", "onsite_minimum_hours", "rollover_cap_hours", "usage_warning_percent",
                    "expiry_warning_days")
    def _check_billing_terms_values(self):
        for contract in self:
            if min(contract.billing_increment, contract.onsite_minimum_hours, contract.rollover_cap_hours,
                   contract.expiry_warning_days) < 0:
                raise ValidationError(self.env._(
                    "The billing increment, on-site minimum, rollover cap and expiry warning of %(name)s cannot be "
                    "negative.", name=contract.name,
                ))
            if not 0 < contract.usage_warning_percent <= 100:
                raise ValidationError(self.env._(
                    "The usage warning of %(name)s is a share of the package hours between 1 and 100%%, "
                    "not %(value)s.", name=contract.name, value=contract.usage_warning_percent,
                ))

    def action_view_timesheets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hr_timesheet.timesheet_action_all")
        action.update(domain=[("it_contract_id", "=", self.id)], context={"create": False})
        return action

    def action_view_periods(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("it_service_contracts.it_contract_period_action")
        action.update(domain=[("contract_id", "=", self.id)], context={"create": False})
        return action

    # package hours, under a row lock

    @api.model
    def _it_running_contracts(self, client_ids, date_from, date_to, lock=False):
        """The active contracts of these clients valid at some point between the dates, with their scope,
        places and hours, read in one query for the timesheet classification.

        With ``lock``, the same query locks them (in id order, as every locker does, so that two transactions
        never wait for each other crosswise): the hours of a package are then read as committed and stay so
        until this transaction ends, which is what drawing on them needs (see :meth:`_it_lock_package_hours`).
        """
        if not client_ids:
            return []
        self.flush_model()
        self.env["it.contract.amendment"].flush_model(["contract_id", "effective_date", "state", "terms_before"])
        rows = self.env.execute_query_dict(SQL(
            """SELECT c.id, c.partner_id, c.company_id, c.contract_type, c.date_start, c.date_end,
                      COALESCE(c.remote_service, FALSE) AS remote_service,
                      COALESCE(c.billing_increment, 0) AS billing_increment,
                      COALESCE(c.onsite_minimum_hours, 0) AS onsite_minimum_hours,
                      COALESCE(c.hours_available, 0) AS hours_available, COALESCE(c.hours_used, 0) AS hours_used,
                      COALESCE(c.usage_warning_percent, 0) AS usage_warning_percent,
                      ARRAY(SELECT r.product_id FROM it_contract_service_product_rel r
                             WHERE r.contract_id = c.id) AS product_ids,
                      ARRAY(SELECT s.partner_id FROM it_contract_site_rel s WHERE s.contract_id = c.id) AS site_ids,
                      COALESCE(c.monthly_hours, 0) AS monthly_hours,
                      COALESCE(c.approval_required, FALSE) AS approval_required,
                      ARRAY(SELECT jsonb_build_array(a.effective_date, a.terms_before) FROM it_contract_amendment a
                             WHERE a.contract_id = c.id AND a.state = 'in_force' AND a.effective_date > %s
                             ORDER BY a.effective_date) AS amendments
                 FROM it_contract c
                WHERE c.partner_id IN %s AND c.state = 'active' AND c.date_start <= %s
                  AND (c.date_end IS NULL OR c.date_end >= %s)
                ORDER BY c.id %s""",
            # the amendments from the first month of the period on: a month they cut decides each line's hours
            date_from.replace(day=1), tuple(client_ids), date_to, date_from,
            SQL("FOR NO KEY UPDATE OF c") if lock else SQL(),
        ))
        for row in rows:
            row["amendments"] = [(fields.Date.to_date(day), terms) for day, terms in row["amendments"]]
        return rows

    @api.model
    def _it_lock_package_hours(self, ids, only_with_hours_left=True):
        """Lock packages and read their hours as committed: ``{id: {"hours_total", "hours_used", ...}}``.

        Two technicians drawing on the same package wait for each other here; under Odoo's repeatable-read
        isolation the second one then fails with a serialization error and Odoo replays their request, which
        sees the hours the first one took. ``only_with_hours_left`` skips (and does not lock) used-up packages.
        """
        if not ids:
            return {}
        self.flush_model()
        condition = SQL("COALESCE(hours_used, 0) < hours_available") if only_with_hours_left else SQL("TRUE")
        rows = self.env.execute_query_dict(SQL(
            """SELECT id, COALESCE(hours_available, 0) AS hours_total, COALESCE(hours_used, 0) AS hours_used,
                      COALESCE(usage_warning_percent, 0) AS usage_warning_percent
                 FROM it_contract
                WHERE id IN %s AND contract_type = 'hour_package' AND %s
                ORDER BY id FOR NO KEY UPDATE""",
            tuple(ids), condition,
        ))
        return {row["id"]: row for row in rows}

    @api.model
    def _it_store_package_hours(self, states, before):
        """Write the new hours used of locked packages, then warn about the thresholds they crossed."""
        changed = {pid: state for pid, state in states.items() if state["hours_used"] != before[pid]["hours_used"]}
        if not changed:
            return
        self.env.cr.execute(SQL(
            """UPDATE it_contract AS c
                  SET hours_used = v.used, hours_remaining = c.hours_available - v.used
                 FROM (VALUES %s) AS v(id, used)
                WHERE c.id = v.id""",
            SQL(", ").join(SQL("(%s, %s::float8)", pid, state["hours_used"]) for pid, state in changed.items()),
        ))
        packages = self.browse(list(changed))
        packages.invalidate_recordset(["hours_used", "hours_remaining"], flush=False)
        # the warnings follow what the transaction changed in total: an edit gives its hours back and draws
        # them again, which must not send a warning twice; so the level before the first change is kept
        levels = self.env.cr.precommit.data.setdefault("it_contract.usage_levels", {})
        if not levels:
            self.env.cr.precommit.add(self._it_warn_usage_levels_crossed)
        for pid, state in changed.items():
            first = levels.setdefault(pid, {"state": state, "level": self._it_usage_level(
                state, before[pid]["hours_used"])})
            first["used"] = state["hours_used"]  # what the package holds now, as written above

    @api.model
    def _it_warn_usage_levels_crossed(self):
        """Before commit: the usage warnings of the packages whose level the transaction changed."""
        levels = self.env.cr.precommit.data.pop("it_contract.usage_levels", {})
        crossed = self.sudo().browse(
            pid for pid, first in levels.items()
            if self._it_usage_level(first["state"], first["used"]) != first["level"]
        ).exists()
        crossed._it_check_usage_warnings()
        self.env.flush_all()

    @api.model
    def _it_usage_level(self, state, used):
        total = state["hours_total"]
        if total <= 0:
            return 0
        if used >= total:
            return 2
        return 1 if used * 100.0 >= total * state["usage_warning_percent"] else 0

    # warnings

    def _it_check_usage_warnings(self):
        """Warn once when a package reaches its usage threshold and once when it is used up; re-arm on release."""
        for package in self.filtered(lambda c: c.contract_type == "hour_package" and c.hours_available > 0):
            # the same comparison as the cron's query, so the two can never disagree
            over_threshold = package.hours_used * 100.0 >= package.hours_available * package.usage_warning_percent
            used_share = package.hours_used * 100.0 / package.hours_available
            depleted = package.hours_used >= package.hours_available
            if depleted and not package.depleted_warning_sent:
                package._it_addon_write({"depleted_warning_sent": True, "usage_warning_sent": True})
                package._it_warn("it_service_contracts.mail_template_package_depleted", self.env._(
                    "The hours of package %s are used up", package.name))
            elif not depleted and over_threshold and not package.usage_warning_sent:
                package._it_addon_write({"usage_warning_sent": True})
                package._it_warn("it_service_contracts.mail_template_package_usage", self.env._(
                    "%(percent)s%% of package %(name)s is used", percent=round(used_share), name=package.name))
            if not depleted and package.depleted_warning_sent:
                package._it_addon_write({"depleted_warning_sent": False})
            if not over_threshold and package.usage_warning_sent:
                package._it_addon_write({"usage_warning_sent": False})

    def _it_warn(self, template_xmlid, summary, note=None):
        """Email the client contact and the account manager, and give the account manager a to-do."""
        self.ensure_one()
        template = self.env.ref(template_xmlid, raise_if_not_found=False)
        if template:
            self.with_context(mail_notify_force_send=False).message_post_with_source(
                template, subtype_xmlid="mail.mt_comment",
                partner_ids=(self._it_client_contacts() | self.user_id.partner_id).ids,
            )
        self.sudo().activity_schedule(
            "mail.mail_activity_data_todo", summary=summary, note=note,
            user_id=self.user_id.id or self.env.uid,
        )

    def _it_client_contacts(self):
        """Who hears about the client's hours: the client if it has an email, else its contacts with one."""
        self.ensure_one()
        client = self.partner_id
        if client.email:
            return client
        return client.child_ids.filtered(lambda p: p.type == "contact" and p.email)[:1] or client

    @api.model
    def _cron_package_warnings(self, batch_size=200):
        """Send the usage, used-up and expiry warnings that are due (batched, idempotent, multi-worker safe)."""
        today = fields.Date.context_today(self)
        queries = {
            "usage": lambda limit, exclude: SQL(
                """SELECT id FROM it_contract
                    WHERE state = 'active' AND contract_type = 'hour_package' AND hours_available > 0
                      AND ((NOT COALESCE(usage_warning_sent, FALSE)
                            AND COALESCE(hours_used, 0) * 100 >= hours_available * usage_warning_percent)
                        OR (NOT COALESCE(depleted_warning_sent, FALSE) AND COALESCE(hours_used, 0) >= hours_available))
                      AND id != ALL(%s)
                    ORDER BY id LIMIT %s""", exclude, limit),
            "expiry": lambda limit, exclude: SQL(
                """SELECT id FROM it_contract
                    WHERE state = 'active' AND contract_type = 'hour_package' AND date_end IS NOT NULL
                      AND NOT COALESCE(expiry_warning_sent, FALSE)
                      AND date_end - COALESCE(expiry_warning_days, 0) <= %s
                      AND id != ALL(%s)
                    ORDER BY id LIMIT %s""", today, exclude, limit),
        }

        for kind, query in queries.items():
            process = (lambda contracts: contracts._it_check_usage_warnings()) if kind == "usage" else (
                lambda contracts: contracts._it_send_expiry_warnings())
            self.env["it.cron.batch"]._it_run(
                self._it_fetch_once(query), process, batch_size=batch_size,
                responsible=lambda contract: contract.user_id, label=self.env._("Package warnings"),
            )

    @api.model
    def _it_fetch_once(self, query):
        """A fetch for it.cron.batch that never hands out a package twice in a run, so that the job cannot spin
        on one it does not flag."""
        done = set()

        def fetch(limit, exclude):
            self.flush_model()
            ids = [row[0] for row in self.env.execute_query(query(limit, list(exclude | done)))]
            done.update(ids)
            return self.browse(ids)

        return fetch

    def _it_send_expiry_warnings(self):
        for package in self.filtered(lambda c: not c.expiry_warning_sent):
            package._it_addon_write({"expiry_warning_sent": True})
            package._it_warn("it_service_contracts.mail_template_package_expiring", self.env._(
                "Package %(name)s ends on %(date)s with %(hours)s h left",
                name=package.name, date=package.date_end, hours=round(package.hours_remaining, 2)))

    # expiry and rollover

    def _it_on_expiry(self):
        """Record what an expiring package leaves unused, carry it over if allowed, and offer a renewal."""
        for package in self.filtered(lambda c: c.contract_type == "hour_package"):
            left = max(package.hours_available - package.hours_used, 0.0)
            carry = 0.0
            if package.rollover_allowed:
                carry = min(left, package.rollover_cap_hours) if package.rollover_cap_hours > 0 else left
            package._it_addon_write({"hours_forfeited": left - carry, "hours_rollover_available": carry})
            renewal = package.renewal_ids.filtered(lambda c: c.state in ("draft", "active"))[:1]
            if renewal:
                package._it_carry_over(renewal)
            package.message_post(body=self.env._(
                "Package expired with %(left)s h unused: %(forfeited)s h forfeited, %(carried)s h carried over.",
                left=round(left, 2), forfeited=round(left - carry, 2), carried=round(carry, 2),
            ))
            note = None if renewal else self.env._("Offer the client a renewal (the Renew button on the package).")
            package._it_warn("it_service_contracts.mail_template_package_expired", self.env._(
                "Package %s expired: offer a renewal", package.name), note=note)

    def _it_carry_over(self, renewal):
        """Move the unused hours this expired package may carry over into its renewal (once)."""
        self.ensure_one()
        carry = self.hours_rollover_available
        if carry <= 0 or renewal.contract_type != "hour_package":
            return
        renewal._it_addon_write({
            "hours_total": renewal.hours_total + carry,
            "hours_rolled_over": renewal.hours_rolled_over + carry,
        })
        self._it_addon_write({"hours_rollover_available": 0.0, "hours_carried_over": self.hours_carried_over + carry})
        renewal.message_post(body=self.env._(
            "%(hours)s unused hours carried over from %(previous)s.", hours=round(carry, 2), previous=self.name,
        ))

    def _it_after_renew(self, renewal):
        """The renewal buys the same hours as this package did; unused hours come on top when allowed."""
        self.ensure_one()
        if self.contract_type != "hour_package":
            return
        renewal.hours_total = self.hours_total - self.hours_rolled_over
        if self.state in ("expired", "closed"):
            self._it_carry_over(renewal)

    def _it_ensure_current_period(self):
        today = fields.Date.context_today(self)
        Period = self.env["it.contract.period"].sudo()
        Period._it_ensure_periods({
            (contract.id, today.replace(day=1)) for contract in self
            if contract.contract_type == "monthly_flat" and contract.state == "active"
            and contract.date_start <= today and (not contract.date_end or contract.date_end >= today.replace(day=1))
        })
        self.invalidate_recordset(["period_ids"])
