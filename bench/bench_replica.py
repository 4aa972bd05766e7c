"""Read replica: the addon's read-only pages and methods, served by a real PostgreSQL streaming replica.

    python3 bench/run.py --config .run/odoo.conf --only replica [--replica-repeat 5]

It makes a streaming replica of the primary as an administrator does (``pg_basebackup -R`` into a temporary
directory, started as a hot standby with ``pg_ctl`` on its own socket and port) and starts Odoo on the benchmark's
database with ``--db_replica_host`` and ``--db_replica_port``. A client's portal contact opens every read-only page of
the addon and a manager calls the dashboards over JSON-RPC. A check passes when the answer is a 200 with the expected
content, Odoo's access log shows it served on the read-only cursor (``ro``) and no "retrying with a read/write
cursor" warning came: Odoo logs it when a route or a method declared read-only writes, and serves it again on the
primary.

That the replica answered is shown by its data: replay is paused on the replica, names and figures are changed on
the primary, and every page must still show the old ones, then the new ones once replay resumes. Two kinds of checks
go the other way: the pages that would write (a request without its portal token, the page shown right after the
client's answer) must be served on the primary, and ``sale.order.action_preview_sale_order``, which Odoo declares
read-only although it gives the order its portal token, must be caught by the warning: the proof that the checks
catch a read-only page of the addon that writes.

Last, each page is timed on the replica and on a server without replica (the primary alone). The replica is stopped
and its directory removed whatever happens; a failed check makes the run fail.
"""
import json
import os
import pwd
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import date

import psycopg2

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL, config

RETRY_WARNING = "retrying with a read/write cursor"
# Odoo's access log with a replica: "GET /path HTTP/1.1" 200 - <queries> <sql time> <other time> <cursor mode>; the
# path of an RPC call is followed by #model.method
ACCESS_LINE = re.compile(
    r'"(?:GET|POST) (?P<path>[^\s#]+)\S* HTTP/[\d.]+" (?P<status>\d{3}) .* (?P<mode>ro->rw|ro|rw|-)$')
# what the pages show before the primary changes them, and after
NAMES = {
    "contract": ("RPLC-CONTRACT-ALPHA", "RPLC-CONTRACT-BRAVO"),
    "request": ("RPLC-REQUEST-ALPHA", "RPLC-REQUEST-BRAVO"),
    "fresh": ("RPLC-FRESH-ALPHA", "RPLC-FRESH-BRAVO"),
    "asset": ("RPLC-ASSET-ALPHA", "RPLC-ASSET-BRAVO"),
}
TABLES = {"contract": "it_contract", "request": "project_task", "fresh": "project_task", "asset": "it_asset"}
PORTAL, MANAGER = "client's contact", "manager"


def add_arguments(parser):
    parser.add_argument("--replica-pg-port", type=int, default=54339, help="port of the replica's PostgreSQL")
    parser.add_argument("--replica-http-port", type=int, default=8392, help="HTTP port of the benchmark's Odoo")
    parser.add_argument("--replica-repeat", type=int, default=5, help="times each page is timed on each server")


# ---------------------------------------------------------------------- the replica

