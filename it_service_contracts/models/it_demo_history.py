"""The demo company's past year, for the demo data only (``demo/it_history_demo.xml``): the addon never calls it."""
import bisect
import heapq
import itertools
import random
from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import SUPERUSER_ID, Command, api, fields, models

# a fixed seed: every install makes the same year, ending on the day it is installed
SEED = 2020
MONTHS = 12

# what the clients ask for, by service (the demo firm is Polish, so is its demo)
TITLES = {
    "product_workstation_support": (
        "Komputer nie uruchamia się po aktualizacji", "Drukarka sieciowa nie drukuje", "Outlook nie pobiera poczty",
        "Nowy pracownik: konto i stanowisko pracy", "Bardzo wolne działanie komputera", "Monitor nie wykrywa sygnału",
        "Skaner dokumentów nie zapisuje plików", "Zablokowane konto użytkownika", "Brak dźwięku w słuchawkach",
        "Instalacja programu na stanowisku",
    ),
    "product_server_admin": (
        "Brak dostępu do udziału sieciowego", "Aktualizacje systemu na serwerze", "Pełny dysk serwera aplikacji",
        "Błędy w dzienniku zdarzeń serwera", "Uprawnienia do folderu działu", "Restart usługi bazy WMS",
    ),
    "product_network_admin": (
        "Brak internetu w części biura", "Wi-Fi rozłącza się w sali konferencyjnej", "VPN nie łączy się z domu",
        "Nowa reguła na firewallu", "Wolne łącze po południu", "Port przełącznika nie działa",
    ),
    "product_backup": (
        "Kopia nocna zakończona błędem", "Odtworzenie usuniętego pliku", "Brak miejsca na kopie zapasowe",
        "Odtworzenie poprzedniej wersji dokumentu", "Kopia bazy danych nie wykonała się",
    ),
}
WORK = {False: "Zdalna diagnoza i rozwiązanie problemu", True: "Wizyta u klienta: diagnoza i naprawa"}

# per client: how many requests a month, who reports them remotely, its sites, its services (with weights),
# the hours of remote and on-site work, the hours of a bigger job and how often one comes, and whether the client
# calls outside the service hours
CLIENTS = {
    "flat": {
        "count": (8, 12), "contact": "partner_flat_contact",
        "sites": ("partner_flat_site_office", "partner_flat_site_warehouse"),
        "services": (("product_workstation_support", 45), ("product_server_admin", 20),
                     ("product_network_admin", 20), ("product_backup", 15)),
        "remote": (0.5, 0.75, 1.0, 1.0, 1.5, 2.0), "onsite": (1.5, 2.0, 2.5, 3.0, 4.0), "big": ((5.0, 6.0, 8.0), 0.08),
        "evening": 0.12,
    },
    "package": {
        "count": (8, 10), "contact": "partner_package_contact",
        "sites": ("partner_package_site_center", "partner_package_site_east"),
        "services": (("product_workstation_support", 60), ("product_network_admin", 20), ("product_backup", 20)),
        "remote": (0.25, 0.5, 0.5, 0.75, 1.0, 1.5), "onsite": (1.0, 1.0, 1.5, 2.0, 3.0), "big": ((4.0, 5.0), 0.05),
        "evening": 0.0,
    },
}
PRIORITIES = (("0", 40), ("1", 35), ("2", 18), ("3", 7))
BREACH_SHARE = 0.06
# how long the flat client's office manager takes to approve paid work in the portal
APPROVAL_MINUTES = 45

# the hour packages of the clinic before its current one: the first, then its renewal with fewer hours (and the
# first one's unused hours carried in), used up before its end: the current package of the demo followed
FIRST_PACKAGE_HOURS = 90
RENEWAL_HOURS = 45

