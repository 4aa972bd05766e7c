import base64
import re
from xmlrpc.client import Fault

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import ItServiceCommon


class PortalCommon(HttpCase, ItServiceCommon):
    """Two clients, A and B, each with a contract, a request, an asset and a portal contact."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._it_english_frontend()
        cls.today = fields.Date.context_today(cls.env["it.contract"])
        cls.client.write({"email": "office@client-a.example", "lang": "en_US"})
        cls.other_client.write({"email": "office@client-b.example", "lang": "en_US"})
        audit_b = cls.env["it.audit"].create({
            "partner_id": cls.other_client.id, "company_id": cls.company.id,
            "asset_ids": [Command.create({"category_id": cls.workstation_category.id})],
        })
        audit_b.action_done()
        cls.site_b_client = cls.env["res.partner"].create({
            "name": "B's plant", "type": "other", "parent_id": cls.other_client.id,
        })
        sla = [Command.create({"priority": p, "response_hours": 2.0, "resolution_hours": 8.0}) for p in "0123"]
        cls.contract_a = cls._active_contract(
            "monthly_flat", date_start=cls.today.replace(day=1), monthly_hours=10.0, approval_required=True,
            sla_line_ids=sla,
        )
        cls.contract_b = cls._active_contract(
            partner_id=cls.other_client.id, audit_id=audit_b.id, date_start=cls.today,
            site_ids=[Command.set(cls.site_b_client.ids)], sla_line_ids=sla,
        )
        cls.asset_a, cls.asset_b = cls.env["it.asset"].create([{
            "name": "A's file server", "partner_id": cls.client.id, "site_id": cls.site_a.id,
            "company_id": cls.company.id, "category_id": cls.workstation_category.id,
        }, {
            "name": "B's router", "partner_id": cls.other_client.id, "site_id": cls.site_b_client.id,
            "company_id": cls.company.id, "category_id": cls.workstation_category.id,
        }])
        cls.contact_a, cls.contact_b = cls.env["res.partner"].create([
            {"name": "Alice A", "parent_id": cls.client.id, "email": "alice@client-a.example"},
            {"name": "Bob B", "parent_id": cls.other_client.id, "email": "bob@client-b.example"},
        ])
        cls.portal_a = new_test_user(cls.env, "portal_a", groups="base.group_portal", partner_id=cls.contact_a.id)
        cls.portal_b = new_test_user(cls.env, "portal_b", groups="base.group_portal", partner_id=cls.contact_b.id)
        cls.request_a = cls._request_for(cls.contract_a, "A's printer jammed", site=cls.site_a)
        cls.request_b = cls._request_for(cls.contract_b, "B's network down", site=cls.site_b_client)
        cls.env["it.contract.period"]._it_ensure_periods({(cls.contract_a.id, cls.today.replace(day=1))})
        cls.period_a = cls.contract_a.period_ids[:1]
        cls.env.flush_all()

    @classmethod
    def _request_for(cls, contract, name, site=None, count=1):
        tasks = cls.env["project.task"].create([{
            "name": name if count == 1 else f"{name} {index}", "project_id": contract.project_id.id,
            "partner_id": contract.partner_id.id, "it_site_id": site.id if site else False,
            "it_service_product_id": cls.service_support.id,
        } for index in range(count)])
        return tasks

    # ------------------------------------------------------------------ helpers

    def _get(self, url, user=None):
        if user:
            self.authenticate(user.login, user.login)
        return self.url_open(url, allow_redirects=False)

    def _csrf(self, url):
        html = self.url_open(url).text
        return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    def _report(self, values, files=None):
        data = {"csrf_token": self._csrf("/my/it/requests/new"), "description": "Screen stays black", **values}
        return self.url_open("/my/it/requests/new", data=data, files=files, allow_redirects=False)

    def _tasks_of(self, client):
        return self.env["project.task"].search([("it_client_id", "=", client.id)])

    @mute_logger("odoo.addons.rpc.controllers.xmlrpc", "odoo.http")
    def _rpc(self, user, model, method, *args, **kwargs):
        return self.xmlrpc_object.execute_kw(self.env.cr.dbname, user.id, user.login, model, method, list(args), kwargs)


@tagged("post_install", "-at_install")
class TestPortal(PortalCommon):
    """The client's portal (issue 10, item 1): A's contact must reach everything of A and nothing of B, by page,
    by RPC and by search."""

    # ------------------------------------------------------------------ pages

    def test_home_shows_the_entries_from_the_first_day(self):
        newcomer_client = self.env["res.partner"].create({"name": "New Client", "is_company": True})
        contact = self.env["res.partner"].create({"name": "Nina New", "parent_id": newcomer_client.id})
        newcomer = new_test_user(self.env, "portal_new", groups="base.group_portal", partner_id=contact.id)
        html = self._get("/my", newcomer).text
        for entry in ("/my/it/contracts", "/my/it/requests", "/my/it/assets", "/my/it/months"):
            self.assertIn(f'href="{entry}"', html)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": [
            "it_contract_count", "it_request_count", "it_asset_count", "it_period_count",
        ]})
        self.assertEqual(counters, {
            "it_contract_count": 0, "it_request_count": 0, "it_asset_count": 0, "it_period_count": 0,
        })
        self.authenticate("portal_a", "portal_a")
        counters = self.make_jsonrpc_request("/my/counters", {"counters": [
            "it_contract_count", "it_request_count", "it_asset_count", "it_period_count",
        ]})
        self.assertEqual(counters, {
            "it_contract_count": 1, "it_request_count": 1, "it_period_count": 1,
            "it_asset_count": self.env["it.asset"].search_count([("partner_id", "=", self.client.id)]),
        })

    def test_contracts_show_own_hours_only(self):
        html = self._get("/my/it/contracts", self.portal_a).text
        self.assertIn(self.contract_a.name, html)
        self.assertNotIn(self.contract_b.name, html)
        page = self._get(f"/my/it/contracts/{self.contract_a.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Left this month", page.text)
        self.assertIn("10:00", page.text, "this month's included hours")
        refused = self._get(f"/my/it/contracts/{self.contract_b.id}")
        self.assertEqual(refused.status_code, 303)
        self.assertTrue(refused.headers["Location"].endswith("/my"))
        self.assertNotIn(self.contract_b.name, self.url_open(f"/my/it/contracts/{self.contract_b.id}").text)
        # B's contact sees B's package and its hours left
        html = self._get(f"/my/it/contracts/{self.contract_b.id}", self.portal_b).text
        self.assertIn("Hours left", html)
        self.assertIn("20:00", html)
        self.assertIn("o_it_ledger_row", html, "the package ledger: its purchase")

    def test_requests_list_and_page(self):
        html = self._get("/my/it/requests", self.portal_a).text
        self.assertIn("A&#39;s printer jammed", html)
        self.assertNotIn("B&#39;s network down", html)
        page = self._get(f"/my/it/requests/{self.request_a.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Response by", page.text)
        deadline = re.search(r'class="o_it_response_deadline"[^>]*>([^<]+)<', page.text).group(1).strip()
        self.assertRegex(deadline, r"\d\d:\d\d")
        self.assertNotRegex(deadline, r"\d\d:\d\d:\d\d", "a deadline to the minute, without its seconds")
        self.assertEqual(self._get(f"/my/it/requests/{self.request_b.id}").status_code, 303)
        self.assertEqual(self._get("/my/it/requests?filterby=approval").status_code, 200)
        # the link mailed to the client opens without a login, with the request's token only
        self.url_open("/web/session/logout")
        self.request_a._portal_ensure_token()
        self.assertEqual(self._get(f"/my/it/requests/{self.request_a.id}").status_code, 303)
        page = self._get(f"/my/it/requests/{self.request_a.id}?access_token={self.request_a.access_token}")
        self.assertEqual(page.status_code, 200)
        self.assertEqual(self._get(f"/my/it/requests/{self.request_b.id}?access_token={self.request_a.access_token}")
                         .status_code, 303)

    def test_assets_and_months(self):
        html = self._get("/my/it/assets", self.portal_a).text
        self.assertIn("A&#39;s file server", html)
        self.assertNotIn("B&#39;s router", html)
        html = self._get("/my/it/months", self.portal_a).text
        self.assertIn(f"/my/it/months/{self.period_a.id}/report", html)
        report = self._get(f"/my/it/months/{self.period_a.id}/report?report_type=html")
        self.assertEqual(report.status_code, 200)
        self.assertIn(self.contract_a.name, report.text)
        # the headline link: the month's report as a PDF file named after the month (rendered as HTML in tests)
        pdf = self._get(f"/my/it/months/{self.period_a.id}/report?download=true")
        self.assertEqual(pdf.status_code, 200)
        self.assertIn(f"{self.period_a.date_start:%Y_%m}.pdf", pdf.headers["Content-Disposition"])
        self.assertEqual(self._get(f"/my/it/months/{self.period_a.id}/statement").status_code, 404)
        self.assertEqual(self._get(f"/my/it/months/{self.period_a.id}/report", self.portal_b).status_code, 303)
        self.assertNotIn(f"/my/it/months/{self.period_a.id}/", self._get("/my/it/months").text)

    def test_maintenance_visits_and_their_checks(self):
        """The client follows the regular supervision of its contract: its visits with their date and state, and
        what each visit found, which its contact cannot read through the API."""
        visit_a, visit_b = (self._visit(contract, asset) for contract, asset in (
            (self.contract_a, self.asset_a), (self.contract_b, self.asset_b)))
        visit_a.it_check_ids.write({"result": "attention", "note": "Fan noisy"})
        visit_b.it_check_ids.write({"result": "critical", "note": "Router overheating"})
        self.env.flush_all()
        response = self._get("/my/it/requests?filterby=visits", self.portal_a)
        self.assertEqual(response.status_code, 200)
        self.assertIn("Maintenance visits", response.text)
        self.assertIn(f'href="/my/it/requests/{visit_a.id}"', response.text)
        self.assertIn(visit_a.it_planned_date.strftime("%m/%d/%Y"), response.text)
        self.assertIn("Planned", response.text)
        self.assertNotIn(f'href="/my/it/requests/{visit_b.id}"', response.text)
        self.assertNotIn(f'href="/my/it/requests/{self.request_a.id}"', response.text, "visits only")
        page = self._get(f"/my/it/requests/{visit_a.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("A&#39;s file server", page.text)
        self.assertIn("Needs Attention", page.text)
        self.assertIn("Fan noisy", page.text)
        self.assertNotIn("Router overheating", page.text)
        with self.assertRaises(Fault):
            self._rpc(self.portal_a, "it.maintenance.check", "search_read", [], ["note"])
        # B's contact sees B's visit, not A's
        html = self._get("/my/it/requests?filterby=visits", self.portal_b).text
        self.assertIn(f'href="/my/it/requests/{visit_b.id}"', html)
        self.assertNotIn(f'href="/my/it/requests/{visit_a.id}"', html)
        refused = self._get(f"/my/it/requests/{visit_a.id}")
        self.assertEqual(refused.status_code, 303)
        self.assertNotIn("Fan noisy", self.url_open(f"/my/it/requests/{visit_a.id}").text)
        self.assertIn("Router overheating", self._get(f"/my/it/requests/{visit_b.id}").text)

    def _visit(self, contract, asset):
        """The first visit of a maintenance plan of ``contract`` checking ``asset``, created today."""
        plan = self.env["it.maintenance.plan"].create({
            "name": f"Check of {contract.name}", "contract_id": contract.id, "date_start": self.today,
            "asset_ids": [Command.set(asset.ids)],
        })
        plan._it_create_due_visits(self.today)
        return plan.visit_ids

    # ------------------------------------------------------------------ reporting a request

    def test_report_a_request(self):
        self.authenticate("portal_a", "portal_a")
        response = self._report({
            "name": "Laptop does not start", "priority": "2", "site_id": str(self.site_a.id),
            "asset_id": str(self.asset_a.id), "contract_id": str(self.contract_a.id),
        }, files=[("attachments", ("photo.png", b"\x89PNG fake", "image/png"))])
        self.assertEqual(response.status_code, 303)
        task = self.env["project.task"].search([("name", "=", "Laptop does not start")])
        self.assertEqual(response.headers["Location"].rsplit("/", 1)[-1], str(task.id))
        self.assertEqual(task.it_contract_id, self.contract_a, "its contract at once")
        self.assertEqual((task.partner_id, task.it_site_id, task.it_asset_id, task.priority),
                         (self.contact_a, self.site_a, self.asset_a, "2"))
        self.assertTrue(task.sla_response_deadline, "its SLA clock at once")
        self.assertFalse(task.user_ids, "the service desk takes it, never the client's portal user")
        self.assertEqual(task.attachment_ids.mapped("name"), ["photo.png"])
        self.assertEqual(base64.b64decode(task.attachment_ids.datas), b"\x89PNG fake")
        ack = task.message_ids.filtered(lambda m: "we received your request" in (m.subject or ""))
        self.assertEqual(len(ack), 1)
        self.assertEqual(ack.partner_ids, self.contact_a)
        self.assertIn("responds by", ack.body)
        # the contact follows it and answers in its chatter
        self.assertIn(self.contact_a, task.message_partner_ids)
        self.assertEqual(self._get(f"/my/it/requests/{task.id}").status_code, 200)
        self.make_jsonrpc_request("/mail/message/post", {
            "thread_model": "project.task", "thread_id": task.id,
            "post_data": {"body": "It beeps three times", "message_type": "comment"},
            "token": task.access_token,
        })
        self.assertIn("It beeps three times", task.message_ids[0].body)
        self.assertEqual(task.message_ids[0].author_id, self.contact_a)

    def test_report_bad_inputs_save_nothing(self):
        self.authenticate("portal_a", "portal_a")
        before = self._tasks_of(self.client)
        attachments = self.env["ir.attachment"].search_count([("res_model", "=", "project.task")])
        bad = [
            ({"site_id": str(self.site_b_client.id)}, "not one of Client Ltd&#39;s addresses"),
            # the client itself and a contact person are no sites: the form offers neither
            ({"site_id": str(self.client.id)}, "not one of Client Ltd&#39;s addresses"),
            ({"site_id": str(self.contact_a.id)}, "not one of Client Ltd&#39;s addresses"),
            ({"asset_id": str(self.asset_b.id)}, "not in Client Ltd&#39;s inventory"),
            ({"priority": "7"}, "Unknown priority 7"),
            ({"description": "   "}, "the description cannot be empty"),
            # a pasted log: the form's maxlength stops a browser, not a script
            ({"description": "x" * 20001},
             "The description of what happened is 20001 characters long, and at most 20000"),
            ({"name": "t" * 201}, "The subject is 201 characters long, and at most 200"),
            ({"contract_id": str(self.contract_b.id)}, "not a running contract of Client Ltd"),
            ({"contract_id": "999999"}, "does not exist"),
            ({"contract_id": "1 OR 1=1"}, "does not exist"),
        ]
        for values, message in bad:
            with self.subTest(values=values):
                response = self._report(dict(values), files=[("attachments", ("log.txt", b"log", "text/plain"))])
                self.assertEqual(response.status_code, 200)
                self.assertIn("o_it_portal_error", response.text)
                self.assertIn(message, response.text)
        self.assertEqual(self._tasks_of(self.client), before)
        self.assertEqual(self._tasks_of(self.other_client), self.request_b)
        self.assertEqual(self.env["ir.attachment"].search_count([("res_model", "=", "project.task")]), attachments)

    # ------------------------------------------------------------------ approval

    def test_an_answer_of_megabytes_is_refused_and_changes_nothing(self):
        task = self._request_for(self.contract_a, "Install design software", site=self.site_a)
        task.it_service_product_id = self.service_other  # outside the contract's scope: costs extra
        self.assertEqual(task.it_approval_state, "pending")
        self.env.flush_all()
        self.authenticate("portal_a", "portal_a")
        response = self.url_open(f"/my/it/requests/{task.id}/approval", data={
            "csrf_token": self._csrf("/my/it/requests/new"), "decision": "refuse", "comment": "no " * 10000})
        self.assertEqual(response.status_code, 200)
        self.assertIn("Your comment is 29999 characters long, and at most 20000", response.text)
        self.assertEqual(task.it_approval_state, "pending")
        self.assertFalse(task.it_approval_comment)

    def test_client_approves_in_the_portal(self):
        task = self._request_for(self.contract_a, "Install design software", site=self.site_a)
        task.it_service_product_id = self.service_other  # outside the contract's scope: costs extra
        self.assertEqual(task.it_approval_state, "pending")
        self.env.flush_all()
        page = self._get(f"/my/it/requests/{task.id}", self.portal_a).text
        self.assertIn("Your approval is needed", page)
        self.assertRegex(page, r"200[.,]00")
        # B's contact can neither see nor decide it
        self.authenticate("portal_b", "portal_b")
        csrf = self._csrf("/my/it/requests/new")
        response = self.url_open(f"/my/it/requests/{task.id}/approval", data={
            "csrf_token": csrf, "decision": "approve"}, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(task.it_approval_state, "pending")
        self.authenticate("portal_a", "portal_a")
        response = self.url_open(f"/my/it/requests/{task.id}/approval", data={
            "csrf_token": self._csrf("/my/it/requests/new"), "decision": "approve", "comment": "OK, go"},
            allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertEqual((task.it_approval_state, task.it_approval_partner_id, task.it_approval_comment),
                         ("approved", self.contact_a, "OK, go"))
        self.assertIn("Paid work approved", self._get(f"/my/it/requests/{task.id}").text)
        # a second decision is refused with a message
        response = self.url_open(f"/my/it/requests/{task.id}/approval", data={
            "csrf_token": self._csrf("/my/it/requests/new"), "decision": "refuse"})
        self.assertIn("is not waiting for your approval", response.text)
        self.assertEqual(task.it_approval_state, "approved")

    def test_the_rate_reaches_the_client_only(self):
        """The page shows the rate of paid work to the client's contact, logged in or through the mailed link, and
        to nobody else who is logged in, a technician with the link included (issue "Integrity by construction",
        item 5)."""
        task = self._request_for(self.contract_a, "Install design software", site=self.site_a)
        task.it_service_product_id = self.service_other  # outside the contract's scope: 200.00 an hour
        self.assertEqual(task.it_approval_state, "pending")
        technician = new_test_user(
            self.env, "portal_tech", groups="it_service_contracts.group_it_technician",
            company_id=self.company.id, company_ids=[Command.set(self.company.ids)],
        )
        self.env.flush_all()
        url, rate = f"/my/it/requests/{task.id}", r"(?s)billed at.*200[.,]00"
        self.assertRegex(self._get(url, self.portal_a).text, rate)
        self.authenticate(None, None)
        self.assertRegex(self.url_open(url, params={"access_token": task.access_token}).text, rate)
        for user in (technician, self.portal_b):
            with self.subTest(user=user.login):
                self.authenticate(user.login, user.login)
                response = self.url_open(url, params={"access_token": task.access_token}, allow_redirects=False)
                self.assertEqual(response.status_code, 303)
                self.assertNotRegex(response.text, r"200[.,]00")
                self.assertNotIn(task.name, response.text)

    # ------------------------------------------------------------------ RPC and search

    def test_rpc_reaches_nothing_of_another_client(self):
        for model, record in (("it.contract", self.contract_b), ("it.asset", self.asset_b)):
            with self.subTest(model=model), self.assertRaises(Fault):
                self._rpc(self.portal_a, model, "search_read", [], ["name"])
            with self.subTest(model=model), self.assertRaises(Fault):
                self._rpc(self.portal_a, model, "read", record.ids, ["name"])
        with self.assertRaises(Fault):
            self._rpc(self.portal_a, "project.task", "read", self.request_b.ids, ["name"])
        self.assertFalse(self._rpc(self.portal_a, "project.task", "search", [("id", "=", self.request_b.id)]))
        with self.assertRaises(Fault):
            self._rpc(self.portal_a, "project.task", "write", self.request_a.ids, {"it_approval_state": "approved"})
        periods = self._rpc(self.portal_a, "it.contract.period", "search", [])
        self.assertEqual(periods, self.period_a.ids)
        self.assertFalse(self._rpc(self.portal_b, "it.contract.period", "search", []))
        with self.assertRaises(Fault):
            self._rpc(self.portal_b, "it.contract.period", "read", self.period_a.ids, ["hours_used"])
        # the report of another client's month, straight from the report controller
        self.authenticate("portal_b", "portal_b")
        with mute_logger("odoo.http"):
            response = self.url_open(
                f"/report/html/it_service_contracts.report_it_monthly_client/{self.period_a.id}")
        self.assertNotEqual(response.status_code, 200)
        self.assertNotIn(self.contract_a.name, response.text)

    # ------------------------------------------------------------------ queries

    def _queries(self, url):
        self.url_open(url)  # warm the caches
        before = self.cr.sql_log_count
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        return self.cr.sql_log_count - before

    def test_queries_do_not_grow_with_requests(self):
        self._request_for(self.contract_a, "Batch", site=self.site_a, count=9)
        self.env.flush_all()
        self.authenticate("portal_a", "portal_a")
        urls = ("/my", "/my/it/requests?filterby=all", "/my/it/contracts", f"/my/it/contracts/{self.contract_a.id}")
        with_10 = {url: self._queries(url) for url in urls}
        for url, count in with_10.items():
            self.assertGreater(count, 3, f"{url} is measured")
        self._request_for(self.contract_a, "More", site=self.site_a, count=490)
        self.env.flush_all()
        with_500 = {url: self._queries(url) for url in urls}
        self.assertEqual(self.env["project.task"].search_count([("it_client_id", "=", self.client.id)]), 500)
        self.assertEqual(with_500, with_10)
