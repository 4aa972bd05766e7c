import threading
import time
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.orm.registry import DummyRLock
from odoo.service.model import retrying
from odoo.tests import tagged
from odoo.tools import mute_logger

from .committed_common import CONTEXT, CommittedCase


@tagged("post_install", "-at_install")
class TestTimesheetConcurrency(CommittedCase):
    """Two technicians log the last hours of a package at the same moment, on two database connections.

    This test commits (it needs two real transactions); it removes what it created afterwards.
    """

    def setUp(self):
        super().setUp()
        # the test runner holds the registry lock while tests run: let the technicians' threads use the registry
        patcher = patch.object(Registry, "_lock", DummyRLock())
        patcher.start()
        self.addCleanup(patcher.stop)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            company = env.ref("base.main_company")
            env = env(context=dict(env.context, allowed_company_ids=company.ids))
            client = env["res.partner"].create({"name": "Concurrent Client", "is_company": True})
            service = env["product.product"].create({"name": "Concurrent support", "type": "service"})
            audit = env["it.audit"].create({
                "partner_id": client.id, "company_id": company.id, "asset_ids": [(0, 0, {
                    "category_id": env.ref("it_service_contracts.asset_category_workstation").id,
                })],
            })
            audit.action_done()
            package = env["it.contract"].create({
                "partner_id": client.id, "company_id": company.id, "contract_type": "hour_package",
                "date_start": "2026-01-01", "validity_months": 12, "hours_total": 3.0,
                "hourly_rate": company.it_adhoc_hourly_rate / 2, "audit_id": audit.id,
                "service_product_ids": [(6, 0, service.ids)], "remote_service": True,
            })
            package.action_activate()
            task = env["project.task"].create({
                "name": "Server down", "project_id": package.project_id.id, "partner_id": client.id,
            })
            task.write({"it_contract_id": package.id, "it_service_product_id": service.id, "it_site_id": False})
            employees = env["hr.employee"].create([
                {"name": "Technician A", "company_id": company.id},
                {"name": "Technician B", "company_id": company.id},
            ])
            first = env["account.analytic.line"].create({
                "name": "Earlier work", "task_id": task.id, "project_id": task.project_id.id,
                "employee_id": employees[0].id, "unit_amount": 1.0, "date": "2026-03-02",
            })
            self.assertEqual(first.it_billing_type, "package")
            self.ids = {
                "client": client.id, "service": service.id, "audit": audit.id, "package": package.id,
                "project": package.project_id.id, "task": task.id, "employees": employees.ids,
            }
        self.addCleanup(self._remove_committed_data)

    def _remove_committed_data(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            ids = self.ids
            package = env["it.contract"].browse(ids["package"])
            project = env["project.project"].browse(ids["project"])
            analytic = project.account_id
            steps = [
                lambda: env["account.analytic.line"].search([("task_id", "=", ids["task"])]).unlink(),
                lambda: env["project.task"].with_context(active_test=False).browse(ids["task"]).unlink(),
                lambda: package.write({"state": "cancelled"}),
                lambda: package.unlink(),
                lambda: project.unlink(),
                lambda: analytic.unlink(),
                lambda: env["it.audit"].browse(ids["audit"]).unlink(),
                lambda: env["it.asset"].search([("partner_id", "=", ids["client"])]).unlink(),
                lambda: env["hr.employee"].browse(ids["employees"]).unlink(),
                lambda: env["product.product"].browse(ids["service"]).product_tmpl_id.unlink(),
                lambda: env["res.partner"].browse(ids["client"]).unlink(),
            ]
            self._remove_each(cr, steps)

    def _log_in_own_transaction(self, employee_id, results, name, hold=None):
        """Log 2 h as one technician, in a transaction of their own, replayed on concurrency errors as Odoo does."""
        attempts = []
        try:
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, CONTEXT)

                def work():
                    attempts.append(1)
                    line = env["account.analytic.line"].create({
                        "name": name, "task_id": self.ids["task"], "project_id": self.ids["project"],
                        "employee_id": employee_id, "unit_amount": 2.0, "date": "2026-03-02",
                    })
                    env.flush_all()
                    if hold and len(attempts) == 1:
                        hold["locked"].set()
                        hold["release"].wait(30)
                    return line.id

                results[name] = (retrying(work, env), len(attempts))
        except Exception as error:
            results[name] = error
            if hold:
                hold["locked"].set()

    def _waiting_for_lock(self):
        with self.registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                       "WHERE NOT l.granted AND a.datname = current_database()")
            return cr.fetchone()[0] > 0

    @mute_logger("odoo.sql_db")  # the serialization error of technician B is expected
    def test_last_hours_taken_by_two_technicians_at_once(self):
        results = {}
        hold = {"locked": threading.Event(), "release": threading.Event()}
        first = threading.Thread(
            target=self._log_in_own_transaction, args=(self.ids["employees"][0], results, "A", hold),
        )
        second = threading.Thread(
            target=self._log_in_own_transaction, args=(self.ids["employees"][1], results, "B"),
        )
        first.start()
        self.assertTrue(hold["locked"].wait(60), "technician A did not get to the package")
        second.start()
        deadline = time.monotonic() + 60
        while not self._waiting_for_lock() and time.monotonic() < deadline and second.is_alive():
            time.sleep(0.1)
        waited = self._waiting_for_lock()
        hold["release"].set()
        first.join(120)
        second.join(120)
        for name in ("A", "B"):
            self.assertNotIsInstance(results.get(name), Exception, f"technician {name}: {results.get(name)}")
        self.assertTrue(waited, "technician B should have waited for technician A's lock on the package")
        self.assertGreaterEqual(results["B"][1], 2, "technician B's request was replayed after A committed")

        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            package = env["it.contract"].browse(self.ids["package"])
            lines = env["account.analytic.line"].search([("task_id", "=", self.ids["task"])])
            line_a = env["account.analytic.line"].browse(results["A"][0])
            line_b = env["account.analytic.line"].browse(results["B"][0])
            self.assertEqual(package.hours_used, 3.0, "the package is used up exactly")
            self.assertEqual(package.hours_remaining, 0.0, "and never below zero")
            self.assertEqual((line_a.it_billing_type, line_a.it_billable_hours), ("package", 2.0))
            self.assertEqual((line_b.it_billing_type, line_b.it_billable_hours), ("adhoc", 2.0))
            self.assertEqual(len(lines), 3)
            self.assertEqual(sum(lines.mapped("unit_amount")), 5.0, "no hour is lost")
            self.assertEqual(
                sum(lines.filtered(lambda t: t.it_billing_type == "package").mapped("it_billable_hours")),
                package.hours_used,
            )

    def _adjust_in_own_transaction(self, hours, results):
        """A manager takes hours off the package in a transaction of their own, replayed as Odoo does."""
        attempts = []
        try:
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, CONTEXT)

                def work():
                    attempts.append(1)
                    adjustment = env["it.contract.adjustment"].create({
                        "contract_id": self.ids["package"], "date": "2026-03-02", "hours": hours,
                        "reason": "Hours counted twice",
                    })
                    env.flush_all()
                    return adjustment.id

                results["adjustment"] = (retrying(work, env), len(attempts))
        except Exception as error:  # the refusal is what the test looks at
            results["adjustment"] = error

    @mute_logger("odoo.sql_db", "odoo.service.model")
    def test_adjustment_and_last_hours_at_once(self):
        """A manager taking 2 h off while a technician logs the last 2 h: one of them cannot have them."""
        results = {}
        hold = {"locked": threading.Event(), "release": threading.Event()}
        technician = threading.Thread(
            target=self._log_in_own_transaction, args=(self.ids["employees"][0], results, "A", hold),
        )
        manager = threading.Thread(target=self._adjust_in_own_transaction, args=(-2.0, results))
        technician.start()
        self.assertTrue(hold["locked"].wait(60), "the technician did not get to the package")
        manager.start()
        deadline = time.monotonic() + 60
        while not self._waiting_for_lock() and time.monotonic() < deadline and manager.is_alive():
            time.sleep(0.1)
        waited = self._waiting_for_lock()
        hold["release"].set()
        technician.join(120)
        manager.join(120)
        self.assertTrue(waited, "the manager should have waited for the technician's lock on the package")
        self.assertNotIsInstance(results.get("A"), Exception, f"technician: {results.get('A')}")
        self.assertIsInstance(results.get("adjustment"), Exception, "the adjustment came too late")
        self.assertIn("has 00:00 left", str(results["adjustment"]))
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            package = env["it.contract"].browse(self.ids["package"])
            self.assertFalse(package.adjustment_ids)
            self.assertEqual((package.hours_available, package.hours_used, package.hours_remaining), (3.0, 3.0, 0.0))
