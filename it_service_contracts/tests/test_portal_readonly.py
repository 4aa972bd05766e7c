from contextlib import contextmanager
from unittest.mock import patch

from odoo import Command
from odoo.http import request
from odoo.tests import new_test_user, tagged

from .test_portal import PortalCommon

ADDON = "odoo.addons.it_service_contracts."
# every route of the addon and the cursor it is served on: True for read-only (a replica's, when one is configured),
# False for read/write, "tokens" for read-only once the records the page links to have their portal token
ROUTES = {
    "* /my/it/contracts": True,
    "* /my/it/contracts/page/<int:page>": True,
    "* /my/it/contracts/<int:contract_id>": "tokens",
    "* /my/it/contracts/<int:contract_id>/document": True,
    "POST /my/it/contracts/<int:contract_id>/accept": False,
    "POST /my/it/contracts/<int:contract_id>/refuse": False,
    "* /my/it/amendments/<int:amendment_id>": "tokens",
    "* /my/it/amendments/<int:amendment_id>/document": True,
    "POST /my/it/amendments/<int:amendment_id>/accept": False,
    "POST /my/it/amendments/<int:amendment_id>/refuse": False,
    "* /my/it/requests": True,
    "* /my/it/requests/page/<int:page>": True,
    "GET /my/it/requests/new": True,
    "POST /my/it/requests/new": False,
    "* /my/it/requests/<int:task_id>": "tokens",
    "POST /my/it/requests/<int:task_id>/approval": False,
    "* /my/it/months": True,
    "* /my/it/months/page/<int:page>": True,
    "* /my/it/months/<int:period_id>/<string:report>": True,
    "* /my/it/assets": True,
    "* /my/it/assets/page/<int:page>": True,
    "POST /it/alerts/<string:token>": False,
}


