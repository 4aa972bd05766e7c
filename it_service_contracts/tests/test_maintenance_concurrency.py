from datetime import timedelta

import psycopg2

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .committed_common import CONTEXT, CommittedCase


@tagged("post_install", "-at_install")
class TestMaintenanceConcurrency(CommittedCase):
    """Two workers create the visits of the same plan at the same time, on separate database connections.

    This test commits (it needs real transactions); it removes what it created afterwards.
    """

    def setUp(self):
        super().setUp()
        self.today = fields.Date.today()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            client, audit, service, contract = self._running_flat_contract(env, "Concurrent Maintenance Client")
            # weekly, the first visit in three days: its request and the next week's are due today
            plan = env["it.maintenance.plan"].create({
                "name": "Concurrent check", "contract_id": contract.id, "interval_type": "week",
                "date_start": self.today + timedelta(days=3), "lead_days": 10,
                "asset_ids": [Command.set(audit.asset_ids.ids)],
            })
            self.ids = {
                "client": client.id, "audit": audit.id, "contract": contract.id, "service": service.id, "plan": plan.id,
            }
        self.addCleanup(self._remove_committed_data)

    def _remove_committed_data(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            contract = env["it.contract"].browse(self.ids["contract"])
            project = contract.project_id
            analytic = contract.analytic_account_id | project.account_id
            steps = [
                lambda: env["project.task"].with_context(active_test=False).search(
                    [("it_maintenance_plan_id", "=", self.ids["plan"])]).unlink(),
                lambda: env["it.maintenance.plan"].browse(self.ids["plan"]).unlink(),
                lambda: contract._it_addon_write(
                    {"state": "cancelled", "project_id": False, "analytic_account_id": False}),
                lambda: contract.unlink(),
                lambda: project.unlink(),
                lambda: analytic.unlink(),
                lambda: env["it.audit"].browse(self.ids["audit"]).action_reopen(),
                lambda: env["it.audit"].browse(self.ids["audit"]).unlink(),
                lambda: env["it.asset"].search([("partner_id", "=", self.ids["client"])]).unlink(),
                lambda: env["product.product"].browse(self.ids["service"]).product_tmpl_id.unlink(),
                lambda: env["res.partner"].browse(self.ids["client"]).unlink(),
            ]
            self._remove_each(cr, steps)

    def _worker_run(self, env):
        """What the scheduled action does, for this plan only (the database's other plans are left alone)."""
        Plan = env["it.maintenance.plan"]
        return env["it.cron.batch"]._it_run(
            lambda limit, exclude: Plan.browse(
                [pid for pid in Plan._it_due_plan_ids(self.today, limit, exclude) if pid == self.ids["plan"]]),
            lambda plans: plans._it_create_due_visits(self.today),
        )

    def _visit_dates(self):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT it_visit_nominal_date FROM project_task WHERE it_maintenance_plan_id = %s "
                "ORDER BY it_visit_nominal_date", [self.ids["plan"]],
            )
            return [row[0] for row in cr.fetchall()]

    def test_two_workers_create_each_visit_once(self):
        expected = [self.today + timedelta(days=3), self.today + timedelta(days=10)]
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b, self.registry.cursor() as cr_c:
            env_a = api.Environment(cr_a, SUPERUSER_ID, CONTEXT)
            env_b = api.Environment(cr_b, SUPERUSER_ID, CONTEXT)
            env_c = api.Environment(cr_c, SUPERUSER_ID, CONTEXT)
            plan_a = env_a["it.maintenance.plan"].browse(self.ids["plan"])
            # worker C takes its snapshot now, before worker A commits
            self.assertIn(self.ids["plan"], env_c["it.maintenance.plan"]._it_due_plan_ids(self.today, None, ()))
            # worker A holds the plan while it creates the visits
            self.assertEqual(plan_a.try_lock_for_update(allow_referencing=True), plan_a)
            plan_a._it_create_due_visits(self.today)
            env_a.flush_all()
            # worker B runs at the same time: the plan is held by A, B skips it and creates nothing
            self.assertFalse(self._worker_run(env_b))
            self.assertFalse(env_b["project.task"].search_count([("it_maintenance_plan_id", "=", self.ids["plan"])]))
            cr_b.rollback()
            cr_a.commit()
            # worker C, whose snapshot predates A's commit, still sees the visits due: the database refuses them
            with self.assertRaises(psycopg2.Error), mute_logger("odoo.sql_db"):
                env_c["it.maintenance.plan"].browse(self.ids["plan"])._it_create_due_visits(self.today)
                env_c.flush_all()
            cr_c.rollback()
        self.assertEqual(self._visit_dates(), expected)
        # a re-run afterwards finds nothing due
        with self.registry.cursor() as cr:
            self._worker_run(api.Environment(cr, SUPERUSER_ID, CONTEXT))
        self.assertEqual(self._visit_dates(), expected)