class Replica:
    """A hot standby of the primary in a temporary directory, on its own socket and port, run by the primary's
    owner when the benchmark runs as root (PostgreSQL refuses to run as root)."""

    def __init__(self, port):
        self.port = port
        self.primary = ["-h", config["db_host"] or "localhost", "-p", str(config["db_port"] or 5432)]
        if config["db_user"]:
            self.primary += ["-U", config["db_user"]]
        self.bindir = self._bindir()
        self.dir = tempfile.mkdtemp(prefix="itsc-replica-")
        self.data, self.socket = os.path.join(self.dir, "data"), os.path.join(self.dir, "socket")
        os.mkdir(self.socket)
        self.run_as = []
        if os.geteuid() == 0:
            host = config["db_host"] or ""
            owner = pwd.getpwuid(os.stat(host).st_uid) if os.path.isdir(host) else pwd.getpwnam("postgres")
            for path in (self.dir, self.socket):
                os.chown(path, owner.pw_uid, owner.pw_gid)
            self.run_as = ["runuser", "-u", owner.pw_name, "--"]
        self.started = False

    @staticmethod
    def _bindir():
        """The binaries of the newest PostgreSQL installed, where Debian puts them, else those on the PATH."""
        root = "/usr/lib/postgresql"
        versions = sorted((d for d in os.listdir(root) if d.isdigit()), key=int) if os.path.isdir(root) else []
        if versions:
            return os.path.join(root, versions[-1], "bin")
        found = shutil.which("pg_basebackup")
        if not found:
            raise SystemExit("bench_replica: pg_basebackup is missing (apt install postgresql)")
        return os.path.dirname(found)

    def _pg(self, program, *args):
        command = [*self.run_as, os.path.join(self.bindir, program), *args]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(f"bench_replica: {' '.join(command)} failed:\n{done.stderr.strip()}")

    def start(self):
        self._pg("pg_basebackup", *self.primary, "-D", self.data, "-R", "-X", "stream", "-c", "fast")
        self.started = True
        self._pg("pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "replica.log"), "-w", "-t", "120",
                 "-o", f"-p {self.port} -k {self.socket} -c listen_addresses='' -c hot_standby=on", "start")

    def query(self, db, query, params=None):
        connection = psycopg2.connect(host=self.socket, port=self.port, user=config["db_user"], dbname=db)
        try:
            connection.autocommit = True
            with connection.cursor() as cr:
                cr.execute(query, params)
                return cr.fetchone()[0]
        finally:
            connection.close()

    def wait(self, what, db, query, params=None, seconds=120):
        deadline = time.monotonic() + seconds
        while True:
            try:
                if self.query(db, query, params):
                    return
            except psycopg2.OperationalError:
                pass  # not accepting connections yet
            if time.monotonic() > deadline:
                raise SystemExit(f"bench_replica: the replica did not {what} within {seconds} s")
            time.sleep(0.1)

    def catch_up(self, registry):
        """Wait until the replica has replayed everything the primary has written so far."""
        with registry.cursor() as cr:
            cr.execute("SELECT pg_current_wal_lsn()")
            lsn = cr.fetchone()[0]
        self.wait("catch up", registry.db_name, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])

    def pause(self, db):
        self.query(db, "SELECT pg_wal_replay_pause()")
        self.wait("pause its replay", db, "SELECT pg_get_wal_replay_pause_state() = 'paused'")

    def resume(self, db):
        self.query(db, "SELECT pg_wal_replay_resume()")

    def stop(self):
        if self.started:
            self._pg("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------- Odoo and its clients

class Server:
    """Odoo on the benchmark's database (threaded, no cron), its log in a file read after each request."""

    def __init__(self, args, db, replica=None):
        self.url = f"http://127.0.0.1:{args.replica_http_port}"
        self.log_path = os.path.join(os.path.dirname(os.path.abspath(args.config)),
                                     f"bench_replica_{'replica' if replica else 'primary'}.log")
        command = [
            sys.executable, "-m", "odoo", "-c", args.config, "-d", db, "--db-filter", f"^{db}$",
            "--http-port", str(args.replica_http_port), "--max-cron-threads", "0", "--log-level", "info",
        ]
        if replica:
            command += ["--db_replica_host", replica.socket, "--db_replica_port", str(replica.port)]
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self.offset = 0
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(self.url + "/web/health", timeout=5):
                    break
            except OSError:  # not up yet
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"bench_replica: Odoo did not start, see {self.log_path}") from None
                time.sleep(1)
        self.read_log()

    def read_log(self):
        with open(self.log_path) as log:
            log.seek(self.offset)
            text = log.read()
            self.offset = log.tell()
        return text

    def served(self, path):
        """The log of the request of ``path`` just answered: (its cursor mode, whether a write was retried)."""
        text, deadline = "", time.monotonic() + 5
        while True:
            text += self.read_log()
            for line in text.splitlines():
                match = ACCESS_LINE.search(line)
                if match and match["path"] == path:
                    return match["mode"], RETRY_WARNING in text
            if time.monotonic() > deadline:
                return "?", RETRY_WARNING in text
            time.sleep(0.05)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirection is an answer: a page refused sends to /my


