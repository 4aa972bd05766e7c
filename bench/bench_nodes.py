"""Several Odoo servers on one database: the addon's scheduled actions run by one server, then by two at once.

The benchmark's database gets ``--nodes-contracts`` flat contracts whose month is due for invoicing, a
maintenance plan on each whose next visit is due for creation, and as many open requests of which 1 % have
passed an SLA moment (the watch's work). Two copies of it are made (``CREATE DATABASE ... TEMPLATE``). On the
first, one Odoo server (``--workers 2``, one cron thread: Odoo's own runner, which takes a job with ``SKIP
LOCKED`` so that several servers can share the jobs) runs every scheduled action of the addon, all made due at
once; on the second, two such servers do. The benchmark waits until every action has run and nothing it does is
left due, prints both wall times and their ratio, and checks on each copy that nothing was done twice (one
invoice per contract and month, one visit per plan and date, one notification per request and SLA state) and
nothing was missed (every contract invoiced, every visit created, no SLA change left).

    tools/itsc bench --only nodes [--nodes-contracts 2000]
"""
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta

import psycopg2

from odoo import SUPERUSER_ID, api, fields, sql_db

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_invoicing  # noqa: E402  (the fixtures of the invoicing benchmark)
import bench_load  # noqa: E402  (waiting for a server)
import bench_sla  # noqa: E402  (the open requests of the SLA benchmark)

# the addon's scheduled actions, all made due at once; the three whose work is counted below come first
JOBS = [
    "ir_cron_it_invoicing", "ir_cron_it_maintenance_visits", "ir_cron_it_sla_watch", "ir_cron_it_contract_states",
    "ir_cron_it_contract_amendments", "ir_cron_it_package_warnings", "ir_cron_it_contract_periods",
    "ir_cron_it_asset_warranty",
]


def add_arguments(parser):
    parser.add_argument("--nodes-contracts", type=int, default=2000,
                        help="flat contracts due (and as many maintenance plans and open requests)")
    parser.add_argument("--nodes-port", type=int, default=8491, help="HTTP port of the first server")
    parser.add_argument("--nodes-timeout", type=int, default=3600, help="seconds to wait for the servers")


def _fixtures(env, count):
    """Contracts due for invoicing, a plan on each whose visit is due, open requests for the SLA watch."""
    today = fields.Date.today()
    contracts, _oca = bench_invoicing._fixtures(env, count, today, oca=False, prefix="Node client")
    env["it.maintenance.plan"].create([{
        "name": f"Monthly check {contract.partner_id.name}", "contract_id": contract.id,
        "date_start": today + timedelta(days=3), "interval_type": "month", "interval_number": 1, "lead_days": 7,
        "planned_hours": 1.0,
    } for contract in contracts])
    template = bench_sla._setup(env)
    changed = bench_sla._fill(env, template, count, 0.01, datetime.now().replace(microsecond=0))
    env.flush_all()
    return contracts.ids, changed


def _connect(db):
    conn = psycopg2.connect(**sql_db.connection_info_for(db)[1])
    conn.autocommit = True
    return conn


def _copy(db, name):
    """A copy of the benchmark's database (its registry's connections closed first)."""
    sql_db.close_db(db)
    conn = _connect("postgres")
    with conn.cursor() as cr:
        cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cr.execute(f'CREATE DATABASE "{name}" TEMPLATE "{db}"')
    conn.close()


def _drop(name):
    conn = _connect("postgres")
    with conn.cursor() as cr:
        cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def _left(cr, contract_ids):
    """What the three counted actions still have to do: (months not invoiced, visits not created, requests whose
    breach was not notified)."""
    cr.execute(
        """SELECT (SELECT COUNT(*) FROM it_contract c WHERE c.id = ANY(%(ids)s) AND NOT EXISTS (
                       SELECT 1 FROM account_move m WHERE m.it_contract_id = c.id)),
                  (SELECT COUNT(*) FROM it_maintenance_plan p WHERE p.contract_id = ANY(%(ids)s) AND NOT EXISTS (
                       SELECT 1 FROM project_task t WHERE t.it_maintenance_plan_id = p.id)),
                  (SELECT COUNT(*) FROM project_task
                    WHERE active AND sla_state = 'breached' AND sla_notified_state IS DISTINCT FROM 'breached')""",
        {"ids": list(contract_ids)},
    )
    return cr.fetchone()


def _jobs_done(cr, started):
    """Every job of the addon has completed a run since ``started`` (Odoo sets its last call when a run ends)."""
    cr.execute(
        """SELECT COUNT(*) FROM ir_cron c JOIN ir_model_data d ON d.model = 'ir.cron' AND d.res_id = c.id
            WHERE d.module = 'it_service_contracts' AND d.name = ANY(%s) AND c.active
              AND (c.lastcall IS NULL OR c.lastcall < %s)""",
        [JOBS, started],
    )
    return cr.fetchone()[0] == 0


