"""Maintenance visits: the scheduled action creating the visits of 5,000 plans, against plain tasks.

``--maint-plans`` plans (five on each of as many flat contracts as needed, each checking the client's server)
are due; the scheduled action ``it.maintenance.plan._cron_maintenance()`` creates their visits (a request under
the contract on a working day of its service calendar, the technician, the checklist, a check per asset) in
batches, committed. The baseline, in the same run: as many plain project tasks with the same name, description,
allocated hours and assignee, made by one batched ``project.task.create()``. It prints visits per second, the
ratio to the baseline and the SQL queries per visit.

    python3 bench/run.py --config .run/odoo.conf --only maintenance [--maint-plans 5000]

Measured on 2 shared cores (2026-12-06): 5,000 visits (10,000 checks) in 249 s, 20.0 visits/s, against 251 s for
5,000 plain tasks (19.9 tasks/s): 0.99x, about 50 queries each; the cost is Odoo's own creation of a task.
Since a batch of requests reads its service calendar and its clients' contracts once (2026-12-07, 1,000 plans, the
previous code right after in the same session): 0.91x and 46.6 queries a visit, against 1.05x and 50.5.
"""
import os
import sys
from datetime import timedelta

from odoo import SUPERUSER_ID, Command, api, fields

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_invoicing  # noqa: E402  (contracts, and the timing of a fresh transaction)

PLANS_PER_CONTRACT = 5


def add_arguments(parser):
    parser.add_argument("--maint-plans", type=int, default=5000, help="maintenance plans whose visit is due")


def _fixtures(env, count):
    today = fields.Date.today()
    contracts, _oca = bench_invoicing._fixtures(
        env, -(-count // PLANS_PER_CONTRACT), today, oca=False, prefix="Maintenance client")
    server = env.ref("it_service_contracts.asset_category_server")
    env["it.asset"].create([{"partner_id": contract.partner_id.id, "category_id": server.id, "make": "Dell",
                             "model": "R750"} for contract in contracts])
    technician = env.ref("base.user_admin")
    plans = env["it.maintenance.plan"].create([{
        "name": f"Check {index}", "contract_id": contract.id, "date_start": today + timedelta(days=3),
        "interval_type": "month", "interval_number": 1, "lead_days": 7, "planned_hours": 2.0,
        "user_id": technician.id, "category_ids": [Command.set(server.ids)],
        "checklist": "<ul><li>Event logs and disks</li><li>Last night's backup</li></ul>",
    } for contract in contracts for index in range(PLANS_PER_CONTRACT)][:count])
    project = env["project.project"].create({"name": "Plain tasks", "allow_timesheets": True})
    env.flush_all()
    return plans, project, technician


def run(registry, args):
    count = args.maint_plans
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        plans, project, technician = _fixtures(env, count)
        plan_ids, values = plans.ids, [{
            "name": f"{plan.name}: visit", "project_id": project.id, "description": plan.checklist,
            "allocated_hours": plan.planned_hours, "user_ids": [Command.set(technician.ids)],
            "partner_id": plan.partner_id.id,
        } for plan in plans]
        cr.commit()
    print(f"[bench] {count} maintenance plans due ({len(plan_ids) // PLANS_PER_CONTRACT} contracts)", flush=True)
    base_time, base_queries = bench_invoicing._timed(
        registry, SUPERUSER_ID, lambda env: env["project.task"].create(values))
    our_time, our_queries = bench_invoicing._timed(
        registry, SUPERUSER_ID, lambda env: env["it.maintenance.plan"]._cron_maintenance())
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        visits = env["project.task"].search([("it_maintenance_plan_id", "in", plan_ids)])
        checks = env["it.maintenance.check"].search_count([("task_id", "in", visits.ids)])
        assert len(visits) == count and set(visits.it_maintenance_plan_id.ids) == set(plan_ids), \
            f"{len(visits)} visits for {count} plans"
    print(f"plain tasks (one batched create): {base_time:7.2f} s  {count / base_time:7.1f} tasks/s   "
          f"{base_queries / count:5.1f} queries per task")
    print(f"maintenance visits (scheduled):   {our_time:7.2f} s  {count / our_time:7.1f} visits/s  "
          f"{our_queries / count:5.1f} queries per visit, {checks} checks")
    print(f"ratio visits / plain tasks: {our_time / base_time:.2f}x")