# maintenance: the visits that were missed (plan, index in its series), the critical finding (plan, index, serial)
MISSED_VISITS = {("maintenance_plan_flat_servers", 4), ("maintenance_plan_flat_network", 2)}
CRITICAL_CHECK = ("maintenance_plan_flat_servers", 7, "HPE-00092")
ATTENTION_NOTES = (
    "Dysk systemowy zajęty w 85%: do porządków", "Zaległe aktualizacje systemu: zainstalowane przy następnej wizycie",
    "Ostrzeżenie S.M.A.R.T. na jednym z dysków: obserwować", "Bateria kontrolera RAID słabnie",
)
OLD_SERVER_NOTE = "Serwer po okresie wsparcia producenta: migracja zaplanowana w audycie"
CRITICAL_NOTE = "Awaria dysku w macierzy RAID 5: macierz zdegradowana, dysk do wymiany."

# the flat client's monitoring: (months ago, working day of the month, local hour and minute, the alert, minutes to
# its recovery, minutes to a repeated notice, hours a technician worked on it: None for a request closed by recovery)
ALERTS = (
    (11, 3, 10, 12, {"id": "zbx-10231", "severity": "high", "serial": "HPE-00092",
                     "summary": "Zadanie kopii zapasowej zakończone błędem"}, 190, None, 1.5),
    (9, 8, 14, 40, {"id": "zbx-11877", "severity": "warning", "serial": "WMS-00093",
                    "summary": "Dysk D: zajęty w 92%"}, 55, None, None),
    (7, 12, 21, 10, {"id": "zbx-12950", "severity": "critical", "serial": "WMS-00093",
                     "summary": "Serwer WMS nie odpowiada na ping"}, 75, None, 1.25),
    (5, 5, 11, 5, {"id": "zbx-14102", "severity": "warning", "host": "ups-magazyn",
                   "summary": "UPS w magazynie pracuje na baterii"}, 25, None, None),
    (3, 15, 9, 30, {"id": "zbx-15321", "severity": "warning", "serial": "HPE-00092",
                    "summary": "Wysokie obciążenie procesora"}, 40, 15, None),
    (1, 6, 13, 20, {"id": "zbx-16044", "severity": "info", "host": "fw-biuro",
                    "summary": "Certyfikat VPN wygasa za 14 dni"}, 180, None, 0.5),
)


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
        year.plan()
        # what the demo loaded so far is written as of today, not as of the frozen past
        self.env.cr.flush()
        with freeze_time(year.start) as clock:
            year.run(clock)


