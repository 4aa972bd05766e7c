import re
from xmlrpc.client import Fault

from lxml import etree

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import Form, HttpCase, JsonRpcException, new_test_user, tagged
from odoo.tools import mute_logger

from .common import ItServiceCommon

# the fields that show money (a price, rate, fee, amount, revenue, or a link to an invoice or credit note)
MONEY_FIELDS = {
    "it.contract": [
        "hourly_rate", "package_price", "package_price_agreed", "monthly_fee", "invoice_ids", "invoice_count",
        "service_credit_percent", "service_credit_cap_percent", "renewal_advice",
    ],
    "it.contract.line": ["price_unit", "price_subtotal"],
    "it.contract.period": ["invoice_id"],
    "it.audit": [
        "adhoc_monthly_cost", "package_monthly_cost", "flat_monthly_fee", "per_asset_monthly_cost",
        "recommendation_reasons",
    ],
    "it.audit.stage": ["estimated_cost"],
    "it.asset.category": ["monthly_asset_price"],
    "it.service.report": ["revenue"],
    "project.task": ["it_fixed_price", "it_adhoc_hourly_rate", "it_invoice_ids", "it_credit_move_id"],
    "account.analytic.line": ["it_invoice_id"],
    "timesheets.analysis.report": ["it_invoice_id"],
    "res.company": ["it_adhoc_hourly_rate", "it_package_hourly_rate", "it_flat_hourly_rate", "it_flat_minimum_fee"],
    "res.config.settings": ["it_adhoc_hourly_rate", "it_package_hourly_rate", "it_flat_hourly_rate"],
    "res.partner": ["it_report_revenue"],
}
# the Timesheets app's views of a timesheet line (the default ones are those of analytic accounting)
APP_VIEWS = {"account.analytic.line": {
    "form": "hr_timesheet.hr_timesheet_line_form", "list": "hr_timesheet.hr_timesheet_line_tree",
    "search": "hr_timesheet.hr_timesheet_line_search",
}}


