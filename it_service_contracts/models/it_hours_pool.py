"""The hours a timesheet line may draw, without a row that every line on the same contract writes (design rule 4).

What a package or a month has used is the sum of its lines (``it_billable_hours`` by ``it_billing_type``, through
partial indexes): every screen reads it in its own transaction. Drawing on the last hours needs more than that
transaction sees, since Odoo's transactions read a snapshot taken when they began: two technicians would each see
the other's hours as still free. So the draw is made on a second, short connection at READ COMMITTED:

1. a transaction-level advisory lock per package or month, held only for this short transaction;
2. one statement reads what the committed lines have drawn and the *reservations* of the transactions not yet
   visible to it: a reservation is what a transaction drew (or, counted for itself only, gave back) while it runs,
   recorded with its transaction id; one of an aborted transaction counts nothing, and once a transaction is
   visible its lines count instead;
3. it records this draw as a reservation of the line's transaction and commits, which releases the lock.

Steps 1 and 2 are the database function ``it_hours_pool_draw``, step 3 one more statement: two round trips on a
connection the process keeps for the draws (``DrawConnections``), where the function keeps one generic plan
instead of planning its query again at every call.

A reservation made in a savepoint that was later rolled back must not count for its own transaction: the transaction
marks each of its reservations (a row it writes itself, which the rollback removes) and counts only the marked ones.

No technician waits longer than that short transaction, and no transaction rewrites a shared row, so none fails
with a serialization error because of another's time. Finished reservations are folded away by a job.
"""
import os
import random
import threading
from contextlib import contextmanager

import psycopg2
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from odoo import api, models, sql_db
from odoo.tools import SQL

# advisory lock namespaces (first key of pg_advisory_xact_lock(int, int)): one per kind of pool
LOCK_SPACES = {"package": 0x17C0, "period": 0x17C1}

DRAW_FUNCTION = """
CREATE OR REPLACE FUNCTION it_hours_pool_draw(packages integer[], periods integer[], own xid8, mine bigint[])
RETURNS TABLE(kind text, pool_id integer, hours double precision)
-- PL/pgSQL would plan the query again at every call (its generic plan is estimated dearer than a custom one,
-- though it uses the same indexes): the planning was half the function's time
LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    pool integer;
BEGIN
    -- in this order (packages, then months, each by id) in every caller: two draws never wait crosswise
    FOREACH pool IN ARRAY packages LOOP PERFORM pg_advisory_xact_lock(%(package_space)s, pool); END LOOP;
    FOREACH pool IN ARRAY periods LOOP PERFORM pg_advisory_xact_lock(%(period_space)s, pool); END LOOP;
    -- a new statement: at READ COMMITTED it sees what committed while it waited for the locks. A reservation of a
    -- transaction older than the snapshot's xmin never counts (its lines are visible, or it aborted): the index
    -- skips those that the job has not folded yet
    RETURN QUERY
        SELECT 'package', l.it_contract_id, SUM(l.it_billable_hours)
          FROM account_analytic_line l
         WHERE l.it_billing_type = 'package' AND l.it_contract_id = ANY(packages)
         GROUP BY l.it_contract_id
        UNION ALL
        SELECT 'period', l.it_period_id, SUM(l.it_billable_hours)
          FROM account_analytic_line l
         WHERE l.it_billing_type = 'included' AND l.it_period_id = ANY(periods)
         GROUP BY l.it_period_id
        UNION ALL
        SELECT r.kind::text, r.pool_id, SUM(r.hours)
          FROM it_hours_reservation r
         WHERE ((r.kind = 'package' AND r.pool_id = ANY(packages)) OR (r.kind = 'period' AND r.pool_id = ANY(periods)))
           AND r.txid >= pg_snapshot_xmin(pg_current_snapshot())
           AND NOT pg_visible_in_snapshot(r.txid, pg_current_snapshot())
           AND CASE
                   WHEN r.txid = own THEN r.token = ANY(mine)
                   WHEN pg_xact_status(r.txid) = 'committed' THEN TRUE
                   WHEN pg_xact_status(r.txid) = 'in progress' THEN r.hours > 0
                   ELSE FALSE
               END
         GROUP BY r.kind, r.pool_id
        UNION ALL
        SELECT 'package', r.pool_id, SUM(r.hours)
          FROM it_hours_reservation r
         WHERE r.kind = 'cut' AND r.pool_id = ANY(packages) AND r.txid <> own
           AND r.txid >= pg_snapshot_xmin(pg_current_snapshot())
           AND NOT pg_visible_in_snapshot(r.txid, pg_current_snapshot())
           AND pg_xact_status(r.txid) IS DISTINCT FROM 'aborted'
         GROUP BY r.pool_id
        UNION ALL
        SELECT 'available', c.id, c.hours_available FROM it_contract c WHERE c.id = ANY(packages);
END
$$;
"""


