import logging
import time

from odoo import api, models
from odoo.exceptions import ConcurrencyError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

_logger = logging.getLogger(__name__)

# another transaction does or did the same work at the same moment: not the record's fault, and no activity. Odoo's
# ``retrying`` runs a user's request again on a new snapshot; a scheduled run leaves the record for its next run.
CONCURRENCY_ERRORS = (ConcurrencyError, *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY)


class ItCronBatch(models.AbstractModel):
    """The one way the addon's scheduled actions walk through their work (design rule 7).

    A job gives what is due and what to do with it; this runs it in batches: what another worker holds
    is skipped, each batch is tried in one savepoint and, if it fails, record by record so that a bad
    record is rolled back alone, logged, reported to whoever answers for it and left for the next run,
    while the rest is done. A record another transaction processed at the same moment (a concurrency error) is
    no bad record: it is left for the next run, unreported. Progress is committed after every batch, so a
    crashed run simply runs again; when the scheduler's time for the run is spent, the job stops and tells it
    that work is left, and is run again at once (by whichever server's cron worker is free).
    """

    _name = "it.cron.batch"
    _description = "Batched Scheduled Action"

    @api.model
    def _it_run(self, fetch, process, *, batch_size=200, responsible=None, label="", remaining=None):
        """Process what ``fetch(limit, exclude_ids)`` returns, batch after batch, until nothing is due.

        ``fetch`` returns the records due (at most ``limit``, never the ids in ``exclude_ids``);
        ``process(records)`` does the work on a recordset; ``responsible(record)`` names the user who is
        given an activity when that record fails; ``remaining(exclude_ids)``, if given, counts what is left
        for the scheduler's progress. Returns the ids that failed in this run.
        """
        cron = self.env["ir.cron"]
        skipped, failed = set(), set()
        while True:
            due = fetch(batch_size, frozenset(skipped))
            if not due:
                break
            if self._it_time_is_up():
                # the scheduler's time for this run is spent and work is left: saying so makes it run the job
                # again at once (a job that reports nothing left waits for its next day)
                cron._commit_progress(0, remaining=len(due))
                break
            records = due.try_lock_for_update(allow_referencing=True)
            skipped.update((due - records).ids)  # held by another worker: theirs
            if records:
                busy = set()
                failed.update(self._it_process_batch(records, process, responsible, label, busy=busy))
                skipped.update(failed, busy)
            left = remaining(frozenset(skipped)) if remaining else None
            cron._commit_progress(len(records), remaining=left)
            if left == 0:
                break
        return failed

    @api.model
    def _it_time_is_up(self):
        """Whether the time the scheduler gives this run of the job is spent (never outside a scheduled run)."""
        end = self.env.context.get("cron_end_time")
        return end is not None and time.monotonic() >= end

    @api.model
    def _it_process_batch(self, records, process, responsible, label, busy=None):
        """``process`` these records in one savepoint, else record by record; return the ids of those that failed,
        each reported (``_it_report_failure``).

        A concurrency error (``CONCURRENCY_ERRORS``: the record was done or is held by another transaction) is not
        a failure: without ``busy`` it is raised, so that Odoo's ``retrying`` runs the whole request again on a
        new snapshot (where the record is no longer due); a scheduled run (``_it_run``, not retried) gives a set
        ``busy``, which gets the record's id while the rest of the batch goes on.
        """
        try:
            with self.env.cr.savepoint():
                process(records)
                self.env.flush_all()
            return set()
        except CONCURRENCY_ERRORS:
            self.env.invalidate_all()
            if busy is None:
                raise
        except Exception:  # any failure is retried record by record below
            self.env.invalidate_all()
        failed = set()
        for record in records:
            try:
                with self.env.cr.savepoint():
                    process(record)
                    self.env.flush_all()
            except CONCURRENCY_ERRORS as error:
                self.env.invalidate_all()
                if busy is None:
                    raise
                _logger.info("%s: %s is left for the next run, another transaction processed it at the same "
                             "moment: %s", label or "batch", record, error)
                busy.add(record.id)
            except Exception as error:  # one bad record must not stop the batch
                self.env.invalidate_all()
                if isinstance(error, UserError):  # bad input, reported to whoever answers for it
                    _logger.warning("%s: %s is left for the next run: %s", label or "batch", record, error)
                else:
                    _logger.exception("%s: %s failed and is left for the next run", label or "batch", record)
                failed.add(record.id)
                self._it_report_failure(record, error, responsible, label)
        return failed

    @api.model
    def _it_report_failure(self, record, error, responsible, label):
        """One to-do per failing record for whoever answers for it (not repeated while it stays open)."""
        if not hasattr(record, "activity_schedule"):
            return
        user = responsible(record) if responsible else self.env["res.users"]
        summary = self.env._("%(job)s failed", job=label or self.env._("Scheduled action"))
        record = record.sudo()
        if record.activity_ids.filtered(lambda activity: activity.summary == summary):
            return
        with self.env.cr.savepoint():
            record.activity_schedule(
                "mail.mail_activity_data_todo", summary=summary, note=str(error),
                user_id=(user or record.env.user).id,
            )
