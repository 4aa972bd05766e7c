"""SLA watch: how the scheduled watch scales with the number of open service requests.

For each size (by default 1,000 and 100,000 open requests, 1 % of which have just crossed their at-risk moment
or their deadline) it measures, on the same data:

* the watch's detection: the one query that finds the requests whose SLA state changed (partial indexes on
  the stored deadlines), as open requests scanned per second;
* a baseline: the naive scan that loads every open request into Python and evaluates its state;
* the full watch run (state changes, technician activities, chatter notes, one message to the service desk
  lead per batch, a commit per batch of 500).

Measured on the development machine (2 shared cores, PostgreSQL with fsync off), `tools/itsc bench --only sla`:

    open requests   changed   detection (batch / count)   Python baseline   full watch run
            1,000        19        1.9 ms / 1.3 ms               51 ms        0.23 s (81 changes/s)
          100,000     1,999       13.2 ms / 5.6 ms            4,056 ms        4.57 s (438 changes/s)

    100,000 open requests are scanned at about 17.8 million requests/s by the detection query (full count),
    against about 24,600/s for the Python baseline (723x). From 1,000 to 100,000 requests (x100) the detection
    costs x4.2 (full count) to x6.9 (first batch of 500 rows instead of 19), the baseline x79; the watch run
    grows with the number of changes, not with the number of open requests. An earlier version that posted a
    notified message per request handled 6 changes/s (309 s for 1,999 changes).
"""
import statistics
import time
from datetime import datetime

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL


def add_arguments(parser):
    parser.add_argument("--sla-sizes", default="1000,100000", help="numbers of open requests, comma-separated")
    parser.add_argument("--sla-changed", type=float, default=0.01, help="share of requests whose state changes")
    parser.add_argument("--sla-repeat", type=int, default=5, help="repetitions of each detection measure")


def _setup(env):
    """A flat contract on Mon-Fri 8-16 Warsaw and one request under it, the template of the bulk requests."""
    company = env.company
    company.partner_id.country_id = env.ref("base.pl")
    company.it_service_desk_lead_id = env.ref("base.user_admin")
    calendar = env["resource.calendar"].create({
        "name": "Bench service hours", "tz": "Europe/Warsaw", "company_id": company.id, "hours_per_day": 8,
        "attendance_ids": [(5, 0, 0)] + [
            (0, 0, {"name": f"Day {day}", "dayofweek": str(day), "hour_from": 8, "hour_to": 16,
                    "day_period": "full_day"}) for day in range(5)
        ],
    })
    client = env["res.partner"].create({"name": "Bench Client", "is_company": True})
    service = env["product.product"].create({"name": "Bench support", "type": "service"})
    audit = env["it.audit"].create({"partner_id": client.id, "asset_ids": [(0, 0, {
        "category_id": env.ref("it_service_contracts.asset_category_server").id,
    })]})
    audit.action_done()
    contract = env["it.contract"].create({
        "partner_id": client.id, "contract_type": "monthly_flat", "audit_id": audit.id,
        "monthly_fee": 3000, "monthly_hours": 20, "out_of_hours_response_hours": 2,
        "service_product_ids": [(6, 0, service.ids)], "service_calendar_id": calendar.id,
        "sla_line_ids": [(0, 0, {"priority": "0", "response_hours": 4, "resolution_hours": 16})],
    })
    contract.action_activate()
    template = env["project.task"].create({
        "name": "Bench template", "partner_id": client.id, "project_id": contract.project_id.id,
    })
    env.flush_all()
    assert template.it_contract_id == contract and template.sla_state == "on_track", "set-up failed"
    return template


def _fill(env, template, size, changed_share, now):
    """Insert ``size`` open requests copied from the template (SQL: the benchmark measures the watch, not
    the creation). One in every 1/changed_share requests has passed its deadline, as many again their at-risk
    moment; the others are due in the coming days."""
    env.cr.execute(SQL("DELETE FROM project_task WHERE id != %s AND project_id = %s",
                       template.id, template.project_id.id))
    columns = [
        name for (name,) in env.execute_query(SQL(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'project_task' "
            "AND column_name NOT IN ('id', 'name', 'sla_state', 'sla_notified_state', 'sla_next_deadline', "
            "'sla_risk_date', 'sla_response_deadline', 'sla_resolution_deadline', 'first_response_date')"
        ))
    ]
    every = max(round(1 / changed_share), 1) if changed_share > 0 else size + 1
    column_list = SQL(", ").join(SQL.identifier(column) for column in columns)
    env.cr.execute(SQL(
        """INSERT INTO project_task (%(columns)s, name, sla_state, sla_notified_state, sla_next_deadline,
                                     sla_risk_date, sla_response_deadline, sla_resolution_deadline)
           SELECT %(columns)s, jsonb_build_object('en_US', 'Bench request ' || g), 'on_track', NULL, due, risk, due,
                  due + interval '2 days'
             FROM project_task t,
                  generate_series(1, %(size)s) g,
                  LATERAL (SELECT CASE WHEN g %% %(every)s = 0 THEN %(now)s - interval '5 minutes'
                                       ELSE %(now)s + (g %% 5000) * interval '1 minute' + interval '1 hour' END AS due,
                                  CASE WHEN g %% %(every)s IN (0, 1) THEN %(now)s - interval '10 minutes'
                                       ELSE %(now)s + (g %% 5000) * interval '1 minute' END AS risk) d
            WHERE t.id = %(template)s""",
        columns=column_list, size=size - 1, every=every, now=now, template=template.id,
    ))
    env.cr.execute("ANALYZE project_task")
    env.invalidate_all()
    changed = env.execute_query(SQL(
        "SELECT COUNT(*) FROM project_task WHERE sla_next_deadline < %(now)s "
        "OR sla_risk_date <= %(now)s", now=now,
    ))[0][0]
    return changed