class DrawConnections:
    """The connections this process keeps for the draws, per database: lent without the reset of Odoo's pool,
    which discards the session's prepared plans (the draw function's among them) at every loan and costs a round
    trip. They stay in autocommit, hold nothing between loans and go to the primary, never to a replica; a
    connection that failed or was left inside a transaction is closed, not lent again."""

    KEEP = 8  # idle connections kept per database: one per thread drawing at the same moment

    def __init__(self):
        self._lock = threading.Lock()
        self._idle = {}  # (process id, database): [connection]; a forked process never lends its parent's

    def _borrow(self, dbname):
        with self._lock:
            idle = self._idle.setdefault((os.getpid(), dbname), [])
            while idle:
                connection = idle.pop()
                if not connection.closed:
                    return connection
        return self._connect(dbname)

    def _give_back(self, dbname, connection):
        if not connection.closed and connection.info.transaction_status == TRANSACTION_STATUS_IDLE:
            with self._lock:
                idle = self._idle.setdefault((os.getpid(), dbname), [])
                if len(idle) < self.KEEP:
                    idle.append(connection)
                    return
        connection.close()

    def _connect(self, dbname):
        connection = psycopg2.connect(**sql_db.connection_info_for(dbname)[1])
        connection.autocommit = True
        return connection

    def _forget_idle(self, dbname):
        """Close the idle connections: when one was found closed by the server (restarted, database dropped and
        created again), the others were too."""
        with self._lock:
            for connection in self._idle.pop((os.getpid(), dbname), []):
                connection.close()

    @contextmanager
    def cursor(self, dbname, first):
        """A cursor on a kept connection to ``dbname`` that has run the statement ``first`` (an ``SQL``). On a
        connection the server has closed meanwhile, ``first`` did not run: it runs again on a new one."""
        connection = self._borrow(dbname)
        try:
            cr = connection.cursor()
            try:
                cr.execute(first.code, first.params)
            except psycopg2.Error:
                if not connection.closed:
                    raise
                self._forget_idle(dbname)
                connection = self._connect(dbname)
                cr = connection.cursor()
                cr.execute(first.code, first.params)
            yield cr
        finally:
            self._give_back(dbname, connection)


DRAW_CONNECTIONS = DrawConnections()