class Session:
    """A browser's session on the server, logged in as ``login`` (whose password is its login)."""

    def __init__(self, server, db, login):
        self.server = server
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(), _NoRedirect)
        self.rpc("/web/session/authenticate", {"db": db, "login": login, "password": login})

    def get(self, path):
        try:
            with self.opener.open(self.server.url + path, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def rpc(self, path, params):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}).encode()
        request = urllib.request.Request(self.server.url + path, body, {"Content-Type": "application/json"})
        try:
            with self.opener.open(request, timeout=120) as response:
                answer = json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        if answer.get("error"):
            return 500, json.dumps(answer["error"]).encode()
        return 200, json.dumps(answer["result"]).encode()

    def call(self, model, method, args, kwargs=None, button=False):
        kind = "call_button" if button else "call_kw"
        return self.rpc(f"/web/dataset/{kind}/{model}/{method}", {
            "model": model, "method": method, "args": args, "kwargs": kwargs or {},
        })


# ---------------------------------------------------------------------- data

def _fixtures(registry, http_port):
    """A flat-fee client with a portal contact, a sent amendment, requests, an asset, a month and its posted invoice,
    and a manager; every record the pages link to has its portal token, but for one request."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tz": "UTC"})
        company = env.ref("base.main_company")
        company.write({"it_adhoc_hourly_rate": 200.0, "it_package_hourly_rate": 160.0, "it_flat_hourly_rate": 130.0})
        service = env["product.product"].create({"name": "Replica support", "type": "service"})
        client, other = env["res.partner"].create([
            {"name": "Replica Client", "is_company": True, "email": "office@replica.example", "street": "Polna 1",
             "city": "Gdańsk"},
            {"name": "Replica Other Client", "is_company": True},
        ])
        contact, accounting = env["res.partner"].create([
            {"name": "Rita Replica", "parent_id": client.id, "email": "rita@replica.example"},
            {"name": "Adam Accounts", "parent_id": client.id},
        ])
        portal = env["res.users"].create({
            "name": contact.name, "login": "replica_portal", "password": "replica_portal", "partner_id": contact.id,
            "group_ids": [(6, 0, env.ref("base.group_portal").ids)],
        })
        manager = env["res.users"].create({
            "name": "Replica Manager", "login": "replica_manager", "password": "replica_manager",
            "company_id": company.id, "company_ids": [(6, 0, company.ids)],
            "group_ids": [(6, 0, (env.ref("it_service_contracts.group_it_manager")
                                  | env.ref("sales_team.group_sale_salesman")).ids)],
        })
        category = env.ref("it_service_contracts.asset_category_server")
        audit = env["it.audit"].create({"partner_id": client.id, "asset_ids": [(0, 0, {"category_id": category.id})]})
        audit.action_done()
        first = date.today().replace(day=1)
        contract = env["it.contract"].create({
            "partner_id": client.id, "contract_type": "monthly_flat", "audit_id": audit.id, "remote_service": True,
            "service_product_ids": [(6, 0, service.ids)], "date_start": first, "monthly_fee": 3000.0,
            "monthly_hours": 20.0,
        })
        contract.action_activate()
        env["it.contract.period"]._it_ensure_periods({(contract.id, first)})
        amendment = env["it.contract.amendment"].create({
            "contract_id": contract.id, "effective_date": date.today(), "monthly_hours": 25.0,
        })
        amendment._it_mark_sent()
        request, fresh = env["project.task"].create([{
            "name": NAMES[key][0], "project_id": contract.project_id.id, "partner_id": client.id,
            "it_service_product_id": service.id,
        } for key in ("request", "fresh")])
        asset = env["it.asset"].create({
            "name": NAMES["asset"][0], "partner_id": client.id, "company_id": company.id, "category_id": category.id,
        })
        for record in (contract, amendment, request):
            record._portal_ensure_token()
        invoice = env["it.invoicing"]._it_invoice_now(contract)  # posted once the server runs
        order = env["sale.order"].create({"partner_id": client.id, "user_id": manager.id})
        # the report's PDF loads its styles from the benchmark's server
        env["ir.config_parameter"].set_param("report.url", f"http://127.0.0.1:{http_port}")
        # a request without its token, as after a change of client (tasks of a shared project get one when created),
        # an order without its own (the mail to its salesperson gave it one)
        fresh.access_token = order.access_token = False
        # a contract's reference comes from a sequence, and only the addon writes it
        env.execute_query(SQL("UPDATE it_contract SET name = %s WHERE id = %s", NAMES["contract"][0], contract.id))
        period = contract.period_ids[:1]
        ids = {
            "client": client.id, "other": other.id, "accounting": accounting.id, "contract": contract.id,
            "amendment": amendment.id, "request": request.id, "fresh": fresh.id, "asset": asset.id,
            "period": period.id, "order": order.id, "category": category.id, "company": company.id,
            "invoice": invoice.id, "statement": bool(period.invoice_id),
            "assets": env["it.asset"].search_count([("partner_id", "=", client.id)]),
        }
        cr.commit()
        return ids, portal.login, manager.login


def _post_invoice(registry, ids):
    """Post the month's invoice: posting renders its PDF attachments, whose styles come from the running server."""
    with registry.cursor() as cr:
        api.Environment(cr, SUPERUSER_ID, {})["account.move"].browse(ids["invoice"]).action_post()