def _timed(function, repeat):
    times = []
    result = None
    for _run in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _naive_scan(env, now):
    """The baseline: every open request loaded into Python and evaluated one by one."""
    Task = env["project.task"]
    tasks = Task.search([("it_is_service_request", "=", True), ("sla_state", "in", ("on_track", "at_risk"))])
    changes = {}
    for task in tasks:
        target = task._it_sla_target_state(now)
        if target != task.sla_state:
            changes[task.id] = target
    env.invalidate_all()
    return changes


def _plan(env, now):
    plan = env.execute_query(SQL(
        "EXPLAIN %s", SQL(
            """SELECT id FROM project_task WHERE active AND (
                   (sla_state IN ('on_track', 'at_risk') AND sla_next_deadline < %(now)s)
                OR (sla_state = 'on_track' AND sla_risk_date <= %(now)s)
                OR (sla_state IN ('at_risk', 'breached') AND sla_notified_state IS DISTINCT FROM sla_state))
               LIMIT 500""", now=now),
    ))
    return sorted({
        word.strip('"') for (line,) in plan for word in line.split() if word.startswith("project_task_sla_watch")
    })


def run(registry, args):
    sizes = [int(size) for size in args.sla_sizes.split(",") if size]
    now = datetime.now().replace(microsecond=0)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        cr.execute("DELETE FROM project_task")  # the benchmark's own database: start from no request
        template = _setup(env)
        template_id, project_id = template.id, template.project_id.id
        cr.commit()

    results = []
    for size in sizes:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            template = env["project.task"].browse(template_id)
            started = time.perf_counter()
            changed = _fill(env, template, size, args.sla_changed, now)
            cr.commit()
            fill_time = time.perf_counter() - started
            Task = env["project.task"]
            detect_time, rows = _timed(lambda T=Task: T._it_sla_watch_query(now, limit=500), args.sla_repeat)
            count_time, count = _timed(lambda T=Task: T._it_sla_watch_query(now, count=True), args.sla_repeat)
            naive_time, naive = _timed(lambda e=env: _naive_scan(e, now), 1 if size > 10000 else args.sla_repeat)
            indexes = _plan(env, now)
            assert count == changed == len(naive), (count, changed, len(naive))
            cr.commit()
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"lastcall": False})
            started = time.perf_counter()
            env["project.task"]._cron_sla_watch(batch_size=500)
            watch_time = time.perf_counter() - started
            left = env["project.task"]._it_sla_watch_query(now, count=True)
            states = dict(env.execute_query(SQL(
                "SELECT sla_state, COUNT(*) FROM project_task WHERE project_id = %s GROUP BY sla_state",
                project_id,
            )))
            cr.commit()
        results.append({
            "size": size, "changed": changed, "detect": detect_time, "count": count_time, "naive": naive_time,
            "watch": watch_time, "left": left, "states": states, "indexes": indexes, "fill": fill_time,
            "rows": len(rows),
        })
        print(
            f"{size:>8,} open requests ({changed:,} changed; inserted in {fill_time:.1f} s)\n"
            f"  detection, first batch of {len(rows)}: {detect_time * 1000:8.2f} ms"
            f"  -> {size / detect_time:>14,.0f} open requests scanned/s\n"
            f"  detection, full count:       {count_time * 1000:8.2f} ms"
            f"  -> {size / count_time:>14,.0f} open requests scanned/s\n"
            f"  baseline, Python scan:       {naive_time * 1000:8.2f} ms"
            f"  -> {size / naive_time:>14,.0f} open requests scanned/s"
            f"  (detection is {naive_time / count_time:,.0f}x faster)\n"
            f"  full watch run (batches of 500, commit each): {watch_time:.2f} s for {changed:,} changes"
            f" -> {changed / watch_time if watch_time else 0:,.0f} changes handled/s; left after run: {left}\n"
            f"  states after the run: {states}; indexes used: {', '.join(indexes) or 'none'}",
            flush=True,
        )
    if len(results) > 1:
        small, large = results[0], results[-1]
        growth = large["size"] / small["size"]
        print(
            f"\nfrom {small['size']:,} to {large['size']:,} open requests (x{growth:,.0f}):\n"
            f"  detection (first batch) cost x{large['detect'] / small['detect']:,.1f}, "
            f"full count x{large['count'] / small['count']:,.1f}, "
            f"Python baseline x{large['naive'] / small['naive']:,.1f}, "
            f"full watch run x{large['watch'] / small['watch']:,.1f} "
            f"(for x{large['changed'] / max(small['changed'], 1):,.0f} changes)",
            flush=True,
        )
