import psycopg2

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from .timesheet_common import ItTimesheetCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-01-20 10:00:00")
class TestProtectedRecords(ItTimesheetCommon):
    """Classification, invoice links, counters and SLA bookkeeping are written by the addon alone (rule 9),
    whatever the context; hours are corrected by a manager's adjustment."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.package = cls._active_contract(hours_total=10.0, sla_line_ids=[
            (0, 0, {"priority": "0", "response_hours": 2.0, "resolution_hours": 8.0}),
        ])
        cls.request = cls._request(cls.package)
        cls.tech_user = new_test_user(
            cls.env, "it_tech_protected", groups="it_service_contracts.group_it_technician",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )
        cls.manager_user = new_test_user(
            cls.env, "it_manager_protected", groups="it_service_contracts.group_it_manager",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )
        cls.technician.user_id = cls.tech_user
        cls.request.message_subscribe(partner_ids=cls.tech_user.partner_id.ids)

    def _as(self, user):
        return self.env(user=user, context=dict(self.env.context, allowed_company_ids=self.company.ids))

    def test_context_keys_switch_no_guard_off(self):
        Line = self._as(self.tech_user)["account.analytic.line"]
        count = Line.search_count([])
        for context in ({"it_timesheet_classified": True}, {"it_reclassify": True}, {"it_addon_write": True}):
            # a line created "as classified" is classified all the same
            line = Line.with_context(**context).create({
                "name": "Work", "task_id": self.request.id, "project_id": self.request.project_id.id,
                "unit_amount": 1.0, "date": "2026-01-15",
            })
            self.assertBilled(line, [("package", 1.0, self.package)])
            with self.assertRefusedWith(UserError, "decided by the contract rules"):
                line.with_context(**context).write({"it_billing_type": "non_billable"})
            with self.assertRefusedWith(UserError, "decided by the contract rules"):
                line.with_context(**context).write({"it_billing_override": "non_billable"})
            with self.assertRefusedWith(UserError, "decided by the contract rules"):
                Line.with_context(**context).create({
                    "name": "Sneaky", "task_id": self.request.id, "unit_amount": 3.0, "it_billing_type": "adhoc",
                })
            self.assertBilled(line, [("package", 1.0, self.package)])
        with self.assertRefusedWith(UserError, "decided by the contract rules"):
            Line.with_context(default_it_billing_type="non_billable").create({
                "name": "Sneaky", "task_id": self.request.id, "unit_amount": 3.0,
            })
        self.assertEqual(Line.search_count([]), count + 3)
        self.assertEqual(self.package.hours_used, 3.0)

    def test_manager_reclassifies_any_technicians_time(self):
        line = self._as(self.tech_user)["account.analytic.line"].create({
            "name": "Work", "task_id": self.request.id, "unit_amount": 2.0, "date": "2026-01-15",
        })
        self.assertEqual(line.user_id, self.tech_user)
        manager_line = line.with_env(self._as(self.manager_user))
        self.assertEqual(manager_line.it_billing_type, "package")
        manager_line._it_reclassify("non_billable", "Warranty: our mistake")
        self.assertEqual(line.it_billing_type, "non_billable")
        self.assertEqual(line.it_billing_override, "non_billable")
        self.assertEqual(self.package.hours_used, 0.0)
        self.assertIn("Warranty: our mistake", self.request.message_ids[:1].body)
        with self.assertRefusedWith(UserError, "decided by the contract rules"):
            manager_line.write({"it_billing_override": "adhoc"})
        with self.assertRaises(AccessError):
            line.with_env(self._as(self.tech_user))._it_reclassify("adhoc", "I say so")
        self.assertEqual(line.it_billing_type, "non_billable")

    def test_sla_bookkeeping_is_refused_to_every_user(self):
        deadline = self.request.sla_resolution_deadline
        state = self.request.sla_state
        self.assertTrue(deadline)
        for user in (self.tech_user, self.manager_user):
            task = self.request.with_env(self._as(user))
            for vals in (
                {"sla_paused_hours": 40}, {"sla_state": "met"}, {"first_response_date": "2026-01-20 10:00:00"},
                {"sla_resolution_date": "2026-01-20 10:00:00"}, {"sla_paused_since": "2026-01-20 10:00:00"},
                {"sla_notified_state": "breached"}, {"sla_resolution_deadline": "2027-01-01 00:00:00"},
            ):
                with self.assertRefusedWith(UserError, "cannot be set by hand"):
                    task.write(vals)
            with self.assertRefusedWith(UserError, "cannot be set by hand"):
                task.with_context(it_addon_write=True).write({"sla_state": "met"})
            with self.assertRefusedWith(UserError, "cannot be set by hand"):
                task.create({"name": "Met already", "project_id": self.package.project_id.id, "sla_state": "met"})
            with self.assertRefusedWith(UserError, "cannot be set by hand"):
                task.with_context(default_sla_paused_hours=40).create({
                    "name": "On hold", "project_id": self.package.project_id.id,
                })
        self.request.invalidate_recordset()
        self.assertEqual(self.request.sla_resolution_deadline, deadline)
        self.assertEqual(self.request.sla_state, state)
        self.assertEqual(self.request.sla_paused_hours, 0.0)
        self.assertFalse(self.request.first_response_date)

    def test_reported_date_is_history_after_first_response(self):
        task = self.request.with_env(self._as(self.tech_user))
        # before anyone responded, the technician may still correct it, and the chatter tells, whatever the context
        task.with_context(tracking_disable=True, mail_notrack=True).it_reported_date = "2026-01-20 08:00:00"
        self._log(self.request, 1.0)
        self.assertTrue(self.request.first_response_date)
        for user in (self.tech_user, self.manager_user):
            with self.assertRefusedWith(AccessError, "part of its SLA record"):
                self.request.with_env(self._as(user)).it_reported_date = "2026-01-20 09:00:00"
        self.assertEqual(str(self.request.it_reported_date), "2026-01-20 08:00:00")
        self.env.flush_all()
        self.env.cr.precommit.run()  # the tracking is written when the transaction commits
        tracking = self.request.message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "it_reported_date"
        )
        self.assertTrue(tracking, "the change of the reported date is in the chatter")

    def test_counters_are_refused_to_every_user(self):
        self._log(self.request, 2.0)
        for field_name, value in (
            ("hours_used", 0.0), ("hours_rolled_over", 5.0), ("hours_carried_over", 1.0), ("hours_forfeited", 0.0),
            ("hours_rollover_available", 3.0), ("usage_warning_sent", True), ("depleted_warning_sent", True),
            ("hours_adjusted", 50.0), ("hours_available", 50.0), ("hours_remaining", 50.0),
        ):
            with self.assertRefusedWith(UserError, "correct.* with an adjustment"):
                self.package.with_env(self._as(self.manager_user)).write({field_name: value})
        with self.assertRefusedWith(UserError, "with an adjustment"):
            self.env["it.contract"].with_env(self._as(self.manager_user)).create(
                self._contract_vals(hours_used=5.0),
            )
        flat = self._active_contract("monthly_flat", monthly_hours=8.0)
        self._log(self._request(flat), 3.0)
        period = flat.period_ids
        self.assertEqual(period.hours_used, 3.0)
        with self.assertRefusedWith(UserError, "kept by the contract and its timesheets"):
            period.write({"hours_used": 0.0})
        with self.assertRefusedWith(UserError, "kept by the contract and its timesheets"):
            period.with_env(self._as(self.manager_user)).write({"hours_included": 80.0})
        self.assertEqual(self.package.hours_used, 2.0)
        self.assertEqual((period.hours_used, period.hours_included), (3.0, 8.0))

    def test_every_model_guards_what_the_addon_computes(self):
        """By construction: each model of the addon that stores a field the addon computes or relates inherits the
        guard, so no such field can be written over RPC (a new model that forgets it fails here)."""
        unguarded = []
        for name in self.env.registry:
            model = self.env[name]
            if model._abstract or model._transient or not model._auto:
                continue
            guarded = model._it_guarded_fields() if hasattr(model, "_it_guarded_fields") else frozenset()
            unguarded += [
                f"{name}.{fname}" for fname, field in model._fields.items()
                if field._module == "it_service_contracts" and field.store and field.type != "one2many"
                and (field.compute or field.related) and field.readonly and not field.inverse
                and fname not in guarded
            ]
        self.assertEqual(unguarded, [])

    def test_links_and_figures_of_the_other_models_are_refused(self):
        """A manager moving a contract's service level to another company (a related field), a technician
        rewriting the audit's recommendation or linking a finding to a task of their choice: refused."""
        manager, technician = self._as(self.manager_user), self._as(self.tech_user)
        other_company = self.env["res.company"].create({"name": "Other firm"})
        sla = self.package.sla_line_ids
        with self.assertRefusedWith(UserError, "cannot be set by hand"):
            sla.with_env(manager).write({"company_id": other_company.id})
        with self.assertRefusedWith(UserError, "cannot be set by hand"):
            self.audit.with_env(technician).write({"recommended_type": "monthly_flat"})
        with self.assertRefusedWith(UserError, "cannot be set by hand"):
            self.request.project_id.with_env(manager).write({"it_is_service_project": False})
        audit = self.env["it.audit"].with_env(technician).create({"partner_id": self.client.id})
        finding = self.env["it.audit.finding"].with_env(technician).create(
            {"audit_id": audit.id, "name": "No UPS", "estimated_hours": 1})
        for vals in ({"task_id": self.request.id}, {"maintenance_plan_id": False}):
            with self.assertRefusedWith(UserError, "cannot be set by hand"):
                finding.write(vals)
        with self.assertRefusedWith(UserError, "cannot be set by hand"):
            self.audit.with_env(technician).write({"project_id": self.request.project_id.id})
        asset = self.env["it.asset"].with_env(technician).create(
            {"partner_id": self.client.id, "category_id": self.workstation_category.id, "name": "PC-1"})
        with self.assertRefusedWith(UserError, "cannot be set by hand"):
            asset.write({"warranty_activity_date": "2026-01-20"})  # would silence the warranty's reminder
        self.assertEqual(sla.company_id, self.company)
        self.assertTrue(self.request.project_id.it_is_service_project)
        # a related field's default_* key in the context, as a form passes its own on to the lines made in it,
        # is dropped: the line is made, in its contract's company
        line = self.env["it.contract.sla"].with_env(manager).with_context(
            default_company_id=other_company.id, default_contract_id=self.package.id,
        ).create({"priority": "3", "response_hours": 1.0, "resolution_hours": 4.0})
        self.assertEqual(line.company_id, self.company)
        self.assertEqual(line.env.context.get("default_company_id"), other_company.id, "returned as called")
        # the addon still sets its links
        audit.action_create_work_plan()
        self.assertTrue(finding.task_id)
        self.assertEqual(finding.task_id.project_id, audit.project_id)

    def test_adjustment_corrects_the_package_balance(self):
        self._log(self.request, 10.0)
        self.assertEqual(self.package.hours_remaining, 0.0)
        Adjustment = self._as(self.manager_user)["it.contract.adjustment"]
        adjustment = Adjustment.create({
            "contract_id": self.package.id, "date": "2026-01-20", "hours": 4.0, "reason": "Goodwill after outage",
        })
        self.assertEqual(adjustment.user_id, self.manager_user)
        self.assertEqual((self.package.hours_adjusted, self.package.hours_available), (4.0, 14.0))
        self.assertEqual(self.package.hours_remaining, 4.0)
        self.assertIn("Goodwill after outage", self.package.message_ids[:1].body)
        # the timesheets draw on the adjusted balance
        line = self._log(self.request, 3.0)
        self.assertBilled(line, [("package", 3.0, self.package)])
        self.assertEqual(self.package.hours_remaining, 1.0)
        Adjustment.create({"contract_id": self.package.id, "hours": -1.0, "reason": "Double-counted visit"})
        self.assertEqual(self.package.hours_remaining, 0.0)
        self.assertEqual(sorted(self.package.adjustment_ids.mapped("hours")), [-1.0, 4.0])

    def test_adjustment_bad_input(self):
        self._log(self.request, 6.0)
        Adjustment = self._as(self.manager_user)["it.contract.adjustment"]
        count = Adjustment.search_count([])
        with self.assertRefusedWith(ValidationError, "has 04:00 left"):
            Adjustment.create({"contract_id": self.package.id, "hours": -5.0, "reason": "Too much"})
        with self.assertRefusedWith(UserError, "reason"):
            Adjustment.create({"contract_id": self.package.id, "hours": 1.0, "reason": "  "})
        with self.assertRefused("^An adjustment adds or removes some hours", "it.contract.adjustment") as caught:
            Adjustment.create({"contract_id": self.package.id, "hours": 0.0, "reason": "Nothing"})
        self.assertIsInstance(caught.exception, psycopg2.errors.CheckViolation)
        with self.assertRefusedWith(ValidationError, "outside the package"):
            Adjustment.create({"contract_id": self.package.id, "date": "2025-12-01", "hours": 1.0, "reason": "Old"})
        draft = self._create_contract()
        with self.assertRefusedWith(ValidationError, "running hour package only"):
            Adjustment.create({"contract_id": draft.id, "hours": 1.0, "reason": "Not started"})
        with self.assertRaises(AccessError):
            self._as(self.tech_user)["it.contract.adjustment"].create(
                {"contract_id": self.package.id, "hours": 1.0, "reason": "I worked less"},
            )
        self.assertEqual(Adjustment.search_count([]), count)
        adjustment = Adjustment.create({"contract_id": self.package.id, "hours": -4.0, "reason": "Exact"})
        with self.assertRefusedWith(UserError, "cannot be changed"):
            adjustment.hours = -10.0
        with self.assertRaises(AccessError):
            adjustment.unlink()
        with self.assertRefusedWith(UserError, "cannot be deleted"):
            adjustment.sudo().unlink()
        self.assertEqual(self.package.hours_remaining, 0.0)

    def test_adjustment_of_no_number_or_absurd_hours(self):
        """Infinity and NaN (which the API can send) are refused as timesheet time is, and so are absurd hours,
        with a message, before anything is drawn or stored."""
        Adjustment = self._as(self.manager_user)["it.contract.adjustment"]
        count = Adjustment.search_count([])
        for hours in (float("nan"), float("inf"), float("-inf")):
            with self.subTest(hours=hours), self.assertRefusedWith(ValidationError, "must be a number of hours"), \
                    self.env.cr.savepoint():
                Adjustment.create({"contract_id": self.package.id, "hours": hours, "reason": "API"})
        for hours in (1e300, 10000.5):
            with self.subTest(hours=hours), \
                    self.assertRefused("adds or removes 10,000 hours at most", "it.contract.adjustment"), \
                    self.env.cr.savepoint():
                Adjustment.create({"contract_id": self.package.id, "hours": hours, "reason": "API"})
        self.assertEqual(Adjustment.search_count([]), count)
        self.assertEqual(self.package.hours_available, 10.0)
        Adjustment.create({"contract_id": self.package.id, "hours": 10000.0, "reason": "A large site joins"})
        self.assertEqual(self.package.hours_available, 10010.0)

    def test_package_hours_never_below_zero_in_the_database(self):
        self._log(self.request, 6.0)
        self.env.flush_all()
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.CheckViolation), self.env.cr.savepoint():
            self.env.cr.execute("UPDATE it_contract SET hours_available = -1 WHERE id = %s", [self.package.id])

    def test_hours_left_do_not_cross_companies(self):
        self._active_contract("monthly_flat", monthly_hours=8.0)
        self.client.invalidate_recordset()
        self.assertEqual(self.client.it_month_hours_included, 8.0)
        self.assertEqual(self.client.it_package_hours_remaining, 10.0)
        company_b = self.env["res.company"].create({"name": "Other MSP"})
        user_b = new_test_user(
            self.env, "it_manager_company_b", groups="it_service_contracts.group_it_manager",
            company_id=company_b.id, company_ids=[(6, 0, company_b.ids)],
        )
        env_b = self.env(user=user_b, context={"allowed_company_ids": company_b.ids})
        client_b = self.client.with_env(env_b)
        self.assertEqual(
            (client_b.it_month_hours_included, client_b.it_month_hours_left, client_b.it_package_hours_remaining,
             client_b.it_contract_count),
            (0.0, 0.0, 0.0, 0),
        )
        project_b = self.env["project.project"].create({
            "name": "B desk", "allow_timesheets": True, "company_id": company_b.id, "it_service_desk": True,
        })
        task_b = env_b["project.task"].create({
            "name": "B request", "project_id": project_b.id, "partner_id": self.client.id,
        })
        self.assertFalse(task_b.it_contract_id)
        self.assertEqual((task_b.it_package_hours_left, task_b.it_month_hours_left), (0.0, 0.0))

    def test_invoice_link_removed_only_by_a_full_credit_note(self):
        self.env["account.chart.template"].try_loading("generic_coa", company=self.company, install_demo=False)
        line = self._log(self.request, 2.0)
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.client.id, "company_id": self.company.id,
            "invoice_line_ids": [(0, 0, {"product_id": self.service_support.id, "quantity": 2.0, "price_unit": 160.0})],
        })
        invoice.action_post()
        line._it_set_invoice(invoice)
        partial = invoice._reverse_moves()
        partial.invoice_line_ids.quantity = 1.0
        partial.action_post()
        receivable = (invoice | partial).line_ids.filtered(
            lambda move_line: move_line.account_id.account_type == "asset_receivable",
        )
        receivable.reconcile()
        self.assertNotEqual(invoice.payment_state, "reversed")
        with self.assertRefusedWith(UserError, "credit it in full"):
            line._it_free_from_invoice()
        self.assertEqual(line.it_invoice_id, invoice)
        invoice._reverse_moves([{"invoice_date": invoice.invoice_date}], cancel=True)
        self.assertEqual(invoice.payment_state, "reversed")
        line._it_free_from_invoice()
        self.assertFalse(line.it_invoice_id)
        line.unit_amount = 1.0
        self.assertEqual(self.package.hours_used, 1.0)
