"""SLA watch: how the scheduled watch scales with the number of open service requests.

For each size (by default 1,000 and 100,000 open requests, 1 % of which have just crossed their at-risk moment
or their deadline) it measures, on the same data:

* the watch's detection: the one query that finds the requests whose SLA state changed (partial indexes on
  the stored deadlines), as open requests scanned per second;
* a baseline: the naive scan that loads every open request into Python and evaluates its state;
* the full watch run (state changes, technician activities, one message to the service desk lead per batch,
  a commit per batch of 1,000, the scheduled action's own size), and that every change got its activity once;
  three requests in four are assigned to one of eight technicians, the others to nobody yet;
* its floor, measured on the same changes just before and rolled back: Odoo's own create of one activity per
  change and ORM write of the new states, in the same batches, and nothing else;
* then the replanning of ``--sla-replan`` open requests after a change of terms (a public holiday added,
  another service calendar), against a baseline of Odoo's ``plan_hours`` one request at a time.

Measured on the development machine (2 shared cores, PostgreSQL with fsync off), `python3 bench/run.py --only sla
--reuse`, while other sessions' Odoo test suites, module installs and an invoicing benchmark kept the machine busy
(load average 1.8 to 3.2 on the 2 cores):

    open requests   changed   detection (batch / count)   Python baseline   full watch run
            1,000        19        4.4 ms / 4.6 ms               67 ms        0.19 s (102 changes/s)
          100,000     1,999        6.5 ms / 8.4 ms            4,182 ms        2.04 s (978 changes/s, 1.65 s of CPU)

    On the busy machine the detection timings are noisy (0.8 / 0.5 ms and 3.2 / 1.9 ms in a quieter run of the
    previous version): 100,000 open requests are scanned at 12 to 53 million requests/s by the detection query
    (full count), against 24,000 to 30,000/s for the Python baseline. The watch run grows with the number of
    changes, not with the number of open requests.

    This version against the previous one (fba6f86), alternating in the same session, 100,000 open requests,
    1,999 changes, batches of 1,000 (the wall clock of one run varies by x1.7 on the shared machine; the Odoo
    process's CPU time, printed since, varies less):
      * this benchmark, four pairs: 792, 1,039, 961 and 1,002 changes/s (CPU 1.85, 1.55, 1.63, 1.59 s) against
        802, 741, 869 and 711 (CPU 1.89, 1.99, 1.85, 2.25 s): medians 981 and 772 changes/s (1.27x), CPU 1.61 and
        1.94 s (-17 %); five earlier pairs, on a busier machine, without the CPU figure: 808, 618, 689, 670 and
        1,044 against 633, 829, 728, 621 and 614 (medians 689 and 633);
      * the watch run alone on freshly inserted requests, the mail tables emptied between runs, five pairs:
        medians 851 and 582 changes/s (1.46x), CPU 1.85 and 2.71 s.
    What changed: the service desk lead, given the activities of the unassigned requests, no longer becomes a
    follower of each of them (Odoo's activity create subscribed the lead: 10 % of the run, 2,000 mail.followers);
    the new state and the state notified are one write instead of two; the summaries' deadlines are formatted
    by Odoo's format_datetime with the language's pattern worked out once per batch and passed in. Later, on
    the machine with nothing else running, two runs of this version: 1,030 and 1,042 changes/s (1.94 and 1.92 s,
    CPU 1.56 and 1.52 s).

    2,000 changes/s is not reached. What is left is Odoo's own work of creating two mail records per change
    through the ORM (cProfile of the 100,000 run, shares of the run): the chatter notes of `_message_log_batch`
    43 %, the activities 24 %, the two messages to the lead per batch 11 % (the template rendered over the
    batch's requests, the long body sanitized, the e-mail layout), the final flush 8 % (one UPDATE of the
    requests with the three stored compliance fields, which depend on the state, and the activities'
    res_name, user_tz and date_done, computed after their create; nothing that does not depend on the state).
    Across those, the ORM's `_update_inverses` takes 27 %: `_create` calls it once per distinct res_id, and for
    each message it walks the 90 one2many inverses of mail.message's res_id (24 for activities) and evaluates
    the domain of the request's message_ids and website_message_ids on the new record before it looks at the
    cache, so a one2many not in cache does not avoid it. Then the sanitizing of each note 8 %, the default
    values 6 %, the activities' precomputed res_model (a new record each) 5 %, SQL 12 %. On the busy machine,
    Odoo's plain ``create`` of 2,000 mail.message records takes about 0.7 s and of 2,000 activities about
    0.36 s: more than the 1 s that 2,000 changes/s allows, before any state is written. Batches of 2,000 (two
    messages to the lead instead of four) handled 1,017 and 965 changes/s against 758 and 788 with 1,000 in
    alternation; the scheduled action keeps 1,000 (a failing batch is retried request by request, each then
    with its own message to the lead). Requests that were at risk and breach get their activity updated, not
    created: 1,000 such changes took 0.97 s against 1.42 s for the previous version (one pair). An earlier
    version that posted a notified message per request handled 6 changes/s (309 s for 1,999 changes).

    The lead's message now names the batch's 25 most urgent requests and links to the list of all of them (it
    named the whole batch: 1,000 rows rendered and sanitized twice per batch). Alternating with the previous
    version in one session (20,000 open requests, 3,999 changes, batches of 1,000; machine shared): 889 and 815
    changes/s (CPU 3.49 and 3.83 s) against 808 and 761 (CPU 3.94 and 4.15 s), about 10 % less CPU.

    Then (2026-12-07) the per-change chatter note went: it was 40 % of the run and told nobody anything the
    activity does not (the chatter shows the activity; the request keeps its deadlines, at-risk moments and
    state, as Odoo's Helpdesk keeps its SLA records without a note). The lead gets one message per batch with
    both states (was one per state), and the alerts' deadlines are formatted with babel and the time zone
    worked out once (Odoo's format_datetime looks the language up again for every call: 67 against 12 us, a
    tenth of the run). Same machine, nothing else running, 100,000 open requests, 1,999 changes, four runs in
    a row: 1,890, 1,874, 2,001 and 1,821 changes/s (CPU 0.68 to 0.74 s), against 976 before; the floor
    printed since (Odoo's activity create and state write of the same changes alone) did 1,903, 1,946, 2,010
    and 1,997: the watch run was 1.01x, 1.04x, 1.00x and 1.10x of it.

    Those requests were all unassigned (every activity the lead's). The bulk requests are now assigned as on a
    service desk: three in four to one of eight technicians, who follow them, one in four to nobody yet. Odoo's
    activity create then does more (the activity's user subscribed, which finds them following; a bus
    notification and the computed fields per user), and so does its floor. Three runs in a row: 1,382, 1,552
    and 1,567 changes/s (CPU 0.76 to 0.95 s), floor 1,381, 1,488 and 1,542: the watch run is 1.00x, 0.96x and
    0.98x of it. 2,000 changes/s is above what this machine's ORM does with one activity per change, before
    anything else the watch does (query, locks, rule, summaries, the lead's message, commits: within the
    runs' noise). Of the floor, PostgreSQL is about a third (each request's row is updated outside HOT, the
    state being indexed: some twenty index entries a row; the activities' inserts), and Odoo's create of an
    activity (its precomputed model name, the 24 one2many inverses of its document link) most of the rest.
"""
import inspect
import statistics
import time
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields
from odoo.tools import SQL, split_every

