#!/usr/bin/env python3
"""Benchmark: the monthly invoicing of flat contracts vs the ORM's floor and OCA's recurring contract invoicing.

OCA's ``contract`` 19.0 (``odoo-addon-contract`` from PyPI) is the baseline. It is installed with pip into
the set-up's Python when this benchmark runs, and as an Odoo module only into the benchmark's database.
The same number of equivalent contracts is created for both (one client each, a monthly fee of 2,000.00
on a service product, invoiced in advance, drafts), then each side's scheduled action invoices them all,
timed in the same run on a cold cache:

- OCA: ``contract.contract.cron_recurring_create_invoice()`` (one batched create per company);
- it_service_contracts: ``it.invoicing._cron_invoice()`` (batches of 500, committed, skipping what another
  worker holds, one savepoint per failing contract);
- the floor: the same draft invoices (``it.invoicing._it_invoice_values()`` of the same plans, without their
  links to the contract and month) made by a bare batched ``account.move.create()`` in the same batches and
  context, committed per batch, and nothing else: what the ORM itself costs.

It prints the times, the ratios (targets: at most 1.1x the floor, at most 0.30x OCA) and the SQL queries per
contract. ``--inv-scale N`` then invoices N more contracts (20000, say) to show that the run is linear (N/2000
times the time, the target allows 10 % more; and within that run, its last batches take no longer than its first)
and that its memory stays bounded (the process's peak RSS).

    tools/itsc bench --only invoicing [--inv-contracts 2000] [--inv-scale 20000]
    python3 bench/run.py --config .run/odoo.conf --only invoicing [--inv-contracts 2000] [--keep]
"""

import importlib.metadata
import resource
import statistics
import subprocess
import sys
import time
from unittest.mock import patch

TARGET_OCA = 0.30
TARGET_FLOOR = 1.1
BATCH = 500  # the scheduled action's batch
OCA_REQUIREMENT = "odoo-addon-contract>=19.0,<19.1"


def add_arguments(parser):
    parser.add_argument("--inv-contracts", type=int, default=2000, help="flat contracts invoiced by each side")
    parser.add_argument("--inv-scale", type=int, default=0,
                        help="then invoice this many more contracts (20000, say): linear time, bounded memory?")


def _oca_addons_path():
    """The directory where pip put OCA's addon."""
    return str(importlib.metadata.distribution("odoo-addon-contract").locate_file("odoo/addons"))


