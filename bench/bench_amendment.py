#!/usr/bin/env python3
"""Benchmark: classifying timesheet lines on an amended contract vs on the same contract unamended.

Two flat contracts with the same terms for two clients; one is amended three times within the month the lines
are logged in (its included hours change on the 10th, 15th and 20th). N lines are logged on a request of
each, one at a time in its own committed transaction with a cold cache, interleaved in small blocks. The
terms of a line's day come with the contracts' own query (one indexed look-up of the amendments in force),
so the amended contract must cost at most 1.10x the unamended one.

    python3 bench/run.py --config .run/odoo.conf --only amendment [--am-lines 1000]
"""
import statistics
import sys

from bench_timesheet import log_lines

LIMIT = 1.10


def _fixtures(env):
    company = env.ref("base.main_company")
    company.write({"it_adhoc_hourly_rate": 200.0, "it_package_hourly_rate": 160.0, "it_flat_hourly_rate": 130.0})
    service = env["product.product"].create({"name": "Bench amendment support", "type": "service"})
    employee = env["hr.employee"].create({"name": "Bench Amendment Technician", "company_id": company.id})
    tasks = {}
    for kind in ("unamended", "amended"):
        partner = env["res.partner"].create({"name": f"Bench {kind} client", "is_company": True})
        audit = env["it.audit"].create({
            "partner_id": partner.id, "company_id": company.id, "asset_ids": [(0, 0, {
                "category_id": env.ref("it_service_contracts.asset_category_server").id,
            })],
        })
        audit.action_done()
        contract = env["it.contract"].create({
            "partner_id": partner.id, "company_id": company.id, "contract_type": "monthly_flat",
            "audit_id": audit.id, "service_product_ids": [(6, 0, service.ids)], "remote_service": True,
            "date_start": "2026-01-01", "monthly_fee": 3000.0, "monthly_hours": 200.0, "billing_increment": 0.25,
        })
        contract.action_activate()
        if kind == "amended":
            for day, hours in (("2026-03-10", 220.0), ("2026-03-15", 240.0), ("2026-03-20", 260.0)):
                env["it.contract.amendment"].create({
                    "contract_id": contract.id, "effective_date": day, "monthly_hours": hours,
                }).action_confirm()
        task = env["project.task"].create({
            "name": f"Request ({kind})", "project_id": contract.project_id.id, "partner_id": partner.id,
        })
        task.write({"it_contract_id": contract.id, "it_service_product_id": service.id, "it_site_id": False})
        tasks[kind] = task
    return employee, tasks


def add_arguments(parser):
    parser.add_argument("--am-lines", type=int, default=1000, help="timesheet lines on each contract")


def run(registry, args):
    return measure(registry, lines=args.am_lines)


def measure(registry, lines=1000, block=25, out=sys.stdout):
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True, "mail_create_nolog": True})
        employee, tasks = _fixtures(env)
        ids = {kind: (task.id, task.project_id.id) for kind, task in tasks.items()}
        employee_id = employee.id
        cr.commit()

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        timings, queries = log_lines(env, ids, employee_id, lines, block, unit_amount=0.25)
        included = {
            kind: env["account.analytic.line"].search_count([
                ("task_id", "=", ids[kind][0]), ("it_billing_type", "=", "included")])
            for kind in ids
        }

    base_ms = statistics.fmean(timings["unamended"]) * 1000
    print(f"\n[amendments] {lines} lines on each flat contract, one transaction per line", file=out)
    print(f"  {'contract':<10} {'ms/line':>9} {'median':>9} {'queries':>8} {'ratio':>7}", file=out)
    result = {}
    for kind in ids:
        ms = statistics.fmean(timings[kind]) * 1000
        result[f"{kind}_ratio"] = ms / base_ms
        print(f"  {kind:<10} {ms:9.2f} {statistics.median(timings[kind]) * 1000:9.2f} "
              f"{statistics.fmean(queries[kind]):8.1f} {ms / base_ms:7.2f}", file=out)
    ratio = result["amended_ratio"]
    print(f"  included lines: {included}; amended vs unamended: {ratio:.2f} (limit {LIMIT}): "
          f"{'OK' if ratio <= LIMIT else 'ABOVE LIMIT'}", file=out)
    result["ok"] = ratio <= LIMIT
    return result
