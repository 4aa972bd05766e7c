#!/usr/bin/env python3
"""Benchmarks of it_service_contracts.

    python3 bench/run.py --config <odoo.conf> [--only sla[,other]] [--db NAME] [--keep] [benchmark options]

Each benchmark is a module ``bench/bench_<name>.py`` with ``add_arguments(parser)`` (optional) and
``run(registry, args)``; it prints its own figures and ratios against a baseline measured in the same run.
The runner creates a fresh database with the addon installed (no demo data) and drops it afterwards
unless --keep is given.
"""
import argparse
import importlib
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ADDON = "it_service_contracts"
# add a name here and a bench/bench_<name>.py beside bench_sla.py
BENCHMARKS = ["sla", "timesheet", "invoicing", "audit", "load", "amendment", "replica", "nodes", "maintenance"]


def load(name):
    sys.path.insert(0, HERE)
    return importlib.import_module(f"bench_{name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="the Odoo configuration file")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="benchmarks to run, comma-separated")
    parser.add_argument("--db", default="itsc_bench", help="database created for the benchmark")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse the database kept by an earlier --keep run")
    names = [name for name in parser.parse_known_args()[0].only.split(",") if name]
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}; known: {', '.join(BENCHMARKS)}")
    modules = {name: load(name) for name in names}
    for module in modules.values():
        if hasattr(module, "add_arguments"):
            module.add_arguments(parser)
    args = parser.parse_args()

    import odoo  # imported once the arguments are known
    from odoo.modules.registry import Registry
    from odoo.service import db as db_service
    from odoo.tools import config

    config.parse_config(["-c", args.config])
    exists = args.db in db_service.list_dbs(force=True)
    if not (args.reuse and exists):
        print(f"[bench] Odoo {odoo.release.version}; creating database {args.db!r} with {ADDON}", flush=True)
        if exists:
            db_service.exp_drop(args.db)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "odoo", "-c", args.config, "-d", args.db, "-i", ADDON,
             "--stop-after-init", "--log-level=warn", "--no-http"],
            check=True,
        )
        print(f"[bench] database ready in {time.perf_counter() - started:.0f} s", flush=True)
    try:
        registry = Registry(args.db)
        for name, module in modules.items():
            print(f"\n=== {name} ===", flush=True)
            module.run(registry, args)
    finally:
        if not args.keep:
            Registry.delete(args.db)
            db_service.exp_drop(args.db)


if __name__ == "__main__":
    main()
