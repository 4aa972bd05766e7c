from xmlrpc.client import Fault

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import ItServiceCommon


class RpcRolesCommon(HttpCase, ItServiceCommon):
    """A package and a flat contract with a request each, and every role as a real user with a password."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.context_today(cls.env["it.contract"])
        cls.today = today
        sla = [(0, 0, {"priority": "0", "response_hours": 2.0, "resolution_hours": 8.0})]
        # one place each, so that each request is covered by one contract
        cls.package = cls._active_contract(
            hours_total=10.0, date_start=today, remote_service=False, site_ids=[(6, 0, cls.site_a.ids)],
            sla_line_ids=sla,
        )
        cls.flat = cls._active_contract(
            "monthly_flat", date_start=today, monthly_hours=20.0, remote_service=False,
            site_ids=[(6, 0, cls.site_b.ids)], sla_line_ids=sla,
        )
        group = "it_service_contracts.group_it_technician"
        cls.technician = new_test_user(
            cls.env, "rpc_tech", password="rpc_tech_pw", groups=group,
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )
        cls.other_technician = new_test_user(
            cls.env, "rpc_tech2", password="rpc_tech2_pw", groups=group,
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )
        cls.manager = new_test_user(
            cls.env, "rpc_manager", password="rpc_manager_pw", groups="it_service_contracts.group_it_manager",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )
        cls.accountant = new_test_user(
            cls.env, "rpc_accountant", password="rpc_accountant_pw",
            groups="account.group_account_invoice,account.group_account_user",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )
        cls.company_b = cls.env["res.company"].create({"name": "Other MSP"})
        cls.user_b = new_test_user(
            cls.env, "rpc_manager_b", password="rpc_manager_b_pw", groups="it_service_contracts.group_it_manager",
            company_id=cls.company_b.id, company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.env["hr.employee"].create([
            {"name": "RPC Tech", "user_id": cls.technician.id, "company_id": cls.company.id},
            {"name": "RPC Tech 2", "user_id": cls.other_technician.id, "company_id": cls.company.id},
        ])
        cls.package_request = cls._routed_request(cls.package, "Laptop broken", cls.site_a)
        cls.flat_request = cls._routed_request(cls.flat, "Server down", cls.site_b)
        cls.env["it.contract.period"]._it_ensure_periods({(cls.flat.id, today.replace(day=1))})

    # ------------------------------------------------------------------ helpers

    @mute_logger("odoo.addons.rpc.controllers.xmlrpc", "odoo.http")  # the endpoint's deprecation, refusals
    def rpc(self, user, model, method, *args, **kwargs):
        password = f"{user.login}_pw"
        return self.xmlrpc_object.execute_kw(self.env.cr.dbname, user.id, password, model, method, list(args), kwargs)

    def assertRpcRefused(self, pattern, user, model, method, *args, **kwargs):
        with self.assertRaises(Fault) as caught:
            self.rpc(user, model, method, *args, **kwargs)
        self.assertRegex(caught.exception.faultString, pattern)

    def _log_as(self, user, task, hours, **kwargs):
        return self.rpc(user, "account.analytic.line", "create", [{
            "name": "Work", "task_id": task.id, "project_id": task.project_id.id, "unit_amount": hours,
            "date": fields.Date.to_string(self.today),
        }], **kwargs)[0]

    def _read(self, model, record_id, names):
        self.env.invalidate_all()
        return self.env[model].browse(record_id).read(names)[0]


@tagged("post_install", "-at_install")
class TestRpcRoles(RpcRolesCommon):
    """Every role through the external API of the running server, as real users with passwords (rule 9)."""

    # ------------------------------------------------------------------ the attacks of issue 7

    def test_technician_rpc_attacks_are_refused(self):
        # 1. a line "already classified" on a flat-contract request: classified all the same
        line_id = self._log_as(self.technician, self.flat_request, 3.0, context={"it_timesheet_classified": True})
        line = self._read("account.analytic.line", line_id, ["it_billing_type", "it_contract_id"])
        self.assertEqual((line["it_billing_type"], line["it_contract_id"][0]), ("included", self.flat.id))
        self.assertEqual(self.flat.current_hours_used, 3.0)
        # 2. the billing type of the technician's own package line, with the context key
        line_id = self._log_as(self.technician, self.package_request, 2.0)
        for context in ({"it_timesheet_classified": True}, {"it_reclassify": True}, {}):
            self.assertRpcRefused(
                "decided by the contract rules", self.technician, "account.analytic.line", "write",
                [line_id], {"it_billing_type": "non_billable"}, context=context,
            )
        self.assertRpcRefused(
            "decided by the contract rules", self.technician, "account.analytic.line", "create",
            [{"name": "Free", "task_id": self.package_request.id, "unit_amount": 3.0, "it_billing_type": "adhoc"}],
            context={"it_timesheet_classified": True},
        )
        line = self._read("account.analytic.line", line_id, ["it_billing_type"])
        self.assertEqual(line["it_billing_type"], "package")
        self.assertEqual(self.package.hours_used, 2.0)
        # 3. the SLA record of a request
        before = self._read("project.task", self.package_request.id,
                            ["sla_resolution_deadline", "sla_paused_hours", "sla_state"])
        self.assertTrue(before["sla_resolution_deadline"])
        for vals in ({"sla_paused_hours": 40}, {"sla_state": "met"}):
            self.assertRpcRefused("cannot be set by hand", self.technician, "project.task", "write",
                                  [self.package_request.id], vals)
        after = self._read("project.task", self.package_request.id,
                           ["sla_resolution_deadline", "sla_paused_hours", "sla_state"])
        self.assertEqual(after, before)

    def test_technician_works_but_changes_no_rate_counter_or_sla(self):
        line_id = self._log_as(self.technician, self.package_request, 1.5)
        self.rpc(self.technician, "account.analytic.line", "write", [line_id], {"unit_amount": 2.5, "name": "Fixed"})
        self.rpc(self.technician, "project.task", "write", [self.package_request.id], {"description": "<p>Done</p>"})
        self.rpc(self.technician, "project.task", "message_post", [self.package_request.id], body="On my way",
                 message_type="comment", subtype_xmlid="mail.mt_comment")
        in_progress = self.env.ref("it_service_contracts.project_stage_service_in_progress")
        self.rpc(self.technician, "project.task", "write", [self.package_request.id], {"stage_id": in_progress.id})
        self.assertEqual(self.package.hours_used, 2.5)
        self.assertEqual(self.package_request.description, "<p>Done</p>")
        # the addon keeps the SLA record of what the technician did
        self.assertEqual(self.package_request.stage_id, in_progress)
        self.assertTrue(self.package_request.first_response_date)
        self.assertEqual(self.package_request.sla_state, "on_track")
        self.assertRpcRefused("not allowed to modify", self.technician, "it.contract", "write",
                              [self.package.id], {"hourly_rate": 10.0})
        self.assertRpcRefused("not allowed to modify", self.technician, "res.company", "write",
                              [self.company.id], {"it_adhoc_hourly_rate": 1.0})
        self.assertRpcRefused("adjustment", self.technician, "it.contract", "write",
                              [self.package.id], {"hours_used": 0.0})
        self.assertRpcRefused("not allowed to create", self.technician, "it.contract.adjustment", "create",
                              [{"contract_id": self.package.id, "hours": 5.0, "reason": "More please"}])
        self.assertRpcRefused("cannot be set by hand", self.technician, "project.task", "write",
                              [self.package_request.id], {"first_response_date": False})
        self.assertEqual((self.package.hourly_rate, self.package.hours_used, self.package.hours_remaining),
                         (self.package.hourly_rate, 2.5, 7.5))
        self.assertFalse(self.package.adjustment_ids)

    def test_manager_reclassifies_any_technicians_time_and_adjusts_hours(self):
        line_id = self._log_as(self.other_technician, self.package_request, 2.0)
        wizard_id = self.rpc(self.manager, "it.timesheet.reclassify", "create", [{
            "timesheet_ids": [(6, 0, [line_id])], "billing_mode": "non_billable", "reason": "Our own mistake",
        }])[0]
        self.rpc(self.manager, "it.timesheet.reclassify", "action_apply", [wizard_id])
        line = self._read("account.analytic.line", line_id, ["it_billing_type", "it_billing_override", "user_id"])
        self.assertEqual(line["user_id"][0], self.other_technician.id)
        self.assertEqual((line["it_billing_type"], line["it_billing_override"]), ("non_billable", "non_billable"))
        self.assertIn("Our own mistake", self.package_request.message_ids[:1].body)
        self.assertEqual(self.package.hours_used, 0.0)
        # a technician cannot use the wizard on a colleague's time (nor their own)
        self.assertRpcRefused("not allowed to create", self.technician, "it.timesheet.reclassify", "create",
                              [{"timesheet_ids": [(6, 0, [line_id])], "billing_mode": "adhoc", "reason": "x"}])
        self.rpc(self.manager, "it.contract.adjustment", "create",
                 [{"contract_id": self.package.id, "hours": 3.0, "reason": "Goodwill"}])
        self.assertRpcRefused("has 13:00 left", self.manager, "it.contract.adjustment", "create",
                              [{"contract_id": self.package.id, "hours": -20.0, "reason": "Too much"}])
        self.env.invalidate_all()
        self.assertEqual((self.package.hours_available, self.package.hours_remaining), (13.0, 13.0))
        self.assertRpcRefused("adjustment", self.manager, "it.contract", "write",
                              [self.package.id], {"hours_used": 5.0})
        self.assertRpcRefused("Correct its hours with an adjustment", self.manager, "it.contract", "write",
                              [self.package.id], {"hours_total": 30.0})
        self.assertEqual(self.package.hours_total, 10.0)
        # the contract's reference is the sequence's: not renamed, not copied under another's
        reference = self.package.name
        given = r"reference of a contract \(Reference\) is given by the company's sequence"
        self.assertRpcRefused(given, self.manager, "it.contract", "write", [self.package.id], {"name": "X-1"})
        self.assertRpcRefused(given, self.manager, "it.contract", "copy", [self.flat.id], {"name": reference})
        self.assertRpcRefused(given, self.manager, "it.contract", "copy", [self.flat.id],
                              context={"default_name": reference})
        self.env.invalidate_all()
        self.assertEqual(self.package.name, reference)
        self.assertEqual(self.env["it.contract"].search_count([("name", "=", reference)]), 1)

    def test_accountant_opens_every_contract_form(self):
        period = self.flat.period_ids[:1]
        self.rpc(self.manager, "it.contract.adjustment", "create",
                 [{"contract_id": self.package.id, "hours": 1.0, "reason": "Goodwill"}])
        for model, record in (("it.contract", self.package), ("it.contract", self.flat),
                              ("it.contract.period", period), ("it.audit", self.audit)):
            with self.subTest(model=model):
                views = self.rpc(self.accountant, model, "get_views", [[False, "form"]])
                models = views["models"]
                spec = self._specification(models, model)
                self.assertIn("name" if model != "it.contract.period" else "date_start", spec)
                values = self.rpc(self.accountant, model, "web_read", [record.id], spec)
                self.assertEqual(values[0]["id"], record.id)

    @staticmethod
    def _specification(models, model):
        """What the web client reads to show ``model``'s form: its fields, and the display name of relations."""
        spec = {}
        for name, field in models[model]["fields"].items():
            if field["type"] == "many2one":
                spec[name] = {"fields": {"display_name": {}}}
            elif field["type"] in ("one2many", "many2many"):
                sub = models.get(field["relation"], {}).get("fields", {})
                spec[name] = {"fields": {
                    sub_name: ({"fields": {"display_name": {}}} if sub_field["type"] == "many2one" else {})
                    for sub_name, sub_field in sub.items()
                    if sub_field["type"] not in ("one2many", "many2many")
                } or {"display_name": {}}}
            else:
                spec[name] = {}
        return spec

    def test_other_company_sees_nothing(self):
        line_id = self._log_as(self.technician, self.package_request, 1.0)
        user = self.user_b
        self.assertEqual(self.rpc(user, "it.contract", "search", [("partner_id", "=", self.client.id)]), [])
        self.assertEqual(self.rpc(user, "it.contract.period", "search", []), [])
        self.assertEqual(self.rpc(user, "project.task", "search", [("id", "in", self.package_request.ids)]), [])
        self.assertEqual(self.rpc(user, "account.analytic.line", "search", [("id", "=", line_id)]), [])
        self.assertEqual(self.rpc(user, "it.contract.adjustment", "search", []), [])
        self.assertRpcRefused("doesn.t have .read. access", user, "it.contract", "read", [self.package.id], ["name"])
        self.assertRpcRefused("doesn.t have .read. access", user, "project.task", "read",
                              [self.package_request.id], ["it_package_hours_left"])
        client = self.rpc(user, "res.partner", "read", [self.client.id], [
            "it_contract_count", "it_cooperation_form", "it_package_hours_remaining", "it_month_hours_included",
            "it_month_hours_used", "it_month_hours_left",
        ])[0]
        self.assertEqual(
            (client["it_contract_count"], client["it_cooperation_form"], client["it_package_hours_remaining"],
             client["it_month_hours_included"], client["it_month_hours_used"], client["it_month_hours_left"]),
            (0, "adhoc", 0.0, 0.0, 0.0, 0.0),
        )
        # the same client seen from its own company has figures: the zeros above are not a blind test
        own = self.rpc(self.manager, "res.partner", "read", [self.client.id],
                       ["it_package_hours_remaining", "it_month_hours_included"])[0]
        self.assertEqual((own["it_package_hours_remaining"], own["it_month_hours_included"]), (9.0, 20.0))

    def test_maintenance_rules_hold_over_rpc(self):
        """What the plan form's domain and the visit's page suggest holds through the external API too: a plan goes
        on a contract that is not over, a check on a maintenance visit."""
        closed = self._active_contract(date_start=self.today, remote_service=False, site_ids=[(6, 0, self.site_a.ids)])
        closed.action_close()
        plan_id = self.rpc(self.manager, "it.maintenance.plan", "create", [{
            "name": "Server check", "contract_id": self.flat.id, "date_start": fields.Date.to_string(self.today),
        }])[0]
        self.assertRpcRefused("has ended, was closed or was cancelled", self.manager, "it.maintenance.plan", "create",
                              [{"name": "Server check", "contract_id": closed.id}])
        self.assertRpcRefused("has ended, was closed or was cancelled", self.manager, "it.maintenance.plan", "write",
                              [plan_id], {"contract_id": closed.id})
        self.assertFalse(self.env["it.maintenance.plan"].search([("contract_id", "=", closed.id)]))
        plan = self.env["it.maintenance.plan"].browse(plan_id)
        plan._it_create_due_visits(self.today)
        visit = plan.visit_ids
        asset = self.audit.asset_ids
        self.rpc(self.technician, "it.maintenance.check", "create", [{"task_id": visit.id, "asset_id": asset.id}])
        self.assertRpcRefused("is not a maintenance visit", self.technician, "it.maintenance.check", "create",
                              [{"task_id": self.flat_request.id, "asset_id": asset.id, "result": "critical"}])
        self.assertRpcRefused("is not a maintenance visit", self.technician, "project.task", "write",
                              [self.flat_request.id], {"it_check_ids": [(0, 0, {"asset_id": asset.id})]})
        self.assertRpcRefused("is not a maintenance visit", self.technician, "it.maintenance.check", "write",
                              visit.it_check_ids.ids, {"task_id": self.flat_request.id})
        self.env.invalidate_all()
        self.assertEqual(visit.it_check_ids.asset_id, asset)
        self.assertFalse(self.flat_request.it_check_ids)