def _change_on_primary(registry, ids):
    """What the paused replica does not see: new names, one more asset, a contact moved to another client."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        for key, table in TABLES.items():
            env.execute_query(SQL("UPDATE %s SET name = %s WHERE id = %s",
                                  SQL.identifier(table), NAMES[key][1], ids[key]))
        env["it.asset"].create({
            "name": "Replica switch", "partner_id": ids["client"], "company_id": ids["company"],
            "category_id": ids["category"],
        })
        env["res.partner"].browse(ids["accounting"]).parent_id = ids["other"]


# ---------------------------------------------------------------------- checks

def _checks(ids, report_url):
    """(who, label, path, call, expected) for every read-only page or method; ``expected(step)`` is the text the
    answer shows at that step ("before", "paused", "after") and the one it must not show, or None for a PDF."""
    def named(key):
        return lambda step: NAMES[key][::-1] if step == "after" else NAMES[key]

    def counted(step):
        counts = (f'"it_asset_count": {ids["assets"]}', f'"it_asset_count": {ids["assets"] + 1}')
        return counts[::-1] if step == "after" else counts

    def client_of_contact(step):
        domains = (f'"partner_id", "=", {ids["client"]}]', f'"partner_id", "=", {ids["other"]}]')
        return domains[::-1] if step == "after" else domains

    contract, amendment, period = ids["contract"], ids["amendment"], ids["period"]
    pages = [
        ("/my/it/contracts", named("contract")),
        (f"/my/it/contracts/{contract}", named("contract")),
        (f"/my/it/contracts/{contract}/document?report_type=html", named("contract")),
        (f"/my/it/contracts/{contract}/document", None),
        (f"/my/it/amendments/{amendment}", named("contract")),
        (f"/my/it/amendments/{amendment}/document?report_type=html", named("contract")),
        ("/my/it/requests?filterby=all", named("request")),
        (f"/my/it/requests/{ids['request']}", named("request")),
        ("/my/it/requests/new", named("asset")),
        ("/my/it/months", named("contract")),
        (f"/my/it/months/{period}/report?report_type=html", named("contract")),
        (f"/my/it/months/{period}/report", None),
        ("/my/it/assets", named("asset")),
    ]
    if ids["statement"]:
        pages.append((f"/my/it/months/{period}/statement?report_type=html", named("contract")))
    checks = [(PORTAL, path, path, lambda s, path=path: s.get(path), expected) for path, expected in pages]
    checks += [
        (PORTAL, "/my/counters (Odoo's, the addon's counters)", "/my/counters",
         lambda s: s.rpc("/my/counters", {"counters": ["it_asset_count"]}), counted),
        (MANAGER, "it.service.report.formatted_read_group (analysis by contract)",
         "/web/dataset/call_kw/it.service.report/formatted_read_group",
         lambda s: s.call("it.service.report", "formatted_read_group", [[], ["contract_id"], ["hours_sold:sum"]]),
         named("contract")),
        (MANAGER, "it.contract.web_search_read (the contracts list)",
         "/web/dataset/call_kw/it.contract/web_search_read",
         lambda s: s.call("it.contract", "web_search_read", [[]], {"specification": {"name": {}}}),
         named("contract")),
        (MANAGER, "res.partner.action_view_it_service_report (a contact's figures)",
         "/web/dataset/call_button/res.partner/action_view_it_service_report",
         lambda s: s.call("res.partner", "action_view_it_service_report", [[ids["accounting"]]], button=True),
         client_of_contact),
        (MANAGER, "/report/html/ monthly client report (backend)", report_url,
         lambda s: s.get(report_url), named("contract")),
    ]
    return checks


def _verdict(server, session, path, call, expected, step, mode="ro"):
    """Run one check: (passed, why, seconds)."""
    started = time.perf_counter()
    status, body = call(session)
    elapsed = time.perf_counter() - started
    served, retried = server.served(path)
    problems = []
    if status != 200:
        problems.append(f"HTTP {status}")
    if expected is None:
        if not body.startswith(b"%PDF"):
            problems.append("not a PDF")
    else:
        shown, hidden = expected(step)
        text = body.decode(errors="replace")
        if shown not in text:
            problems.append(f"{shown!r} missing")
        if hidden in text:
            problems.append(f"{hidden!r} shown")
    if mode and served != mode:
        problems.append(f"served {served}, not {mode}")
    if retried:
        problems.append(f'"{RETRY_WARNING}" logged: it wrote')
    return not problems, ", ".join(problems) or (f"served {served}" if mode else "ok"), elapsed


class Report:
    def __init__(self):
        self.failed = 0
        self.count = 0

    def line(self, passed, who, label, why, elapsed=None):
        self.count += 1
        self.failed += not passed
        timing = f"{elapsed * 1000:7.0f} ms" if elapsed is not None else " " * 10
        print(f"  {'PASS' if passed else 'FAIL'} {timing}  [{who}] {label}: {why}", flush=True)


def _timed(server, sessions, checks, repeat):
    """The median time of each check over ``repeat`` calls, after one call to warm the caches."""
    medians = []
    for who, _label, _path, call, _expected in checks:
        call(sessions[who])
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            call(sessions[who])
            times.append(time.perf_counter() - started)
        server.read_log()
        medians.append(statistics.median(times))
    return medians


def run(registry, args):
    db = registry.db_name
    ids, portal_login, manager_login = _fixtures(registry, args.replica_http_port)
    if not ids["statement"]:
        print("no posted invoice for the month (no chart of accounts?): its usage statement is not checked")
    report_url = f"/report/html/it_service_contracts.report_it_monthly_client/{ids['period']}"
    checks = _checks(ids, report_url)
    report = Report()
    replica = server = None
    try:
        started = time.perf_counter()
        replica = Replica(args.replica_pg_port)
        replica.start()
        replica.wait("accept connections in recovery", db, "SELECT pg_is_in_recovery()")
        replica.catch_up(registry)
        print(f"replica: pg_basebackup -R of the primary, hot standby on port {replica.port}, "
              f"streaming in {time.perf_counter() - started:.1f} s", flush=True)
        server = Server(args, db, replica)
        if ids["statement"]:
            _post_invoice(registry, ids)
            replica.catch_up(registry)
        sessions = {PORTAL: Session(server, db, portal_login), MANAGER: Session(server, db, manager_login)}

        def check_all(step):
            for who, label, path, call, expected in checks:
                passed, why, elapsed = _verdict(server, sessions[who], path, call, expected, step)
                report.line(passed, who, label, why, elapsed)

        def check_on_primary(label, path, expected, step):
            passed, why, elapsed = _verdict(server, sessions[PORTAL], path, lambda s: s.get(path), expected, step,
                                            mode="rw")
            report.line(passed, PORTAL, label, why, elapsed)

        fresh = f"/my/it/requests/{ids['fresh']}"
        answered = f"/my/it/contracts/{ids['contract']}?message=accepted"
        print("\n1. every read-only page and method, on the replica", flush=True)
        check_all("before")
        print("\n2. replay paused on the replica, names and figures changed on the primary: the replica's answer",
              flush=True)
        replica.pause(db)
        _change_on_primary(registry, ids)
        check_all("paused")
        check_on_primary("a request without its token: given one on the primary", fresh,
                         lambda step: NAMES["fresh"][::-1], "paused")
        check_on_primary("the contract right after the client's answer: on the primary", answered,
                         lambda step: NAMES["contract"][::-1], "paused")
        print("\n3. replay resumed: the primary's change reaches every page", flush=True)
        replica.resume(db)
        replica.catch_up(registry)
        check_all("after")
        passed, why, elapsed = _verdict(server, sessions[PORTAL], fresh, lambda s: s.get(fresh),
                                        lambda step: NAMES["fresh"][::-1], "after")
        report.line(passed, PORTAL, "the request once its token is replayed: on the replica", why, elapsed)
        print("\n4. a method declared read-only that writes is caught", flush=True)
        preview = "/web/dataset/call_button/sale.order/action_preview_sale_order"
        status, body = sessions[MANAGER].call("sale.order", "action_preview_sale_order", [[ids["order"]]],
                                              button=True)
        served, retried = server.served(preview)
        why = f'served {served}, "{RETRY_WARNING}" ' + (
            "logged: a read-only page of the addon that writes fails its check" if retried else "NOT logged")
        report.line(retried and served == "ro->rw" and status == 200, MANAGER,
                    "sale.order.action_preview_sale_order (Odoo's, writes the order's token)",
                    why if status == 200 else f"HTTP {status}: {body[:300]}")
        print(f"\n5. time per page ({args.replica_repeat} calls each, median)", flush=True)
        on_replica = _timed(server, sessions, checks, args.replica_repeat)
        server.stop()
        server = Server(args, db)
        sessions = {PORTAL: Session(server, db, portal_login), MANAGER: Session(server, db, manager_login)}
        alone = _timed(server, sessions, checks, args.replica_repeat)
        for who, label, path, call, expected in checks:
            passed, why, _elapsed = _verdict(server, sessions[who], path, call, expected, "after", mode=None)
            if not passed:
                report.line(False, who, f"{label} (primary alone)", why)
        print(f"  {'replica':>9} {'primary':>9} {'ratio':>6}")
        for (who, label, *_rest), replica_time, alone_time in zip(checks, on_replica, alone, strict=True):
            print(f"  {replica_time * 1000:6.0f} ms {alone_time * 1000:6.0f} ms {replica_time / alone_time:5.2f}x"
                  f"  [{who}] {label}")
        html = [index for index, check in enumerate(checks) if check[4] is not None]
        for label, kept in ((f"all {len(checks)} pages and methods", range(len(checks))),
                            (f"the {len(html)} without a PDF", html)):
            total_replica, total_alone = sum(on_replica[i] for i in kept), sum(alone[i] for i in kept)
            print(f"  {total_replica * 1000:6.0f} ms {total_alone * 1000:6.0f} ms "
                  f"{total_replica / total_alone:5.2f}x  {label}")
    finally:
        if server:
            server.stop()
        if replica:
            replica.stop()
    print(f"\n{report.count} checks of {len(checks)} read-only pages and methods: {report.count - report.failed} "
          f"passed, {report.failed} failed")
    if report.failed:
        raise SystemExit("bench_replica: a check failed (see above)")