@tagged("post_install", "-at_install")
class TestRateVisibility(HttpCase, ItServiceCommon):
    """Technicians see the requests, the hours and the SLA, but no rate, price or invoice unless they are also
    accountants; through the views, the ORM and the external API of the running server, as real users."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.context_today(cls.env["it.contract"])
        cls.today = today
        sla = [(0, 0, {"priority": "0", "response_hours": 2.0, "resolution_hours": 8.0})]
        cls.package = cls._active_contract(
            hours_total=10.0, date_start=today, remote_service=False, site_ids=[(6, 0, cls.site_a.ids)],
            sla_line_ids=sla, package_price_agreed=1500.0,
        )
        cls.flat = cls._active_contract(
            "monthly_flat", date_start=today, monthly_hours=20.0, remote_service=False,
            site_ids=[(6, 0, cls.site_b.ids)], sla_line_ids=sla, service_credit_percent=5.0,
            line_ids=[(0, 0, {"product_id": cls.service_servers.id, "price_unit": 300.0})],
        )
        company = {"company_id": cls.company.id, "company_ids": [(6, 0, cls.company.ids)]}
        cls.technician = new_test_user(
            cls.env, "rate_tech", password="rate_tech_pw", groups="it_service_contracts.group_it_technician",
            **company,
        )
        cls.tech_accountant = new_test_user(
            cls.env, "rate_tech_acc", password="rate_tech_acc_pw",
            groups="it_service_contracts.group_it_technician,account.group_account_invoice", **company,
        )
        cls.manager = new_test_user(
            cls.env, "rate_manager", password="rate_manager_pw", groups="it_service_contracts.group_it_manager",
            **company,
        )
        cls.env["hr.employee"].create([
            {"name": "Rate Tech", "user_id": cls.technician.id, "company_id": cls.company.id},
            {"name": "Rate Tech Accountant", "user_id": cls.tech_accountant.id, "company_id": cls.company.id},
        ])
        cls.package_request = cls._routed_request(cls.package, "Laptop broken", cls.site_a)
        cls.flat_request = cls._routed_request(cls.flat, "Server down", cls.site_b)
        cls.env["it.contract.period"]._it_ensure_periods({(cls.flat.id, today.replace(day=1))})
        cls.period = cls.flat.period_ids[:1]
        cls.line = cls.env["account.analytic.line"].with_user(cls.technician).create({
            "name": "Diagnosis", "task_id": cls.package_request.id, "unit_amount": 1.0, "date": today,
        }).sudo()
        # an audit with a modernisation plan (made while the audit is open)
        cls.planned_audit = cls.env["it.audit"].create({
            "partner_id": cls.client.id, "company_id": cls.company.id,
            "asset_ids": [(0, 0, {"category_id": cls.workstation_category.id})],
            "stage_ids": [(0, 0, {"name": "Replace the switches"})],
        })
        cls.planned_audit.action_done()

    # ------------------------------------------------------------------ helpers

    def _records(self):
        """What a technician opens in a day's work: contracts, requests, timesheets, months, the audit, the client."""
        return [
            ("it.contract", self.package), ("it.contract", self.flat), ("project.task", self.package_request),
            ("project.task", self.flat_request), ("account.analytic.line", self.line),
            ("it.contract.period", self.period), ("it.audit", self.audit), ("it.audit", self.planned_audit),
            ("res.partner", self.client),
        ]

    def _open(self, user, model, record):
        """Open ``record`` as the web client does: its views, then the values of the fields its form shows."""
        Model = self.env[model].with_user(user)
        refs = APP_VIEWS.get(model, {})
        views = Model.get_views([
            (self.env.ref(refs[view_type]).id if view_type in refs else False, view_type)
            for view_type in ("form", "list", "search")
        ])
        types = {name: field["type"] for name, field in views["models"][model]["fields"].items()}
        arch = etree.fromstring(views["views"]["form"]["arch"])
        values = Model.browse(record.id).web_read({
            name: {"fields": {"display_name": {}}} if types[name] in ("many2one", "one2many", "many2many") else {}
            for name in arch.xpath("//field[not(ancestor::field)]/@name")
        })
        self.assertEqual(values[0]["id"], record.id)
        return views, values[0]

    def assertNoMoney(self, model, arch):
        """No field that shows money in a view of ``model`` (nor in its lines): neither shown nor used by an
        expression."""
        money = MONEY_FIELDS[model]
        shown = {name for names in MONEY_FIELDS.values() for name in names}
        for node in etree.fromstring(arch).iter():
            if node.tag in ("field", "label") and (node.get("name") or node.get("for")) in shown:
                self.fail(f"{etree.tostring(node, encoding='unicode')} in the view of {model}")
            for attr in ("invisible", "readonly", "required", "column_invisible", "domain", "context",
                         "filter_domain"):
                for name in money:
                    self.assertNotRegex(node.get(attr) or "", rf"\b{name}\b", f"{attr} of {node.tag}")

    @mute_logger("odoo.addons.rpc.controllers.xmlrpc", "odoo.http")
    def xmlrpc(self, user, model, method, *args, **kwargs):
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, f"{user.login}_pw", model, method, list(args), kwargs,
        )

    @mute_logger("odoo.addons.rpc.controllers.jsonrpc", "odoo.http")
    def jsonrpc(self, user, model, method, *args, **kwargs):
        return self.make_jsonrpc_request("/jsonrpc", {"service": "object", "method": "execute_kw", "args": [
            self.env.cr.dbname, user.id, f"{user.login}_pw", model, method, list(args), kwargs,
        ]})

    def _log_as(self, user, task, hours):
        line_id = self.xmlrpc(user, "account.analytic.line", "create", [{
            "name": "Work", "task_id": task.id, "project_id": task.project_id.id, "unit_amount": hours,
            "date": fields.Date.to_string(self.today),
        }])[0]
        self.env.invalidate_all()
        return self.env["account.analytic.line"].browse(line_id)

    # ------------------------------------------------------------------ views and ORM

    def test_money_fields_are_hidden_from_technicians_only(self):
        for model, names in MONEY_FIELDS.items():
            with self.subTest(model=model):
                self.assertFalse(set(names) & set(self.env[model].with_user(self.technician).fields_get()))
                for user in (self.tech_accountant, self.manager):
                    self.assertLessEqual(set(names), set(self.env[model].with_user(user).fields_get()))

    def test_technician_opens_contracts_requests_and_timesheets(self):
        for model, record in self._records():
            with self.subTest(model=model, record=record.display_name):
                views, values = self._open(self.technician, model, record)
                self.assertFalse(set(MONEY_FIELDS[model]) & set(values))
                for view in views["views"].values():
                    self.assertNoMoney(model, view["arch"])
        # the analyses, with their search views and filters
        for model, view_types in (("it.service.report", ("pivot", "graph", "list", "search")),
                                  ("timesheets.analysis.report", ("pivot", "graph", "list", "search"))):
            with self.subTest(model=model):
                views = self.env[model].with_user(self.technician).get_views([(False, vt) for vt in view_types])
                for view in views["views"].values():
                    self.assertNoMoney(model, view["arch"])
        # what the technician works with is there: the hours, the SLA, the billing of the time
        _views, contract = self._open(self.technician, "it.contract", self.package)
        self.assertEqual((contract["hours_total"], contract["hours_remaining"]), (10.0, 9.0))
        self.assertEqual(contract["renewal_recommended_type"], "adhoc")  # one hour in a month
        _views, request = self._open(self.technician, "project.task", self.package_request)
        self.assertEqual((request["it_contract_id"]["id"], request["sla_state"]), (self.package.id, "on_track"))
        _views, line = self._open(self.technician, "account.analytic.line", self.line)
        self.assertEqual((line["it_billing_type"], line["it_billable_hours"]), ("package", 1.0))
        # the forms, as a user edits them
        with Form(self.package_request.with_user(self.technician)) as request_form:
            request_form.description = "<p>Cable replaced</p>"
        with Form(self.line.with_user(self.technician)) as line_form:
            line_form.name = "Diagnosis and cable"
        self.assertEqual(self.line.name, "Diagnosis and cable")

    def test_technician_cannot_read_money_through_the_orm(self):
        for model, record in self._records():
            for name in MONEY_FIELDS[model]:
                with self.subTest(model=model, field=name), self.assertRaises(AccessError):
                    record.with_user(self.technician).read([name])
        contract = self.package.with_user(self.technician)
        with self.assertRaises(AccessError):
            self.assertFalse(contract.hourly_rate, "not reached: reading the field is refused")
        with self.assertRaises(AccessError):
            contract.search([("monthly_fee", ">", 0)])
        with self.assertRaises(AccessError):
            self.company.with_user(self.technician).read(["it_adhoc_hourly_rate"])
        with self.assertRaises(AccessError):
            self.flat.line_ids.with_user(self.technician).read(["price_unit"])

    def test_accountant_technician_and_manager_see_the_money(self):
        for user in (self.tech_accountant, self.manager):
            with self.subTest(user=user.login):
                contract = self.package.with_user(user).read(["hourly_rate", "package_price_agreed", "invoice_count"])
                self.assertEqual(
                    (contract[0]["hourly_rate"], contract[0]["package_price_agreed"], contract[0]["invoice_count"]),
                    (160.0, 1500.0, 0),
                )
                flat = self.flat.with_user(user)
                self.assertEqual((flat.monthly_fee, flat.service_credit_percent, flat.line_ids.price_unit),
                                 (3000.0, 5.0, 300.0))
                self.assertEqual(self.company.with_user(user).it_adhoc_hourly_rate, 200.0)
                self.assertEqual(self.package_request.with_user(user).it_adhoc_hourly_rate, 200.0)
                self.assertFalse(self.line.with_user(user).it_invoice_id)
                self.assertFalse(self.period.with_user(user).invoice_id)
                views, values = self._open(user, "it.contract", self.flat)
                self.assertRegex(views["views"]["form"]["arch"], r"\bmonthly_fee\b")
                self.assertEqual(values["monthly_fee"], 3000.0)
                # the button to the invoices is for who may read them
                self.assertEqual(values.get("invoice_count"), 0 if user == self.tech_accountant else None)
        # the invoices themselves are for who may read invoices
        self.assertFalse(self.package.with_user(self.tech_accountant).invoice_ids)

    def test_audit_report_shows_costs_to_who_sees_money(self):
        def render(user):
            return self.env["ir.actions.report"].with_user(user)._render_qweb_html(
                "it_service_contracts.action_report_it_audit", self.audit.ids)[0].decode()

        def comparison_columns(html):
            header = re.search(r'o_it_audit_comparison">\s*<thead><tr>(.*?)</tr>', html, re.DOTALL).group(1)
            return header.count("<th")

        technician_copy, manager_copy = render(self.technician), render(self.manager)
        # the forms with their terms, but neither their monthly cost nor the reasons that compare the costs
        self.assertEqual((comparison_columns(technician_copy), comparison_columns(manager_copy)), (2, 3))
        reasons = self.audit.recommendation_reasons.splitlines()[-1]
        self.assertNotIn(reasons, technician_copy)
        self.assertIn(reasons, manager_copy)

    # ------------------------------------------------------------------ the external API of the running server

    def test_technician_rpc_read_of_money_is_refused(self):
        calls = [
            ("read", [self.package.id], ["hourly_rate"]),
            ("read", [self.flat.id], ["name", "monthly_fee"]),
            ("read", [self.package.id], ["invoice_ids"]),
            ("search_read", [("id", "=", self.flat.id)], ["monthly_fee"]),
            ("search_read", [("id", "=", self.package.id)], ["hourly_rate"]),
            ("search_read", [("hourly_rate", ">", 0)], ["name"]),
            ("search_read", [("id", "=", self.package.id)], ["invoice_ids"]),
        ]
        for method, arg, names in calls:
            with self.subTest(method=method, names=names, api="xmlrpc"), self.assertRaises(Fault) as caught:
                self.xmlrpc(self.technician, "it.contract", method, arg, names)
            self.assertIn("You do not have enough rights to access the field", caught.exception.faultString)
            with self.subTest(method=method, names=names, api="jsonrpc"), self.assertRaises(JsonRpcException) as caught:
                self.jsonrpc(self.technician, "it.contract", method, arg, names)
            self.assertIn("AccessError", str(caught.exception))
        # the web client's own calls, in a session
        self.authenticate(self.technician.login, "rate_tech_pw")
        with mute_logger("odoo.http"), self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request("/web/dataset/call_kw/it.contract/web_read", {
                "model": "it.contract", "method": "web_read", "args": [self.package.ids],
                "kwargs": {"specification": {"hourly_rate": {}}},
            })
        # the rest of the contract is readable, and the money is for the accountant and the manager
        contract = self.xmlrpc(self.technician, "it.contract", "read", [self.package.id], ["name", "hours_remaining"])
        self.assertEqual(contract[0]["hours_remaining"], 9.0)
        for user in (self.tech_accountant, self.manager):
            with self.subTest(user=user.login):
                values = self.jsonrpc(user, "it.contract", "search_read", [("id", "=", self.flat.id)],
                                      ["hourly_rate", "monthly_fee", "invoice_count"])
                self.assertEqual((values[0]["hourly_rate"], values[0]["monthly_fee"]), (130.0, 3000.0))
        values = self.xmlrpc(self.tech_accountant, "it.contract", "read", [self.package.id], ["invoice_ids"])
        self.assertEqual(values[0]["invoice_ids"], [])

    def test_technician_logs_time_on_package_and_flat_requests(self):
        package_line = self._log_as(self.technician, self.package_request, 2.0)
        flat_line = self._log_as(self.technician, self.flat_request, 3.0)
        self.assertEqual((package_line.it_billing_type, package_line.it_contract_id), ("package", self.package))
        self.assertEqual((flat_line.it_billing_type, flat_line.it_contract_id), ("included", self.flat))
        self.assertEqual(self.package.hours_used, 3.0)
        self.assertEqual(self.flat.current_hours_used, 3.0)
        # corrected and deleted by the technician: given back to the package and the month
        self.xmlrpc(self.technician, "account.analytic.line", "write", [package_line.id], {"unit_amount": 1.0})
        self.xmlrpc(self.technician, "account.analytic.line", "unlink", [flat_line.id])
        self.env.invalidate_all()
        self.assertEqual((self.package.hours_used, self.flat.current_hours_used), (2.0, 0.0))
        # and from the request's form, as in the web client
        with Form(self.flat_request.with_user(self.technician)) as form, form.timesheet_ids.new() as line:
            line.name = "Disk replaced"
            line.unit_amount = 1.5
        line = self.flat_request.timesheet_ids.filtered(lambda timesheet: timesheet.name == "Disk replaced")
        self.assertEqual((line.it_billing_type, line.it_billable_hours), ("included", 1.5))
        self.assertEqual(self.flat.current_hours_used, 1.5)

    def test_technician_creates_copies_and_closes_requests(self):
        desk = self.company._it_get_service_desk_project()
        Task = self.env["project.task"].with_user(self.technician).with_context(default_project_id=desk.id)
        with Form(Task) as form:
            form.name = "Website down"
            form.partner_id = self.other_client
        adhoc = form.record
        self.assertTrue(adhoc.it_is_adhoc)
        self.assertEqual(adhoc.it_price_agreement, "time_materials")
        self.xmlrpc(self.technician, "account.analytic.line", "create", [{
            "name": "Restart", "task_id": adhoc.id, "unit_amount": 1.0, "date": fields.Date.to_string(self.today),
        }])
        # a job a manager quoted at a fixed price: its copy is a new job, at time and materials until quoted
        adhoc.sudo().write({"it_price_agreement": "fixed", "it_fixed_price": 450.0})
        copy = adhoc.copy()
        self.assertEqual((copy.it_price_agreement, copy.sudo().it_fixed_price), ("time_materials", 0.0))
        done = self.env.ref("it_service_contracts.project_stage_service_done")
        self.xmlrpc(self.technician, "project.task", "write", [adhoc.id], {"stage_id": done.id})
        self.assertTrue(adhoc.sla_resolution_date)
        self.xmlrpc(self.technician, "project.task", "message_post", [self.flat_request.id], body="On my way",
                    message_type="comment", subtype_xmlid="mail.mt_comment")
        self.assertTrue(self.flat_request.first_response_date)
