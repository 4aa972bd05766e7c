import threading
import time
from unittest.mock import patch

import requests

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.orm.registry import DummyRLock
from odoo.tests import HOST, HttpCase, tagged
from odoo.tools import mute_logger

from .committed_common import CONTEXT, CommittedCase


@tagged("post_install", "-at_install")
class TestAlertConcurrency(CommittedCase):
    """A monitoring system posts the same alert twice at the same moment, served by two workers (two database
    transactions): one request is opened, the other notice is noted on it.

    The posts go over real HTTP to the running server, each in its own transaction. This test commits; it removes
    what it created afterwards.
    """

    def setUp(self):
        super().setUp()
        # the test runner holds the registry lock while tests run: let the server's threads use the registry
        patcher = patch.object(Registry, "_lock", DummyRLock())
        patcher.start()
        self.addCleanup(patcher.stop)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            company = env.ref("base.main_company")
            client = env["res.partner"].create({"name": "Concurrent Alerts Client", "is_company": True})
            asset = env["it.asset"].create({
                "partner_id": client.id, "company_id": company.id, "name": "concurrent-srv",
                "serial": "CONC-1", "category_id": env.ref("it_service_contracts.asset_category_workstation").id,
            })
            source = env["it.alert.source"].create({
                "name": "Concurrent Zabbix", "partner_id": client.id, "company_id": company.id,
            })
            self.ids = {"client": client.id, "asset": asset.id, "source": source.id}
            self.url = f"http://{HOST}:{HttpCase.http_port()}/it/alerts/{source.token}"
        self.addCleanup(self._remove_committed_data)

    def _remove_committed_data(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            ids = self.ids
            steps = [
                lambda: env["project.task"].search([("it_alert_source_id", "=", ids["source"])]).unlink(),
                lambda: env["it.alert.source"].browse(ids["source"]).unlink(),
                lambda: env["it.asset"].browse(ids["asset"]).unlink(),
                lambda: env["res.partner"].browse(ids["client"]).unlink(),
            ]
            self._remove_each(cr, steps)

    def _post(self, results, name):
        payload = {"id": "zbx-77", "status": "problem", "severity": "high", "serial": "CONC-1",
                   "summary": f"Service down ({name})"}
        try:
            response = requests.post(self.url, json=payload, timeout=120)
            results[name] = (response.status_code, response.json())
        except Exception as error:  # the assertions look at it
            results[name] = error

    def _waiting_for_lock(self):
        with self.registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                       "WHERE NOT l.granted AND a.datname = current_database()")
            return cr.fetchone()[0] > 0

    @mute_logger("odoo.sql_db", "odoo.service.model")  # the second worker's unique violation, then its replay
    def test_same_alert_posted_twice_at_once_opens_one_request(self):
        Task = self.registry["project.task"]
        open_request = Task._it_open_alert_request
        hold = {"reached": threading.Event(), "release": threading.Event()}

        def held_open_request(task_model, alert):
            # the first worker has inserted the alert, not committed yet: keep it there while the second one posts
            if not hold["reached"].is_set():
                hold["reached"].set()
                hold["release"].wait(60)
            return open_request(task_model, alert)

        results = {}
        with patch.object(Task, "_it_open_alert_request", held_open_request):
            first = threading.Thread(target=self._post, args=(results, "A"))
            first.start()
            self.assertTrue(hold["reached"].wait(60), "the first post did not reach the alert")
            second = threading.Thread(target=self._post, args=(results, "B"))
            second.start()
            deadline = time.monotonic() + 60
            while not self._waiting_for_lock() and time.monotonic() < deadline and second.is_alive():
                time.sleep(0.1)
            waited = self._waiting_for_lock()
            hold["release"].set()
            first.join(120)
            second.join(120)

        for name in ("A", "B"):
            self.assertIsInstance(results.get(name), tuple, f"post {name}: {results.get(name)}")
        self.assertTrue(waited, "the second post should have waited for the first one's alert")
        self.assertEqual(results["A"][0], 201, results["A"])
        self.assertEqual(results["B"][0], 200, results["B"])
        request_id = results["A"][1]["request_id"]
        self.assertEqual(results["B"][1]["request_id"], request_id, "the second notice names the same request")
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            source = env["it.alert.source"].browse(self.ids["source"])
            tasks = env["project.task"].search([("it_alert_source_id", "=", source.id)])
            self.assertEqual(tasks.ids, [request_id], "one request is opened")
            self.assertEqual(len(source.alert_ids), 1)
            self.assertEqual(source.alert_ids.notice_count, 2)
            notes = tasks.message_ids.mapped("body")
            self.assertTrue(any("again" in body for body in notes), "the second notice is noted on the request")
