"""Load: technicians logging time at the same moment, through a server with worker processes.

On the benchmark's database it creates hour packages and flat contracts, one technician user per client thread,
a request of its own for each technician (the technicians share the contracts: two or more draw on each package
and month at once) and as many plain project tasks; then it starts Odoo with ``--workers`` on 127.0.0.1 and has
the technicians (JSON-RPC clients, each logged in as itself) create timesheet lines for a bounded time, first on
their plain task (the baseline), then on their contract request. It prints the lines per second of both and their
ratio (target: at least 0.9), the transactions Odoo retried after a serialization failure in each phase (target:
at most 10 on the contract requests), and checks that nothing was lost and nothing overdrawn: every line a client
was told was created exists and is classified, no package and no month drew more than it holds, and no
reservation of a finished transaction is still counted once the job has folded them.
"""
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.request

from odoo import SUPERUSER_ID, api

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = 0.9
RETRIES_TARGET = 10
# Odoo logs one such line for each transaction it replays
RETRY = re.compile(r"SERIALIZATION_FAILURE, \d+ tries left")


def add_arguments(parser):
    parser.add_argument("--load-workers", type=int, default=4, help="Odoo worker processes")
    parser.add_argument("--load-clients", type=int, default=8, help="technicians logging time at once")
    parser.add_argument("--load-seconds", type=int, default=30, help="seconds of load on each kind of task")
    parser.add_argument("--load-rounds", type=int, default=3, help="turns the two kinds take, each of "
                        "load-seconds / load-rounds")
    parser.add_argument("--load-contracts", type=int, default=2,
                        help="hour packages and as many flat contracts, shared by the technicians")
    parser.add_argument("--load-port", type=int, default=8391, help="HTTP port of the benchmark's server")


def _fixtures(env, clients, contracts):
    company = env.ref("base.main_company")
    company.write({"it_adhoc_hourly_rate": 200.0, "it_package_hourly_rate": 160.0, "it_flat_hourly_rate": 130.0})
    service = env["product.product"].create({"name": "Load support", "type": "service"})
    server = env.ref("it_service_contracts.asset_category_server")
    group = env.ref("it_service_contracts.group_it_technician")
    users = env["res.users"].create([{
        "name": f"Load Technician {i}", "login": f"load_tech_{i}", "password": f"load_tech_{i}",
        "company_id": company.id, "company_ids": [(6, 0, company.ids)], "group_ids": [(6, 0, group.ids)],
    } for i in range(clients)])
    employees = env["hr.employee"].create([
        {"name": user.name, "user_id": user.id, "company_id": company.id} for user in users
    ])
    contract_records = env["it.contract"]
    for i in range(contracts):
        for contract_type in ("hour_package", "monthly_flat"):
            client = env["res.partner"].create({
                "name": f"Load client {contract_type} {i}", "is_company": True, "street": "Polna 1", "city": "Gdańsk",
            })
            audit = env["it.audit"].create({
                "partner_id": client.id, "asset_ids": [(0, 0, {"category_id": server.id})],
            })
            audit.action_done()
            values = {
                "partner_id": client.id, "contract_type": contract_type, "audit_id": audit.id,
                "service_product_ids": [(6, 0, service.ids)], "remote_service": True, "date_start": "2026-01-01",
            }
            if contract_type == "hour_package":
                values.update(validity_months=12, hours_total=20.0)  # used up during the run: the last hours race
            else:
                values.update(monthly_fee=3000.0, monthly_hours=20.0)
            contract = env["it.contract"].create(values)
            contract.action_activate()
            contract_records |= contract
    requests = env["project.task"]
    for i, user in enumerate(users):  # technician i works on a request of contract i modulo the contracts
        contract = contract_records[i % len(contract_records)]
        request = env["project.task"].create({
            "name": f"Request {i} on {contract.name}", "project_id": contract.project_id.id,
            "partner_id": contract.partner_id.id, "user_ids": [(6, 0, user.ids)],
        })
        request.write({"it_contract_id": contract.id, "it_service_product_id": service.id})
        requests |= request
    plain_project = env["project.project"].create({"name": "Load plain project", "allow_timesheets": True})
    plain = env["project.task"].create([
        {"name": f"Plain task {i}", "project_id": plain_project.id, "user_ids": [(6, 0, user.ids)]}
        for i, user in enumerate(users)
    ])
    return users, employees, requests, plain


class Client:
    """One technician's web session on the benchmark's server (as the browser does: logged in once)."""

    def __init__(self, url, db, login):
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        self._post("/web/session/authenticate", {"db": db, "login": login, "password": login})

    def _post(self, path, params):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": random.randint(1, 10**9),
                           "params": params}).encode()
        request = urllib.request.Request(self.url + path, body, {"Content-Type": "application/json"})
        with self.opener.open(request, timeout=120) as response:
            answer = json.load(response)
        if answer.get("error"):
            raise RuntimeError(answer["error"].get("data", {}).get("message") or answer["error"])
        return answer["result"]

    def log_time(self, task, project, employee):
        return self._post("/web/dataset/call_kw/account.analytic.line/create", {
            "model": "account.analytic.line", "method": "create", "kwargs": {}, "args": [[{
                "name": "Support", "task_id": task, "project_id": project, "employee_id": employee,
                "unit_amount": 0.25, "date": time.strftime("%Y-%m-%d"),
            }]],
        })[0]


