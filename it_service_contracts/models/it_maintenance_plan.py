"""Maintenance plans: the regular supervision a fixed contract promises (design rule 11).

A plan repeats every few weeks or months from its first visit. Each visit is a service request created
``lead_days`` ahead, once, on a working day of the contract's service calendar; its nominal date keeps the
series' day (monthly on the 31st: the last day of a shorter month, the 31st again after). The visit itself,
its state and its checks are on the request (``models/project_task_visit.py``, ``it.maintenance.check``).
"""
from collections import defaultdict
from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, format_date

from .it_audit_finding import INTERVAL_TYPES, MAX_INTERVAL

# how many days past its nominal date a visit may move to reach a working day of the service calendar
WORKING_DAY_SEARCH = 31
# the most days of lead and grace: a bound that keeps every date the series computes within the calendar (the
# interval's is the findings' it comes from, MAX_INTERVAL)
MAX_DAYS = 365


class ItMaintenancePlan(models.Model):
    _name = "it.maintenance.plan"
    _description = "IT Maintenance Plan"
    _inherit = ["mail.thread", "mail.activity.mixin", "it.protected.fields.mixin"]
    _order = "next_date, id"
    _check_company_auto = True
    _it_protected_fields = frozenset({"last_visit_date"})

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    contract_id = fields.Many2one(
        "it.contract", string="Contract", required=True, index=True, ondelete="cascade", tracking=True,
        check_company=True, domain="[('state', 'in', ('draft', 'active'))]",
    )
    partner_id = fields.Many2one(related="contract_id.partner_id", string="Client", store=True, index=True)
    company_id = fields.Many2one(related="contract_id.company_id", string="Company", store=True, index=True)
    site_id = fields.Many2one(
        "res.partner", string="Site", index="btree_not_null", tracking=True,
        compute="_compute_site_id", store=True, readonly=False, precompute=True,
        domain="[('id', 'child_of', partner_id)]",
        help="Where the visits take place: one of the contract's places; empty for remote supervision.",
    )
    user_id = fields.Many2one(
        "res.users", string="Technician", tracking=True, domain="[('share', '=', False)]",
        help="Assigned to every visit of the plan.",
    )
    date_start = fields.Date(
        string="First Visit", required=True, default=fields.Date.context_today, tracking=True,
        help="The nominal date of the first visit; the series repeats from it and keeps its day of the month.",
    )
    interval_number = fields.Integer(string="Every", required=True, default=1, tracking=True)
    interval_type = fields.Selection(INTERVAL_TYPES, string="Unit", required=True, default="month", tracking=True)
    next_date = fields.Date(
        string="Next Visit", compute="_compute_next_date", store=True, index=True,
        help="The nominal date of the next visit not created yet (it moves to the next working day).",
    )
    next_request_date = fields.Date(
        string="Next Request On", compute="_compute_next_request_date", store=True, index=True,
        help="The day the request of the next visit is created: its nominal date less the lead days.",
    )
    last_visit_date = fields.Date(
        string="Last Visit Created", readonly=True, copy=False,
        help="The nominal date of the last visit created (kept by the scheduled action).",
    )
    lead_days = fields.Integer(
        string="Lead Days", required=True, default=7, tracking=True,
        help="How many days ahead of a visit its request is created.",
    )
    grace_days = fields.Integer(
        string="Grace Days", required=True, default=3, tracking=True,
        help="A visit not done by its date plus these days is missed.",
    )
    planned_hours = fields.Float(string="Planned Hours", tracking=True, help="The time allocated to each visit.")
    asset_ids = fields.Many2many(
        "it.asset", "it_maintenance_plan_asset_rel", "plan_id", "asset_id", string="Assets",
        check_company=True, domain="[('partner_id', '=', partner_id)]",
    )
    category_ids = fields.Many2many(
        "it.asset.category", "it_maintenance_plan_category_rel", "plan_id", "category_id",
        string="Asset Categories",
        help="Every asset of the client in these categories that is in service on the day a visit is created "
        "is checked at that visit.",
    )
    checklist = fields.Html(string="Checklist", help="What to do at each visit; it is the visit's description.")
    covered_by_fee = fields.Boolean(
        string="Covered by the Monthly Fee", tracking=True,
        help="Time on this plan's visits is paid by the contract's fee: it draws no included hours, no package "
        "hours and no overage.",
    )
    visit_ids = fields.One2many("project.task", "it_maintenance_plan_id", string="Visits", readonly=True)
    visit_count = fields.Integer(compute="_compute_visit_count", string="Visits Created")

    _check_interval = models.Constraint(
        f"CHECK(interval_number >= 1 AND interval_number <= CASE interval_type WHEN 'week' THEN {MAX_INTERVAL['week']} "
        f"ELSE {MAX_INTERVAL['month']} END)",
        f"A maintenance plan repeats every 1 to {MAX_INTERVAL['week']} weeks or every 1 to {MAX_INTERVAL['month']} "
        "months.",
    )
    _check_days = models.Constraint(
        f"CHECK(lead_days BETWEEN 0 AND {MAX_DAYS} AND grace_days BETWEEN 0 AND {MAX_DAYS})",
        f"The lead days and grace days of a maintenance plan are 0 to {MAX_DAYS} days.",
    )
    _check_hours = models.Constraint("CHECK(planned_hours >= 0)", "The planned hours cannot be negative.")

    # ------------------------------------------------------------------ the series

    def _it_nominal(self, index):
        """The nominal date of the visit ``index`` (0: the first) of the series."""
        self.ensure_one()
        unit = "weeks" if self.interval_type == "week" else "months"
        return self.date_start + relativedelta(**{unit: index * self.interval_number})

    def _it_nominal_after(self, day):
        """The first nominal date of the series after ``day`` (the first visit when there is no day)."""
        self.ensure_one()
        if not day or day < self.date_start:
            return self.date_start
        if self.interval_type == "week":
            return self._it_nominal((day - self.date_start).days // (7 * self.interval_number) + 1)
        index = ((day.year - self.date_start.year) * 12 + day.month - self.date_start.month) // self.interval_number
        while self._it_nominal(index) <= day:
            index += 1
        return self._it_nominal(index)

    # the two computes below leave a value out of bounds alone, so that the database's constraint refuses it with
    # its message instead of a date out of range

    @api.depends("date_start", "interval_number", "interval_type", "last_visit_date")
    def _compute_next_date(self):
        for plan in self:
            valid = plan.date_start and 1 <= plan.interval_number <= MAX_INTERVAL.get(plan.interval_type, 0)
            plan.next_date = plan._it_nominal_after(plan.last_visit_date) if valid else plan.date_start

    @api.depends("next_date", "lead_days")
    def _compute_next_request_date(self):
        for plan in self:
            lead_days = plan.lead_days if 0 <= plan.lead_days <= MAX_DAYS else 0
            plan.next_request_date = plan.next_date and plan.next_date - timedelta(days=lead_days)

    @api.depends("contract_id")
    def _compute_site_id(self):
        for plan in self:
            sites = plan.contract_id.site_ids
            if plan.site_id and plan.site_id in sites:
                continue
            plan.site_id = sites if len(sites) == 1 and not plan.contract_id.remote_service else False

    def _compute_visit_count(self):
        counts = dict(self.env["project.task"]._read_group(
            [("it_maintenance_plan_id", "in", self.ids)], ["it_maintenance_plan_id"], ["__count"],
        ))
        for plan in self:
            plan.visit_count = counts.get(plan, 0)

    # ------------------------------------------------------------------ constraints

    @api.constrains("contract_id", "covered_by_fee")
    def _check_contract_not_over(self):
        """A plan goes on, and its visits' coverage by the fee changes on, a contract still to run or running: the
        time of the visits of a contract that has ended is billed as it was (edited late, it is drawn again)."""
        today = fields.Date.context_today(self)
        plannable = self.contract_id.filtered_domain(self.env["it.contract"]._it_plannable_condition(today))
        for plan in self.filtered(lambda p: p.contract_id not in plannable):
            raise ValidationError(self.env._(
                "Maintenance plan %(plan)s cannot go on contract %(contract)s, nor change whether the fee covers its "
                "visits there: the contract has ended, was closed or was cancelled. A plan goes on a draft contract "
                "(prepared before it starts) or a running one.",
                plan=plan.name, contract=plan.contract_id.name,
            ))

    @api.constrains("contract_id", "covered_by_fee")
    def _check_covered_by_a_fee(self):
        """Only a flat contract has a monthly fee to cover visits: on a package, the visits' time is the package's
        hours (or ad-hoc beyond them), never free."""
        for plan in self.filtered(lambda p: p.covered_by_fee and p.contract_id.contract_type != "monthly_flat"):
            raise ValidationError(self.env._(
                "Maintenance plan %(plan)s cannot be covered by the monthly fee: contract %(contract)s has no monthly "
                "fee. Its visits draw the package's hours.",
                plan=plan.name, contract=plan.contract_id.name,
            ))

    @api.constrains("contract_id", "site_id")
    def _check_site_covered(self):
        """A visit is work under the contract: at one of its places, or remote when it covers remote work."""
        for plan in self:
            problem = plan.contract_id.sudo()._it_coverage_problem(plan.site_id, self.env["product.product"])
            if problem:
                raise ValidationError(self.env._(
                    "Maintenance plan %(plan)s: %(problem)s", plan=plan.name, problem=problem,
                ))

    @api.constrains("contract_id", "asset_ids")
    def _check_assets_of_client(self):
        for plan in self:
            foreign = plan.asset_ids.filtered(lambda asset, p=plan: asset.partner_id != p.partner_id)
            if foreign:
                raise ValidationError(self.env._(
                    "Maintenance plan %(plan)s can only check assets of its client %(client)s: %(assets)s.",
                    plan=plan.name, client=plan.partner_id.display_name,
                    assets=", ".join(foreign.mapped("display_name")),
                ))

    # ------------------------------------------------------------------ creating the visits

    @api.model
    def _cron_maintenance(self, batch_size=50):
        """Create the visits that are due (catching up any missed run), then flag late and missed visits."""
        today = fields.Date.context_today(self)
        Batch = self.env["it.cron.batch"]
        Batch._it_run(
            lambda limit, exclude: self.browse(self._it_due_plan_ids(today, limit, exclude)),
            lambda plans: plans._it_create_due_visits(today),
            batch_size=batch_size, label=self.env._("Maintenance visits"),
            responsible=lambda plan: plan.contract_id.user_id,
            remaining=lambda exclude: len(self._it_due_plan_ids(today, None, exclude)),
        )
        Task = self.env["project.task"]
        Batch._it_run(
            lambda limit, exclude: Task.browse(Task._it_visit_ids_to_refresh(today, limit, exclude)),
            lambda visits: visits._it_refresh_visit_state(),
            batch_size=200, label=self.env._("Maintenance visit states"),
            responsible=lambda visit: visit._it_visit_responsible(),
        )

    @api.model
    def _it_due_plan_ids(self, today, limit, exclude_ids):
        """The active plans of contracts running today (``it.contract._it_running_condition()``) whose next
        visit's request is due and falls within the contract."""
        Contract = self.env["it.contract"].sudo()
        self.flush_model(["active", "contract_id", "next_date", "next_request_date"])
        Contract.flush_model(["date_end"])
        rows = self.env.execute_query(SQL(
            """SELECT p.id FROM it_maintenance_plan p JOIN it_contract c ON c.id = p.contract_id
                WHERE p.active AND p.next_request_date <= %(today)s
                  AND (c.date_end IS NULL OR p.next_date <= c.date_end)
                  AND c.id IN %(running)s AND NOT (p.id = ANY(%(exclude)s))
                ORDER BY p.next_request_date, p.id %(limit)s""",
            today=today, running=Contract._search(Contract._it_running_condition(today)).subselect(),
            exclude=list(exclude_ids), limit=SQL("LIMIT %s", limit) if limit else SQL(),
        ))
        return [row[0] for row in rows]

    def _it_due_nominal_dates(self, today):
        """The nominal dates of the visits whose request is due by ``today``, within the contract's end."""
        self.ensure_one()
        end = self.contract_id.date_end
        dates, day = [], self.next_date
        while day and day - timedelta(days=self.lead_days) <= today and (not end or day <= end):
            dates.append(day)
            day = self._it_nominal_after(day)
        return dates

    def _it_calendar(self):
        self.ensure_one()
        return self.contract_id.service_calendar_id or self.company_id.resource_calendar_id

    @api.model
    def _it_working_days(self, calendar, company, first, last):
        """The working days of ``calendar`` from ``first`` to ``last`` with ``company``'s public holidays off:
        ``{day: start of its first working interval, naive UTC}`` (days in the calendar's time zone)."""
        zone = pytz.timezone(calendar.tz or "UTC")
        start, end = (
            zone.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)
            for day in (first, last + timedelta(days=1))
        )
        begins, _ends, _hours = self.env["it.service.calendar"]._it_worked_spans(calendar, company, start, end)
        days = {}
        for begin in begins:
            days.setdefault(pytz.utc.localize(begin).astimezone(zone).date(), begin)
        return days

    @api.model
    def _it_visit_day(self, nominal, working_days):
        """A visit's date and the moment its request is reported: the first working day from the nominal date
        (the nominal date itself when the calendar has no working time then)."""
        for offset in range(WORKING_DAY_SEARCH + 1):
            day = nominal + timedelta(days=offset)
            if day in working_days:
                return day, working_days[day]
        return nominal, datetime.combine(nominal, time.min)

    def _it_create_due_visits(self, today):
        """Create the due visits of these plans, each once (the caller holds the plans' rows; the unique index
        on the requests refuses a second visit of a plan for a nominal date whatever happens)."""
        plans = self.sudo()
        due = {plan: plan._it_due_nominal_dates(today) for plan in plans}
        wanted = {(plan.id, day) for plan, days in due.items() for day in days}
        if not wanted:
            return
        Task = self.env["project.task"].sudo().with_context(active_test=False, mail_create_nolog=True)
        existing = {
            (visit.it_maintenance_plan_id.id, visit.it_visit_nominal_date) for visit in Task.search_fetch(
                [("it_maintenance_plan_id", "in", plans.ids),
                 ("it_visit_nominal_date", "in", sorted({day for _plan, day in wanted}))],
                ["it_maintenance_plan_id", "it_visit_nominal_date"],
            )
        }
        spans = defaultdict(list)
        for plan, days in due.items():
            if days:
                spans[plan._it_calendar(), plan.company_id].extend(days)
        working = {
            key: self._it_working_days(key[0], key[1], min(days), max(days) + timedelta(days=WORKING_DAY_SEARCH))
            for key, days in spans.items() if key[0]
        }
        plans.contract_id.filtered(lambda c: not c.project_id)._ensure_service_project()
        assets = plans._it_assets_to_check()
        vals_list = []
        for plan, days in due.items():
            for day in days:
                if day < plan.contract_id.date_start or (plan.id, day) in existing:
                    continue
                planned, reported = self._it_visit_day(day, working.get((plan._it_calendar(), plan.company_id), {}))
                in_service = assets[plan].filtered_domain(self.env["it.asset"]._it_in_service_domain(planned))
                vals_list.append(plan._it_visit_values(day, planned, reported, in_service))
        Task._it_addon_create(vals_list)
        for last, grouped in plans.filtered(lambda p: due[p]).grouped(lambda p: due[p][-1]).items():
            grouped._it_addon_write({"last_visit_date": last})

    def _it_assets_to_check(self):
        """``{plan: assets}``: the plan's assets and the client's assets of its categories (one search)."""
        by_category = self.env["it.asset"].sudo().search([
            ("partner_id", "in", self.partner_id.ids), ("category_id", "in", self.category_ids.ids),
        ]) if self.category_ids else self.env["it.asset"]
        return {
            plan: plan.asset_ids | by_category.filtered(
                lambda asset, p=plan: asset.partner_id == p.partner_id and asset.category_id in p.category_ids)
            for plan in self
        }

    def _it_visit_values(self, nominal, planned, reported, assets):
        self.ensure_one()
        contract = self.contract_id
        # the request's title is read by the firm: in its company's language, whoever runs the scheduled action
        env = self.with_context(lang=self.company_id.partner_id.lang or self.env.lang).env
        values = {
            "name": env._("%(plan)s: visit of %(date)s", plan=self.name, date=format_date(env, planned)),
            "project_id": contract.project_id.id,
            "partner_id": contract.partner_id.id,
            "company_id": contract.company_id.id,
            "it_contract_id": contract.id,
            "it_maintenance_plan_id": self.id,
            "it_visit_nominal_date": nominal,
            "it_planned_date": planned,
            "it_reported_date": reported,
            "allocated_hours": self.planned_hours,
            "user_ids": [Command.set(self.user_id.ids)],
            "description": self.checklist,
            "it_check_ids": [Command.create({"asset_id": asset.id}) for asset in assets],
        }
        if self.site_id:
            values["it_site_id"] = self.site_id.id
        return values

    # ------------------------------------------------------------------ actions

    @api.readonly
    def action_view_visits(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("it_service_contracts.it_maintenance_visit_action")
        action["domain"] = [("it_maintenance_plan_id", "=", self.id)]
        action["context"] = {}
        return action