def _install_oca_contract(registry):
    """pip-install OCA contract into this Python and install the module in the benchmark's database only."""
    from odoo.modules import module
    from odoo.modules.registry import Registry
    from odoo.tools import config

    print(f"[bench] pip install {OCA_REQUIREMENT} (the baseline)", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", OCA_REQUIREMENT], check=True)
    oca_path = _oca_addons_path()
    if oca_path not in config["addons_path"]:
        config["addons_path"] = [*config["addons_path"], oca_path]
        module.initialize_sys_path()
    with registry.cursor() as cr:
        cr.execute("SELECT state FROM ir_module_module WHERE name = 'contract'")
        row = cr.fetchone()
    if row and row[0] == "installed":
        return registry
    subprocess.run(
        [sys.executable, "-m", "odoo", "-c", config["config"], "-d", registry.db_name, "-i", "contract",
         "--addons-path", ",".join(config["addons_path"]), "--stop-after-init", "--log-level=warn", "--no-http"],
        check=True,
    )
    return Registry.new(registry.db_name)


def _fixtures(env, count, today, oca=True, prefix="Bench client"):
    from odoo import Command

    company = env.ref("base.main_company")
    if not company.chart_template:
        env["account.chart.template"].try_loading("generic_coa", company=company, install_demo=False)
    company.write({"it_adhoc_hourly_rate": 200.0, "it_package_hourly_rate": 160.0, "it_flat_hourly_rate": 130.0})
    service = env["product.product"].create({"name": "Bench support", "type": "service"})
    fee = env.ref("it_service_contracts.product_it_flat_fee")
    clients = env["res.partner"].create([
        {"name": f"{prefix} {i}", "is_company": True, "street": "Polna 1", "city": "Gdańsk"}
        for i in range((2 if oca else 1) * count)
    ])
    ours, theirs = clients[:count], clients[count:]
    server = env.ref("it_service_contracts.asset_category_server")
    audits = env["it.audit"].create([
        {"partner_id": client.id, "company_id": company.id, "asset_ids": [Command.create({"category_id": server.id})]}
        for client in ours
    ])
    audits.write({"state": "done"})
    contracts = env["it.contract"].create([{
        "partner_id": client.id, "company_id": company.id, "contract_type": "monthly_flat", "audit_id": audit.id,
        "service_product_ids": [Command.set(service.ids)], "remote_service": True, "date_start": today,
        "monthly_fee": 2000.0, "monthly_hours": 10.0, "hourly_rate": 130.0, "fee_product_id": fee.id,
        "service_calendar_id": company.resource_calendar_id.id,
    } for client, audit in zip(ours, audits, strict=True)])
    env.flush_all()
    # started as the contract screens would start them; their projects are not what is measured
    env.cr.execute("UPDATE it_contract SET state = 'active' WHERE id IN %s", [tuple(contracts.ids)])
    if not oca:
        return contracts, None
    oca = env["contract.contract"].create([{
        "name": f"OCA {client.name}", "partner_id": client.id, "company_id": company.id,
        "contract_type": "sale", "line_recurrence": True,
        "contract_line_ids": [Command.create({
            "product_id": fee.id, "name": "Monthly fee", "quantity": 1.0, "price_unit": 2000.0,
            "recurring_rule_type": "monthly", "recurring_interval": 1, "recurring_invoicing_type": "pre-paid",
            "date_start": today, "recurring_next_date": today,
        })],
    } for client in theirs])
    return contracts, oca


def _timed(registry, uid, method):
    """Run ``method(env)`` in a fresh transaction with a cold cache and fresh statistics; (seconds, SQL queries)."""
    from odoo import api, sql_db

    _analyze(registry)
    queries = 0
    execute = sql_db.Cursor.execute

    def counting_execute(cursor, *args, **kwargs):
        nonlocal queries
        queries += 1
        return execute(cursor, *args, **kwargs)

    with patch.object(sql_db.Cursor, "execute", counting_execute), registry.cursor() as cr:
        env = api.Environment(cr, uid, {})
        started = time.perf_counter()
        method(env)
        env.flush_all()
        cr.commit()
        elapsed = time.perf_counter() - started
    return elapsed, queries


def _analyze(registry):
    """Bring the planner's statistics up to date, as autovacuum does on a live database, before a timed phase.

    Left to autovacuum, they depend on when it last ran: statistics taken while the invoice tables were empty
    (a fresh database, or one whose invoices were just deleted) make PostgreSQL plan Odoo's payment-state query
    as a cross product of the invoice lines (8 s a batch of 500 at 2,000 contracts, measured), which the
    side timed next would pay for."""
    with registry.cursor() as cr:
        cr.execute("ANALYZE")


def _floor_batches(env, contract_ids, today):
    """The draft invoices the run of ``today`` makes for these contracts, as bare ``account.move.create()`` values
    in the run's batches: [(company, vals_list)]. Their links to the contract and month are left out, so that
    they do not count as the months' invoices."""
    from odoo.tools import split_every

    Invoicing = env["it.invoicing"]
    links = {"it_contract_id", "it_period_id", "it_invoice_kind"}
    batches = []
    for ids in split_every(BATCH, contract_ids):
        plans = Invoicing._it_plan_flat(Invoicing._it_billed_months(env["it.contract"].browse(ids), today), today)
        for company in {plan["company"] for plan in plans}:
            vals_list = Invoicing._it_invoice_values(company, [p for p in plans if p["company"] == company])
            for vals in vals_list:
                for key in links & vals.keys():
                    del vals[key]
                for _command, _id, line in vals["invoice_line_ids"]:
                    line.pop("it_period_id", None)
            batches.append((company.id, vals_list))
    return batches


def _timed_floor(registry, uid, batches):
    """Create the floor's invoices batch by batch, committed, in the run's context; (seconds, queries, move ids).

    They are kept: not linked to the contracts and months, they do not count as the months' invoices, and the
    invoice tables the next sides run on hold as many invoices as they would in a live database."""
    ids = []

    def create_all(env):
        for company_id, vals_list in batches:
            ids.extend(env["it.invoicing"]._it_move_model(env["res.company"].browse(company_id)).create(vals_list).ids)
            env.flush_all()
            env.cr.commit()

    elapsed, queries = _timed(registry, uid, create_all)
    return elapsed, queries, ids


def _peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(registry, args):
    from odoo import SUPERUSER_ID, api, fields

    count = args.inv_contracts
    registry = _install_oca_contract(registry)
    today = fields.Date.today()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        contracts, oca = _fixtures(env, count, today)
        contract_ids, oca_ids = contracts.ids, oca.ids
        cr.commit()
    print(f"[bench] {count} flat contracts of it_service_contracts and {count} OCA contracts, due {today}", flush=True)
    with registry.cursor() as cr:
        batches = _floor_batches(api.Environment(cr, SUPERUSER_ID, {}), contract_ids, today)
        cr.rollback()  # planning makes the contracts' months: the run makes them again, timed
    floor_time, floor_queries, floor_ids = _timed_floor(registry, SUPERUSER_ID, batches)
    assert len(floor_ids) == count, f"the floor made {len(floor_ids)} of {count} invoices"
    oca_time, oca_queries = _timed(registry, SUPERUSER_ID,
                                   lambda env: env["contract.contract"].cron_recurring_create_invoice())
    rss_before = _peak_rss_mb()
    our_time, our_queries = _timed(registry, SUPERUSER_ID, lambda env: env["it.invoicing"]._cron_invoice())
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Move = env["account.move"]
        ours = Move.search_count([("it_contract_id", "in", contract_ids)])
        theirs = Move.search_count([("invoice_origin", "like", "OCA Bench client%"), ("move_type", "=", "out_invoice")])
        per_contract = {m.it_contract_id.id for m in Move.search([("it_contract_id", "in", contract_ids)])}
    assert ours == count == len(per_contract), f"it_service_contracts invoiced {ours} of {count} contracts"
    assert theirs >= len(oca_ids), f"OCA invoiced {theirs} of {count} contracts"
    print(f"floor (account.move.create): {floor_time:7.2f} s  {floor_queries / count:6.1f} queries per invoice")
    print(f"OCA contract:                {oca_time:7.2f} s  {oca_queries / count:6.1f} queries per contract")
    print(f"it_service_contracts:        {our_time:7.2f} s  {our_queries / count:6.1f} queries per contract")
    for name, baseline, target in (("the floor", floor_time, TARGET_FLOOR), ("OCA", oca_time, TARGET_OCA)):
        ratio = our_time / baseline
        print(f"ratio it_service_contracts / {name}: {ratio:.2f} (target <= {target}) "
              f"{'OK' if ratio <= target else 'ABOVE TARGET'}")
    print(f"peak memory of the process: {rss_before:.0f} MB before the run, {_peak_rss_mb():.0f} MB after")
    if args.inv_scale:
        _scale(registry, args.inv_scale, count, our_time, today)


def _scale(registry, scale, count, our_time, today):
    """Invoice ``scale`` more contracts: the time grows with their number, the memory stays bounded."""
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        contracts, _oca = _fixtures(api.Environment(cr, SUPERUSER_ID, {}), scale, today, oca=False,
                                    prefix="Scale client")
        contract_ids = contracts.ids
        cr.commit()
    print(f"[bench] {scale} more flat contracts, due {today}", flush=True)
    rss_before = _peak_rss_mb()
    batches = []
    process_batch = registry["it.cron.batch"]._it_process_batch

    def timed_batch(self, records, *args, **kwargs):
        started = time.perf_counter()
        try:
            return process_batch(self, records, *args, **kwargs)
        finally:
            batches.append(time.perf_counter() - started)

    with patch.object(registry["it.cron.batch"], "_it_process_batch", timed_batch):
        scale_time, scale_queries = _timed(registry, SUPERUSER_ID,
                                           lambda env: env["it.invoicing"]._cron_invoice())
    with registry.cursor() as cr:
        invoiced = api.Environment(cr, SUPERUSER_ID, {})["account.move"].search_count(
            [("it_contract_id", "in", contract_ids)])
    assert invoiced == scale, f"invoiced {invoiced} of {scale} contracts"
    growth, allowed = scale_time / our_time, scale / count * 1.1
    print(f"it_service_contracts, {scale} contracts: {scale_time:7.2f} s  {scale_queries / scale:6.1f} queries per "
          f"contract; {growth:.1f}x the time of {count} (target <= {allowed:.1f}x) "
          f"{'OK' if growth <= allowed else 'ABOVE TARGET'}")
    tenth = max(len(batches) // 10, 1)
    first, last = statistics.fmean(batches[:tenth]), statistics.fmean(batches[-tenth:])
    grows = "does not grow" if last <= first * 1.1 else "GROWS"
    print(f"  its {len(batches)} batches of {BATCH}: the first {tenth} took {first:.2f} s each, the last {tenth} "
          f"{last:.2f} s ({last / first:.2f}x: the time of a batch {grows} with the contracts already invoiced; "
          f"the ratio of the two whole runs also moves with the machine's load)")
    print(f"peak memory of the process: {rss_before:.0f} MB before, {_peak_rss_mb():.0f} MB after")
