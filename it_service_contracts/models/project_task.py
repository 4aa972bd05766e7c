from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_datetime

from .it_money import MONEY_GROUPS
from .it_sla_clock import SLA_BOOKKEEPING_FIELDS

CLOSED_TASK_STATES = ("1_done", "1_canceled")
# how far ahead of the server's clock a request may be reported (the clocks of the people and tools reporting)
REPORTED_AHEAD_TOLERANCE = timedelta(minutes=5)


class ProjectTask(models.Model):
    """Service requests are project tasks worked under a client's contract, or ad-hoc; their SLA clock, with
    its scheduled watch, is ``it.sla.clock``."""

    _name = "project.task"
    # the clock comes first: its methods then sit between these overrides and project's own, so that its
    # _it_write_sla writes past the request logic below and its _message_post_after_hook is reached
    _inherit = ["it.sla.clock", "project.task", "it.protected.fields.mixin"]

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
    # said in the reader's language (the client reads it in the approval mail), so not stored
    it_adhoc_reason = fields.Char(string="Why Ad-hoc", compute="_compute_it_adhoc_reason")
    it_credit_move_id = fields.Many2one(
        "account.move", string="Service Credit On", readonly=True, copy=False, index="btree_not_null",
        ondelete="set null", groups=MONEY_GROUPS,
        help="The invoice that credits the client for the breached response time of this request.",
    )

    # the day the request is served under, and the start of its SLA clock
    it_reported_date = fields.Datetime(
        string="Reported On", default=fields.Datetime.now, copy=False, tracking=True,
        help="When the client reported the request: the SLA clock starts here.",
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

    def _it_service_day(self):
        """The day a request is served under: the day it was reported (today for a new one)."""
        self.ensure_one()
        # the day in the user's time zone, as contracts' dates are (a request reported at 23:30 UTC in Warsaw is
        # reported the next day)
        return fields.Date.context_today(self, timestamp=self.it_reported_date or None)

    def _it_client_contracts(self):
        """``{request: contracts}``: the contracts of each request's client running on its day, in its company
        (``it.contract._it_running_on()``: one search for the batch)."""
        keys = {task: (task.partner_id, task.company_id, task._it_service_day()) for task in self}
        running = self.env["it.contract"]._it_running_on(keys.values())
        return {task: running.get(key, self.env["it.contract"].sudo()) for task, key in keys.items()}

    # ------------------------------------------------------------------ compute: contract, site, service

    def _it_is_open_request(self):
        self.ensure_one()
        return self.it_is_service_request and not self.sla_resolution_date

    @api.depends("partner_id", "project_id", "company_id")
    def _compute_it_site_id(self):
        client_contracts = self.filtered(lambda task: task._it_is_open_request())._it_client_contracts()
        for task in self:
            if task not in client_contracts:
                continue
            client = task.partner_id.commercial_partner_id
            if task.it_site_id and task.it_site_id.commercial_partner_id == client:
                if task.partner_id != client and task.partner_id.type != "contact":
                    task.it_site_id = task.partner_id
                continue
            contracts = client_contracts[task]
            sites = contracts.site_ids
            if task.partner_id in sites:
                task.it_site_id = task.partner_id
            elif len(sites) == 1 and not any(contracts.mapped("remote_service")):
                task.it_site_id = sites
            else:
                task.it_site_id = False

    @api.depends("partner_id", "project_id", "company_id")
    def _compute_it_service_product_id(self):
        client_contracts = self.filtered(lambda task: task._it_is_open_request())._it_client_contracts()
        for task, contracts in client_contracts.items():
            services = contracts.service_product_ids
            if task.it_service_product_id and task.it_service_product_id in services:
                continue
            task.it_service_product_id = services if len(services) == 1 else task.it_service_product_id

    @api.depends("partner_id", "it_site_id", "it_service_product_id", "project_id", "company_id", "it_reported_date")
    def _compute_it_contract_id(self):
        client_contracts = self.filtered(lambda task: task._it_is_open_request())._it_client_contracts()
        for task, contracts in client_contracts.items():
            covering = self.env["it.contract"]._it_covering(
                task.partner_id, task.company_id, task.it_site_id, task.it_service_product_id, task._it_service_day(),
                running=contracts,
            )
            if task.it_contract_id not in covering:
                # several contracts may cover it: the request is served under the one rule 4 draws from first
                task.it_contract_id = covering[:1]

    @api.depends("it_contract_id", "it_is_service_request")
    def _compute_it_is_adhoc(self):
        for task in self:
            task.it_is_adhoc = task.it_is_service_request and not task.it_contract_id

    @api.depends("it_is_adhoc", "partner_id", "it_site_id", "it_service_product_id")
    @api.depends_context("lang")
    def _compute_it_adhoc_reason(self):
        client_contracts = self.filtered("it_is_adhoc")._it_client_contracts()
        for task in self:
            if not task.it_is_adhoc:
                task.it_adhoc_reason = False
                continue
            contracts = client_contracts[task]
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

    # ------------------------------------------------------------------ constraints

    @api.constrains("it_reported_date", "it_maintenance_plan_id", "project_id")
    def _check_it_reported_date_not_ahead(self):
        """A request is reported when the client reports it: never later than now (a mistyped year would stop
        its SLA clock until then). A maintenance visit is reported at the start of the day it is planned for."""
        latest = fields.Datetime.now() + REPORTED_AHEAD_TOLERANCE
        for task in self:
            if task.it_is_service_request and not task.it_maintenance_plan_id and task.it_reported_date \
                    and task.it_reported_date > latest:
                raise ValidationError(self.env._(
                    "Request %(task)s cannot be reported on %(date)s, which is still to come: the SLA clock starts "
                    "when the client reports a request. Correct the date it was reported on.",
                    task=task.name, date=format_datetime(self.env, task.it_reported_date),
                ))

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

    # ------------------------------------------------------------------ CRUD

    @api.model
    def _it_route_new_requests(self, vals_list):
        """Requests created without a project go to their contract's project, or to the service desk (the
        clients' running contracts are found once for the batch)."""
        if self.env.context.get("default_project_id"):
            return
        routed = [
            vals for vals in vals_list
            if not (vals.get("project_id") or vals.get("parent_id"))
            and (vals.get("it_contract_id") or self.env.context.get("it_service_request"))
        ]
        Contract, Partner, Company = self.env["it.contract"], self.env["res.partner"], self.env["res.company"]
        Partner.browse(vals.get("partner_id") for vals in routed).fetch(["commercial_partner_id", "type"])
        keys = {}  # the routed requests whose contract is to be found: (client, company, day)
        for index, vals in enumerate(routed):
            if not vals.get("it_contract_id") and vals.get("partner_id"):
                reported = fields.Datetime.to_datetime(vals.get("it_reported_date"))
                # no company given: the contracts of every company the user works in
                keys[index] = (Partner.browse(vals["partner_id"]), Company.browse(vals.get("company_id")),
                               fields.Date.context_today(self, timestamp=reported))
        running = Contract._it_running_on(keys.values())
        for index, vals in enumerate(routed):
            contract = Contract.browse(vals.get("it_contract_id"))
            company = Company.browse(vals.get("company_id"))
            if index in keys:
                partner, _company, day = keys[index]
                site = Partner.browse(vals.get("it_site_id"))
                if not site and partner != partner.commercial_partner_id and partner.type != "contact":
                    site = partner
                service = self.env["product.product"].browse(vals.get("it_service_product_id"))
                contract = Contract._it_covering(
                    partner, company, site, service, day, running=running.get(keys[index], Contract.sudo()),
                )[:1]
            company = contract.company_id or company or self.env.company
            project = contract.sudo().project_id or company._it_get_service_desk_project()
            vals["project_id"] = project.id
            if contract and not vals.get("it_contract_id"):
                vals["it_contract_id"] = contract.id

    @api.model_create_multi
    def create(self, vals_list):
        self._it_route_new_requests(vals_list)
        tasks = super().create(vals_list)
        # the addon's own bookkeeping: a portal collaborator of a shared project may not read these fields
        requests = tasks.sudo().filtered("it_is_service_request")
        if requests:
            requests._it_sla_start()
            requests._it_sla_refresh_state()
        return tasks

    def _it_protected_message(self, names):
        return self.env._(
            "The SLA record of a service request (%(fields)s) is kept by the service desk rules: it follows the "
            "request's stages, timesheets and messages and cannot be set by hand.",
            fields=", ".join(names),
        )

    def _it_coverage_key(self):
        """What decides how the time of this request is billed (``_IT_COVERAGE_FIELDS``), to compare."""
        self.ensure_one()
        return tuple(self[name] for name in sorted(self._IT_COVERAGE_FIELDS))

    def write(self, vals):
        if {"priority", "it_reported_date"} & vals.keys() and not self._it_is_addon_write():
            # what the SLA is measured against is tracked in the chatter, whatever the context says
            self = self.with_context(tracking_disable=False, mail_notrack=False)
        transition = bool(self._IT_TRANSITION_FIELDS & vals.keys())
        # the addon's own bookkeeping reads its fields as the system: a portal collaborator of a shared project
        # moves a task without the right to read them, and gains no right to write them from this
        tasks = self.sudo()
        before = {task.id: task._it_is_closed() for task in tasks} if transition else {}
        stages = {task.id: task.stage_id for task in tasks} if "stage_id" in vals else {}
        clients = {task.id: task.it_client_id for task in tasks} if "partner_id" in vals else {}
        coverage = {}
        if self._IT_COVERAGE_FIELDS & vals.keys():
            coverage = {task.id: task._it_coverage_key() for task in tasks}
        result = super().write(vals)
        # a link sent to the former client no longer opens a request that moved to another client
        tasks.filtered(lambda t: t.id in clients and t.it_client_id != clients[t.id]).access_token = False
        if transition:
            tasks._it_sla_on_transition(before, {task.id for task in tasks if task.id in stages
                                                 and task.stage_id != stages[task.id]})
        if transition or self._IT_SLA_FIELDS & vals.keys():
            tasks.filtered("it_is_service_request")._it_sla_refresh_state()
        # the time of a request is billed again only when what decides its billing changed, not when a form or an
        # import sends the same values again
        changed = [task.id for task in tasks if task.id in coverage and task._it_coverage_key() != coverage[task.id]]
        if changed:
            self.env["account.analytic.line"].sudo().search([
                ("task_id", "in", changed), ("it_invoice_id", "=", False),
            ])._it_classify_again()
        if transition:
            # a completed ad-hoc job, or the ad-hoc time of a completed request, is invoiced at once (never before)
            completed = tasks.filtered(
                lambda t: t.it_is_service_request and t._it_is_closed() and not before.get(t.id))
            self.env["it.invoicing"]._it_invoice_now(completed)
        return result

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
