"""The demo's year (``it.demo.history``): regular supervision, the maintenance visits with their checks and the
monitoring alerts, at their moment."""
from datetime import timedelta

from odoo import fields

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


class DemoSupervision:
    """The maintenance plans' visits (done with their checks, or missed) and the flat client's monitoring alerts."""

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
            month = self.months[len(self.months) - months_ago]
            days = self._working_days(month)
            moment = self._utc(days[day_index % len(days)][0], hour, minute)
            problem = dict(alert, status="problem",
                           detail=f"{alert['summary']} ({alert.get('serial') or alert['host']})")
            self.at(moment, self._alert, source, problem, worked)
            if repeat:
                self.at(moment + timedelta(minutes=repeat), self._alert, source, problem, None)
            self.at(moment + timedelta(minutes=recovery), self._alert, source,
                    {"id": alert["id"], "status": "resolved"}, None)

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

    def _alert(self, source, payload, worked):
        """The monitoring posts to the source's URL: received as the controller receives it."""
        env = self.system(context=dict(self.system.context, lang=self.company.partner_id.lang or "en_US"))
        alert, opened = env["it.alert"]._it_receive(source.with_env(env), payload)
        if opened and worked:
            self._plan_work(alert.task_id, {
                "hours": worked, "name": "Analiza alertu monitoringu i usunięcie przyczyny", "breach": None,
                "response": 0.15, "resolution": 0.3, "gap": 240,
            })