TECHNICIANS = 8
UNASSIGNED = 4  # one request in this many has nobody assigned yet


def add_arguments(parser):
    parser.add_argument("--sla-sizes", default="1000,100000", help="numbers of open requests, comma-separated")
    parser.add_argument("--sla-changed", type=float, default=0.01, help="share of requests whose state changes")
    parser.add_argument("--sla-repeat", type=int, default=5, help="repetitions of each detection measure")
    parser.add_argument("--sla-batch", type=int, default=0,
                        help="batch size of the watch run (default: the scheduled action's own)")
    parser.add_argument("--sla-replan", type=int, default=2000,
                        help="open requests whose deadlines are planned again after a change of terms")


def _setup(env):
    """A flat contract on Mon-Fri 8-16 Warsaw, its technicians and one request under it, the template of the bulk
    requests."""
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
    for year in (fields.Date.today().year, fields.Date.today().year + 1):
        env["resource.calendar.leaves"]._it_fill_public_holidays(company, year)
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
    technicians = env["res.users"].search([("login", "like", "bench_tech_")], order="id") or env["res.users"].create([{
        "name": f"Bench Technician {n}", "login": f"bench_tech_{n}", "company_id": company.id,
        "company_ids": [(6, 0, company.ids)],
        "group_ids": [(6, 0, env.ref("it_service_contracts.group_it_technician").ids)],
    } for n in range(TECHNICIANS)])
    template = env["project.task"].create({
        "name": "Bench template", "partner_id": client.id, "project_id": contract.project_id.id,
        "user_ids": [(6, 0, technicians[:1].ids)],
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
    env.cr.execute("""DELETE FROM mail_followers f WHERE f.res_model = 'project.task'
                       AND NOT EXISTS (SELECT FROM project_task t WHERE t.id = f.res_id)""")
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
    # as on a service desk: most requests are assigned to one of the technicians, who follows them (Odoo makes
    # an assignee follow the request); one in UNASSIGNED is not assigned yet (its alert goes to the lead)
    technicians = env["res.users"].search([("login", "like", "bench_tech_")], order="id")
    env.cr.execute(SQL(
        """WITH assigned AS (
               SELECT t.id, (%(users)s)[1 + (t.id %% %(count)s)] AS user_id
                 FROM project_task t
                WHERE t.project_id = %(project)s AND t.id != %(template)s AND t.id %% %(unassigned)s != 0)
           , rel AS (INSERT INTO project_task_user_rel (task_id, user_id) SELECT id, user_id FROM assigned)
           INSERT INTO mail_followers (res_model, res_id, partner_id)
           SELECT 'project.task', a.id, u.partner_id FROM assigned a JOIN res_users u ON u.id = a.user_id""",
        users=technicians.ids, count=len(technicians), project=template.project_id.id, template=template.id,
        unassigned=UNASSIGNED,
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
    """What the watch run left: requests notified, their SLA activities, and the messages to the service desk
    lead (created since ``since``)."""
    activity_type = env.ref("it_service_contracts.mail_activity_type_sla_alert")
    return env.execute_query(SQL(
        """SELECT (SELECT COUNT(*) FROM project_task
                    WHERE project_id = %(project)s AND sla_notified_state IS NOT NULL),
                  (SELECT COUNT(*) FROM mail_activity a JOIN project_task t ON t.id = a.res_id
                    WHERE a.res_model = 'project.task' AND a.activity_type_id = %(type)s
                      AND t.project_id = %(project)s),
                  (SELECT COUNT(*) FROM mail_message m
                    WHERE m.model IS NULL AND m.subject = 'Service requests: SLA at risk or breached'
                      AND m.create_date >= %(since)s)""",
        project=project_id, type=activity_type.id, since=since,
    ))[0]


def _floor(registry, now, batch_size):
    """The floor of a watch run on the same changes: Odoo's own ``mail.activity`` create of one activity per
    change and ORM write of the new states, in the watch's batches, nothing else (no query, lock, summary,
    message to the lead or commit); rolled back. What is left above it is the watch's own work."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Task = env["project.task"]
        tasks = Task._it_sla_watch_query(now)
        states = {task.id: task._it_sla_target_state(now) for task in tasks}
        assignees = {task.id: task.user_ids[:1].id for task in tasks}
        activity_type = env.ref("it_service_contracts.mail_activity_type_sla_alert")
        lead = env.company.it_service_desk_lead_id
        model_id = env["ir.model"]._get_id("project.task")
        today = fields.Date.context_today(Task)
        Activity = env["mail.activity"].with_context(mail_activity_quick_update=True)
        env.invalidate_all()
        started = time.perf_counter()
        for ids in split_every(batch_size, list(states)):
            # as the watch: the assignee's activity, the lead's for a request nobody is assigned to, whom Odoo
            # does not make follow it
            for assigned in (True, False):
                with Task._it_lead_not_following(not assigned):
                    Activity.create([{
                        "activity_type_id": activity_type.id, "summary": f"SLA {states[task_id]}",
                        "user_id": assignees[task_id] or lead.id, "date_deadline": today, "res_model_id": model_id,
                        "res_id": task_id, "automated": True,
                    } for task_id in ids if bool(assignees[task_id]) == assigned])
            for state in ("at_risk", "breached"):
                Task.browse([task_id for task_id in ids if states[task_id] == state])._it_write_sla(
                    {"sla_state": state, "sla_notified_state": state})
            env.flush_all()
        elapsed = time.perf_counter() - started
        cr.rollback()
    return elapsed, len(states)


def _replan(registry, project_id, count, now):
    """A change of terms (a public holiday added, another service calendar): the deadlines of ``count`` open
    requests reported over the last two weeks planned again by the clock (``_it_recompute_open_deadlines``,
    which also writes them and their SLA state), against a baseline of Odoo's ``plan_hours`` and
    ``get_work_hours_count`` one request at a time (what the clock did before it planned a batch at once);
    rolled back."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        ids = [task_id for (task_id,) in env.execute_query(SQL(
            "SELECT id FROM project_task WHERE project_id = %s AND sla_resolution_date IS NULL ORDER BY id LIMIT %s",
            project_id, count,
        ))]
        env.cr.execute(SQL(
            """UPDATE project_task t SET it_reported_date = %(now)s - r.rank * %(step)s * interval '1 second'
                 FROM (SELECT id, row_number() OVER (ORDER BY id) AS rank FROM project_task WHERE id = ANY(%(ids)s)) r
                WHERE r.id = t.id""",
            now=now, step=14 * 86400 // max(count, 1), ids=ids,
        ))
        env.invalidate_all()
        tasks = env["project.task"].browse(ids)
        contract = tasks[:1].it_contract_id
        calendar, company, line = contract.service_calendar_id, contract.company_id, contract.sla_line_ids[:1]
        share = (company.it_sla_risk_share or 75.0) / 100.0
        amounts = [line.response_hours * share, line.response_hours, line.resolution_hours * share,
                   line.resolution_hours]
        Calendar = env["it.service.calendar"]
        started = time.perf_counter()
        for task in tasks:
            start = task.it_reported_date
            Calendar._it_work_hours(calendar, start, start + timedelta(minutes=1), company)
            for hours in amounts:
                Calendar._it_plan_hours(calendar, start, hours, company)
        base_time = time.perf_counter() - started
        env.invalidate_all()
        queries = cr.sql_log_count
        started = time.perf_counter()
        env["project.task"]._it_recompute_open_deadlines([("id", "in", ids)])
        replan_time = time.perf_counter() - started
        queries = cr.sql_log_count - queries
        cr.rollback()
    print(
        f"replanning {count:,} open requests after a change of terms: {replan_time:.2f} s"
        f" ({count / replan_time:,.0f}/s, {queries} queries, deadlines and states written)\n"
        f"  baseline, Odoo's plan_hours one request at a time (nothing written): {base_time:.2f} s"
        f" ({count / base_time:,.0f}/s) -> ratio {replan_time / base_time:.3f}x",
        flush=True,
    )


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
        watch = registry["project.task"]._cron_sla_watch
        batch_size = args.sla_batch or inspect.signature(watch).parameters["batch_size"].default
        floor_time, floor_changes = _floor(registry, now, batch_size)
        assert floor_changes == changed, (floor_changes, changed)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"lastcall": False})
            since = env.cr.now()
            watch = env["project.task"]._cron_sla_watch
            started, cpu_started = time.perf_counter(), time.process_time()
            watch(batch_size=batch_size)
            watch_time = time.perf_counter() - started
            # the Odoo process's own CPU time (not PostgreSQL's): steadier than the wall clock on a shared machine
            watch_cpu = time.process_time() - cpu_started
            left = env["project.task"]._it_sla_watch_query(now, count=True)
            states = dict(env.execute_query(SQL(
                "SELECT sla_state, COUNT(*) FROM project_task WHERE project_id = %s GROUP BY sla_state",
                project_id,
            )))
            handled, activities, lead_messages = _notified(env, project_id, since)
            # every change handled once, notifications included (not more: the copies are found once)
            assert handled == activities == changed and lead_messages, (handled, activities, changed, lead_messages)
            cr.commit()
        results.append({
            "size": size, "changed": changed, "detect": detect_time, "count": count_time, "naive": naive_time,
            "watch": watch_time, "watch_cpu": watch_cpu, "left": left, "states": states, "indexes": indexes,
            "fill": fill_time, "rows": len(rows), "batch": batch_size, "lead_messages": lead_messages,
            "floor": floor_time,
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
            f"  of which the Odoo process's CPU: {watch_cpu:.2f} s"
            f" ({handled / watch_cpu if watch_cpu else 0:,.0f} changes per CPU second)\n"
            f"  floor, Odoo's activity create and state write of the same changes alone: {floor_time:.2f} s"
            f" ({changed / floor_time if floor_time else 0:,.0f} changes/s)"
            f" -> watch run {watch_time / floor_time if floor_time else 0:.2f}x\n"
            f"  notified: {activities:,} activities, {lead_messages} messages to the lead\n"
            f"  states after the run: {states}; indexes used: {', '.join(indexes) or 'none'}",
            flush=True,
        )
    if args.sla_replan:
        _replan(registry, project_id, args.sla_replan, fields.Datetime.now())
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