def _serve(args, db, servers, contract_ids):
    """Start ``servers`` Odoo servers on ``db``; once they answer, make every job due and wake their cron workers
    (as Odoo does when a job is triggered); wait until all is done. The wall seconds from the wake-up."""
    conn = _connect(db)
    cr = conn.cursor()
    processes, logs = [], []
    try:
        for index in range(servers):
            port = args.nodes_port + 10 * index
            log = open(os.path.join(os.path.dirname(args.config), f"bench_nodes_{servers}_{index}.log"), "w")
            logs.append(log)
            processes.append(subprocess.Popen([
                sys.executable, os.path.join(os.path.dirname(HERE), "tools", "odoo-server"),
                "-c", args.config, "-d", db, "--db-filter", f"^{db}$", "--http-port", str(port),
                "--gevent-port", str(port + 1), "--workers", "2", "--max-cron-threads", "1",
                "--limit-time-real-cron", "0", "--log-level", "warn",
            ], stdout=log, stderr=subprocess.STDOUT))
            bench_load._wait_for(f"http://127.0.0.1:{port}")
        started = datetime.utcnow().replace(microsecond=0) - timedelta(seconds=1)
        cr.execute(
            """UPDATE ir_cron c SET nextcall = %s, active = TRUE FROM ir_model_data d
                WHERE d.model = 'ir.cron' AND d.res_id = c.id AND d.module = 'it_service_contracts'
                  AND d.name = ANY(%s)""",
            [started, JOBS],
        )
        cr.execute("SELECT pg_notify('cron_trigger', %s)", [db])
        t0 = time.perf_counter()
        deadline = time.monotonic() + args.nodes_timeout
        while time.monotonic() < deadline:
            if _left(cr, contract_ids) == (0, 0, 0) and _jobs_done(cr, started):
                break
            if any(process.poll() is not None for process in processes):
                raise RuntimeError("a benchmark server stopped (see bench_nodes_*.log beside the configuration)")
            time.sleep(0.2)
        else:
            left = _left(cr, contract_ids)
            raise RuntimeError(f"the servers did not finish within {args.nodes_timeout} s: left {left}")
        elapsed = time.perf_counter() - t0
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=120)
        for log in logs:
            log.close()
    cr.close()
    conn.close()
    return elapsed


def _duplicates(registry_db, contract_ids):
    """Work done twice on a copy: (contracts with two invoices of a month, plans with two visits of a date,
    requests notified twice of one state)."""
    conn = _connect(registry_db)
    with conn.cursor() as cr:
        cr.execute(
            """SELECT (SELECT COUNT(*) FROM (SELECT it_contract_id, it_period_id FROM account_move
                                              WHERE it_contract_id = ANY(%s) GROUP BY 1, 2 HAVING COUNT(*) > 1) a),
                      (SELECT COUNT(*) FROM (SELECT it_maintenance_plan_id, it_visit_nominal_date FROM project_task
                                              WHERE it_maintenance_plan_id IS NOT NULL
                                              GROUP BY 1, 2 HAVING COUNT(*) > 1) v),
                      (SELECT COUNT(*) FROM (SELECT a.res_id FROM mail_activity a JOIN ir_model_data d
                                                ON d.model = 'mail.activity.type' AND d.res_id = a.activity_type_id
                                               AND d.name = 'mail_activity_type_sla_alert'
                                              GROUP BY 1 HAVING COUNT(*) > 1) n)""",
            [list(contract_ids)],
        )
        result = cr.fetchone()
    conn.close()
    return result


def run(registry, args):
    count = args.nodes_contracts
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        started = time.perf_counter()
        contract_ids, changed = _fixtures(env, count)
        cr.commit()
    print(f"[bench] {count} flat contracts due, {count} maintenance plans due, {count} open requests "
          f"({changed} past an SLA moment), made in {time.perf_counter() - started:.0f} s", flush=True)
    db = registry.db_name
    times = {}
    for servers in (1, 2):
        copy = f"{db}_{servers}"
        _copy(db, copy)
        try:
            times[servers] = _serve(args, copy, servers, contract_ids)
            twice = _duplicates(copy, contract_ids)
        finally:
            _drop(copy)
        print(f"{servers} server(s): {times[servers]:7.1f} s for every scheduled action; done twice (invoices, "
              f"visits, SLA notifications): {twice}; missed: none (every contract invoiced, every visit made, "
              f"no SLA change left)", flush=True)
        if any(twice):
            raise SystemExit("bench_nodes: work was done twice (see above)")
    print(f"ratio two servers / one: {times[2] / times[1]:.2f} (lower than 1: the servers share the jobs)")
