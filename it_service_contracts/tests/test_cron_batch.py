import time
from contextlib import contextmanager
from unittest.mock import patch

from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from ..models.it_contract_lifecycle import ItContractLifecycle
from ..models.it_contract_package import ItContractPackage
from ..models.it_contract_period import ItContractPeriod
from ..models.it_cron_batch import ItCronBatch
from ..models.it_sla_watch import ItSlaWatch
from .test_sla_common import SlaCommon, utc


@contextmanager
def poisoned(model_class, method, is_poisoned):
    """``method`` of ``model_class`` raises for any recordset (or key set) that holds a poisoned record."""
    original = getattr(model_class, method)

    def failing(self, *args, **kwargs):
        if is_poisoned(self, *args):
            raise RuntimeError("poisoned record")
        return original(self, *args, **kwargs)

    with patch.object(model_class, method, failing), \
            mute_logger("odoo.addons.it_service_contracts.models.it_cron_batch"):
        yield


@tagged("post_install", "-at_install")
class TestScheduledActionsSurviveBadRecords(SlaCommon):
    """Design rule 7: a record whose processing raises is rolled back alone, logged, given an activity for
    whoever answers for it and retried on the next run, while the rest of its batch completes."""

    def assertFailureActivity(self, record, user, job):
        activity = record.activity_ids.filtered(lambda a: a.summary == f"{job} failed")
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, user or self.env.user)
        self.assertIn("poisoned record", activity.note)

    def test_sla_watch_completes_99_of_100_and_retries_the_poisoned_one(self):
        with freeze_time("2026-01-12 08:00:00"):
            tasks = self.env["project.task"].create([{
                "name": f"Request {n}", "project_id": self.project.id, "partner_id": self.client.id,
                "priority": "3", "it_reported_date": utc(2026, 1, 12, 8, 0),
                "user_ids": [(6, 0, self.technician.ids)],
            } for n in range(100)])
        poison = tasks[37]
        with freeze_time("2026-01-12 10:00:00"), self._cron_commits() as commits, \
                poisoned(ItSlaWatch, "_it_sla_watch_apply", lambda records, _now: poison in records):
            self.env["project.task"]._cron_sla_watch(batch_size=100)
        self.assertEqual(set((tasks - poison).mapped("sla_state")), {"breached"})
        self.assertEqual(set((tasks - poison).mapped("sla_notified_state")), {"breached"})
        self.assertEqual(poison.sla_state, "on_track", "the poisoned request is rolled back alone")
        self.assertEqual(commits[0][0], 100)
        self.assertFailureActivity(poison, self.technician, "SLA watch")
        with freeze_time("2026-01-12 10:10:00"), self._cron_commits():
            self.env["project.task"]._cron_sla_watch(batch_size=100)
        self.assertEqual((poison.sla_state, poison.sla_notified_state), ("breached", "breached"))

    def test_contract_expiry_survives_a_bad_contract(self):
        with freeze_time("2026-01-05"):
            packages = self.env["it.contract"].concat(*(
                self._active_contract(validity_months=1, hours_total=10.0, date_start="2026-01-01")
                for _i in range(5)
            ))
        poison = packages[2]
        with freeze_time("2026-03-02"), self._cron_commits(), \
                poisoned(ItContractLifecycle, "_expire", lambda records: poison in records):
            self.env["it.contract"]._cron_update_states()
        self.assertEqual(set((packages - poison).mapped("state")), {"expired"})
        self.assertEqual(poison.state, "active")
        self.assertFailureActivity(poison, poison.user_id, "Expiring contracts")
        with freeze_time("2026-03-02"), self._cron_commits():
            self.env["it.contract"]._cron_update_states()
        self.assertEqual(poison.state, "expired")

    def test_package_warnings_survive_a_bad_package(self):
        with freeze_time("2026-01-05"):
            packages = self.env["it.contract"].concat(*(
                self._active_contract(validity_months=2, hours_total=10.0, date_start="2026-01-01",
                                      expiry_warning_days=14) for _i in range(3)
            ))
        poison = packages[0]
        with freeze_time("2026-02-20"), self._cron_commits(), \
                poisoned(ItContractPackage, "_it_send_expiry_warnings", lambda records: poison in records):
            self.env["it.contract"]._cron_package_warnings()
        self.assertEqual((packages - poison).mapped("expiry_warning_sent"), [True, True])
        self.assertFalse(poison.expiry_warning_sent)
        self.assertFailureActivity(poison, poison.user_id, "Package warnings")
        with freeze_time("2026-02-20"), self._cron_commits():
            self.env["it.contract"]._cron_package_warnings()
        self.assertTrue(poison.expiry_warning_sent)

    def test_contract_months_survive_a_bad_contract(self):
        contracts = self.flat
        for name in ("Second client", "Third client"):
            client = self.env["res.partner"].create({"name": name, "is_company": True})
            audit = self.env["it.audit"].create({
                "partner_id": client.id, "asset_ids": [(0, 0, {"category_id": self.workstation_category.id})],
            })
            audit.action_done()
            contracts |= self._active_contract(
                "monthly_flat", partner_id=client.id, audit_id=audit.id, site_ids=[(5, 0, 0)], remote_service=True,
            )
        poison = contracts[1]
        with freeze_time("2026-04-03"), self._cron_commits(), poisoned(
                ItContractPeriod, "_it_ensure_periods", lambda _model, keys: poison.id in {c for c, _m in keys}):
            self.env["it.contract.period"]._cron_create_periods()
        april = self.env["it.contract.period"].search([
            ("contract_id", "in", contracts.ids), ("date_start", "=", "2026-04-01"),
        ])
        self.assertEqual(april.contract_id, contracts - poison)
        self.assertFailureActivity(poison, poison.user_id, "Contract months")
        with freeze_time("2026-04-03"), self._cron_commits():
            self.env["it.contract.period"]._cron_create_periods()
        self.assertTrue(poison.period_ids.filtered(lambda p: str(p.date_start) == "2026-04-01"))


