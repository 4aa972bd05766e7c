import json

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import ItServiceCommon


class AlertCommon(HttpCase, ItServiceCommon):
    """A flat contract of the client with response times for urgent and high requests, a server of the client in
    its inventory, a monitoring source of the client, and the technician and IT manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["it.contract"])
        cls.flat = cls._active_contract(
            "monthly_flat", date_start=cls.today, sla_line_ids=[
                (0, 0, {"priority": "3", "response_hours": 1.0, "resolution_hours": 4.0}),
                (0, 0, {"priority": "2", "response_hours": 2.0, "resolution_hours": 8.0}),
            ],
        )
        cls.server = cls.env["it.asset"].create({
            "partner_id": cls.client.id, "site_id": cls.site_a.id, "company_id": cls.company.id,
            "category_id": cls.workstation_category.id, "name": "srv-dc01", "serial": "SRV-0001",
        })
        cls.source = cls.env["it.alert.source"].create({
            "name": "Zabbix of Client Ltd", "partner_id": cls.client.id, "company_id": cls.company.id,
        })
        group = "it_service_contracts.group_it_technician"
        cls.technician = new_test_user(
            cls.env, "alert_tech", groups=group, company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )
        cls.manager = new_test_user(
            cls.env, "alert_manager", groups="it_service_contracts.group_it_manager",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )

    def post(self, payload=None, token=None, data=None, headers=None):
        body = data if data is not None else json.dumps(payload)
        response = self.url_open(
            f"/it/alerts/{token or self.source.token}", data=body,
            headers={"Content-Type": "application/json"} if headers is None else headers,
        )
        self.env.invalidate_all()  # the request wrote in the same transaction, through another environment
        return response

    @staticmethod
    def problem(alert_id="ev-1", **values):
        return {
            "id": alert_id, "status": "problem", "severity": "critical", "serial": "SRV-0001",
            "summary": "Disk C: is full", "detail": "Free space: 0.2 %\nSince 10:02", **values,
        }

    def alert_requests(self):
        # the requests of this company's sources: the demo's monitoring has its own
        return self.env["project.task"].search([
            ("it_alert_source_id", "!=", False), ("company_id", "=", self.company.id),
        ])

    def alerts(self):
        return self.env["it.alert"].search([("company_id", "=", self.company.id)])

    def notes(self, task):
        return task.message_ids.filtered(lambda m: m.message_type == "notification").mapped("body")


@tagged("post_install", "-at_install")
class TestAlerts(AlertCommon):
    """Monitoring alerts open, note and close service requests through the webhook (issue 20, part 6)."""

    def test_problem_opens_one_request_with_sla(self):
        response = self.post(self.problem())
        self.assertEqual(response.status_code, 201, response.text)
        task = self.env["project.task"].browse(response.json()["request_id"])
        self.assertEqual(self.alert_requests(), task, "one request is opened")
        self.assertEqual(task.partner_id, self.client)
        self.assertEqual(task.it_asset_id, self.server)
        self.assertEqual(task.it_site_id, self.site_a, "the asset's site")
        self.assertEqual(task.company_id, self.company)
        self.assertEqual(task.it_contract_id, self.flat, "routed to the client's running contract")
        self.assertEqual(task.project_id, self.flat.project_id)
        self.assertFalse(task.it_is_adhoc)
        self.assertEqual(task.priority, "3", "a critical alert is urgent")
        self.assertEqual(task.name, "Disk C: is full")
        self.assertIn("Free space: 0.2 %", task.description)
        # the SLA clock runs on the urgent response times
        self.assertTrue(task.sla_response_deadline and task.sla_resolution_deadline)
        plan = task._it_sla_plan()[task]
        self.assertEqual(task.sla_response_deadline, plan["sla_response_deadline"])
        self.assertEqual(task.sla_state, "on_track")
        self.assertFalse(task.first_response_date, "an alert is no response of the firm")
        # the firm's service desk owns it: reported by the source, nobody assigned, no portal user behind it
        self.assertEqual(task.it_alert_source_id, self.source)
        self.assertFalse(task.user_ids)
        self.assertFalse(task.create_uid.share)
        self.assertFalse(task.it_needs_triage)
        alert = task.it_alert_ids
        self.assertEqual((alert.external_id, alert.status, alert.severity, alert.asset_id, alert.partner_id),
                         ("ev-1", "problem", "critical", self.server, self.client))
        self.assertTrue(any("Opened by monitoring source" in body for body in self.notes(task)))

    def test_severity_gives_priority(self):
        for alert_id, severity, priority in (("a", "high", "2"), ("b", "warning", "1"), ("c", "info", "0")):
            response = self.post(self.problem(alert_id, severity=severity))
            self.assertEqual(response.status_code, 201, response.text)
            self.assertEqual(self.env["project.task"].browse(response.json()["request_id"]).priority, priority)

    def test_host_matches_serial_then_name(self):
        response = self.post(self.problem("by-name", serial=None, host="SRV-DC01"))
        self.assertEqual(self.env["project.task"].browse(response.json()["request_id"]).it_asset_id, self.server)
        response = self.post(self.problem("by-serial", serial=None, host="srv-0001"))
        self.assertEqual(self.env["project.task"].browse(response.json()["request_id"]).it_asset_id, self.server)
        # a pattern is no wildcard
        for alert_id, host in (("like-1", "srv%"), ("like-2", "srv_dc01")):
            response = self.post(self.problem(alert_id, serial=None, host=host))
            task = self.env["project.task"].browse(response.json()["request_id"])
            self.assertFalse(task.it_asset_id, host)
            self.assertTrue(task.it_needs_triage)

    def test_repeat_opens_nothing_and_is_noted(self):
        first = self.post(self.problem())
        again = self.post(self.problem(severity="high", summary="Disk C: still full"))
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(again.json()["request_id"], first.json()["request_id"])
        task = self.alert_requests()
        self.assertEqual(len(task), 1, "nothing new is opened")
        self.assertEqual(task.it_alert_ids.notice_count, 2)
        self.assertTrue(any("again" in body and "Disk C: still full" in body for body in self.notes(task)))
        self.assertEqual(task.priority, "3")

    def test_recovery_closes_request_without_time(self):
        task = self.env["project.task"].browse(self.post(self.problem()).json()["request_id"])
        response = self.post({"id": "ev-1", "status": "resolved"})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["request_id"], task.id)
        self.assertEqual(task.state, "1_done")
        self.assertTrue(task.stage_id.fold, "moved to the closed stage")
        self.assertTrue(task.sla_resolution_date, "the SLA records the resolution")
        self.assertEqual(task.sla_state, "met")
        self.assertEqual(task.it_alert_ids.status, "resolved")
        self.assertTrue(task.it_alert_ids.resolved_date)
        self.assertTrue(any("it is closed" in body for body in self.notes(task)))
        # the problem is back after its recovery: the same request is reopened, nothing new opened
        response = self.post(self.problem())
        self.assertEqual((response.status_code, response.json()["request_id"]), (200, task.id))
        self.assertNotIn(task.state, ("1_done", "1_canceled"))
        self.assertFalse(task.stage_id.fold)
        self.assertFalse(task.sla_resolution_date)
        self.assertEqual(self.alert_requests(), task)

    def test_recovery_only_notes_request_with_time(self):
        task = self.env["project.task"].browse(self.post(self.problem()).json()["request_id"])
        employee = self.env["hr.employee"].create({"name": "Tech", "company_id": self.company.id})
        self.env["account.analytic.line"].create({
            "name": "Freed disk space", "task_id": task.id, "project_id": task.project_id.id,
            "employee_id": employee.id, "unit_amount": 0.5,
        })
        response = self.post({"id": "ev-1", "status": "resolved", "severity": "critical"})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertNotIn(task.state, ("1_done", "1_canceled"), "a technician closes a request with time on it")
        self.assertFalse(task.sla_resolution_date)
        self.assertTrue(any("resolved" in body and "stays open" in body for body in self.notes(task)))

    def test_problem_back_after_its_request_was_worked_and_closed_opens_a_new_one(self):
        task = self.env["project.task"].browse(self.post(self.problem(severity="high")).json()["request_id"])
        employee = self.env["hr.employee"].create({"name": "Tech", "company_id": self.company.id})
        self.env["account.analytic.line"].create({
            "name": "Freed disk space", "task_id": task.id, "project_id": task.project_id.id,
            "employee_id": employee.id, "unit_amount": 0.5,
        })
        task.with_user(self.technician).state = "1_done"
        resolved, sla = task.sla_resolution_date, task.sla_state
        self.assertTrue(resolved)
        self.post({"id": "ev-1", "status": "resolved"})
        self.env.cr.execute("UPDATE it_alert SET received_date = received_date - interval '3 hours' WHERE id = %s",
                            [self.alerts().id])
        response = self.post(self.problem(severity="critical", summary="Disk C: is full again"))
        self.assertEqual(response.status_code, 201, response.text)
        new = self.env["project.task"].browse(response.json()["request_id"])
        self.assertEqual((new.name, new.priority), ("Disk C: is full again", "3"), "the problem as it is back")
        self.assertNotEqual(new, task)
        self.assertEqual(self.alert_requests(), task | new)
        self.assertRecordValues(task, [{"state": "1_done", "sla_resolution_date": resolved, "sla_state": sla}])
        self.assertTrue(any("was opened for it" in body and f"#{new.id}" in body for body in self.notes(task)))
        self.assertGreater(new.it_reported_date, self.alerts().received_date, "its clock starts with the new notice")
        self.assertEqual(new.sla_state, "on_track")
        self.assertEqual(self.alerts().task_id, new)
        self.assertEqual(task.it_alert_source_id, self.source, "the closed request stays reported by monitoring")
        # later notices go to the new request
        self.post(self.problem(severity="high"))
        self.assertEqual(self.alert_requests(), task | new)

    def test_recovery_of_unknown_alert_opens_nothing(self):
        response = self.post({"id": "never-seen", "status": "resolved"})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertIsNone(response.json()["request_id"])
        self.assertFalse(self.alert_requests())
        # the problem delivered late is known to be over: it opens nothing either
        response = self.post(self.problem("never-seen"))
        self.assertEqual((response.status_code, response.json()["request_id"]), (200, None))
        self.assertFalse(self.alert_requests())

    def test_unknown_asset_opens_request_to_triage(self):
        response = self.post(self.problem(serial="NOT-IN-INVENTORY", host="printer-7"))
        self.assertEqual(response.status_code, 201, response.text)
        task = self.env["project.task"].browse(response.json()["request_id"])
        self.assertEqual(task.partner_id, self.client, "the source's client")
        self.assertFalse(task.it_asset_id)
        self.assertTrue(task.it_needs_triage)
        self.assertIn(task, self.env["project.task"].search([("it_needs_triage", "=", True)]))
        self.assertTrue(any("NOT-IN-INVENTORY" in body for body in self.notes(task)))
        # the technician finds the asset: the flag clears itself
        task.with_user(self.technician).it_asset_id = self.server
        self.assertFalse(task.it_needs_triage)

    @mute_logger("odoo.http")
    def test_unknown_asset_without_client_is_refused(self):
        source = self.env["it.alert.source"].create({"name": "Firm-wide Zabbix", "company_id": self.company.id})
        response = self.post(self.problem(serial="NOT-IN-INVENTORY"), token=source.token)
        self.assertEqual(response.status_code, 422, response.text)
        self.assertIn("no client", response.json()["error"])
        self.assertFalse(source.alert_ids)
        self.assertFalse(self.alert_requests())
        # a source without client matches the assets of every client of its company
        other = self.env["it.asset"].create({
            "partner_id": self.other_client.id, "company_id": self.company.id,
            "category_id": self.workstation_category.id, "name": "nas-01", "serial": "NAS-1",
        })
        response = self.post(self.problem("nas", serial="NAS-1"), token=source.token)
        task = self.env["project.task"].browse(response.json()["request_id"])
        self.assertEqual((task.it_asset_id, task.partner_id), (other, self.other_client))
        # the same serial at two clients: which client it is cannot be told
        self.env["it.asset"].create({
            "partner_id": self.client.id, "company_id": self.company.id,
            "category_id": self.workstation_category.id, "name": "nas-02", "serial": "NAS-1",
        })
        response = self.post(self.problem("nas-2", serial="NAS-1"), token=source.token)
        self.assertEqual(response.status_code, 422, response.text)

    def test_source_of_a_client_never_matches_another_clients_asset(self):
        self.env["it.asset"].create({
            "partner_id": self.other_client.id, "company_id": self.company.id,
            "category_id": self.workstation_category.id, "name": "other-srv", "serial": "OTHER-1",
        })
        task = self.env["project.task"].browse(self.post(self.problem(serial="OTHER-1")).json()["request_id"])
        self.assertEqual(task.partner_id, self.client)
        self.assertFalse(task.it_asset_id)
        self.assertTrue(task.it_needs_triage)

    @mute_logger("odoo.http")
    def test_wrong_or_inactive_token_is_not_found(self):
        inactive = self.env["it.alert.source"].create({
            "name": "Old Checkmk", "partner_id": self.client.id, "company_id": self.company.id, "active": False,
        })
        for token in ("x" * 32, inactive.token, "short", "ż" * 30, self.source.token + "x"):
            with self.subTest(token=token):
                response = self.post(self.problem(), token=token)
                self.assertEqual(response.status_code, 404, response.text)
                self.assertIn("error", response.json())
        self.assertFalse(self.alerts())
        self.assertFalse(self.alert_requests())

    @mute_logger("odoo.http")
    def test_bad_bodies_get_a_message(self):
        bad = {
            "not json": (None, "{'id': 1,", None),
            "not utf-8": (None, b"\xff\xfe{}", None),
            "deep nesting": (None, "[" * 20000 + "]" * 20000, None),
            "not an object": (["id", "ev"], None, None),
            "id of a wrong type": (self.problem(alert_id=12), None, None),
            "summary of a wrong type": (self.problem(summary=["a"]), None, None),
            "unknown severity": (self.problem(severity="disaster"), None, None),
            "unknown status": (self.problem(status="flapping"), None, None),
            "missing id": ({k: v for k, v in self.problem().items() if k != "id"}, None, None),
            "missing serial and host": (self.problem(serial=None), None, None),
            "missing summary": (self.problem(summary=" "), None, None),
            "NUL byte": (self.problem(summary="disk\x00full"), None, None),
            "too long id": (self.problem(alert_id="x" * 300), None, None),
            "oversized": (self.problem(detail="x" * (65 * 1024)), None, None),
            "form instead of JSON": (
                None, "id=1&status=problem", {"Content-Type": "application/x-www-form-urlencoded"}),
        }
        for what, (payload, data, headers) in bad.items():
            with self.subTest(what):
                response = self.post(payload, data=data, headers=headers)
                self.assertTrue(400 <= response.status_code < 500, f"{what}: {response.status_code} {response.text}")
                self.assertTrue(response.json()["error"], what)
        self.assertFalse(self.alerts(), "nothing is saved")
        self.assertFalse(self.alert_requests())
        self.assertEqual(self.post(data="{", headers={"Content-Type": "application/json"}).status_code, 400)
        self.assertEqual(self.post(self.problem(detail="x" * (65 * 1024))).status_code, 413)

    # ------------------------------------------------------------------ roles

    def test_technician_reads_the_source_without_its_token(self):
        source = self.source.with_user(self.technician)
        self.assertEqual(source.read(["name"])[0]["name"], "Zabbix of Client Ltd")
        for fname in ("token", "url"):
            with self.subTest(fname), self.assertRaises(AccessError):
                source.read([fname])
        # nor guesses it through a search, not even a prefix at a time
        for operator, value in (("=", self.source.token), ("=like", self.source.token[:1] + "%")):
            with self.subTest(operator), self.assertRaises(AccessError):
                source.search([("token", operator, value)])
        with self.assertRaises(AccessError):
            source.name = "Renamed"
        with self.assertRaises(AccessError):
            self.env["it.alert.source"].with_user(self.technician).create({"name": "Mine"})
        with self.assertRaises(AccessError):
            source.action_regenerate_token()
        self.env["it.alert"].with_user(self.technician).search([])  # the alerts are the service desk's to read

    @mute_logger("odoo.http")
    def test_manager_regenerates_the_token(self):
        old = self.source.token
        source = self.source.with_user(self.manager)
        self.assertIn(f"/it/alerts/{old}", source.url)
        source.action_regenerate_token()
        self.assertNotEqual(source.token, old)
        self.assertGreaterEqual(len(source.token), 20)
        self.assertEqual(self.post(self.problem(), token=old).status_code, 404, "the old URL stops working")
        self.assertEqual(self.post(self.problem(), token=source.token).status_code, 201)
        # the token is the addon's: never chosen by hand, not even by the manager
        with self.assertRaises(UserError):
            source.write({"token": "a-token-I-chose-myself-123"})
        with self.assertRaises(UserError):
            self.env["it.alert.source"].with_user(self.manager).create({"name": "Mine", "token": "x" * 30})
        copy = source.copy()
        self.assertNotEqual(copy.token, source.token)

    def test_other_company_source_is_not_visible(self):
        company_b = self.env["res.company"].create({"name": "Other MSP"})
        source_b = self.env["it.alert.source"].with_company(company_b).create({
            "name": "Kuma of Other MSP", "partner_id": self.other_client.id, "company_id": company_b.id,
        })
        manager = self.source.with_user(self.manager).env["it.alert.source"]
        self.assertNotIn(source_b, manager.search([]))
        with self.assertRaises(AccessError):
            source_b.with_user(self.manager).read(["name"])
        # its alerts stay in its company too
        self.assertEqual(self.post(self.problem(serial="X-1"), token=source_b.token).status_code, 201)
        self.assertEqual(self.env["project.task"].search([("it_alert_source_id", "=", source_b.id)]).company_id,
                         company_b)
        self.assertFalse(self.env["it.alert"].with_user(self.manager).search([("source_id", "=", source_b.id)]))
