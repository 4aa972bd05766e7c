"""The demo's year (``it.demo.history``): the clients' requests, answered, resolved and approved at their moment."""
from datetime import timedelta

from odoo import Command, fields

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



class DemoRequests:
    """The requests of the flat and package clients: drawn when the year is planned, then reported by the
    service desk, answered by the technician's time, resolved, their breaches noticed by the SLA watch, their paid
    work approved by the client."""

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