@tagged("post_install", "-at_install")
class TestScheduledActionsRunOutOfTime(SlaCommon):
    """A job whose run has used the time the scheduler gives it (Odoo's ``cron_end_time``, about 10 s) stops and
    says that work is left, so that the scheduler runs it again at once, on any server; a job that said nothing
    was taken as done and left the rest (invoices of 20,000 contracts, say) for its next day."""

    def _run(self, partners, processed, time_is_up):
        def fetch(limit, exclude):
            return (partners - processed[0]).filtered(lambda p: p.id not in exclude)[:limit]

        def process(records):
            processed[0] |= records

        clock = iter(time_is_up)
        with self._cron_commits() as commits, patch.object(
                ItCronBatch, "_it_time_is_up", lambda _self: next(clock)):
            self.env["it.cron.batch"]._it_run(fetch, process, batch_size=2, label="Test job")
        return commits

    def test_out_of_time_with_work_left_asks_to_run_again(self):
        partners = self.env["res.partner"].create([{"name": f"Client {n}"} for n in range(5)])
        processed = [self.env["res.partner"]]
        # time is up after the first batch of two: the scheduler is told that work is left (the batch found)
        commits = self._run(partners, processed, [False, True])
        self.assertEqual(processed[0], partners[:2])
        self.assertEqual(commits, [(2, None), (0, 2)])
        # the next run does the rest and ends saying nothing (Odoo counts nothing left: done)
        commits = self._run(partners, processed, [False, False, False])
        self.assertEqual(processed[0], partners)
        self.assertEqual(commits, [(2, None), (1, None)])

    def test_time_is_up_only_in_a_scheduled_run_past_its_end(self):
        Batch = self.env["it.cron.batch"]
        self.assertFalse(Batch._it_time_is_up(), "a job run by hand or by a test has all the time it needs")
        self.assertFalse(Batch.with_context(cron_end_time=time.monotonic() + 60)._it_time_is_up())
        self.assertTrue(Batch.with_context(cron_end_time=time.monotonic() - 1)._it_time_is_up())
