"""SLA watch: how the scheduled watch scales with the number of open service requests.

For each size (by default 1,000 and 100,000 open requests, 1 % of which have just crossed their at-risk moment
or their deadline) it measures, on the same data:

* the watch's detection: the one query that finds the requests whose SLA state changed (partial indexes on
  the stored deadlines), as open requests scanned per second;
* a baseline: the naive scan that loads every open request into Python and evaluates its state;
* the full watch run (state changes, technician activities, chatter notes, one message to the service desk
  lead per state and batch, a commit per batch of 1,000, the scheduled action's own size), and that every
  change got its activity and its note once.

Measured on the development machine (2 shared cores, PostgreSQL with fsync off), `tools/itsc bench --only sla`,
while another engineer's benchmark kept one of the two cores busy:

    open requests   changed   detection (batch / count)   Python baseline   full watch run
            1,000        19        0.8 ms / 0.5 ms               53 ms        0.18 s (104 changes/s)
          100,000     1,999        3.2 ms / 1.9 ms            3,286 ms        2.22 s (902 changes/s)

    100,000 open requests are scanned at about 53 million requests/s by the detection query (full count),
    against about 30,400/s for the Python baseline (1,744x). From 1,000 to 100,000 requests (x100) the
    detection costs x3.7 (full count) to x4.1 (first batch of 500 rows instead of 19), the baseline x62; the
    watch run grows with the number of changes, not with the number of open requests. Four runs of this
    version and of the previous one (two notification passes per batch of 500, a query that walked the table
    in the order of the ids, the tracking of the requests prepared at each write of their state), alternating
    in the same session: 894, 823, 902 and 676 changes/s against 548, 558, 652 and 443 (medians 858 and 553,
    1.55x), short of the 2,000 aimed at. What is left is Odoo's own work for each change (cProfile of the
    100,000 run): the chatter notes of `_message_log_batch` 37 %, the activities 30 % (12 % subscribing the
    service desk lead, who gets the activities of the copies, unassigned, and follows none of them), the two
    messages to the lead 12 %, the final flush (one UPDATE of the requests, stored fields recomputed) 9 %;
    about a third of the whole is the ORM linking each new message, activity and follower to its request
    (``_update_inverses``). Those Odoo calls alone, on 2,000 requests, take 2.1 to 3.1 s on the loaded
    machine. Those runs used batches of 2,000; the scheduled action now takes 1,000 (a batch that fails is
    retried request by request, each then with its own message to the lead), and one run of it on the same
    loaded machine handled 748 changes/s. An earlier version that posted a notified message per request handled
    6 changes/s (309 s for 1,999 changes).
"""
import inspect
import statistics
import time

from odoo import SUPERUSER_ID, api, fields
from odoo.tools import SQL