def _load(url, db, users, employees, tasks, seconds):
    """Every technician logs time on a task of their own for ``seconds``; returns the ids created and errors."""
    created, errors, lock = [], [], threading.Lock()
    stop = time.monotonic() + seconds

    def technician(index):
        client = Client(url, db, users[index])
        task, project = tasks[index]
        while time.monotonic() < stop:
            try:
                line = client.log_time(task, project, employees[index])
            except Exception as error:  # reported, never hidden: a lost line is a failure of the benchmark
                with lock:
                    errors.append(str(error)[:200])
                continue
            with lock:
                created.append(line)

    threads = [threading.Thread(target=technician, args=(i,)) for i in range(len(users))]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return created, errors, time.monotonic() - started


def _wait_for(url, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/web/health", timeout=5):
                return
        except Exception:  # not up yet
            time.sleep(1)
    raise RuntimeError(f"the benchmark's server did not answer on {url}")


def run(registry, args):
    db = registry.db_name
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        users, employees, requests, plain = _fixtures(env, args.load_clients, args.load_contracts)
        logins = users.mapped("login")
        employee_ids = employees.ids
        request_tasks = [(task.id, task.project_id.id) for task in requests]
        plain_tasks = [(task.id, task.project_id.id) for task in plain]
        package_ids = requests.it_contract_id.filtered(lambda c: c.contract_type == "hour_package").ids
        flat_ids = requests.it_contract_id.filtered(lambda c: c.contract_type == "monthly_flat").ids
        cr.commit()
    url = f"http://127.0.0.1:{args.load_port}"
    log_path = os.path.join(os.path.dirname(args.config), "bench_load_server.log")
    with open(log_path, "w") as log:
        server = subprocess.Popen([
            sys.executable, os.path.join(os.path.dirname(HERE), "tools", "odoo-server"),
            "-c", args.config, "-d", db, "--db-filter", f"^{db}$",
            "--http-port", str(args.load_port), "--gevent-port", str(args.load_port + 1),
            "--workers", str(args.load_workers), "--max-cron-threads", "0", "--log-level", "info",
        ], stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for(url)
        # the kinds take turns in short rounds, so that the load of the shared machine hits both alike
        results = {kind: ([], [], 0.0, 0) for kind in ("plain tasks", "contract requests")}
        for _round in range(args.load_rounds):
            for kind, tasks in (("plain tasks", plain_tasks), ("contract requests", request_tasks)):
                log_start = os.path.getsize(log_path)
                created, errors, elapsed = _load(url, db, logins, employee_ids, tasks,
                                                 args.load_seconds / args.load_rounds)
                with open(log_path) as log:
                    log.seek(log_start)
                    retries = sum(1 for line in log if RETRY.search(line))
                total = results[kind]
                results[kind] = (total[0] + created, total[1] + errors, total[2] + elapsed, total[3] + retries)
        for kind, (created, errors, elapsed, retries) in results.items():
            results[kind] = (created, errors, len(created) / elapsed, retries)
            print(f"{kind:>18}: {len(created)} lines in {elapsed:.1f} s = {len(created) / elapsed:.1f} lines/s, "
                  f"{retries} transactions retried after a serialization failure, "
                  f"{len(errors)} refused{': ' + errors[0] if errors else ''}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=60)
    ratio = results["contract requests"][2] / results["plain tasks"][2]
    retries = results["contract requests"][3]
    print(f"ratio contract requests / plain tasks: {ratio:.2f}x (target >= {TARGET}x: "
          f"{'met' if ratio >= TARGET else 'missed'}); retried on contract requests: {retries} (target <= "
          f"{RETRIES_TARGET}: {'met' if retries <= RETRIES_TARGET else 'missed'}; {args.load_clients} technicians on "
          f"{2 * args.load_contracts} contracts, {args.load_workers} workers)")
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Line = env["account.analytic.line"]
        created = results["plain tasks"][0] + results["contract requests"][0]
        missing = set(created) - set(Line.browse(created).exists().ids)
        # the balances rebuilt from the lines: a package or month used up exactly before any time went past it
        packages = env["it.contract"].browse(package_ids)
        drawn = dict(Line._read_group(
            [("it_contract_id", "in", package_ids), ("it_billing_type", "=", "package")],
            ["it_contract_id"], ["it_billable_hours:sum"],
        ))
        request_ids = [task for task, _project in request_tasks]
        past = {contract for contract, in Line._read_group(
            [("task_id", "in", request_ids), ("it_billing_type", "in", ("adhoc", "overage"))], ["it_contract_id"])}
        overdrawn = [p.name for p in packages if drawn.get(p, 0.0) > p.hours_available + 1e-6]
        periods = env["it.contract.period"].search([("contract_id", "in", flat_ids)])
        overdrawn += [p.display_name for p in periods if p.hours_used > p.hours_included + 1e-6]
        not_exact = [p.name for p in packages if p in past and abs(drawn.get(p, 0.0) - p.hours_available) > 1e-6]
        not_exact += [p.display_name for p in periods if p.contract_id in past and p.hours_overage
                      and abs(p.hours_used - p.hours_included) > 1e-6]
        unclassified = Line.search_count([("task_id", "in", [task for task, _project in request_tasks]),
                                          ("it_billing_type", "=", False)])
        env["it.hours.pool"]._cron_fold_reservations()
        cr.execute("SELECT count(*) FROM it_hours_reservation")
        reservations_left = cr.fetchone()[0]
    used_up = sum(1 for p in packages if p in past)
    print(f"lines lost: {len(missing)}; request lines left unclassified: {unclassified}; packages used up during the "
          f"run: {used_up} of {len(packages)}; overdrawn: {overdrawn or 0}; used up but not exactly: {not_exact or 0}; "
          f"reservations left after the job: {reservations_left}")
    if missing or overdrawn or not_exact or unclassified or reservations_left:
        raise SystemExit("bench_load: the records are not consistent (see above)")
