from collections import defaultdict
from datetime import timedelta

import pytz
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL, split_every
from odoo.tools.misc import format_datetime

from .it_money import MONEY_GROUPS

CLOSED_TASK_STATES = ("1_done", "1_canceled")

# the SLA record of a request: kept by the addon alone (design rule 9), never by a user's create or write
SLA_BOOKKEEPING_FIELDS = frozenset({
    "first_response_date", "sla_resolution_date", "sla_paused_since", "sla_paused_hours", "sla_state",
    "sla_notified_state",
    # computed from the above and the contract; a direct write would only fake them until the next change
    "out_of_hours", "sla_response_deadline", "sla_resolution_deadline", "sla_response_risk_date",
    "sla_resolution_risk_date", "sla_next_deadline", "sla_risk_date", "sla_compliance", "sla_met_count",
    "sla_breached_count",
})

SLA_STATES = [
    ("on_track", "On Track"),
    ("at_risk", "At Risk"),
    ("breached", "Breached"),
    ("met", "Met"),
]

# how far ahead the working calendar is searched for a deadline (14-day windows)
PLAN_WINDOW = timedelta(days=14)
PLAN_MAX_WINDOWS = 60


class ProjectTask(models.Model):
    """Service requests are project tasks worked under a client's contract, or ad-hoc."""

    _name = "project.task"
    _inherit = ["project.task", "it.protected.fields.mixin"]

    _it_protected_fields = SLA_BOOKKEEPING_FIELDS

    # the fields whose change moves a request in or out of a stopped-clock or closed state
    _IT_TRANSITION_FIELDS = frozenset({"stage_id", "state"})
    # the fields that decide which contract covers a request, and so how its time is billed
    _IT_COVERAGE_FIELDS = frozenset({"it_contract_id", "partner_id", "it_site_id", "it_service_product_id"})
    # the fields whose change may change the SLA deadlines or their evaluation
    _IT_SLA_FIELDS = frozenset({
        "priority", "it_contract_id", "it_reported_date", "partner_id", "it_site_id",
        "it_service_product_id", "project_id",
    })

    it_is_service_request = fields.Boolean(
        string="Service Request", related="project_id.it_is_service_project", store=True, index=True,
    )
    it_client_id = fields.Many2one(
        "res.partner", string="Client", related="partner_id.commercial_partner_id", store=True, index="btree_not_null",
    )
    it_contract_id = fields.Many2one(
        "it.contract", string="IT Contract", index="btree_not_null", tracking=True, check_company=True,
        compute="_compute_it_contract_id", store=True, readonly=False,
        domain="[('state', '=', 'active'), ('partner_id', 'parent_of', partner_id)]",
        help="The contract this request is served under, found by itself when only one running contract of the "
        "client covers the site and the service; empty for ad-hoc work.",
    )
    it_asset_id = fields.Many2one(
        "it.asset", string="Affected Asset", index="btree_not_null", check_company=True,
        domain="[('partner_id', '=', it_client_id)]",
    )
    it_site_id = fields.Many2one(
        "res.partner", string="Site", compute="_compute_it_site_id", store=True, readonly=False,
        index="btree_not_null",
        domain="[('commercial_partner_id', '=', it_client_id)]",
        help="The client's address where the work is done; empty for remote support.",
    )
    it_service_product_id = fields.Many2one(
        "product.product", string="Service", compute="_compute_it_service_product_id", store=True, readonly=False,
        domain="[('type', '=', 'service')]", check_company=True,
        help="The service requested; it must be in the contract's scope to be covered by it.",
    )
    it_is_adhoc = fields.Boolean(
        string="Ad-hoc", compute="_compute_it_is_adhoc", store=True, index=True,
        help="No running contract covers this request: it is priced on its own and invoiced after completion.",
    )
    it_adhoc_reason = fields.Char(string="Why Ad-hoc", compute="_compute_it_is_adhoc", store=True)
    # a copy is a new job: priced at time and materials until a manager quotes it
    it_price_agreement = fields.Selection(
        [("fixed", "Quoted Fixed Price"), ("time_materials", "Time and Materials")],
        string="Price Agreement", compute="_compute_it_price_agreement", store=True, readonly=False, copy=False,
        help="How an ad-hoc job is priced: a quoted fixed price, or the hours worked at the ad-hoc rate.",
    )
    it_currency_id = fields.Many2one(related="company_id.currency_id", string="IT Currency")
    it_fixed_price = fields.Monetary(
        string="Fixed Price", currency_field="it_currency_id", copy=False, groups=MONEY_GROUPS,
    )
    it_invoice_ids = fields.One2many(
        "account.move", "it_task_id", string="Job Invoices", readonly=True, groups=MONEY_GROUPS,
    )
    it_credit_move_id = fields.Many2one(
        "account.move", string="Service Credit On", readonly=True, copy=False, index="btree_not_null",
        ondelete="set null", groups=MONEY_GROUPS,
        help="The invoice that credits the client for the breached response time of this request.",
    )
    it_adhoc_hourly_rate = fields.Monetary(
        related="company_id.it_adhoc_hourly_rate", currency_field="it_currency_id", string="Ad-hoc Rate",
        groups=MONEY_GROUPS,
    )

    # ------------------------------------------------------------------ SLA clock
    it_reported_date = fields.Datetime(
        string="Reported On", default=fields.Datetime.now, copy=False, tracking=True,
        help="When the client reported the request: the SLA clock starts here.",
    )
    out_of_hours = fields.Boolean(
        string="Out of Hours", compute="_compute_out_of_hours", store=True, index="btree_not_null",
        help="Reported outside the service hours of the contract's calendar (or on a public holiday).",
    )
    sla_response_deadline = fields.Datetime(
        string="Response Due", compute="_compute_sla_deadlines", store=True, index="btree_not_null", copy=False,
    )
    sla_resolution_deadline = fields.Datetime(
        string="Resolution Due", compute="_compute_sla_deadlines", store=True, index="btree_not_null", copy=False,
    )
    sla_response_risk_date = fields.Datetime(
        string="Response at Risk From", compute="_compute_sla_deadlines", store=True, copy=False,
    )
    sla_resolution_risk_date = fields.Datetime(
        string="Resolution at Risk From", compute="_compute_sla_deadlines", store=True, copy=False,
    )
    sla_next_deadline = fields.Datetime(
        string="Next SLA Deadline", compute="_compute_sla_next_deadline", store=True, index="btree_not_null",
        copy=False, help="The response deadline until a technician responds, then the resolution deadline; "
        "empty while the clock is stopped or once the request is resolved.",
    )
    sla_risk_date = fields.Datetime(
        string="At Risk From", compute="_compute_sla_next_deadline", store=True, copy=False,
    )
    first_response_date = fields.Datetime(
        string="First Response", readonly=True, copy=False,
        help="When a technician first acted: first stage move, first timesheet or first message to the client.",
    )
    sla_resolution_date = fields.Datetime(string="Resolved On", readonly=True, copy=False)
    sla_paused_since = fields.Datetime(
        string="Clock Stopped Since", readonly=True, copy=False,
        help="The request waits for the client since then.",
    )
    sla_paused_hours = fields.Float(
        string="Time on Hold", readonly=True, copy=False,
        help="Service hours during which the clock was stopped: waiting for the client, or closed before being "
        "reopened. The resolution deadline moves by as much.",
    )
    sla_state = fields.Selection(SLA_STATES, string="SLA", readonly=True, copy=False, index="btree_not_null")
    sla_notified_state = fields.Selection(SLA_STATES, string="SLA State Notified", readonly=True, copy=False)
    sla_compliance = fields.Float(
        string="SLA Compliance (%)", compute="_compute_sla_compliance", store=True, aggregator="avg",
        help="100 for a request that met its SLA, 0 for a breached one.",
    )
    sla_met_count = fields.Integer(string="SLA Met", compute="_compute_sla_compliance", store=True)
    sla_breached_count = fields.Integer(string="SLA Breached", compute="_compute_sla_compliance", store=True)

    _sla_watch_deadline_idx = models.Index("(sla_next_deadline) WHERE sla_state IN ('on_track', 'at_risk')")
    _sla_watch_risk_idx = models.Index("(sla_risk_date) WHERE sla_state = 'on_track'")
    _sla_watch_notify_idx = models.Index(
        "(id) WHERE sla_state IN ('at_risk', 'breached') AND sla_notified_state IS DISTINCT FROM sla_state"
    )
    _check_it_fixed_price = models.Constraint(
        "CHECK(it_fixed_price IS NULL OR it_fixed_price >= 0)", "A fixed price cannot be negative.",
    )

    # what the client has left before the technician logs time
    it_package_hours_left = fields.Float(
        string="Package Hours Left", compute="_compute_it_hours_left",
        help="Hours left today on the client's running hour packages that cover this request.",
    )
    it_month_hours_included = fields.Float(
        string="Included This Month", compute="_compute_it_hours_left",
        help="Hours included this month by the client's flat contract.",
    )
    it_month_hours_left = fields.Float(
        string="Included Hours Left", compute="_compute_it_hours_left",
        help="Included hours of the client's flat contract not used yet this month.",
    )
    it_has_entitlement = fields.Boolean(compute="_compute_it_hours_left")

    # ------------------------------------------------------------------ helpers

    def _it_is_closed(self):
        self.ensure_one()
        return self.state in CLOSED_TASK_STATES or bool(self.stage_id.fold)

    def _it_is_waiting(self):
        self.ensure_one()
        return bool(self.stage_id.it_waiting_customer)

    def _it_service_day(self):
        """The day a request is served under: the day it was reported (today for a new one)."""
        self.ensure_one()
        # the day in the user's time zone, as contracts' dates are (a request reported at 23:30 UTC in Warsaw is
        # reported the next day)
        return fields.Date.context_today(self, timestamp=self.it_reported_date or None)

    def _it_client_contracts(self):
        """The contracts of this request's client running on its day, in its company (as the system: a
        technician works the request without reading contracts)."""
        self.ensure_one()
        Contract = self.env["it.contract"].sudo()
        return Contract.search(Contract._it_running_domain(
            self.partner_id, self.company_id, self._it_service_day(),
        )) if self.partner_id else Contract

    def _it_calendar(self):
        self.ensure_one()
        return self.it_contract_id.service_calendar_id or self.company_id.resource_calendar_id

    def _it_company(self):
        self.ensure_one()
        return self.it_contract_id.company_id or self.company_id or self.env.company

    @api.model
    def _it_leave_domain(self, company):
        return [("time_type", "=", "leave"), ("company_id", "in", company.ids)]

    @api.model
    def _it_work_intervals(self, calendar, start, end, company):
        """Working intervals of ``calendar`` between two naive UTC datetimes, public holidays of ``company`` off."""
        return calendar.sudo()._work_intervals_batch(
            pytz.utc.localize(start), pytz.utc.localize(end), domain=self._it_leave_domain(company),
        )[False]

    @api.model
    def _it_in_service_hours(self, calendar, moment, company):
        return bool(self._it_work_intervals(calendar, moment, moment + timedelta(minutes=1), company))

    @api.model
    def _it_plan_work_hours(self, calendar, start, hours_list, company):
        """The moments (naive UTC) at which each amount of working hours of ``hours_list`` is used up, counting
        from ``start`` (naive UTC) on ``calendar`` with ``company``'s public holidays off.

        The working intervals are read once for all the amounts; the calendar's time zone makes the result
        right across daylight-saving changes. An amount that cannot be planned gives False.
        """
        pending = sorted({max(hours, 0.0) for hours in hours_list})
        planned = {}
        used = 0.0
        window_start = start
        for _window in range(PLAN_MAX_WINDOWS):
            if not pending:
                break
            window_end = window_start + PLAN_WINDOW
            for interval_start, interval_stop, _meta in self._it_work_intervals(
                calendar, window_start, window_end, company,
            ):
                length = (interval_stop - interval_start).total_seconds() / 3600
                while pending and pending[0] <= used + length + 1e-9:
                    hours = pending.pop(0)
                    moment = interval_start + timedelta(seconds=round((hours - used) * 3600))
                    planned[hours] = moment.astimezone(pytz.utc).replace(tzinfo=None, microsecond=0)
                used += length
                if not pending:
                    break
            window_start = window_end
        return [planned.get(max(hours, 0.0), False) for hours in hours_list]

    def _it_hold_hours(self, start, end):
        """Service hours between two naive UTC datetimes on the request's calendar (clock hours without one)."""
        self.ensure_one()
        if not start or not end or end <= start:
            return 0.0
        calendar = self._it_calendar()
        if not calendar:
            return (end - start).total_seconds() / 3600
        return sum(
            (stop - begin).total_seconds() / 3600
            for begin, stop, _meta in self._it_work_intervals(calendar, start, end, self._it_company())
        )

    # ------------------------------------------------------------------ compute: contract, site, service

    def _it_is_open_request(self):
        self.ensure_one()
        return self.it_is_service_request and not self.sla_resolution_date

    @api.depends("partner_id", "project_id", "company_id")
    def _compute_it_site_id(self):
        for task in self:
            if not task._it_is_open_request():
                continue
            client = task.partner_id.commercial_partner_id
            if task.it_site_id and task.it_site_id.commercial_partner_id == client:
                if task.partner_id != client and task.partner_id.type != "contact":
                    task.it_site_id = task.partner_id
                continue
            contracts = task._it_client_contracts()
            sites = contracts.site_ids
            if task.partner_id in sites:
                task.it_site_id = task.partner_id
            elif len(sites) == 1 and not any(contracts.mapped("remote_service")):
                task.it_site_id = sites
            else:
                task.it_site_id = False

    @api.depends("partner_id", "project_id", "company_id")
    def _compute_it_service_product_id(self):
        for task in self:
            if not task._it_is_open_request():
                continue
            contracts = task._it_client_contracts()
            services = contracts.service_product_ids
            if task.it_service_product_id and task.it_service_product_id in services:
                continue
            task.it_service_product_id = services if len(services) == 1 else task.it_service_product_id

    @api.depends("partner_id", "it_site_id", "it_service_product_id", "project_id", "company_id", "it_reported_date")
    def _compute_it_contract_id(self):
        for task in self:
            if not task._it_is_open_request():
                continue
            covering = self.env["it.contract"]._it_covering(
                task.partner_id, task.company_id, task.it_site_id, task.it_service_product_id, task._it_service_day(),
            )
            if task.it_contract_id not in covering:
                # several contracts may cover it: the request is served under the one rule 4 draws from first
                task.it_contract_id = covering[:1]

    @api.depends("it_contract_id", "partner_id", "it_site_id", "it_service_product_id", "it_is_service_request")
    def _compute_it_is_adhoc(self):
        for task in self:
            if not task.it_is_service_request or task.it_contract_id:
                task.it_is_adhoc = False
                task.it_adhoc_reason = False
                continue
            task.it_is_adhoc = True
            contracts = task._it_client_contracts()
            problems = [
                contract._it_coverage_problem(task.it_site_id, task.it_service_product_id, task._it_service_day())
                for contract in contracts
            ]
            if not contracts:
                task.it_adhoc_reason = self.env._("The client has no running contract.")
            elif all(problems):
                task.it_adhoc_reason = " ".join(problems)
            else:
                task.it_adhoc_reason = self.env._("Served ad-hoc: no contract was chosen.")

    @api.depends("it_is_adhoc")
    def _compute_it_price_agreement(self):
        for task in self:
            if not task.it_is_adhoc:
                task.it_price_agreement = False
            elif not task.it_price_agreement:
                task.it_price_agreement = "time_materials"

    # ------------------------------------------------------------------ compute: SLA

    @api.depends("it_contract_id", "it_reported_date", "it_is_service_request")
    def _compute_out_of_hours(self):
        for task in self:
            calendar = task._it_calendar()
            task.out_of_hours = bool(
                task.it_is_service_request and calendar and task.it_reported_date
                and not self._it_in_service_hours(calendar, task.it_reported_date, task._it_company())
            )

    def _it_sla_line(self):
        self.ensure_one()
        return self.it_contract_id.sudo().sla_line_ids.filtered(lambda line: line.priority == self.priority)[:1]

    @api.depends("it_contract_id", "priority", "it_reported_date", "sla_paused_hours", "out_of_hours")
    def _compute_sla_deadlines(self):
        for task in self:
            task.update(task._it_sla_plan())

    def _it_sla_plan(self):
        """Deadlines and at-risk moments of the request from its contract's response times for its priority."""
        self.ensure_one()
        result = dict.fromkeys(
            ("sla_response_deadline", "sla_resolution_deadline", "sla_response_risk_date", "sla_resolution_risk_date"),
            False,
        )
        contract = self.it_contract_id.sudo()
        line = self._it_sla_line()
        calendar = contract.service_calendar_id
        if not (self.it_is_service_request and contract and line and calendar and self.it_reported_date):
            return result
        start = self.it_reported_date.replace(microsecond=0)
        share = (contract.company_id.it_sla_risk_share or 75.0) / 100.0
        paused = self.sla_paused_hours
        clock_response = bool(
            self.out_of_hours and contract.contract_type == "monthly_flat" and contract.out_of_hours_response_hours > 0
        )
        budgets = [line.resolution_hours * share + paused, line.resolution_hours + paused]
        if not clock_response:
            budgets += [line.response_hours * share, line.response_hours]
        planned = self._it_plan_work_hours(calendar, start, budgets, contract.company_id)
        if clock_response:
            # a failure outside service hours under a flat contract: the out-of-hours time, in clock hours
            hours = contract.out_of_hours_response_hours
            response_risk = start + timedelta(seconds=round(hours * share * 3600))
            response = start + timedelta(seconds=round(hours * 3600))
        else:
            response_risk, response = planned[2], planned[3]
        resolution_risk, resolution = planned[0], planned[1]
        if resolution and response and resolution < response:
            resolution = response
        result.update(
            sla_response_deadline=response,
            sla_resolution_deadline=resolution,
            sla_response_risk_date=response_risk,
            sla_resolution_risk_date=resolution_risk,
        )
        return result

    @api.model
    def _it_recompute_open_deadlines(self, domain, batch_size=500):
        """The terms behind the deadlines changed (a contract's response times or service calendar, a public
        holiday): plan the deadlines of the open requests in ``domain`` again, batch by batch. Resolved
        requests keep the deadlines they were measured against."""
        fnames = ["out_of_hours", "sla_response_deadline", "sla_resolution_deadline", "sla_response_risk_date",
                  "sla_resolution_risk_date"]
        Task = self.sudo()
        tasks = Task.search(Domain(domain) & Domain([
            ("it_is_service_request", "=", True), ("sla_resolution_date", "=", False),
        ]))
        for ids in split_every(batch_size, tasks.ids):
            batch = Task.browse(ids)
            for fname in fnames:
                self.env.add_to_compute(Task._fields[fname], batch)
            batch.flush_recordset()
            batch._it_sla_refresh_state()
            self.env.flush_all()

    @api.depends(
        "sla_response_deadline", "sla_resolution_deadline", "sla_response_risk_date", "sla_resolution_risk_date",
        "first_response_date", "sla_resolution_date", "sla_paused_since",
    )
    def _compute_sla_next_deadline(self):
        for task in self:
            if task.sla_resolution_date or task.sla_paused_since or not task.sla_resolution_deadline:
                task.sla_next_deadline = task.sla_risk_date = False
            elif not task.first_response_date:
                task.sla_next_deadline = task.sla_response_deadline
                task.sla_risk_date = task.sla_response_risk_date
            else:
                task.sla_next_deadline = task.sla_resolution_deadline
                task.sla_risk_date = task.sla_resolution_risk_date

    @api.depends("sla_state")
    def _compute_sla_compliance(self):
        for task in self:
            task.sla_compliance = 100.0 if task.sla_state == "met" else 0.0
            task.sla_met_count = int(task.sla_state == "met")
            task.sla_breached_count = int(task.sla_state == "breached")

    def _it_sla_target_state(self, now):
        """The SLA state the request should have at ``now`` (the rules the SLA watch applies in SQL)."""
        self.ensure_one()
        if not self.sla_resolution_deadline:
            return False
        first, resolved = self.first_response_date, self.sla_resolution_date
        response_late = (first or resolved or now) > self.sla_response_deadline
        if resolved:
            return "breached" if response_late or resolved > self.sla_resolution_deadline else "met"
        if response_late and not first:
            return "breached"
        if first and first > self.sla_response_deadline:
            return "breached"
        if self.sla_paused_since:
            return self.sla_state if self.sla_state in ("on_track", "at_risk", "breached") else "on_track"
        if now > self.sla_resolution_deadline:
            return "breached"
        if self.sla_risk_date and now >= self.sla_risk_date:
            return "at_risk"
        return "on_track"

    def _it_write_sla(self, vals):
        """Write SLA bookkeeping fields, bypassing the request logic of ``write`` (no transition, no recursion)."""
        return super(ProjectTask, self.sudo()._it_addon_env()).write(vals)

    def _it_sla_refresh_state(self):
        """Bring ``sla_state`` up to date after a change of the request; notifications are left to the watch."""
        now = fields.Datetime.now()
        by_state = defaultdict(list)
        for task in self:
            target = task._it_sla_target_state(now)
            if target != task.sla_state:
                by_state[target].append(task.id)
        for state, ids in by_state.items():
            vals = {"sla_state": state}
            if state in (False, "on_track", "met"):
                vals["sla_notified_state"] = False
            self.browse(ids)._it_write_sla(vals)

    # ------------------------------------------------------------------ constraints

    @api.constrains("it_contract_id", "partner_id", "it_site_id", "it_service_product_id")
    def _check_it_contract_coverage(self):
        for task in self:
            client = task.partner_id.commercial_partner_id
            if task.it_site_id and task.it_site_id.commercial_partner_id != client:
                raise ValidationError(self.env._(
                    "The site %(site)s of request %(task)s is not an address of its client %(client)s.",
                    site=task.it_site_id.display_name, task=task.name, client=client.display_name or "-",
                ))
            contract = task.it_contract_id.sudo()
            if not contract:
                continue
            if contract.partner_id != client:
                raise ValidationError(self.env._(
                    "Contract %(contract)s belongs to %(owner)s, not to the client of request %(task)s.",
                    contract=contract.name, owner=contract.partner_id.display_name, task=task.name,
                ))
            if contract.state != "active" and not task.sla_resolution_date:
                raise ValidationError(self.env._(
                    "Contract %(contract)s is not running: request %(task)s cannot be served under it.",
                    contract=contract.name, task=task.name,
                ))
            problem = contract._it_coverage_problem(task.it_site_id, task.it_service_product_id)
            if problem:
                raise ValidationError(self.env._(
                    "%(problem)s Leave the contract of request %(task)s empty to serve it ad-hoc.",
                    problem=problem, task=task.name,
                ))

    @api.constrains("it_price_agreement", "it_fixed_price", "it_is_adhoc")
    def _check_it_price_agreement(self):
        for task in self.sudo():  # also when a technician, who may not read the price, writes the request
            if task.it_fixed_price < 0:
                raise ValidationError(self.env._("The fixed price of request %s cannot be negative.", task.name))
            if task.it_is_adhoc and task.it_price_agreement == "fixed" and task.it_fixed_price <= 0:
                raise ValidationError(self.env._(
                    "Ad-hoc request %s is quoted at a fixed price: enter the price.", task.name,
                ))

    # ------------------------------------------------------------------ CRUD

    @api.model
    def _it_prepare_request_vals(self, vals):
        """A request created without a project goes to its contract's project, or to the service desk."""
        if vals.get("project_id") or vals.get("parent_id") or self.env.context.get("default_project_id"):
            return
        if not (vals.get("it_contract_id") or self.env.context.get("it_service_request")):
            return
        Contract = self.env["it.contract"]
        contract = Contract.browse(vals.get("it_contract_id"))
        company = self.env["res.company"].browse(vals.get("company_id"))
        if not contract and vals.get("partner_id"):
            partner = self.env["res.partner"].browse(vals["partner_id"])
            site = self.env["res.partner"].browse(vals.get("it_site_id"))
            if not site and partner != partner.commercial_partner_id and partner.type != "contact":
                site = partner
            service = self.env["product.product"].browse(vals.get("it_service_product_id"))
            reported = fields.Datetime.to_datetime(vals.get("it_reported_date"))
            day = fields.Date.context_today(self, timestamp=reported) if reported else None
            # no company given: the contracts of every company the user works in
            contract = Contract._it_covering(partner, company, site, service, day)[:1]
        company = contract.company_id or company or self.env.company
        project = contract.sudo().project_id or company._it_get_service_desk_project()
        vals["project_id"] = project.id
        if contract and not vals.get("it_contract_id"):
            vals["it_contract_id"] = contract.id

    @api.model_create_multi
    def create(self, vals_list):
        self._it_check_price_agreement_change(vals_list)
        for vals in vals_list:
            self._it_prepare_request_vals(vals)
        tasks = super().create(vals_list)
        # the addon's own bookkeeping: a portal collaborator of a shared project may not read these fields
        requests = tasks.sudo().filtered("it_is_service_request")
        if requests:
            requests._it_sla_start()
            requests._it_sla_refresh_state()
        return tasks

    def _it_sla_start(self):
        """A request created straight in a waiting or closed stage starts with its clock stopped."""
        for task in self:
            vals = {}
            if task._it_is_closed():
                vals.update(sla_resolution_date=fields.Datetime.now(),
                            first_response_date=task.first_response_date or fields.Datetime.now())
            elif task._it_is_waiting():
                vals["sla_paused_since"] = task.it_reported_date or fields.Datetime.now()
            if vals:
                task._it_write_sla(vals)

    def _it_protected_message(self, names):
        return self.env._(
            "The SLA record of a service request (%(fields)s) is kept by the service desk rules: it follows the "
            "request's stages, timesheets and messages and cannot be set by hand.",
            fields=", ".join(names),
        )

    def _it_check_price_agreement_change(self, vals_list):
        """What an ad-hoc job costs the client is agreed by an IT services manager, not by the technician."""
        if self.env.su or self._it_is_addon_write():
            return
        if any(vals.get("it_fixed_price") or vals.get("it_price_agreement") == "fixed" for vals in vals_list) and \
                not self.env.user.has_group("it_service_contracts.group_it_manager"):
            raise AccessError(self.env._(
                "Only an IT services manager can quote a fixed price for an ad-hoc job; the technician logs the "
                "time, which is billed at the ad-hoc rate."
            ))

    def _it_check_reported_date_change(self, vals):
        """Once a technician has responded, moving the reported date moves the SLA: a manager's decision."""
        if "it_reported_date" not in vals or self.env.su:
            return
        new = fields.Datetime.to_datetime(vals["it_reported_date"])
        responded = self.sudo().filtered(lambda t: t.first_response_date and t.it_reported_date != new)
        if responded and not self.env.user.has_group("it_service_contracts.group_it_manager"):
            raise AccessError(self.env._(
                "Request %(task)s has already been responded to: only an IT services manager can change the date it "
                "was reported on.", task=responded[0].display_name,
            ))

    def write(self, vals):
        self._it_check_reported_date_change(vals)
        self._it_check_price_agreement_change([vals])
        transition = bool(self._IT_TRANSITION_FIELDS & vals.keys())
        # the addon's own bookkeeping reads its fields as the system: a portal collaborator of a shared project
        # moves a task without the right to read them, and gains no right to write them from this
        tasks = self.sudo()
        before = {task.id: task._it_is_closed() for task in tasks} if transition else {}
        result = super().write(vals)
        if transition:
            tasks._it_sla_on_transition(before, stage_changed="stage_id" in vals)
        if transition or self._IT_SLA_FIELDS & vals.keys():
            tasks.filtered("it_is_service_request")._it_sla_refresh_state()
        if self._IT_COVERAGE_FIELDS & vals.keys():
            self.env["account.analytic.line"].sudo().search([
                ("task_id", "in", self.ids), ("it_invoice_id", "=", False),
            ])._it_classify_again()
        if transition:
            # a completed ad-hoc job is invoiced at once (never before)
            completed = tasks.filtered(lambda t: t.it_is_adhoc and t._it_is_closed() and not before.get(t.id))
            self.env["it.invoicing"]._it_invoice_now(completed)
        return result

    def _it_sla_on_transition(self, before, stage_changed):
        """Record the first response, resolution and reopening, and stop or restart the clock."""
        now = fields.Datetime.now()
        for task in self.filtered("it_is_service_request"):
            was_closed = before.get(task.id, False)
            closed, waiting = task._it_is_closed(), task._it_is_waiting()
            vals = {}
            hold = 0.0
            if (stage_changed or closed) and not task.first_response_date:
                vals["first_response_date"] = now
            if closed and not was_closed:
                vals["sla_resolution_date"] = now
            elif was_closed and not closed and task.sla_resolution_date:
                # reopened: the time it spent closed does not count against the firm
                hold += task._it_hold_hours(task.sla_resolution_date, now)
                vals["sla_resolution_date"] = False
            if waiting and not closed:
                if not task.sla_paused_since:
                    vals["sla_paused_since"] = now
            elif task.sla_paused_since:
                hold += task._it_hold_hours(task.sla_paused_since, now)
                vals["sla_paused_since"] = False
            if hold:
                vals["sla_paused_hours"] = task.sla_paused_hours + hold
            if vals:
                task._it_write_sla(vals)

    def _it_record_first_response(self, moment=None):
        """A technician acted on the requests (timesheet, message): the first time is their first response."""
        moment = moment or fields.Datetime.now()
        pending = self.sudo().filtered(lambda t: t.it_is_service_request and not t.first_response_date)
        if pending:
            pending._it_write_sla({"first_response_date": moment})
            pending._it_sla_refresh_state()

    def _message_post_after_hook(self, message, msg_vals):
        result = super()._message_post_after_hook(message, msg_vals)
        task = self.sudo()  # a portal collaborator may post on a shared task without reading the SLA fields
        if (
            task.it_is_service_request
            and not task.first_response_date
            and message.message_type in ("comment", "email")
            and not message.is_internal
            and message.subtype_id
            and not message.subtype_id.internal
            and any(not user.share for user in message.author_id.sudo().user_ids)
        ):
            self._it_record_first_response(message.date)
        return result

    # ------------------------------------------------------------------ SLA watch

    @api.model
    def _it_sla_watch_query(self, now, limit=None, exclude=(), count=False):
        """The requests whose SLA state must change at ``now``, or whose state change was not notified yet,
        with their new state (or how many there are): one query on the partial indexes of the stored deadlines."""
        self.env["project.task"].flush_model([
            "active", "sla_state", "sla_notified_state", "sla_next_deadline", "sla_risk_date",
        ])
        where = SQL(
            """active AND (
                   (sla_state IN ('on_track', 'at_risk') AND sla_next_deadline < %(now)s)
                OR (sla_state = 'on_track' AND sla_risk_date <= %(now)s)
                OR (sla_state IN ('at_risk', 'breached') AND sla_notified_state IS DISTINCT FROM sla_state))
               AND id != ALL(%(exclude)s)""",
            now=now, exclude=list(exclude),
        )
        if count:
            return self.env.execute_query(SQL("SELECT COUNT(*) FROM project_task WHERE %s", where))[0][0]
        return self.env.execute_query(SQL(
            """SELECT id, CASE WHEN sla_state IN ('on_track', 'at_risk') AND sla_next_deadline < %(now)s
                                    THEN 'breached'
                               WHEN sla_state = 'on_track' AND sla_risk_date <= %(now)s THEN 'at_risk'
                               ELSE sla_state END
                 FROM project_task
                WHERE %(where)s
             ORDER BY id
                LIMIT %(limit)s""",
            now=now, where=where, limit=limit,
        ))

    @api.model
    def _cron_sla_watch(self, batch_size=500):
        """Mark requests at risk or breached, and tell the technician and the service desk lead once per change.

        Batches are committed one by one; records another worker holds are skipped, a request whose
        notification fails is left for the next run, and a crashed run is simply run again: what was committed
        is not redone, what was not is found again by the query.
        """
        targets = {}

        def fetch(limit, exclude):
            rows = self._it_sla_watch_query(fields.Datetime.now(), limit=limit, exclude=exclude)
            targets.update(rows)
            return self.browse(task_id for task_id, _state in rows)

        self.env["it.cron.batch"]._it_run(
            fetch, lambda tasks: tasks._it_sla_watch_apply(targets), batch_size=batch_size,
            responsible=lambda task: task.user_ids[:1], label=self.env._("SLA watch"),
            remaining=lambda exclude: self._it_sla_watch_query(fields.Datetime.now(), exclude=exclude, count=True),
        )

    def _it_sla_watch_apply(self, targets):
        by_state = defaultdict(list)
        for task in self:
            by_state[targets[task.id]].append(task.id)
        for state, ids in by_state.items():
            tasks = self.browse(ids).sudo()
            changed = tasks.filtered(lambda t, s=state: t.sla_state != s)
            if changed:
                changed._it_write_sla({"sla_state": state})
            to_notify = tasks.filtered(lambda t, s=state: t.sla_notified_state != s)
            if to_notify:
                to_notify._it_sla_notify(state)
                to_notify._it_write_sla({"sla_notified_state": state})

    def _it_sla_notify(self, state):
        """An activity for the responsible technician, a note in each request's chatter, and one message to
        the service desk lead listing the batch's requests (the costly mail rendering is done once a batch)."""
        activity_type = self.env.ref("it_service_contracts.mail_activity_type_sla_alert", raise_if_not_found=False)
        today = fields.Date.context_today(self)
        existing = {}
        if activity_type:
            for activity in self.env["mail.activity"].sudo().search([
                ("res_model", "=", self._name), ("res_id", "in", self.ids),
                ("activity_type_id", "=", activity_type.id),
            ]):
                existing.setdefault(activity.res_id, activity)
        summaries, new_activities = {}, []
        by_lead = defaultdict(list)
        for task in self:
            lead = task.company_id.it_service_desk_lead_id
            deadline = task.sla_next_deadline or task.sla_resolution_deadline
            when = format_datetime(self.env, deadline, tz=task._it_calendar().tz or False) if deadline else ""
            if state == "at_risk":
                summary = self.env._("SLA at risk: due %(deadline)s", deadline=when)
            else:
                summary = self.env._("SLA breached (was due %(deadline)s)", deadline=when)
            summaries[task.id] = summary
            user = task.user_ids[:1] or lead or task.project_id.user_id
            if user and activity_type:
                if task.id in existing:
                    existing[task.id].with_context(mail_activity_quick_update=True).write(
                        {"summary": summary, "user_id": user.id, "date_deadline": today},
                    )
                else:
                    new_activities.append({
                        "activity_type_id": activity_type.id, "summary": summary, "user_id": user.id,
                        "date_deadline": today, "res_model_id": self.env["ir.model"]._get_id(self._name),
                        "res_id": task.id, "automated": True,
                    })
            if lead:
                by_lead[lead].append(task)
        if new_activities:
            # the activity shows in the technician's activities; no e-mail per request
            self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(new_activities)
        self._message_log_batch(
            bodies={task_id: Markup("<p>%s</p>") % summary for task_id, summary in summaries.items()},
        )
        self._it_sla_mail_leads(by_lead, state, summaries)

    def _it_sla_mail_leads(self, by_lead, state, summaries):
        """One message per service desk lead listing the batch's requests (template rendered once per lead,
        in the lead's language)."""
        template = self.env.ref("it_service_contracts.mail_template_it_sla_alert")
        for lead, tasks in by_lead.items():
            tasks = self.browse([task.id for task in tasks])
            template_lang = template.with_context(lang=lead.lang or self.env.lang)
            values = {"tasks": tasks, "summaries": summaries, "state": state}
            subject, body = (
                template_lang._render_field(name, tasks[:1].ids, add_context=values)[tasks[:1].id]
                for name in ("subject", "body_html")
            )
            self.env["mail.thread"].sudo().message_notify(
                partner_ids=lead.partner_id.ids, subject=subject, body=body, subtype_xmlid="mail.mt_note",
            )


    # ------------------------------------------------------------------ hours left (timesheets)

    @api.depends("it_contract_id", "it_client_id", "it_site_id", "it_service_product_id")
    @api.depends_context("uid")
    def _compute_it_hours_left(self):
        today = fields.Date.context_today(self)
        requests = self.filtered(lambda t: t._it_timesheet_client())
        clients = self.env["res.partner"].union(*(t._it_timesheet_client() for t in requests))
        Contract = self.env["it.contract"]
        # never the figures of a company the user is not in: the running domain keeps to the user's companies
        contracts = Contract.sudo().search(Contract._it_running_domain(clients, day=today)) if clients else Contract
        terms = {row["id"]: row for row in Contract._it_coverage_terms(contracts)}
        flats = contracts.filtered(lambda c: c.contract_type == "monthly_flat")
        current = {c: (c.current_hours_included, c.current_hours_remaining) for c in flats}
        for task in self:
            task.it_package_hours_left = task.it_month_hours_included = task.it_month_hours_left = 0.0
            task.it_has_entitlement = False
            if task not in requests or task.it_is_adhoc:
                continue
            client = task._it_timesheet_client()
            product, site = task._it_service_and_site()
            covering = contracts.filtered(lambda c, cl=client, p=product, s=site: (
                c.partner_id == cl and not Contract._it_coverage_gap(terms[c.id], s, p, today)))
            packages = covering.filtered(lambda c: c.contract_type == "hour_package")
            task.it_package_hours_left = sum(max(p.hours_remaining, 0.0) for p in packages)
            flat = covering.filtered(lambda c: c.contract_type == "monthly_flat")[:1]
            if flat:
                task.it_month_hours_included, task.it_month_hours_left = current[flat]
            task.it_has_entitlement = bool(packages or flat)

    def _it_timesheet_client(self):
        """The client whose entitlements time on this request draws from; empty for other tasks."""
        self.ensure_one()
        # a request's contract belongs to its client (a constraint): no need to read the contract
        if self.it_contract_id or self.it_is_service_request:
            return self.it_client_id
        return self.env["res.partner"]

    def _it_service_and_site(self):
        self.ensure_one()
        return self.it_service_product_id, self.it_site_id

    def _it_on_site(self):
        self.ensure_one()
        return bool(self.it_site_id)
