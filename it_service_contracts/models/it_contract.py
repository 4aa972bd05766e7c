"""The contract: whom, what and where it covers, its forms and rates, its creation and changes. Its other
stories are named models it inherits: the package's hours (``it.contract.package``), billing
(``it.contract.billing``), the document and the client's acceptance (``it.contract.document``), renewal
(``it.contract.renewal``), what lets it run and its life from draft to closed (``it.contract.lifecycle``),
what a contract that has run keeps (``it.contract.history``);
coverage and terms at a date are in ``it_contract_coverage.py``."""
from contextvars import ContextVar

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .it_acceptance_mixin import ACCEPTANCE_FIELDS
from .it_contract_package import COUNTER_FIELDS
from .it_forms import CONTRACT_TYPES
from .it_money import MONEY_GROUPS

# the references this process's create() is giving the contracts it makes, from the sequence: the write guard lets
# those through (a Python variable, not a context key, which any caller over RPC could set)
_NEW_REFERENCES = ContextVar("it_contract_new_references", default=frozenset())


# a contract moves through its states by its actions alone (it.contract.lifecycle), which do what each step needs
LIFECYCLE_FIELDS = frozenset({"state", "date_confirmed"})


class ItContract(models.Model):
    _name = "it.contract"
    _description = "IT Service Contract"
    # the contract's own stories first, so that they extend what the generic mixins do (it.acceptance.mixin brings
    # it.protected.fields.mixin)
    _inherit = [
        "it.contract.package", "it.contract.billing", "it.contract.document", "it.contract.renewal",
        "it.contract.lifecycle", "it.contract.history", "mail.thread", "mail.activity.mixin", "portal.mixin",
        "it.acceptance.mixin",
    ]
    _order = "date_start desc, id desc"
    _check_company_auto = True
    # the reference is the sequence's: how the client, the invoices and the service project name the contract
    _it_protected_fields = COUNTER_FIELDS | ACCEPTANCE_FIELDS | LIFECYCLE_FIELDS | {"name"}
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
    request_count = fields.Integer(string="Service Requests", compute="_compute_request_count")
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
    note = fields.Html(string="Terms")
    color = fields.Integer()

    _check_validity = models.Constraint(
        "CHECK(contract_type != 'hour_package' OR (validity_months BETWEEN 1 AND 12 AND date_end = "
        "(date_start + make_interval(months => validity_months) - interval '1 day')::date))",
        "An hour package is valid for 1 to 12 months; its end date follows from its start date and validity.",
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
    _name_company_uniq = models.UniqueIndex(
        "(company_id, name) WHERE name != '/'", "Another contract of this company has the same reference.",
    )

    approval_required = fields.Boolean(
        string="Approval Before Paid Work", tracking=True,
        help="Work that would cost the client extra (hours used up, outside the scope or places) waits for the "
        "client's approval in the portal.",
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

    def _it_requests_domain(self):
        """These contracts' requests and maintenance visits: what the Requests button counts and lists."""
        return [("it_contract_id", "in", self.ids), ("it_is_service_request", "=", True)]

    def _compute_request_count(self):
        counts = dict(self.env["project.task"]._read_group(self._it_requests_domain(), ["it_contract_id"], ["__count"]))
        for contract in self:
            contract.request_count = counts.get(contract, 0)

    @api.readonly
    def action_view_requests(self):
        """The contract's requests and maintenance visits, in the service desk's views."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("it_service_contracts.it_service_request_action")
        action["domain"] = self._it_requests_domain()
        action["context"] = {"it_service_request": True, "search_default_open": 1,
                             "default_partner_id": self.partner_id.id, "default_project_id": self.project_id.id}
        return action

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        if self.partner_id:
            self.site_ids = self.site_ids.filtered(lambda site: site.commercial_partner_id == self.partner_id)

    # ------------------------------------------------------------------ constraints

    @api.constrains("hourly_rate", "contract_type", "company_id")
    def _check_hourly_rate(self):
        """Design rule 1, by the company's rate ceilings (res.company._it_rate_ceiling)."""
        for contract in self:
            company = contract.company_id
            if contract.hourly_rate <= 0:
                raise ValidationError(self.env._("The hourly rate of contract %s must be positive.", contract.name))
            if contract.hourly_rate < company._it_rate_ceiling(contract.contract_type):
                continue
            if contract.contract_type == "hour_package":
                raise ValidationError(self.env._(
                    "The hourly rate of an hour package (%(rate)s) must be lower than the ad-hoc rate (%(adhoc)s).",
                    rate=contract.hourly_rate, adhoc=company.it_adhoc_hourly_rate,
                ))
            if contract.contract_type == "monthly_flat":
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

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        self._it_check_protected_fields(vals_list, create=True)  # a reference the caller gives is refused here
        vals_list = [dict(vals, name=self.env["ir.sequence"].with_company(vals.get("company_id")).next_by_code(
            "it.contract", sequence_date=vals.get("date_start"),
        ) or "/") if vals.get("name", "/") == "/" else vals for vals in vals_list]
        token = _NEW_REFERENCES.set(frozenset(vals["name"] for vals in vals_list))
        try:
            contracts = super().create(vals_list)
        finally:
            _NEW_REFERENCES.reset(token)
        contracts.filtered("audit_exception_reason")._it_post_audit_exception()
        return contracts

    def _it_check_protected_fields(self, vals_list, create=False):
        """A new contract's reference from the sequence is the addon's own (``create``)."""
        given = _NEW_REFERENCES.get()
        if create and given:
            vals_list = [
                {key: value for key, value in vals.items() if key != "name" or value not in given} for vals in vals_list
            ]
        return super()._it_check_protected_fields(vals_list, create=create)

    def write(self, vals):
        result = super().write(vals)
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

    def _it_protected_message(self, names):
        lifecycle = {self._fields[name]._description_string(self.env) for name in LIFECYCLE_FIELDS}
        if lifecycle.intersection(names):
            return self.env._(
                "A contract is confirmed, started, closed or cancelled with its buttons (or their methods over the "
                "API), which check its terms and set up its service project, month and invoice; %(fields)s cannot "
                "be set by hand.",
                fields=", ".join(names),
            )
        acceptance = {self._fields[name]._description_string(self.env) for name in ACCEPTANCE_FIELDS}
        if acceptance.intersection(names):
            return self.env._(
                "The client's acceptance of a contract (%(fields)s) is recorded when the contract is sent and when "
                "the client's contact accepts or refuses it in the portal; it cannot be set by hand.",
                fields=", ".join(names),
            )
        if self._fields["name"]._description_string(self.env) in names:
            return self.env._(
                "The reference of a contract (%(fields)s) is given by the company's sequence when the contract is "
                "made, and cannot be set by hand.",
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