@tagged("post_install", "-at_install")
class TestPortalReadonly(PortalCommon):
    """The pages and methods that only read are served on the read-only cursor, a replica's in production (issue 21,
    item 5). A test serves a read-only route on a read-only transaction as Odoo serves it on a replica: a write there
    fails, and Odoo serves the request again on a read/write cursor with the warning "retrying with a read/write
    cursor". Each page is therefore checked to be served read-only, once, without that warning."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.amendment = cls.env["it.contract.amendment"].create({
            "contract_id": cls.contract_a.id, "effective_date": cls.today, "monthly_hours": 12.0,
        })
        cls.amendment._it_mark_sent()
        cls.manager = new_test_user(
            cls.env, "ro_manager", groups="it_service_contracts.group_it_manager",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
        )

    # ------------------------------------------------------------------ helpers

    @contextmanager
    def _cursors(self):
        """The cursors the requests of the block were answered on (True for read-only), none retried."""
        answered = []
        IrHttp = self.registry["ir.http"]
        post_dispatch = IrHttp._post_dispatch

        def spy(cls, response):
            answered.append(request.env.cr.readonly)
            return post_dispatch(response)

        with patch.object(IrHttp, "_post_dispatch", classmethod(spy)), self.assertNoLogs("odoo.http", "WARNING"):
            yield answered

    def _served(self, url, user=None):
        """Open the page (as ``user``); its response and whether it was served read-only."""
        if user:
            self.authenticate(user.login, user.login)
        with self._cursors() as answered:
            response = self.url_open(url, allow_redirects=False)
        self.assertEqual(len(answered), 1, url)
        return response, answered[0]

    def _give_tokens(self, *records):
        for record in records:
            record._portal_ensure_token()
        self.env.flush_all()

    # ------------------------------------------------------------------ declarations

    def test_routes_declare_their_cursor(self):
        declared = {}
        for rule in self.env["ir.http"].routing_map().iter_rules():
            if not rule.endpoint.__module__.startswith(ADDON):
                continue
            methods = " ".join(sorted(rule.methods - {"HEAD", "OPTIONS"})) if rule.methods else "*"
            readonly = rule.endpoint.routing["readonly"]
            declared[f"{methods} {rule.rule}"] = "tokens" if callable(readonly) else readonly
        self.assertEqual(declared, ROUTES)

    # ------------------------------------------------------------------ pages

    def test_read_only_pages_write_nothing(self):
        self._give_tokens(self.contract_a, self.amendment, self.request_a)
        pages = {
            "/my/it/contracts": self.contract_a.name,
            f"/my/it/contracts/{self.contract_a.id}": "Left this month",
            f"/my/it/contracts/{self.contract_a.id}/document?report_type=html": self.contract_a.name,
            f"/my/it/contracts/{self.contract_a.id}/document?download=true": self.contract_a.name,
            f"/my/it/amendments/{self.amendment.id}": self.amendment.name,
            f"/my/it/amendments/{self.amendment.id}/document?report_type=html": self.amendment.name,
            "/my/it/requests?filterby=all": "A&#39;s printer jammed",
            f"/my/it/requests/{self.request_a.id}": "A&#39;s printer jammed",
            "/my/it/requests/new": "A&#39;s file server",
            "/my/it/months": self.contract_a.name,
            f"/my/it/months/{self.period_a.id}/report?report_type=html": self.contract_a.name,
            f"/my/it/months/{self.period_a.id}/report": self.contract_a.name,
            "/my/it/assets": "A&#39;s file server",
        }
        self.authenticate("portal_a", "portal_a")
        for url, shown in pages.items():
            with self.subTest(url=url):
                response, readonly = self._served(url)
                self.assertEqual(response.status_code, 200)
                self.assertIn(shown, response.text)
                self.assertTrue(readonly)
        # the home page's counters (Odoo's read-only route) count the client's records on the read-only cursor too
        with self._cursors() as answered:
            counters = self.make_jsonrpc_request("/my/counters", {"counters": ["it_contract_count", "it_asset_count"]})
        self.assertEqual((counters["it_contract_count"], answered), (1, [True]))
        # a visitor with the mailed link, and the manager printing the month from the back office
        self.authenticate(None, None)
        response, readonly = self._served(self.contract_a.get_portal_url())
        self.assertEqual((response.status_code, readonly), (200, True))
        self.assertIn(self.contract_a.name, response.text)
        response, readonly = self._served(
            f"/report/html/it_service_contracts.report_it_monthly_client/{self.period_a.id}", self.manager)
        self.assertEqual((response.status_code, readonly), (200, True))

    def test_pages_that_would_write_are_served_read_write(self):
        """A page that gives a record its token (the page's own, or a record it links to), the page right after the
        client's answer, and a record the replica may not have yet are served on the primary; once the tokens are
        given, the page is read-only."""
        self.authenticate("portal_a", "portal_a")
        contract, amendment, task = self.contract_a, self.amendment, self.request_a
        for page, without in ((task, task), (contract, contract), (contract, amendment), (amendment, amendment),
                              (amendment, contract)):
            with self.subTest(page=page.display_name, without=without.display_name):
                self._give_tokens(contract, amendment, task)
                without.access_token = False
                self.env.flush_all()
                response, readonly = self._served(page.access_url)
                self.assertEqual((response.status_code, readonly), (200, False))
                without.invalidate_recordset(["access_token"])
                self.assertTrue(without.access_token, "the visit gave the token")
                self.assertTrue(self._served(page.access_url)[1], "then the page is read-only")
        self.assertFalse(self._served(f"{contract.access_url}?message=accepted")[1])
        response, readonly = self._served("/my/it/requests/99999999")
        self.assertEqual((response.status_code, readonly), (303, False))

    # ------------------------------------------------------------------ the manager's methods

    def test_dashboard_methods_are_read_only(self):
        """Every ``action_view_*`` of the addon (the smart buttons to a client's figures, invoices, months, visits...)
        is declared read-only and answers on the read-only cursor."""
        plan = self.env["it.maintenance.plan"].create({"name": "Server check", "contract_id": self.contract_a.id})
        source = self.env["it.alert.source"].create({"name": "Zabbix", "partner_id": self.client.id})
        records = {
            "res.partner": self.client, "it.contract": self.contract_a, "it.asset": self.asset_a,
            "it.audit": self.audit, "it.contract.period": self.period_a, "it.maintenance.plan": plan,
            "it.alert.source": source,
        }
        methods = sorted(
            (model, name) for model, cls in self.registry.items() if not cls._abstract for name in dir(cls)
            if name.startswith("action_view_") and getattr(cls, name).__module__.startswith(ADDON)
        )
        self.assertIn(("res.partner", "action_view_it_service_report"), methods)
        self.authenticate(self.manager.login, self.manager.login)
        for model, name in methods:
            with self.subTest(method=f"{model}.{name}"):
                self.assertTrue(getattr(getattr(self.registry[model], name), "_readonly", False), "@api.readonly")
                with self._cursors() as answered:
                    action = self.make_jsonrpc_request(f"/web/dataset/call_button/{model}/{name}", {
                        "model": model, "method": name, "args": [records[model].ids], "kwargs": {},
                    })
                self.assertEqual(answered, [True])
                self.assertIn("type", action)
