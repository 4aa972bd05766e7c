import psycopg2

from odoo import SUPERUSER_ID, api, fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .committed_common import CONTEXT, CommittedCase


@tagged("post_install", "-at_install")
class TestInvoicingConcurrency(CommittedCase):
    """Two workers invoice the same flat contract at the same time, on two database connections.

    This test commits (it needs real transactions); it removes what it created afterwards.
    """

    def setUp(self):
        super().setUp()
        self.today = fields.Date.today()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            client, audit, service, contract = self._running_flat_contract(
                env, "Concurrent Invoicing Client", street="Polna 1", city="Gdańsk")
            self.ids = {"client": client.id, "audit": audit.id, "contract": contract.id, "service": service.id}
        self.addCleanup(self._remove_committed_data)

    def _remove_committed_data(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            ids = self.ids
            contract = env["it.contract"].browse(ids["contract"])
            self._remove_each(cr, [
                lambda: env["account.move"].search([("it_contract_id", "=", contract.id)]).unlink(),
                lambda: contract._it_addon_write({"state": "cancelled"}),
                lambda: contract.unlink(),
                *self._client_removal_steps(env, [ids["client"]], [ids["audit"]], [ids["service"]]),
            ])

    def _worker_run(self, env):
        """What the scheduled action does, for this contract only (the database's other work is left alone)."""
        Invoicing, Contract = env["it.invoicing"], env["it.contract"]
        return env["it.cron.batch"]._it_run(
            lambda limit, exclude: Contract.browse(
                Invoicing._it_due_ids("flat", self.today, limit=limit, exclude=exclude, ids=[self.ids["contract"]])),
            lambda records: Invoicing._it_invoice(records, self.today),
        )

    def _invoices(self):
        with self.registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM account_move WHERE it_contract_id = %s", [self.ids["contract"]])
            return cr.fetchone()[0]

    def test_two_workers_invoice_once(self):
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b, self.registry.cursor() as cr_c:
            env_a = api.Environment(cr_a, SUPERUSER_ID, CONTEXT)
            env_b = api.Environment(cr_b, SUPERUSER_ID, CONTEXT)
            env_c = api.Environment(cr_c, SUPERUSER_ID, CONTEXT)
            contract_a = env_a["it.contract"].browse(self.ids["contract"])
            # worker C takes its snapshot now, before worker A commits
            self.assertTrue(env_c["it.invoicing"]._it_due_ids("flat", self.today, ids=contract_a.ids))
            # worker A holds the contract while it invoices it
            self.assertEqual(contract_a.try_lock_for_update(allow_referencing=True), contract_a)
            self.assertEqual(len(env_a["it.invoicing"]._it_invoice(contract_a, self.today)), 1)
            # worker B runs at the same time: the contract is held by A, B skips it and invoices nothing
            self.assertFalse(self._worker_run(env_b))
            cr_b.rollback()
            cr_a.commit()
            # worker C, whose snapshot predates A's commit, still sees the month due: the database refuses it
            with self.assertRaises(psycopg2.Error), mute_logger("odoo.sql_db"):
                env_c["it.invoicing"]._it_invoice(env_c["it.contract"].browse(self.ids["contract"]), self.today)
                env_c.flush_all()
            cr_c.rollback()
        self.assertEqual(self._invoices(), 1)
        # a re-run afterwards finds nothing due
        with self.registry.cursor() as cr:
            self._worker_run(api.Environment(cr, SUPERUSER_ID, CONTEXT))
        self.assertEqual(self._invoices(), 1)
