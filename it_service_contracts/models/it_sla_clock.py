from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import split_every

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


class ItSlaClock(models.AbstractModel):
    """The SLA clock of a service request (design rule 5), mixed into ``project.task``.

    The deadlines are planned on the contract's service calendar from the reported time; the clock stops
    while the request waits for the client or is closed, and the time on hold moves the resolution deadline.
    ``_it_sla_target_state`` is the one rule of the SLA state: the state refresh after a change and the SLA
    watch decide with it, and the service credits with its response test, ``_it_response_breached``.
    """

    _name = "it.sla.clock"
    _description = "SLA Clock of a Service Request"

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

    # ------------------------------------------------------------------ service calendar

    def _it_calendar(self):
        self.ensure_one()
        return self.it_contract_id.service_calendar_id or self.company_id.resource_calendar_id

    def _it_company(self):
        self.ensure_one()
        return self.it_contract_id.company_id or self.company_id or self.env.company

    def _it_hold_hours(self, start, end):
        """Service hours between two naive UTC datetimes on the request's calendar (clock hours without one)."""
        self.ensure_one()
        if not start or not end or end <= start:
            return 0.0
        calendar = self._it_calendar()
        if not calendar:
            return (end - start).total_seconds() / 3600
        return self.env["it.service.calendar"]._it_work_hours(calendar, start, end, self._it_company())

    # ------------------------------------------------------------------ deadlines

    @api.depends("it_contract_id", "it_reported_date", "it_is_service_request")
    def _compute_out_of_hours(self):
        by_calendar = defaultdict(list)
        for task in self:
            calendar = task._it_calendar()
            if task.it_is_service_request and calendar and task.it_reported_date:
                by_calendar[calendar, task._it_company()].append(task)
            else:
                task.out_of_hours = False
        for (calendar, company), tasks in by_calendar.items():
            inside = self.env["it.service.calendar"]._it_in_service_hours(
                calendar, company, [task.it_reported_date for task in tasks],
            )
            for task in tasks:
                task.out_of_hours = task.it_reported_date not in inside

    def _it_sla_runs(self):
        """Whether the contract's response times run for this request: for a request reported to the firm."""
        self.ensure_one()
        return self.it_is_service_request

    def _it_sla_line(self):
        self.ensure_one()
        return self.it_contract_id.sudo().sla_line_ids.filtered(lambda line: line.priority == self.priority)[:1]

    @api.depends("it_contract_id", "priority", "it_reported_date", "sla_paused_hours", "out_of_hours")
    def _compute_sla_deadlines(self):
        """A deadline met or breached is history: a resolved request keeps its deadlines, and once the firm has
        responded the response deadline stays as it was measured."""
        tasks = self.filtered(lambda task: not (task.sla_resolution_date and task.sla_resolution_deadline))
        for task, plan in tasks._it_sla_plan().items():
            if task.first_response_date and task.sla_response_deadline:
                del plan["sla_response_deadline"], plan["sla_response_risk_date"]
            task.update(plan)

    def _it_sla_plan(self):
        """``{request: plan}``: the deadlines and at-risk moments of each request from its contract's response
        times for its priority (the service calendars' working time worked out once for the batch)."""
        bases = {}  # request: (calendar and company, start, moments known, working hours to plan by field)
        demands = defaultdict(set)  # (calendar, company): {(start, working hours)}
        for task in self:
            contract = task.it_contract_id.sudo()
            line = task._it_sla_line()
            calendar = contract.service_calendar_id
            if not (task._it_sla_runs() and contract and line and calendar and task.it_reported_date):
                continue
            start = task.it_reported_date.replace(microsecond=0)
            share = (contract.company_id.it_sla_risk_share or 75.0) / 100.0
            known, working = {}, {
                "sla_resolution_risk_date": line.resolution_hours * share + task.sla_paused_hours,
                "sla_resolution_deadline": line.resolution_hours + task.sla_paused_hours,
            }
            if task.out_of_hours and contract.contract_type == "monthly_flat" \
                    and contract.out_of_hours_response_hours > 0:
                # a failure outside service hours under a flat contract: the out-of-hours time, in clock hours
                hours = contract.out_of_hours_response_hours
                known["sla_response_risk_date"] = start + timedelta(seconds=round(hours * share * 3600))
                known["sla_response_deadline"] = start + timedelta(seconds=round(hours * 3600))
            else:
                working["sla_response_risk_date"] = line.response_hours * share
                working["sla_response_deadline"] = line.response_hours
            key = (calendar, contract.company_id)
            bases[task] = key, start, known, working
            demands[key].update((start, hours) for hours in working.values())
        moments = {
            key: self.env["it.service.calendar"]._it_plan_hours_batch(key[0], key[1], wanted)
            for key, wanted in demands.items()
        }
        plans = {}
        for task in self:
            plan = plans[task] = dict.fromkeys(
                ("sla_response_deadline", "sla_resolution_deadline", "sla_response_risk_date",
                 "sla_resolution_risk_date"),
                False,
            )
            if task in bases:
                key, start, known, working = bases[task]
                plan.update(known, **{name: moments[key][start, hours] for name, hours in working.items()})
                response, resolution = plan["sla_response_deadline"], plan["sla_resolution_deadline"]
                if response and resolution and resolution < response:
                    plan["sla_resolution_deadline"] = response
        return plans

    @api.model
    def _it_recompute_open_deadlines(self, domain, batch_size=500):
        """The terms behind the deadlines changed (a contract's response times or service calendar, a public
        holiday): plan the deadlines of the open requests in ``domain`` again, batch by batch. Resolved
        requests keep the deadlines they were measured against, and so do breached ones: a breach (and the
        client's service credit) is not planned away by later terms (rule 10)."""
        fnames = ["out_of_hours", "sla_response_deadline", "sla_resolution_deadline", "sla_response_risk_date",
                  "sla_resolution_risk_date"]
        Task = self.sudo()
        tasks = Task.search(Domain(domain) & Domain([
            ("it_is_service_request", "=", True), ("sla_resolution_date", "=", False),
            ("sla_state", "!=", "breached"),
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

    # ------------------------------------------------------------------ the SLA state

    def _it_response_breached(self, now):
        """Whether the response time is missed at ``now``: first response (or resolution) after the response
        deadline, or none yet with the deadline passed."""
        self.ensure_one()
        return (self.first_response_date or self.sla_resolution_date or now) > self.sla_response_deadline

    def _it_sla_alert_deadline(self, state, now):
        """The deadline an alert of ``state`` names: for a breach, the one the request missed (the response
        deadline when the first response came or is late, else the resolution deadline), even once its clock is
        stopped; for a risk, the one coming."""
        self.ensure_one()
        if state == "breached" and self.sla_response_deadline and self._it_response_breached(now):
            return self.sla_response_deadline
        if state == "breached":
            return self.sla_resolution_deadline
        return self.sla_next_deadline or self.sla_resolution_deadline

    def _it_sla_target_state(self, now):
        """The SLA state the request should have at ``now``: the one rule of the SLA state."""
        self.ensure_one()
        if not self.sla_resolution_deadline:
            return False
        response_late = self._it_response_breached(now)
        resolved = self.sla_resolution_date
        if resolved:
            return "breached" if response_late or resolved > self.sla_resolution_deadline else "met"
        if response_late:
            return "breached"
        if self.sla_paused_since:
            return self.sla_state if self.sla_state in ("on_track", "at_risk", "breached") else "on_track"
        if now > self.sla_resolution_deadline:
            return "breached"
        if self.sla_risk_date and now >= self.sla_risk_date:
            return "at_risk"
        return "on_track"

    def _it_write_sla(self, vals):
        """Write SLA bookkeeping fields, bypassing the request logic of ``write`` (no transition, no recursion).

        ``project.task`` lists ``it.sla.clock`` first in its ``_inherit``, so ``super()`` here is Odoo's own
        ``write`` of tasks, after the addon's overrides."""
        return super(ItSlaClock, self.sudo()._it_addon_env()).write(vals)

    def _it_sla_state_vals(self, now):
        """``{request id: values}`` for the requests whose ``sla_state`` is not the one of ``now``: the new
        state, and no state notified for a state that is not notified."""
        changes = {}
        for task in self:
            target = task._it_sla_target_state(now)
            if target != task.sla_state:
                vals = changes[task.id] = {"sla_state": target}
                if target in (False, "on_track", "met"):
                    vals["sla_notified_state"] = False
        return changes

    def _it_write_sla_grouped(self, vals_by_id):
        """Write ``{request id: values}`` with one write per distinct set of values."""
        groups = defaultdict(list)
        for task_id, vals in vals_by_id.items():
            groups[tuple(sorted(vals.items()))].append(task_id)
        for vals, ids in groups.items():
            self.browse(ids)._it_write_sla(dict(vals))

    def _it_sla_refresh_state(self, now=None):
        """Bring ``sla_state`` up to date after a change of the request; notifications are left to the watch."""
        self._it_write_sla_grouped(self._it_sla_state_vals(now or fields.Datetime.now()))

    # ------------------------------------------------------------------ the clock's events

    def _it_is_waiting(self):
        self.ensure_one()
        return bool(self.stage_id.it_waiting_customer)

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

    def _it_sla_on_transition(self, before, moved):
        """Record the first response, resolution and reopening, and stop or restart the clock.

        :param before: ``{request id: closed before}``
        :param moved: ids of the requests whose stage changed (saving the same stage again is no response)
        """
        now = fields.Datetime.now()
        for task in self.filtered("it_is_service_request"):
            was_closed = before.get(task.id, False)
            closed, waiting = task._it_is_closed(), task._it_is_waiting()
            vals = {}
            hold = 0.0
            if (task.id in moved or closed) and not task.first_response_date:
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
            # the firm's support staff answering the client, not any internal user
            and any(user.has_group("it_service_contracts.group_it_technician")
                    for user in message.author_id.sudo().user_ids)
        ):
            self._it_record_first_response(message.date)
        return result
