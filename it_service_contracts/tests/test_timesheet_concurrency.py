import os
import threading
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.orm.registry import DummyRLock
from odoo.service.model import retrying
from odoo.tests import tagged

from ..models.it_hours_pool import DRAW_CONNECTIONS
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
            # a second request on the package: two technicians on two requests share no row but the package's
            other_task = task.copy({"name": "Printer down"})
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
                "project": package.project_id.id, "task": task.id, "other_task": other_task.id,
                "employees": employees.ids,
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
                lambda: env["account.analytic.line"].search([("task_id", "in", [ids["task"], ids["other_task"]])]
                                                            ).unlink(),
                lambda: env["project.task"].with_context(active_test=False).browse(
                    [ids["task"], ids["other_task"]]).unlink(),
                lambda: package._it_addon_write({"state": "cancelled"}),
                lambda: package.unlink(),
                lambda: project.unlink(),
                lambda: analytic.unlink(),
                lambda: env["it.audit"].browse(ids["audit"]).action_reopen(),
                lambda: env["it.audit"].browse(ids["audit"]).unlink(),
                lambda: env["it.asset"].search([("partner_id", "=", ids["client"])]).unlink(),
                lambda: env["hr.employee"].browse(ids["employees"]).unlink(),
                lambda: env["product.product"].browse(ids["service"]).product_tmpl_id.unlink(),
                lambda: env["res.partner"].browse(ids["client"]).unlink(),
            ]
            self._remove_each(cr, steps)

    def _log_in_own_transaction(self, employee_id, results, name, hold=None, task="task"):
        """Log 2 h as one technician, in a transaction of their own, replayed on concurrency errors as Odoo does."""
        attempts = []
        try:
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, CONTEXT)

                def work():
                    attempts.append(1)
                    line = env["account.analytic.line"].create({
                        "name": name, "task_id": self.ids[task], "project_id": self.ids["project"],
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

    def _package_figures(self):
        """The package's hours as a new transaction reads them, and the sum its lines give."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            package = env["it.contract"].browse(self.ids["package"])
            lines = env["account.analytic.line"].search([("task_id", "in", [self.ids["task"], self.ids["other_task"]])])
            drawn = sum(lines.filtered(lambda t: t.it_billing_type == "package").mapped("it_billable_hours"))
            billed = {line.name: (line.it_billing_type, line.it_billable_hours, line.unit_amount) for line in lines}
            return package.hours_available, package.hours_used, package.hours_remaining, drawn, billed

    def test_last_hours_taken_by_two_technicians_at_once(self):
        """A holds the last 2 h in a transaction still open; B, logging 2 h meanwhile, neither waits for A nor
        gets them: B's time is ad-hoc at once, and nothing is replayed."""
        results = {}
        hold = {"locked": threading.Event(), "release": threading.Event()}
        first = threading.Thread(
            target=self._log_in_own_transaction, args=(self.ids["employees"][0], results, "A", hold),
        )
        second = threading.Thread(
            target=self._log_in_own_transaction, args=(self.ids["employees"][1], results, "B", None, "other_task"),
        )
        first.start()
        self.assertTrue(hold["locked"].wait(60), "technician A did not get to the package")
        with self.registry.cursor() as cr:  # the job keeps the reservation of a transaction still running
            api.Environment(cr, SUPERUSER_ID, CONTEXT)["it.hours.pool"]._cron_fold_reservations()
        second.start()
        second.join(60)
        b_done_while_a_open = not second.is_alive()
        hold["release"].set()
        first.join(120)
        second.join(120)
        for name in ("A", "B"):
            self.assertNotIsInstance(results.get(name), Exception, f"technician {name}: {results.get(name)}")
        self.assertTrue(b_done_while_a_open, "technician B waited for technician A's transaction")
        self.assertEqual((results["A"][1], results["B"][1]), (1, 1), "nobody's request was replayed")

        available, used, remaining, drawn, billed = self._package_figures()
        self.assertEqual((available, used, remaining), (3.0, 3.0, 0.0), "used up exactly, never below zero")
        self.assertEqual(used, drawn)
        self.assertEqual((billed["A"], billed["B"]), (("package", 2.0, 2.0), ("adhoc", 2.0, 2.0)))
        self.assertEqual(sum(hours for *_rest, hours in billed.values()), 5.0, "no hour is lost")

    def test_hours_of_an_aborted_transaction_are_free_again(self):
        """A draws the last 2 h and fails after: B, logging next, gets them; a reservation of a transaction that
        aborted counts nothing, and the job forgets it."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            env["account.analytic.line"].create({
                "name": "A", "task_id": self.ids["task"], "project_id": self.ids["project"],
                "employee_id": self.ids["employees"][0], "unit_amount": 2.0, "date": "2026-03-02",
            })
            env.flush_all()
            cr.rollback()
        results = {}
        self._log_in_own_transaction(self.ids["employees"][1], results, "B")
        self.assertNotIsInstance(results.get("B"), Exception, results.get("B"))
        available, used, remaining, drawn, billed = self._package_figures()
        self.assertEqual((available, used, remaining, drawn), (3.0, 3.0, 0.0, 3.0))
        self.assertEqual(billed["B"][0], "package")
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            env["it.hours.pool"]._cron_fold_reservations()
            cr.execute("SELECT count(*) FROM it_hours_reservation WHERE kind = 'package' AND pool_id = %s",
                       [self.ids["package"]])
            self.assertEqual(cr.fetchone()[0], 0, "the finished transactions' reservations are folded away")

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

    def _adjust_in_open_transaction(self, hours, results, hold):
        """A manager takes hours off the package and keeps the transaction open until released."""
        try:
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
                adjustment = env["it.contract.adjustment"].create({
                    "contract_id": self.ids["package"], "date": "2026-03-02", "hours": hours,
                    "reason": "Hours counted twice",
                })
                env.flush_all()
                hold["locked"].set()
                hold["release"].wait(30)
                results["adjustment"] = adjustment.id
        except Exception as error:
            results["adjustment"] = error
            hold["locked"].set()

    def test_adjustment_and_last_hours_at_once(self):
        """A manager taking 2 h off while a technician holds the last 2 h: the manager is refused at once."""
        results = {}
        hold = {"locked": threading.Event(), "release": threading.Event()}
        technician = threading.Thread(
            target=self._log_in_own_transaction, args=(self.ids["employees"][0], results, "A", hold),
        )
        technician.start()
        self.assertTrue(hold["locked"].wait(60), "the technician did not get to the package")
        self._adjust_in_own_transaction(-2.0, results)
        hold["release"].set()
        technician.join(120)
        self.assertNotIsInstance(results.get("A"), Exception, f"technician: {results.get('A')}")
        self.assertIsInstance(results.get("adjustment"), Exception, "the adjustment came too late")
        self.assertIn("has 00:00 left", str(results["adjustment"]))
        available, used, remaining, drawn, _billed = self._package_figures()
        self.assertEqual((available, used, remaining, drawn), (3.0, 3.0, 0.0, 3.0))

    def test_last_hours_while_an_adjustment_takes_them_off(self):
        """The other way round: while the manager's adjustment taking the last 2 h off is not committed, the
        technician's 2 h cannot use them (ad-hoc); once it commits, the package holds what the manager left."""
        results = {}
        hold = {"locked": threading.Event(), "release": threading.Event()}
        manager = threading.Thread(target=self._adjust_in_open_transaction, args=(-2.0, results, hold))
        manager.start()
        self.assertTrue(hold["locked"].wait(60), "the manager did not get to the package")
        self._log_in_own_transaction(self.ids["employees"][0], results, "A")
        hold["release"].set()
        manager.join(120)
        for name in ("A", "adjustment"):
            self.assertNotIsInstance(results.get(name), Exception, f"{name}: {results.get(name)}")
        available, used, remaining, drawn, billed = self._package_figures()
        self.assertEqual((available, used, remaining, drawn), (1.0, 1.0, 0.0, 1.0))
        self.assertEqual(billed["A"][0], "adhoc")

    def test_draw_connection_closed_by_the_server(self):
        """The connections kept for the draws outlive a server that closed them (restarted, or the database's
        connections terminated): the next draw runs on a new one, and a draw that failed on it leaves none of
        its state behind."""
        results = {}
        self._log_in_own_transaction(self.ids["employees"][0], results, "A")
        self.assertNotIsInstance(results.get("A"), Exception, results.get("A"))
        kept = DRAW_CONNECTIONS._idle[os.getpid(), self.registry.db_name]
        self.assertTrue(kept, "the draw's connection is kept for the next draw")
        pids = [connection.info.backend_pid for connection in kept]
        with self.registry.cursor() as cr:
            cr.execute("SELECT bool_and(pg_terminate_backend(pid, 5000)) FROM unnest(%s) AS pid", [pids])
            self.assertTrue(cr.fetchone()[0], "the kept connections are gone (waited up to 5 s each)")
        self._log_in_own_transaction(self.ids["employees"][1], results, "B", task="other_task")
        self.assertNotIsInstance(results.get("B"), Exception, results.get("B"))
        available, used, remaining, drawn, billed = self._package_figures()
        self.assertEqual((available, used, remaining, drawn), (3.0, 3.0, 0.0, 3.0))
        self.assertEqual((billed["A"][0], billed["B"][0]), ("package", "adhoc"))
        self.assertEqual(billed["B"][1], 2.0, "B drew the 0 h left and became ad-hoc: the draw saw A's hours")
