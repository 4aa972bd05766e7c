"""The contract: whom, what and where it covers, its forms, its life (draft, active, expired, closed) and the
rules that let it start. Its other stories are named models it inherits: the package's hours
(``it.contract.package``), billing (``it.contract.billing``), the document and the client's acceptance
(``it.contract.document``), renewal (``it.contract.renewal``); coverage and terms at a date are in
``it_contract_coverage.py``."""
import logging
from datetime import date

import psycopg2
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain

from .it_acceptance_mixin import ACCEPTANCE_FIELDS
from .it_contract_package import COUNTER_FIELDS
from .it_forms import CONTRACT_TYPES
from .it_money import MONEY_GROUPS

_logger = logging.getLogger(__name__)


class ItContract(models.Model):
    _name = "it.contract"
    _description = "IT Service Contract"
    # the contract's own stories first, so that they extend what the generic mixins do (it.acceptance.mixin brings
    # it.protected.fields.mixin)
    _inherit = [
        "it.contract.package", "it.contract.billing", "it.contract.document", "it.contract.renewal",
        "mail.thread", "mail.activity.mixin", "portal.mixin", "it.acceptance.mixin",
    ]
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
    # rule of _check_single_flat_contract, held by the database too: two managers activating two flat contracts
    # of a client at once each pass the check in their own snapshot, the second one's row is refused here
    _one_active_flat_contract = models.Constraint(
        "EXCLUDE USING gist (partner_id WITH =, company_id WITH =, daterange(date_start, date_end, '[]') WITH &&) "
        "WHERE (contract_type = 'monthly_flat' AND state = 'active')",
        "The client already has an active flat monthly contract for these dates.",
    )

    approval_required = fields.Boolean(
        string="Approval Before Paid Work", tracking=True,
        help="Work that would cost the client extra (hours used up, outside the scope or places) waits for the "
        "client's approval in the portal.",
    )

    def _auto_init(self):
        # the exclusion constraint above compares the client's id with '=' in a GiST index: PostgreSQL's btree_gist
        # (a trusted extension, which the database's owner may create), before the table's constraints are added;
        # without it the constraint is not added and the Python check alone holds the rule
        self._it_create_btree_gist()
        return super()._auto_init()

    def _it_create_btree_gist(self):
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        except psycopg2.Error as error:
            _logger.warning("btree_gist could not be created, one flat contract per client is checked in Python "
                            "only: %s", error)

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

    @api.constrains("state", "partner_id", "service_product_ids", "site_ids", "remote_service", "audit_id",
                    "audit_exception_reason",
                    "hours_total", "monthly_fee", "service_calendar_id", "acceptance_required", "acceptance_state")
    def _check_ready_when_active(self):
        """A running contract must say whom, what and where it covers, and rest on a completed audit."""
        for contract in self.filtered(lambda c: c.state == "active"):
            contract._check_can_activate()

    def _check_can_activate(self):
        self.ensure_one()
        self._it_check_accepted()
        problems = self._it_missing_terms()
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

    def _it_missing_terms(self):
        """What the contract lacks to be offered and to run, as the user reads it (empty when complete)."""
        self.ensure_one()
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
        return problems

    @api.constrains("state", "contract_type", "partner_id", "company_id", "date_start", "date_end")
    def _check_single_flat_contract(self):
        """A client has one active flat contract at a time with the firm (each company of the database is a firm
        of its own), whoever activates it: the other contracts are read as the system, in one search. Where
        btree_gist exists, the database's constraint ``_one_active_flat_contract`` refuses the row first (this
        search flushes it); this check holds the rule where the extension could not be created."""
        flats = self.filtered(lambda c: c.contract_type == "monthly_flat" and c.state == "active")
        if not flats:
            return
        Contract = self.sudo()
        # a contract without an end runs from its start on
        others = Contract.search(Domain([
            ("partner_id", "in", flats.partner_id.ids), ("company_id", "in", flats.company_id.ids),
            ("contract_type", "=", "monthly_flat"),
        ]) & self._it_running_condition(min(flats.mapped("date_start")), date.max))
        for contract in flats:
            if (others - contract).filtered_domain(Domain([
                ("partner_id", "=", contract.partner_id.id), ("company_id", "=", contract.company_id.id),
            ]) & self._it_running_condition(contract.date_start, contract.date_end or date.max)):
                raise ValidationError(self.env._(
                    "%(client)s already has an active flat monthly contract for these dates.",
                    client=contract.partner_id.display_name,
                ))

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].with_company(vals.get("company_id")).next_by_code(
                    "it.contract", sequence_date=vals.get("date_start"),
                ) or "/"
        contracts = super().create(vals_list)
        contracts.filtered("audit_exception_reason")._it_post_audit_exception()
        return contracts

    def write(self, vals):
        self._it_check_terms_of_a_contract_that_ran(vals)
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

