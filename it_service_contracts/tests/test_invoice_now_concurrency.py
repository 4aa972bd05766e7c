from unittest.mock import patch

import psycopg2

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import ConcurrencyError
from odoo.service.model import retrying
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import SQL, mute_logger

from ..models.account_move import ISSUED_INVOICE
from .committed_common import CONTEXT, CommittedCase
from .invoicing_common import ItInvoicingCommon


@tagged("post_install", "-at_install")
class TestInvoiceNowConcurrency(CommittedCase):
    """Two accountants press "Invoice Now" on the same contract at the same moment, on two database connections:
    the second waits for the first (Odoo runs its request again) and finds the contract invoiced, never an activity
    with the database's words.

    This test commits (it needs real transactions); it removes what it created afterwards.
    """

    def setUp(self):
        super().setUp()
        self.today = fields.Date.today()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            client, audit, service, flat = self._running_flat_contract(
                env, "Invoice Now Client", street="Polna 1", city="Gdańsk")
            package = env["it.contract"].create({
                "partner_id": client.id, "company_id": flat.company_id.id, "contract_type": "hour_package",
                "date_start": self.today, "validity_months": 6, "hours_total": 10.0,
                "hourly_rate": flat.company_id.it_package_hourly_rate, "audit_id": audit.id, "remote_service": True,
                "service_product_ids": [(6, 0, service.ids)],
                "service_calendar_id": flat.company_id.resource_calendar_id.id,
            })
            env.flush_all()
            cr.execute("UPDATE it_contract SET state = 'active' WHERE id = %s", [package.id])
            accountants = env["res.users"].create([{
                "name": f"Invoice Now Accountant {n}", "login": f"invoice_now_accountant_{n}",
                "company_id": flat.company_id.id, "company_ids": [(6, 0, flat.company_id.ids)],
                "group_ids": [(6, 0, env.ref("account.group_account_invoice").ids)],
            } for n in "ab"])
            self.ids = {"client": client.id, "audit": audit.id, "service": service.id, "flat": flat.id,
                        "package": package.id, "accountants": accountants.ids, "company": flat.company_id.id}
        self.addCleanup(self._remove_committed_data)
        # each accountant opens the list of what is due (committed: it is what their click reads)
        for uid in self.ids["accountants"]:
            with self.registry.cursor() as cr:
                self._env(cr, uid)["it.invoice.due"].action_open()

    def _remove_committed_data(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            ids = self.ids
            contracts = env["it.contract"].browse([ids["flat"], ids["package"]])
            accountants = env["res.users"].browse(ids["accountants"])
            partners = accountants.partner_id
            self._remove_each(cr, [
                lambda: env["it.invoice.due"].search([("create_uid", "in", accountants.ids)]).unlink(),
                lambda: env["mail.activity"].search([
                    ("res_model", "=", "it.contract"), ("res_id", "in", contracts.ids)]).unlink(),
                lambda: env["account.move"].search([("it_contract_id", "in", contracts.ids)]).unlink(),
                lambda: contracts._it_addon_write({"state": "cancelled"}),
                lambda: contracts.unlink(),
                *self._client_removal_steps(env, [ids["client"]], [ids["audit"]], [ids["service"]]),
                lambda: accountants.unlink(),
                lambda: partners.unlink(),
            ])

    def _env(self, cr, uid):
        """The accountant's environment, as their request runs it."""
        return api.Environment(cr, uid, dict(CONTEXT, allowed_company_ids=[self.ids["company"]]))

    @staticmethod
    def _no_wait(cr):
        """The code before this change waited for the other transaction's invoice (the unique index, the new
        month): fail after 2 s instead of hanging the test, and only in this transaction."""
        cr.execute("SET LOCAL lock_timeout = '2s'")

    def _issued_invoices(self, contract_key):
        with self.registry.cursor() as cr:
            cr.execute(SQL("SELECT count(*) FROM account_move WHERE it_contract_id = %s AND " + ISSUED_INVOICE,
                           self.ids[contract_key]))
            return cr.fetchone()[0]

    def _activities(self, env, contract_key):
        return env["mail.activity"].sudo().search_count([
            ("res_model", "=", "it.contract"), ("res_id", "=", self.ids[contract_key])])

    def test_second_click_waits_for_the_first_and_finds_the_month_invoiced(self):
        accountant_a, accountant_b = self.ids["accountants"]
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            env_a, env_b = self._env(cr_a, accountant_a), self._env(cr_b, accountant_b)
            rows_a, rows_b = (env["it.invoice.due"].search([
                ("create_uid", "=", env.uid), ("contract_id", "=", self.ids["flat"])]) for env in (env_a, env_b))
            self.assertEqual((len(rows_a), len(rows_b)), (1, 1), "each accountant's list shows the month due")
            # accountant A invoices the month; A's transaction is still running
            result = rows_a.action_invoice_now()
            self.assertEqual(result["params"]["type"], "success")
            self.assertEqual(len(env_a["account.move"].search([("it_contract_id", "=", self.ids["flat"])])), 1)
            # accountant B at the same moment: the contract is held by A, B's request is to be run again
            self._no_wait(cr_b)
            flat_b = env_b["it.contract"].browse(self.ids["flat"])
            with self.assertRaises(ConcurrencyError):
                env_b["it.invoicing"]._it_invoice_now(flat_b)
            self.assertFalse(self._activities(env_b, "flat"), "no activity: B's contract is not a bad record")
            cr_b.rollback()

            # B's click as Odoo serves it (``retrying``): refused while A runs, run again once A has committed
            attempts = []

            def click():
                self._no_wait(cr_b)
                attempts.append(len(attempts) + 1)
                return rows_b.action_invoice_now()

            with patch("odoo.service.model.time") as clock:
                clock.sleep.side_effect = lambda _seconds: cr_a.commit()  # A commits while B waits
                result = retrying(click, env_b)
            self.assertEqual(attempts, [1, 2])
            message = result["params"]["message"]
            self.assertRegex(message, r"0 invoices created\. Already invoiced by someone else in the meantime: ")
            self.assertIn(flat_b.display_name, message)
            self.assertNotIn("Not invoiced", message)
            self.assertEqual(result["params"]["type"], "info")
        self.assertEqual(self._issued_invoices("flat"), 1)
        with self.registry.cursor() as cr:
            self.assertFalse(self._activities(api.Environment(cr, SUPERUSER_ID, CONTEXT), "flat"))

    @mute_logger("odoo.sql_db")  # the refused INSERT
    def test_invoice_committed_after_the_snapshot_is_a_concurrency_error(self):
        """B's snapshot was taken before A committed the package's invoice: B still sees the package due, and the
        unique index refuses B's invoice. That is a concurrency error too (Odoo runs B's request again), neither an
        activity nor the database's words for the user."""
        accountant_a, accountant_b = self.ids["accountants"]
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            env_a, env_b = self._env(cr_a, accountant_a), self._env(cr_b, accountant_b)
            self._no_wait(cr_b)
            # B's transaction has begun (its snapshot is taken) when A invoices the package and commits
            self.assertEqual(env_b["it.invoicing"]._it_due_ids("package", self.today, ids=[self.ids["package"]]),
                             [self.ids["package"]])
            moves = env_a["it.invoicing"]._it_invoice_now(env_a["it.contract"].browse(self.ids["package"]))
            self.assertEqual(len(moves), 1)
            cr_a.commit()
            with self.assertRaises(ConcurrencyError) as caught:
                env_b["it.invoicing"]._it_invoice_now(env_b["it.contract"].browse(self.ids["package"]))
            self.assertIsInstance(caught.exception.__cause__, psycopg2.errors.UniqueViolation)
            self.assertFalse(self._activities(env_b, "package"))
            cr_b.rollback()
            # run again (a new transaction, as Odoo's retry): nothing is due any more
            self.assertFalse(env_b["it.invoicing"]._it_invoice_now(env_b["it.contract"].browse(self.ids["package"])))
            self.assertFalse(self._activities(env_b, "package"))
            cr_b.commit()
        self.assertEqual(self._issued_invoices("package"), 1)

    @mute_logger("odoo.sql_db")  # the refused INSERT
    def test_scheduled_run_leaves_what_was_invoiced_meanwhile(self):
        """The scheduled run (which nothing runs again) read the package due before an accountant's invoice of it
        was committed: the package is left for the next run, which finds it invoiced, without an activity; the rest
        of the run is invoiced."""
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_run:
            env_a = self._env(cr_a, self.ids["accountants"][0])
            env_run = api.Environment(cr_run, SUPERUSER_ID, CONTEXT)
            self._no_wait(cr_run)
            Invoicing = env_run["it.invoicing"]
            # the run's snapshot is taken: the package is due
            self.assertEqual(Invoicing._it_due_ids("package", self.today, ids=[self.ids["package"]]),
                             [self.ids["package"]])
            package_a = env_a["it.contract"].browse(self.ids["package"])
            self.assertEqual(len(env_a["it.invoicing"]._it_invoice_now(package_a)), 1)
            cr_a.commit()
            failed = set()
            for kind in ("package", "flat"):
                failed |= env_run["it.cron.batch"]._it_run(
                    lambda limit, exclude, kind=kind: Invoicing._it_model(kind).browse(Invoicing._it_due_ids(
                        kind, self.today, limit=limit, exclude=exclude, ids=[self.ids[kind]])),
                    lambda records: Invoicing._it_invoice(records, self.today),
                    responsible=Invoicing._it_responsible, label="Invoicing",
                )
            self.assertFalse(failed, "nothing failed: the package was invoiced by the accountant")
            self.assertFalse(self._activities(env_run, "package"))
        self.assertEqual(self._issued_invoices("package"), 1)
        self.assertEqual(self._issued_invoices("flat"), 1, "the rest of the run is invoiced")


@tagged("post_install", "-at_install")
class TestInvoiceNowFailures(ItInvoicingCommon):
    """What cannot be invoiced goes to someone who can fix it (the client's address, a product's income account):
    the company's invoicing user, else the billing user who asked for the invoice, else the account manager; never
    the technician of a request because it is theirs. The rest is invoiced."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account_manager = new_test_user(
            cls.env, "it_account_manager", groups="it_service_contracts.group_it_manager",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )

    def _due_rows(self, user):
        """The list of what is due, as ``user`` opens it."""
        Due = self.env["it.invoice.due"].with_user(user).with_context(allowed_company_ids=self.company.ids)
        return Due.search(Due.action_open()["domain"])

    def _failure(self, record):
        activity = record.activity_ids.filtered(lambda a: a.summary == "Invoicing failed")
        self.assertEqual(len(activity), 1)
        self.assertIn("has no address", str(activity.note), "the reason, as the user reads it")
        return activity

    def _two_clients_contracts(self):
        good = self._flat(user_id=self.account_manager.id)
        bad = self._flat_for("Nowhere Ltd", partner_values={"street": False, "city": False},
                             user_id=self.account_manager.id)
        return good, bad

    def test_to_the_company_invoicing_user_and_the_rest_is_invoiced(self):
        """The accountant invoices the list: the good contract is invoiced, the bad one goes to the company's
        invoicing user, and the one invoiced meanwhile (by the scheduled run) is said to be invoiced already, not
        to have failed."""
        lead = new_test_user(self.env, "it_invoicing_lead", groups="account.group_account_invoice",
                             company_id=self.company.id, company_ids=[(6, 0, self.company.ids)])
        self.company.it_invoice_user_id = lead
        with freeze_time("2026-10-20"):
            good, bad = self._two_clients_contracts()
            meanwhile = self._flat_for("Meanwhile Ltd")
            rows = self._due_rows(self.accountant)
            self.assertEqual(rows.contract_id, good | bad | meanwhile)
            self.assertTrue(self.env["it.invoicing"]._it_invoice(meanwhile), "the scheduled run came first")
            before = self.env["account.move"].search([("move_type", "=", "out_invoice")])
            message = rows.action_invoice_now()["params"]["message"]
        created = self.env["account.move"].search([("move_type", "=", "out_invoice")]) - before
        self.assertEqual(created.it_contract_id, good, "the rest is invoiced")
        self.assertEqual(self._failure(bad).user_id, lead)
        self.assertFalse(meanwhile.activity_ids)
        self.assertEqual(message, (
            f"1 invoices created. Not invoiced (see the activity on each): {bad.display_name} "
            f"Already invoiced by someone else in the meantime: {meanwhile.display_name}"
        ))

    def test_to_the_billing_user_who_asked_else_the_account_manager(self):
        """Without an invoicing user: the accountant who pressed Invoice Now gets the activity; an IT manager, who
        is no billing user, starting a package of a client without an address: the package's account manager."""
        with freeze_time("2026-10-20"):
            good, bad = self._two_clients_contracts()
            rows = self._due_rows(self.accountant)
            message = rows.action_invoice_now()["params"]["message"]
        self.assertEqual(good.invoice_ids.state, "draft")
        self.assertFalse(bad.invoice_ids)
        self.assertEqual(self._failure(bad).user_id, self.accountant)
        self.assertIn("Not invoiced", message)
        client, audit = self._audited_client("Addressless Ltd", street=False, city=False)
        with freeze_time("2026-11-02"):
            package = self._create_contract(
                partner_id=client.id, audit_id=audit.id, site_ids=[(5, 0, 0)], remote_service=True,
                date_start="2026-11-02", user_id=self.account_manager.id)
            self._as(self.manager, package).action_activate()
        self.assertEqual(package.state, "active", "the package starts; its invoice waits for the address")
        self.assertFalse(package.invoice_ids)
        self.assertEqual(self._failure(package).user_id, self.account_manager)

    def test_request_completed_by_its_technician_goes_to_its_manager(self):
        """The technician completes two ad-hoc jobs at once, one of a client without an address: the other is
        invoiced, and the activity goes to the manager of the request's project, not to the technician."""
        nowhere, _audit = self._audited_client("Nowhere Ltd", street=False, city=False)
        with freeze_time("2026-11-02"):
            good = self._request(name="Laptop repair")
            bad = self._request(name="Printer repair", partner=nowhere)
            (good | bad).user_ids = self.tech_user
            good.project_id.user_id = self.manager
            self._log(good, 1.5, date="2026-11-02")
            self._log(bad, 1.0, date="2026-11-02")
            self._as(self.tech_user, good | bad).write({"state": "1_done"})
        self.assertEqual(len(good.it_invoice_ids), 1)
        self.assertFalse(bad.it_invoice_ids)
        self.assertEqual(self._failure(bad).user_id, self.manager)
