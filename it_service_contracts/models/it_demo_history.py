"""The demo company's past year, for the demo data only (``demo/it_history_demo.xml``): the addon never calls it."""
import bisect
import heapq
import itertools
import random
from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import SUPERUSER_ID, api, fields, models
from odoo.tools.misc import get_lang

from .it_demo_history_billing import DemoBilling
from .it_demo_history_requests import CLIENTS, DemoRequests
from .it_demo_history_supervision import DemoSupervision

# a fixed seed: every install makes the same year, ending on the day it is installed
SEED = 2020
MONTHS = 12


class ItDemoHistory(models.AbstractModel):
    """Serves the demo data only: the demo company's last twelve months, so that its reports show a year.

    The year is made the way it would have happened, through the addon's own business methods: the flat and
    package clients' requests are reported, answered by the technician's time (which the addon classifies) and
    resolved; the flat months and the packages are invoiced by the invoicing and the invoices posted; the
    maintenance plans create their visits, whose checks are filled in; monitoring alerts come in and recover. The
    SLA clock, the classification, the approvals and the warnings record each event at the moment it happens
    ("now"), and the addon offers no way to record a first response or a resolution in the past (nor should it:
    the SLA record is the addon's alone). So each moment of the year is run with the clock set to it by freezegun,
    as the SLA tests do, and ends as a committed transaction would (``cr.flush()``: the precommit work, such as a
    package's warnings, is done then).

    freezegun sets the clock of the whole process for the seconds the year takes: it is meant for installing the
    demo (``--with-demo``), not for a server that serves users at the same time. The year is made without the
    chatter's tracking, as an import is, to load in seconds. Dates are relative to the day of the install and the
    random choices are seeded: every install makes the same choices, on the calendar of its own year.
    """

    _name = "it.demo.history"
    _description = "Demo History"

    @api.model
    def _it_generate(self):
        # freezegun is a requirement of Odoo's tests, not of the addon: only the demo needs it
        from freezegun import freeze_time

        year = _DemoYear(self.env)
        # the year's messages are rendered in the firm's language and stored so: the addon's own terms in it
        # (mail templates, activity types) are loaded now, where Odoo would load them after the demo data
        lang = year.system.lang
        if lang and lang != "en_US":
            self.env["ir.module.module"]._load_module_terms(["it_service_contracts"], [lang])
        year.plan()
        # what the demo loaded so far is written as of today, not as of the frozen past
        self.env.cr.flush()
        with freeze_time(year.start) as clock:
            year.run(clock)


class _DemoYear(DemoRequests, DemoBilling, DemoSupervision):
    """One run of the generator: the timeline of the year (here) and what happens at each of its moments (the
    requests, the contracts and invoices, the supervision: one story each, in their own files)."""

    def __init__(self, env):
        def ref(xmlid):
            return env.ref(f"it_service_contracts.{xmlid}")

        self.ref = ref
        self.company = ref("demo_company")
        self.calendar = ref("demo_company_calendar")
        self.zone = pytz.timezone(self.calendar.tz)
        context = {
            # the firm's year happens in its own language and time zone (the admin's English is only the admin's)
            "allowed_company_ids": self.company.ids, "tz": self.calendar.tz,
            "lang": get_lang(env, self.company.partner_id.lang).code,
            # a year of records in seconds: without the chatter's tracking and creation notes, as an import does
            "tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True,
            "mail_auto_subscribe_no_notify": True,
        }
        self.env = env
        # the service desk lead, who is also the account manager and posts the invoices
        self.desk = env(user=env.ref("base.user_admin"), context=context)
        self.tech = env(user=ref("user_technician"), context=context)
        self.system = env(user=SUPERUSER_ID, su=True, context=context)
        self.employee = ref("employee_technician")
        self.stage_done = ref("project_stage_service_done")
        self.sla_activity = ref("mail_activity_type_sla_alert")
        self.flat = ref("contract_flat")
        self.package = ref("contract_package")
        self.now = fields.Datetime.now()
        self.today = self._local_day(self.now)
        self.months = [self.today.replace(day=1) - relativedelta(months=MONTHS - index) for index in range(MONTHS)]
        self.start = datetime.combine(self.months[0] - relativedelta(days=7), time(6))
        self.rng = random.Random(SEED)
        self.queue = []
        self.counter = itertools.count()
        self.visit_plans = {}
        self.approving = set()

    # ------------------------------------------------------------------ time

    def _utc(self, day, hour, minute=0):
        """The naive UTC moment of a local time of the service calendar's zone."""
        return self.zone.localize(datetime.combine(day, time(hour, minute))).astimezone(pytz.utc).replace(tzinfo=None)

    def _local_day(self, moment):
        return pytz.utc.localize(moment).astimezone(self.zone).date()

    def _load_working_time(self):
        """The working intervals of the service calendar over the year, public holidays off, in naive UTC: read
        once, for choosing when the firm works (the deadlines are the SLA clock's own)."""
        begins, self.interval_ends, _hours = self.env["it.service.calendar"]._it_worked_spans(
            self.calendar, self.company, self.start, self.now + timedelta(days=60),
        )
        self.intervals = list(zip(begins, self.interval_ends, strict=True))

    def _working_hours_later(self, moment, hours):
        """The moment ``hours`` of working time after ``moment``."""
        left = timedelta(hours=hours)
        for begin, stop in self.intervals[bisect.bisect_right(self.interval_ends, moment):]:
            begin = max(begin, moment)
            if begin + left <= stop:
                return begin + left
            left -= stop - begin
        return moment + left

    def _working_days(self, month):
        """``[(day, start of its working time)]`` of the month's working days."""
        last = month + relativedelta(months=1)
        days = {}
        for begin, _stop in self.intervals:
            day = self._local_day(begin)
            if month <= day < last:
                days.setdefault(day, begin)
        return sorted(days.items())

    def at(self, moment, action, *args):
        """Schedule ``action(*args)`` at ``moment``; what would happen after the install is not done."""
        if moment < self.now:
            heapq.heappush(self.queue, (moment, next(self.counter), action, args))

    def run(self, clock):
        """Each moment in turn, the clock set to it; each ends as the transaction of its user would."""
        while self.queue:
            moment, _order, action, args = heapq.heappop(self.queue)
            clock.move_to(moment)
            action(*args)
            self.env.cr.flush()

    # ------------------------------------------------------------------ the plan of the year

    def plan(self):
        """Draw every random choice up front, in a fixed order, and schedule the year's first events."""
        Leave = self.env["resource.calendar.leaves"]
        for year in range(self.months[0].year, self.today.year + 1):
            Leave._it_fill_public_holidays(self.company, year)
        self._load_working_time()
        self._plan_packages()
        for month in self.months:
            days = self._working_days(month)
            self.at(self._utc(month, 6), self._invoice_month, month)
            for client in ("flat", "package"):
                for _index in range(self.rng.randint(*CLIENTS[client]["count"])):
                    self._plan_request(client, days)
        self._plan_visits()
        self._plan_alerts()