class ItHoursPool(models.AbstractModel):
    _name = "it.hours.pool"
    _description = "Hours Drawn by Timesheets"

    def init(self):
        self.env.cr.execute(SQL("""
            CREATE TABLE IF NOT EXISTS it_hours_reservation (
                kind varchar NOT NULL,
                pool_id integer NOT NULL,
                hours double precision NOT NULL,
                txid xid8 NOT NULL,
                token bigint NOT NULL
            );
            DROP INDEX IF EXISTS it_hours_reservation_pool_idx;
            CREATE INDEX IF NOT EXISTS it_hours_reservation_pool_txid_idx
                ON it_hours_reservation (kind, pool_id, txid);
            CREATE TABLE IF NOT EXISTS it_hours_reservation_mark (
                token bigint NOT NULL,
                txid xid8 NOT NULL
            );
            CREATE INDEX IF NOT EXISTS it_hours_reservation_mark_txid_idx ON it_hours_reservation_mark (txid);
        """))
        self.env.cr.execute(SQL(
            DRAW_FUNCTION, package_space=LOCK_SPACES["package"], period_space=LOCK_SPACES["period"],
        ))

    @api.model
    def _it_mark(self):
        """A new token, and what marks it as this transaction's when run on the transaction's cursor: a ``WITH``
        item and the columns it gives, ``it_txid`` (the transaction's id, assigned now if it had none) and
        ``it_mine`` (the tokens of its earlier reservations that still hold; not the new one, nothing is reserved
        under it yet). The mark goes if a savepoint around the draw is rolled back. A caller that reads anyway
        before its draw runs them in its own statement (one round trip fewer) and passes what they gave to
        :meth:`_it_draw`.

        :return: ``(token, (WITH item, columns))``
        """
        token = random.getrandbits(63)
        return token, (
            SQL("""WITH it_mark AS (INSERT INTO it_hours_reservation_mark (token, txid)
                                   VALUES (%s, pg_current_xact_id()) RETURNING txid)""", token),
            SQL("""(SELECT txid FROM it_mark)::text AS it_txid,
                   ARRAY(SELECT token FROM it_hours_reservation_mark
                          WHERE txid = pg_current_xact_id()) AS it_mine"""),
        )

    @api.model
    def _it_transaction(self):
        """``(token, transaction id, earlier tokens)`` of a new mark of this transaction (see :meth:`_it_mark`)."""
        token, (with_item, columns) = self._it_mark()
        row = self.env.execute_query(SQL("%s SELECT %s", with_item, columns))[0]
        return token, *row

    @contextmanager
    def _it_draw(self, pools, marked=None):
        """Draw on packages and months as all transactions have drawn them, then record what this one changed.

        :param pools: ``{("package", contract id) or ("period", period id): state}``; each state's ``hours_used``
            is set to what the pool has used, to be changed in place by the caller; a package's ``hours_total``
            (its hours available as this transaction sees them) becomes the committed figure if that is lower,
            and ``hours_cut`` records hours an adjustment of this transaction takes off it
        :param marked: ``(token, transaction id, earlier tokens)`` of a mark this transaction made just before
            (:meth:`_it_mark`); a new mark is made when not given
        :return (yielded): ``{key: hours used before}``; on a normal exit the changes are recorded for this
            transaction and the locks released; on an exception nothing is recorded
        """
        if not pools:
            yield {}
            return
        token, txid, mine = marked or self._it_transaction()
        packages = sorted(pool_id for kind, pool_id in pools if kind == "package")
        periods = sorted(pool_id for kind, pool_id in pools if kind == "period")
        draw = SQL("SELECT * FROM it_hours_pool_draw(%s::integer[], %s::integer[], %s::xid8, %s::bigint[])",
                   packages, periods, txid, mine)
        with self._it_short_cursor(draw) as (cr, separate):
            try:
                used = {}
                for kind, pool_id, hours in cr.fetchall():
                    if kind == "available":
                        used[kind, pool_id] = hours
                    else:
                        used[kind, pool_id] = used.get((kind, pool_id), 0.0) + (hours or 0.0)
                before = {key: used.get(key, 0.0) for key in pools}
                for (kind, pool_id), state in pools.items():
                    state["hours_used"] = before[kind, pool_id]
                    available = used.get(("available", pool_id)) if kind == "package" else None
                    if available is not None:
                        state["hours_total"] = min(state["hours_total"], available)
                yield before
                changes = {key: pools[key]["hours_used"] - before[key] for key in pools}
                changes.update({("cut", pid): state["hours_cut"] for (kind, pid), state in pools.items()
                                if kind == "package" and state.get("hours_cut")})
                self._it_reserve(cr, changes, txid, token, commit=separate)
            except BaseException:
                if separate and not cr.connection.closed:
                    cr.execute("ROLLBACK")
                raise

    @contextmanager
    def _it_short_cursor(self, first):
        """A connection of its own to the same database, in autocommit, where ``first`` has opened a transaction
        at READ COMMITTED (each statement sees what is committed): yields its cursor and True. While the registry
        loads (install, update, demo data) it yields this transaction's own cursor and False instead, ``first``
        run there: the addon's tables, columns and function exist only in this transaction then, and nobody else
        logs time."""
        if not self.env.registry.ready:
            self.env.cr.execute(first)
            yield self.env.cr, False
            return
        with DRAW_CONNECTIONS.cursor(self.env.cr.dbname, SQL("BEGIN; %s", first)) as cr:
            yield cr, True

    @api.model
    def _it_reserve(self, cr, hours_by_pool, txid, token, commit=True):
        """Record the changes as reservations of transaction ``txid`` under ``token`` (and commit)."""
        changes = sorted((key, hours) for key, hours in hours_by_pool.items() if hours)
        end = SQL("COMMIT") if commit else SQL()
        if changes:
            end = SQL(
                "INSERT INTO it_hours_reservation (kind, pool_id, hours, txid, token) VALUES %s; %s",
                SQL(", ").join(SQL("(%s, %s, %s, %s::xid8, %s)", kind, pool_id, hours, txid, token)
                               for (kind, pool_id), hours in changes), end,
            )
        if end.code:
            cr.execute(end.code, end.params)  # the draw's connection is a plain psycopg2 one

    @api.model
    def _cron_fold_reservations(self):
        """Forget the reservations of finished transactions: a committed one's lines now count instead, an aborted
        one's never will. One statement per table, safe at any time and on any number of servers."""
        for table in ("it_hours_reservation", "it_hours_reservation_mark"):
            self.env.cr.execute(SQL(
                """DELETE FROM %s
                    WHERE pg_visible_in_snapshot(txid, pg_current_snapshot())
                       OR pg_xact_status(txid) IS DISTINCT FROM 'in progress'""", SQL.identifier(table)))