class _DemoYear:
    """One run of the generator: the timeline of the year, and what happens at each of its moments."""

    def __init__(self, env):
        def ref(xmlid):
            return env.ref(f"it_service_contracts.{xmlid}")

        self.ref = ref
        self.company = ref("demo_company")
        self.calendar = ref("demo_company_calendar")
        self.zone = pytz.timezone(self.calendar.tz)
        context = {
            # a module's data being loaded: what Odoo does not do then (e.g. render PDF documents) is not done
            "install_mode": True, "allowed_company_ids": self.company.ids, "tz": self.calendar.tz,
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
        start = pytz.utc.localize(self.start)
        end = pytz.utc.localize(self.now + timedelta(days=60))
        intervals = self.calendar._work_intervals_batch(
            start, end, domain=self.env["project.task"]._it_leave_domain(self.company), tz=self.zone,
        )[False]
        self.intervals = [
            tuple(moment.astimezone(pytz.utc).replace(tzinfo=None) for moment in (begin, stop))
            for begin, stop, _meta in intervals
        ]
        self.interval_ends = [stop for _begin, stop in self.intervals]

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

    def _plan_packages(self):
        """The clinic's packages: its first one a year ago, its renewal, the current package's invoice."""
        first = self.months[0]
        self.at(self._utc(first - timedelta(days=5), 10), self._sell_first_package, first)
        # the current package of the demo started two months ago: its invoice was posted then
        self.at(self._utc(self.package.date_start, 6, 10), self._post, self.package.sudo().invoice_ids)

    def _plan_request(self, client, days):
        """A request of the client on one of the month's working days (``days``), and how it will be worked."""
        spec = CLIENTS[client]
        rng = self.rng
        draw = {
            "day": rng.random(), "minutes": rng.randrange(0, 435), "evening": rng.random() < spec["evening"],
            "evening_minutes": rng.randrange(60, 330), "evening_priority": rng.choice("23"),
            "priority": rng.choices([p for p, _w in PRIORITIES], [w for _p, w in PRIORITIES])[0],
            "service": rng.choices([s for s, _w in spec["services"]], [w for _s, w in spec["services"]])[0],
            "title": rng.random(), "onsite": rng.random() < 0.4, "site": rng.random(),
            "hours": rng.random(), "big": rng.random() < spec["big"][1],
            "breach": rng.random(), "response": rng.uniform(0.1, 0.8), "resolution": rng.uniform(0.2, 0.9),
            "late": rng.uniform(1.2, 2.0), "gap": rng.randrange(20, 60),
        }
        day, opening = days[int(draw["day"] * len(days))]
        onsite = draw["onsite"] and bool(spec["sites"])
        if draw["evening"]:
            reported = self._utc(day, 16) + timedelta(minutes=draw["evening_minutes"])
            priority = draw["evening_priority"]
        else:
            reported = opening + timedelta(minutes=draw["minutes"])
            priority = draw["priority"]
        titles = TITLES[draw["service"]]
        hours_list = spec["big"][0] if draw["big"] else spec["onsite" if onsite else "remote"]
        partner = self.ref(spec["sites"][int(draw["site"] * len(spec["sites"]))] if onsite else spec["contact"])
        breach = None
        if draw["breach"] < BREACH_SHARE:
            breach = "response" if draw["breach"] < BREACH_SHARE / 2 else "resolution"
        vals = {
            "name": titles[int(draw["title"] * len(titles))],
            "partner_id": partner.id,
            "company_id": self.company.id,
            "it_service_product_id": self.ref(draw["service"]).id,
            "priority": priority,
            "it_reported_date": reported,
            "user_ids": [Command.set(self.tech.user.ids)],
        }
        work = {
            "hours": hours_list[int(draw["hours"] * len(hours_list))], "name": WORK[onsite], "breach": breach,
            "response": draw["late"] if breach == "response" else draw["response"],
            "resolution": draw["late"] if breach == "resolution" else draw["resolution"],
            "gap": draw["gap"],
        }
        self.at(reported, self._report, vals, work)

    def _plan_visits(self):
        """What each visit of the plans will be: missed, or done with the results of its checks."""
        rng = self.rng
        for xmlid in ("maintenance_plan_flat_servers", "maintenance_plan_flat_network", "maintenance_plan_package"):
            plan = self.ref(xmlid)
            index = 0
            while (nominal := plan._it_nominal(index)) <= self.today + timedelta(days=plan.lead_days):
                results = {}
                for serial in ("HPE-00091", "HPE-00092", "WMS-00093", "SRV-00030"):
                    draw, note = rng.random(), rng.choice(ATTENTION_NOTES)
                    if (xmlid, index, serial) == CRITICAL_CHECK:
                        results[serial] = ("critical", CRITICAL_NOTE)
                    elif serial == "HPE-00091":
                        results[serial] = ("attention", OLD_SERVER_NOTE) if draw < 0.5 else ("ok", False)
                    else:
                        results[serial] = ("attention", note) if draw < 0.15 else ("ok", False)
                # the nightly scheduled action creates the visit ``lead_days`` ahead (on the other nights it finds
                # nothing to do for these plans)
                self.at(self._utc(nominal - timedelta(days=plan.lead_days), 1), self._night)
                self.visit_plans[plan.id, nominal] = {
                    "missed": (xmlid, index) in MISSED_VISITS, "results": results,
                    "start": rng.uniform(1.0, 3.0), "hours": plan.planned_hours + rng.choice((-0.5, 0.0, 0.0, 0.5)),
                }
                index += 1

    def _plan_alerts(self):
        """The flat client's monitoring: each alert, its repeated notice and its recovery."""
        source = self.ref("alert_source_flat")
        for months_ago, day_index, hour, minute, alert, recovery, repeat, worked in ALERTS:
            month = self.months[MONTHS - months_ago]
            days = self._working_days(month)
            moment = self._utc(days[day_index % len(days)][0], hour, minute)
            problem = dict(alert, status="problem",
                           detail=f"{alert['summary']} ({alert.get('serial') or alert['host']})")
            self.at(moment, self._alert, source, problem, worked)
            if repeat:
                self.at(moment + timedelta(minutes=repeat), self._alert, source, problem, None)
            self.at(moment + timedelta(minutes=recovery), self._alert, source,
                    {"id": alert["id"], "status": "resolved"}, None)

    # ------------------------------------------------------------------ requests

    def _report(self, vals, work):
        """The service desk records a request; the technician will answer and resolve it as planned."""
        task = self.desk["project.task"].with_context(it_service_request=True).create(vals)
        self._plan_work(task, work)
        self._ask_client(task)

    def _plan_work(self, task, work):
        """The moments of the first response and the resolution: a share of the contract's response times for the
        request's priority (of the out-of-hours response time, in clock hours, for a failure reported out of hours
        under the flat contract), more than them for a request whose SLA is to be breached."""
        reported = task.it_reported_date
        line = task._it_sla_line()
        contract = task.it_contract_id
        if task.out_of_hours and contract.contract_type == "monthly_flat" and contract.out_of_hours_response_hours:
            responded = reported + timedelta(hours=work["response"] * contract.out_of_hours_response_hours)
        else:
            responded = self._working_hours_later(reported, work["response"] * line.response_hours)
        resolved = max(self._working_hours_later(reported, work["resolution"] * line.resolution_hours),
                       responded + timedelta(minutes=work["gap"]))
        self.at(responded, self._respond, task, work["hours"], work["name"])
        self.at(resolved, self._resolve, task)
        if work["breach"]:
            deadline = task.sla_response_deadline if work["breach"] == "response" else task.sla_resolution_deadline
            # the SLA watch runs every few minutes: it finds the breach just after the deadline
            self.at(deadline + timedelta(minutes=5), self._watch, task)

    def _respond(self, task, hours, name):
        """The technician logs time: the first response of the request."""
        self.tech["account.analytic.line"].create({
            "task_id": task.id, "name": name, "unit_amount": hours, "employee_id": self.employee.id,
            "date": self._local_day(fields.Datetime.now()),
        })
        self._ask_client(task)

    def _resolve(self, task):
        task = task.with_env(self.tech)
        task.write({"stage_id": self.stage_done.id})
        # the technician closes the SLA alert of a breached request with it
        task.sudo().activity_ids.filtered(lambda a: a.activity_type_id == self.sla_activity).with_env(
            self.tech).action_done()

    def _watch(self, task):
        task.with_env(self.system)._it_sla_watch_apply(fields.Datetime.now())

    def _ask_client(self, task):
        """Paid work waits for the client's approval: the flat client's office manager gives it in the portal."""
        task = task.with_env(self.system)
        if task.it_approval_state == "pending" and task.id not in self.approving:
            self.approving.add(task.id)
            self.at(fields.Datetime.now() + timedelta(minutes=APPROVAL_MINUTES), self._approve, task)

    def _approve(self, task):
        contact = self.ref("user_flat_client")
        task.with_user(contact).sudo()._it_decide_approval("approved", contact.partner_id, "Zgoda.")

    # ------------------------------------------------------------------ contracts and invoices

    def _post(self, moves):
        moves.filtered(lambda move: move.state == "draft").with_env(self.desk).action_post()

    def _invoice_month(self, month):
        """The monthly invoicing run of the flat contract, on its invoicing day; the accountant posts it."""
        self._post(self.env["it.invoicing"]._it_invoice(self.flat, month))

    def _sell_first_package(self, first):
        """The clinic's first package, agreed a few days before it starts; its renewal two weeks before its end."""
        terms = self.package
        package = self.desk["it.contract"].create({
            "partner_id": terms.partner_id.id, "company_id": self.company.id, "user_id": self.desk.uid,
            "contract_type": "hour_package", "audit_id": terms.audit_id.id, "date_start": first,
            "validity_months": 6, "hours_total": FIRST_PACKAGE_HOURS, "hourly_rate": terms.sudo().hourly_rate,
            "service_product_ids": [Command.set(terms.service_product_ids.ids)],
            "site_ids": [Command.set(terms.site_ids.ids)], "service_calendar_id": self.calendar.id,
            "billing_increment": terms.billing_increment, "onsite_minimum_hours": terms.onsite_minimum_hours,
            "rollover_allowed": True, "rollover_cap_hours": terms.rollover_cap_hours,
            "sla_line_ids": [Command.create({
                "priority": line.priority, "response_hours": line.response_hours,
                "resolution_hours": line.resolution_hours,
            }) for line in terms.sla_line_ids],
        })
        package.action_confirm()
        self.at(self._utc(first, 0, 30), self._start_package, package)
        self.at(self._utc(package.date_end - timedelta(days=14), 11), self._renew, package)

    def _start_package(self, package):
        """The contracts' scheduled action starts it on its first day and invoices it up front."""
        package.action_activate()
        self._post(package.sudo().invoice_ids)

    def _renew(self, package):
        action = package.action_renew()
        renewal = self.desk["it.contract"].browse(action["res_id"])
        renewal.hours_total = RENEWAL_HOURS
        renewal.action_confirm()
        expiry = self._utc(package.date_end + timedelta(days=1), 0, 20)
        self.at(expiry, self._expire, package)
        self.at(expiry + timedelta(minutes=10), self._start_package, renewal)
        self.at(self._utc(renewal.date_end + timedelta(days=1), 0, 20), self._expire, renewal)

    def _expire(self, package):
        """The scheduled action expires the package; its warnings were dealt with by the renewal."""
        package._expire()
        package.activity_ids.action_done()

    # ------------------------------------------------------------------ maintenance

    def _night(self):
        """The maintenance scheduled action of the night: the visits due, then late and missed visits."""
        day = self._local_day(fields.Datetime.now())
        Plan = self.system["it.maintenance.plan"]
        Task = self.system["project.task"]
        plans = Plan.browse(Plan._it_due_plan_ids(day, None, ()))
        if plans:
            before = Task.search([("it_maintenance_plan_id", "in", plans.ids)])
            plans._it_create_due_visits(day)
            for visit in Task.search([("it_maintenance_plan_id", "in", plans.ids), ("id", "not in", before.ids)]):
                self._plan_visit(visit)
        Task.browse(Task._it_visit_ids_to_refresh(day, None, ()))._it_refresh_visit_state()

    def _plan_visit(self, visit):
        """A visit just created: missed (the nights that find it late, then missed), or done. A planned visit
        runs no response time: no SLA watch."""
        spec = self.visit_plans[visit.it_maintenance_plan_id.id, visit.it_visit_nominal_date]
        if spec["missed"]:
            # the nights the scheduled action finds it late, then missed
            for days in (1, visit.it_maintenance_plan_id.grace_days + 1):
                self.at(self._utc(visit.it_planned_date + timedelta(days=days), 1), self._night)
            return
        started = self._working_hours_later(visit.it_reported_date, spec["start"])
        self.at(started, self._respond, visit, spec["hours"], visit.it_maintenance_plan_id.name)
        self.at(started + timedelta(hours=spec["hours"]), self._check, visit, spec["results"])

    def _check(self, visit, results):
        """The technician fills in the checks and closes the visit; a critical finding opens its follow-up."""
        for (result, note), checks in visit.with_env(self.tech).it_check_ids.grouped(
                lambda check: results[check.asset_id.serial]).items():
            checks.write({"result": result, "note": note})
        self._resolve(visit)
        for followup in visit.sudo().it_followup_ids:
            self._plan_work(followup, {
                "hours": 3.0, "name": "Wymiana dysku w macierzy, odbudowa RAID", "breach": None,
                "response": 0.3, "resolution": 0.5, "gap": 30,
            })

    # ------------------------------------------------------------------ monitoring

    def _alert(self, source, payload, worked):
        """The monitoring posts to the source's URL: received as the controller receives it."""
        env = self.system(context=dict(self.system.context, lang=self.company.partner_id.lang or "en_US"))
        alert, opened = env["it.alert"]._it_receive(source.with_env(env), payload)
        if opened and worked:
            self._plan_work(alert.task_id, {
                "hours": worked, "name": "Analiza alertu monitoringu i usunięcie przyczyny", "breach": None,
                "response": 0.15, "resolution": 0.3, "gap": 240,
            })
