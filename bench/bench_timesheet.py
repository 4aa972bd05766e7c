#!/usr/bin/env python3
"""Benchmark: logging time on a service request under a contract vs on a plain project task.

Creates its own database with the addon installed (no demo data), then logs N timesheet lines one at a
time, each in its own committed transaction with a cold cache, as the web client does:

- baseline: lines on a plain project task (Odoo's own timesheet logic only, untouched by the addon);
- package: lines on a request under an hour package (the classification, the draw on the package's hours);
- flat: lines on a request under a flat monthly contract (included hours, then overage).

The three kinds are interleaved in small blocks so that machine noise hits them alike. It prints the time
and the number of SQL queries per line (the main transaction's: the draw's two statements on its own
connection are not counted), the ratios against the baseline (the target is at most 1.05), and the cost of
the first and the last lines on the package, which must not grow with the number of lines already logged
(the hours used are summed through partial indexes on the lines).

    tools/itsc bench                                  (through bench/run.py, with the other benchmarks)
    python3 bench/run.py --config .run/odoo.conf --only timesheet [--ts-lines 1000]
    python3 bench/bench_timesheet.py --config .run/odoo.conf [--lines 1000] [--db itsc_bench_ts] [--keep]
"""

import argparse
import statistics
import sys
import time

LIMIT = 1.05


def _setup_database(db, keep):
    from odoo.modules.registry import Registry
    from odoo.service import db as db_service

    if db_service.exp_db_exist(db):
        if keep:
            return Registry(db)
        db_service.exp_drop(db)
    db_service._create_empty_database(db)
    return Registry.new(db, update_module=True, install_modules=["it_service_contracts"], new_db_demo=False)


def _fixtures(env):
    company = env.ref("base.main_company")
    company.write({"it_adhoc_hourly_rate": 200.0, "it_package_hourly_rate": 160.0, "it_flat_hourly_rate": 130.0})
    client, flat_client = env["res.partner"].create([
        {"name": "Bench Package Client", "is_company": True},
        {"name": "Bench Flat Client", "is_company": True},
    ])
    service = env["product.product"].create({"name": "Bench support", "type": "service"})
    employee = env["hr.employee"].create({"name": "Bench Technician", "company_id": company.id})
    contracts = env["it.contract"]
    for partner, contract_type in ((client, "hour_package"), (flat_client, "monthly_flat")):
        audit = env["it.audit"].create({
            "partner_id": partner.id, "company_id": company.id, "asset_ids": [(0, 0, {
                "category_id": env.ref("it_service_contracts.asset_category_server").id,
            })],
        })
        audit.action_done()
        values = {
            "partner_id": partner.id, "company_id": company.id, "contract_type": contract_type,
            "audit_id": audit.id, "service_product_ids": [(6, 0, service.ids)], "remote_service": True,
            "date_start": "2026-01-01", "billing_increment": 0.25,
        }
        if contract_type == "hour_package":
            values.update(validity_months=12, hours_total=100000.0)
        else:
            values.update(monthly_fee=3000.0, monthly_hours=200.0)
        contract = env["it.contract"].create(values)
        contract.action_activate()
        contracts |= contract
    package, flat = contracts
    plain_project = env["project.project"].create({
        "name": "Bench plain project", "allow_timesheets": True, "partner_id": client.id,
    })
    tasks = {
        "baseline": env["project.task"].create({
            "name": "Plain task", "project_id": plain_project.id, "partner_id": client.id,
        }),
        "package": env["project.task"].create({
            "name": "Request under a package", "project_id": package.project_id.id, "partner_id": client.id,
        }),
        "flat": env["project.task"].create({
            "name": "Request under a flat contract", "project_id": flat.project_id.id, "partner_id": flat_client.id,
        }),
    }
    tasks["package"].write({"it_contract_id": package.id, "it_service_product_id": service.id, "it_site_id": False})
    tasks["flat"].write({"it_contract_id": flat.id, "it_service_product_id": service.id, "it_site_id": False})
    return employee, tasks, package, flat


def add_arguments(parser):
    parser.add_argument("--ts-lines", type=int, default=1000, help="timesheet lines of each kind")


def run(registry, args):
    """Entry point for bench/run.py, on the database it prepared."""
    return measure(registry, lines=args.ts_lines)