def add_arguments(parser):
    parser.add_argument("--sla-sizes", default="1000,100000", help="numbers of open requests, comma-separated")
    parser.add_argument("--sla-changed", type=float, default=0.01, help="share of requests whose state changes")
    parser.add_argument("--sla-repeat", type=int, default=5, help="repetitions of each detection measure")
    parser.add_argument("--sla-batch", type=int, default=0,
                        help="batch size of the watch run (default: the scheduled action's own)")


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
    moment; the others are due in the coming days. ``now`` is naive UTC, as Odoo stores it.

    Every SLA date of a copy is set from its own deadline (the response and resolution at-risk moments too,
    not the template's), so that each copy is a request the clock could have planned: its state is the one
    ``_it_sla_target_state`` gives, and the watch finds it once."""
    env.cr.execute(SQL("DELETE FROM project_task WHERE id != %s AND project_id = %s",
                       template.id, template.project_id.id))
    columns = [
        name for (name,) in env.execute_query(SQL(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'project_task' "
            "AND column_name NOT IN ('id', 'name', 'sla_state', 'sla_notified_state', 'sla_next_deadline', "
            "'sla_risk_date', 'sla_response_deadline', 'sla_resolution_deadline', 'sla_response_risk_date', "
            "'sla_resolution_risk_date', 'first_response_date')"
        ))
    ]
    every = max(round(1 / changed_share), 1) if changed_share > 0 else size + 1
    column_list = SQL(", ").join(SQL.identifier(column) for column in columns)
    env.cr.execute(SQL(
        """INSERT INTO project_task (%(columns)s, name, sla_state, sla_notified_state, sla_next_deadline,
                                     sla_risk_date, sla_response_deadline, sla_resolution_deadline,
                                     sla_response_risk_date, sla_resolution_risk_date)
           SELECT %(columns)s, jsonb_build_object('en_US', 'Bench request ' || g), 'on_track', NULL, due, risk, due,
                  due + interval '2 days', risk, risk + interval '2 days'
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
    """The partial indexes the watch's query (its first batch of 500) uses."""
    plan = env.execute_query(SQL("EXPLAIN %s", env["project.task"]._it_sla_watch_sql(now, limit=500)))
    return sorted({
        word.strip('"') for (line,) in plan for word in line.split() if word.startswith("project_task_sla_watch")
    })


def _notified(env, project_id, since):
    """What the watch run left: requests notified, their SLA activities and chatter notes, and the messages to
    the service desk lead (created since ``since``)."""
    activity_type = env.ref("it_service_contracts.mail_activity_type_sla_alert")
    return env.execute_query(SQL(
        """SELECT (SELECT COUNT(*) FROM project_task
                    WHERE project_id = %(project)s AND sla_notified_state IS NOT NULL),
                  (SELECT COUNT(*) FROM mail_activity a JOIN project_task t ON t.id = a.res_id
                    WHERE a.res_model = 'project.task' AND a.activity_type_id = %(type)s
                      AND t.project_id = %(project)s),
                  (SELECT COUNT(*) FROM mail_message m JOIN project_task t ON t.id = m.res_id
                    WHERE m.model = 'project.task' AND t.project_id = %(project)s AND m.create_date >= %(since)s),
                  (SELECT COUNT(*) FROM mail_message m
                    WHERE m.model IS NULL AND m.subject = 'Service requests: SLA at risk or breached'
                      AND m.create_date >= %(since)s)""",
        project=project_id, type=activity_type.id, since=since,
    ))[0]


def run(registry, args):
    sizes = [int(size) for size in args.sla_sizes.split(",") if size]
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
            now = fields.Datetime.now()
            changed = _fill(env, template, size, args.sla_changed, now)
            cr.commit()
            fill_time = time.perf_counter() - started
            Task = env["project.task"]
            detect_time, rows = _timed(lambda T=Task, n=now: T._it_sla_watch_query(n, limit=500), args.sla_repeat)
            count_time, count = _timed(lambda T=Task, n=now: T._it_sla_watch_query(n, count=True), args.sla_repeat)
            naive_time, naive = _timed(lambda e=env, n=now: _naive_scan(e, n), 1 if size > 10000 else args.sla_repeat)
            indexes = _plan(env, now)
            assert count == changed == len(naive), (count, changed, len(naive))
            cr.commit()
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"lastcall": False})
            since = env.cr.now()
            watch = env["project.task"]._cron_sla_watch
            batch_size = args.sla_batch or inspect.signature(watch).parameters["batch_size"].default
            started = time.perf_counter()
            watch(batch_size=batch_size)
            watch_time = time.perf_counter() - started
            left = env["project.task"]._it_sla_watch_query(now, count=True)
            states = dict(env.execute_query(SQL(
                "SELECT sla_state, COUNT(*) FROM project_task WHERE project_id = %s GROUP BY sla_state",
                project_id,
            )))
            handled, activities, notes, lead_messages = _notified(env, project_id, since)
            # every change handled once, notifications included (not more: the copies are found once)
            assert handled == activities == notes == changed and lead_messages, (
                handled, activities, notes, changed, lead_messages)
            cr.commit()
        results.append({
            "size": size, "changed": changed, "detect": detect_time, "count": count_time, "naive": naive_time,
            "watch": watch_time, "left": left, "states": states, "indexes": indexes, "fill": fill_time,
            "rows": len(rows), "batch": batch_size, "lead_messages": lead_messages,
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
            f"  full watch run (batches of {batch_size:,}, commit each): {watch_time:.2f} s for {handled:,} changes"
            f" -> {handled / watch_time if watch_time else 0:,.0f} changes handled/s; left after run: {left}\n"
            f"  notified: {activities:,} activities, {notes:,} chatter notes, {lead_messages} messages to the lead\n"
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