def log_lines(env, ids, employee_id, lines, block, unit_amount=0.5):
    """Log ``lines`` lines on each task of ``ids`` ({kind: (task id, project id)}), one at a time in its own
    committed transaction with a cold cache, the kinds interleaved in blocks so that machine noise hits them
    alike; returns the seconds and the queries of each line, by kind (after a warm-up of 5 lines each)."""
    cr = env.cr
    Line = env["account.analytic.line"]

    def log_one(kind, n, timings, queries):
        task_id, project_id = ids[kind]
        env.invalidate_all()
        count = cr.sql_log_count
        start = time.perf_counter()
        Line.create({
            "name": f"Work {n}", "task_id": task_id, "project_id": project_id, "employee_id": employee_id,
            "unit_amount": unit_amount, "date": f"2026-03-{1 + n % 28:02d}",
        })
        env.flush_all()
        cr.commit()
        timings[kind].append(time.perf_counter() - start)
        queries[kind].append(cr.sql_log_count - count)

    warm = ({kind: [] for kind in ids}, {kind: [] for kind in ids})
    for kind in ids:  # warm up the code paths and caches of the registry
        for n in range(5):
            log_one(kind, n, *warm)
    timings, queries = {kind: [] for kind in ids}, {kind: [] for kind in ids}
    done = 0
    while done < lines:
        size = min(block, lines - done)
        for kind in ids:
            for n in range(done, done + size):
                log_one(kind, n, timings, queries)
        done += size
    return timings, queries


def measure(registry, lines=1000, block=25, out=sys.stdout):
    """Log the lines, print the figures and return them as a dict."""
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True, "mail_create_nolog": True})
        employee, tasks, package, flat = _fixtures(env)
        ids = {kind: (task.id, task.project_id.id) for kind, task in tasks.items()}
        employee_id, package_id, flat_id = employee.id, package.id, flat.id
        cr.commit()

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        timings, queries = log_lines(env, ids, employee_id, lines, block)
        package = env["it.contract"].browse(package_id)
        logged = env["account.analytic.line"].search([("it_contract_id", "=", package_id),
                                                     ("it_billing_type", "=", "package")])
        exact = abs(sum(logged.mapped("it_billable_hours")) - package.hours_used) < 1e-6
        flat_lines = env["account.analytic.line"].search_count([("it_contract_id", "=", flat_id)])
        hours_used = package.hours_used

    def per_line(kind):
        return statistics.fmean(timings[kind]) * 1000, statistics.fmean(queries[kind])

    baseline_ms, baseline_q = per_line("baseline")
    result = {"lines": lines, "baseline_ms": baseline_ms, "baseline_queries": baseline_q}
    print(f"\n[timesheets] {lines} lines of each kind, one transaction per line", file=out)
    print(f"  {'kind':<10} {'ms/line':>9} {'median':>9} {'queries':>8} {'ratio':>7}", file=out)
    for kind in ids:
        ms, q = per_line(kind)
        ratio = ms / baseline_ms
        result[f"{kind}_ms"], result[f"{kind}_queries"], result[f"{kind}_ratio"] = ms, q, ratio
        print(f"  {kind:<10} {ms:9.2f} {statistics.median(timings[kind]) * 1000:9.2f} {q:8.1f} {ratio:7.2f}",
              file=out)
    tenth = max(lines // 10, 1)
    first = statistics.fmean(timings["package"][:tenth]) * 1000
    last = statistics.fmean(timings["package"][-tenth:]) * 1000
    result.update(package_first_ms=first, package_last_ms=last, hours_exact=exact)
    print(f"  package lines: first {tenth} {first:.2f} ms/line, last {tenth} {last:.2f} ms/line "
          f"(hours used {hours_used:g} h, exact: {exact}); flat contract lines: {flat_lines}", file=out)
    worst = max(result["package_ratio"], result["flat_ratio"])
    verdict = "OK" if worst <= LIMIT else "ABOVE LIMIT"
    print(f"  ratio vs plain task: package {result['package_ratio']:.2f}, flat {result['flat_ratio']:.2f} "
          f"(limit {LIMIT}): {verdict}", file=out)
    result["ok"] = worst <= LIMIT and exact
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="Odoo configuration file (tools/itsc writes .run/odoo.conf)")
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--db", default="itsc_bench_ts")
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the benchmark database")
    args = parser.parse_args(argv)

    import odoo
    from odoo.service import db as db_service
    from odoo.tools import config

    config.parse_config(["-c", args.config, "--log-level", "warn"])
    odoo.netsvc.init_logger()
    print(f"[timesheets] preparing database {args.db} (installs the addon, a few minutes)", flush=True)
    registry = _setup_database(args.db, args.keep)
    try:
        result = measure(registry, lines=args.lines)
    finally:
        if not args.keep:
            db_service.exp_drop(args.db)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
