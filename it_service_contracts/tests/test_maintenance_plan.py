from datetime import date, datetime

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, new_test_user

from .common import ItServiceCommon


@freeze_time("2026-01-05")
class MaintenanceCommon(ItServiceCommon):
    """A running flat contract served on a Warsaw calendar (Mon-Fri), the client's assets and the roles."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar.tz = "Europe/Warsaw"
        cls.contract = cls._active_contract("monthly_flat", date_start="2026-01-01", monthly_hours=20.0)
        cls.workstation = cls.audit.asset_ids
        cls.server_category = cls.env.ref("it_service_contracts.asset_category_server")
        cls.server, cls.old_server, cls.retired_server = cls.env["it.asset"].create([
            {"partner_id": cls.client.id, "category_id": cls.server_category.id, "make": "Dell", "model": "R750"},
            {"partner_id": cls.client.id, "category_id": cls.server_category.id, "make": "HP", "model": "DL380",
             "state": "end_of_life"},
            {"partner_id": cls.client.id, "category_id": cls.server_category.id, "make": "IBM", "model": "x3650",
             "date_in_service": "2020-01-01", "date_retired": "2025-12-31"},
        ])
        cls.technician = new_test_user(
            cls.env, "maint_tech", groups="it_service_contracts.group_it_technician",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
        )
        cls.employee = cls.env["hr.employee"].create({
            "name": "Maintenance Technician", "user_id": cls.technician.id, "company_id": cls.company.id,
        })

    @classmethod
    def _plan(cls, **values):
        return cls.env["it.maintenance.plan"].create({
            "name": "Server room check",
            "contract_id": cls.contract.id,
            "date_start": "2026-01-31",
            "interval_type": "month",
            "lead_days": 7,
            "planned_hours": 2.0,
            "user_id": cls.technician.id,
            "checklist": "<p>Check the backups and the disks.</p>",
            **values,
        })

    def _run_on(self, day):
        """The scheduled action as the scheduler runs it, on ``day``."""
        with freeze_time(day):
            self._run_cron("it_service_contracts.ir_cron_it_maintenance_visits")
        self.env.invalidate_all()

    def _visits(self, plan):
        return self.env["project.task"].with_context(active_test=False).search(
            [("it_maintenance_plan_id", "=", plan.id)], order="it_visit_nominal_date, id",
        )

    def _dates(self, plan):
        return [(visit.it_visit_nominal_date, visit.it_planned_date) for visit in self._visits(plan)]


class TestMaintenanceSchedule(MaintenanceCommon):

    def test_monthly_on_the_31st_on_working_days(self):
        plan = self._plan()
        self.assertEqual(plan.next_date, date(2026, 1, 31))
        self.assertEqual(plan.next_request_date, date(2026, 1, 24))
        self._run_on("2026-01-23")
        self.assertFalse(self._visits(plan), "created before its lead days")
        self._run_on("2026-01-24")
        # Saturday 31 January: the visit is on Monday 2 February, the series keeps the 31st
        self.assertEqual(self._dates(plan), [(date(2026, 1, 31), date(2026, 2, 2))])
        self.assertEqual(plan.next_date, date(2026, 2, 28))
        visit = self._visits(plan)
        self.assertEqual(visit.it_contract_id, self.contract)
        self.assertEqual(visit.project_id, self.contract.project_id)
        self.assertEqual(visit.partner_id, self.client)
        self.assertEqual(visit.allocated_hours, 2.0)
        self.assertEqual(visit.user_ids, self.technician)
        self.assertIn("Check the backups", visit.description)
        self.assertEqual(visit.it_visit_state, "planned")
        # reported when the service hours of that Monday start: 8:00 in Warsaw (CET) is 7:00 UTC
        self.assertEqual(visit.it_reported_date, datetime(2026, 2, 2, 7, 0))
        self.assertFalse(visit.it_is_adhoc)
        self.assertEqual(visit.name, "Server room check: visit of 02/02/2026")

    def test_visit_is_named_in_the_company_language(self):
        """The scheduled action runs in its user's language; the firm reads the visit in the company's."""
        self.env["res.lang"]._activate_lang("pl_PL")
        self.company.partner_id.lang = "pl_PL"
        plan = self._plan()
        self._run_on("2026-01-24")
        self.assertEqual(self._visits(plan).name, "Server room check: wizyta z dnia 02.02.2026")

    def test_catch_up_after_downtime_creates_each_visit_once(self):
        plan = self._plan()
        self._run_on("2026-05-24")
        # 28 February (Saturday) and 31 May (Sunday) move to Monday; back to the 31st after February
        self.assertEqual(self._dates(plan), [
            (date(2026, 1, 31), date(2026, 2, 2)),
            (date(2026, 2, 28), date(2026, 3, 2)),
            (date(2026, 3, 31), date(2026, 3, 31)),
            (date(2026, 4, 30), date(2026, 4, 30)),
            (date(2026, 5, 31), date(2026, 6, 1)),
        ])
        self._run_on("2026-05-24")
        self._run_on("2026-05-25")
        self.assertEqual(len(self._visits(plan)), 5, "a re-run never duplicates a visit")
        self.assertEqual(plan.last_visit_date, date(2026, 5, 31))
        self.assertEqual(plan.next_date, date(2026, 6, 30))

    def test_the_database_refuses_a_second_visit_for_a_date(self):
        plan = self._plan()
        self._run_on("2026-01-24")
        visit = self._visits(plan)
        with self.assertRefused("exists already", model="project.task"):
            self.env["project.task"]._it_addon_create([{
                "name": "Twin", "project_id": visit.project_id.id, "it_maintenance_plan_id": plan.id,
                "it_visit_nominal_date": visit.it_visit_nominal_date,
            }])
        self.assertEqual(len(self._visits(plan)), 1)

    def test_public_holiday_moves_the_visit(self):
        self.env["resource.calendar.leaves"].create({
            "name": "Easter Monday", "company_id": self.company.id, "calendar_id": False, "time_type": "leave",
            "date_from": datetime(2026, 4, 5, 22, 0), "date_to": datetime(2026, 4, 6, 21, 59, 59),
        })
        plan = self._plan(date_start="2026-04-06", interval_type="week")
        self._run_on("2026-04-13")
        self.assertEqual(self._dates(plan), [
            (date(2026, 4, 6), date(2026, 4, 7)),
            (date(2026, 4, 13), date(2026, 4, 13)),
            (date(2026, 4, 20), date(2026, 4, 20)),
        ])

    def test_daylight_saving_time_changes(self):
        spring = self._plan(date_start="2026-03-22", interval_type="week", lead_days=0)
        autumn = self._plan(date_start="2026-10-18", interval_type="week", lead_days=0)
        self._run_on("2026-03-29")
        self._run_on("2026-10-25")
        # Sundays move to Mondays, also over the night the clocks change; 8:00 in Warsaw is 7:00 UTC in winter,
        # 6:00 UTC in summer
        self.assertEqual(
            [(v.it_planned_date, v.it_reported_date) for v in self._visits(spring)][:2],
            [(date(2026, 3, 23), datetime(2026, 3, 23, 7, 0)), (date(2026, 3, 30), datetime(2026, 3, 30, 6, 0))],
        )
        self.assertEqual(
            [(v.it_planned_date, v.it_reported_date) for v in self._visits(autumn)],
            [(date(2026, 10, 19), datetime(2026, 10, 19, 6, 0)), (date(2026, 10, 26), datetime(2026, 10, 26, 7, 0))],
        )

    def test_contract_not_running_creates_nothing(self):
        plan = self._plan(date_start="2026-02-02", interval_type="week")
        self.contract.action_close()
        self._run_on("2026-02-14")
        self.assertFalse(self._visits(plan))

    def test_archived_plan_creates_nothing(self):
        plan = self._plan(date_start="2026-02-02", interval_type="week")
        plan.active = False
        self._run_on("2026-02-14")
        self.assertFalse(self._visits(plan))

    def test_no_visit_after_the_contract_ends(self):
        plan = self._plan(date_start="2026-02-02", interval_type="week")
        self.contract.date_end = "2026-02-15"
        self._run_on("2026-02-14")
        self.assertEqual([planned for _nominal, planned in self._dates(plan)], [date(2026, 2, 2), date(2026, 2, 9)])
        self.contract._expire()
        self._run_on("2026-02-20")
        self.assertEqual(len(self._visits(plan)), 2)

    def test_bad_input_is_refused(self):
        Plan = self.env["it.maintenance.plan"]
        before = Plan.search_count([])
        with self.assertRefused("repeats every 1 to 260 weeks or every 1 to 60 months", model="it.maintenance.plan"):
            self._plan(interval_number=0)
        with self.assertRefused("lead days and grace days of a maintenance plan are 0 to", model="it.maintenance.plan"):
            self._plan(lead_days=-1)
        with self.assertRefused("planned hours cannot be negative", model="it.maintenance.plan"):
            self._plan(planned_hours=-2.0)
        with self.assertRefused("can only check assets of its client"):
            self._plan(asset_ids=[Command.set(self.env["it.asset"].create({
                "partner_id": self.other_client.id, "category_id": self.server_category.id}).ids)])
        self.assertEqual(Plan.search_count([]), before)


class TestMaintenanceVisits(MaintenanceCommon):

    def _first_visit(self, **values):
        plan = self._plan(date_start="2026-02-02", **values)
        self._run_on("2026-01-26")
        return plan, self._visits(plan)

    def test_checks_set_asset_states_and_critical_opens_one_follow_up(self):
        _plan, visit = self._first_visit(
            asset_ids=[Command.set(self.workstation.ids)], category_ids=[Command.set(self.server_category.ids)],
        )
        # the plan's asset and the client's servers in service (the retired one is not checked)
        self.assertEqual(visit.it_check_ids.asset_id, self.workstation | self.server | self.old_server)
        check = visit.it_check_ids.filtered(lambda c: c.asset_id == self.server)
        as_technician = visit.with_user(self.technician)
        as_technician.write({"it_check_ids": [
            Command.update(check.id, {"result": "critical", "note": "Disk failing"})]})
        self.assertEqual(self.server.state, "critical")
        follow_up = visit.it_followup_ids
        self.assertEqual(len(follow_up), 1)
        self.assertEqual(follow_up.it_visit_id, visit)
        self.assertEqual(follow_up.it_asset_id, self.server)
        self.assertEqual(check.followup_task_id, follow_up)
        # critical again later: still one follow-up
        as_technician.write({"it_check_ids": [Command.update(check.id, {"result": "attention"})]})
        self.assertEqual(self.server.state, "attention")
        as_technician.write({"it_check_ids": [Command.update(check.id, {"result": "critical"})]})
        self.assertEqual(len(self.env["project.task"].search([("it_visit_id", "=", visit.id)])), 1)
        # an asset at its end of life stays there; OK puts an asset back to OK
        old = visit.it_check_ids.filtered(lambda c: c.asset_id == self.old_server)
        self.workstation.state = "attention"
        as_technician.write({"it_check_ids": [
            Command.update(old.id, {"result": "ok"}),
            Command.update(visit.it_check_ids.filtered(lambda c: c.asset_id == self.workstation).id, {"result": "ok"}),
        ]})
        self.assertEqual(self.old_server.state, "end_of_life")
        self.assertEqual(self.workstation.state, "ok")

    def test_no_response_time_runs_for_a_visit_but_for_its_follow_up(self):
        self.contract.sla_line_ids = [Command.create({"priority": p, "response_hours": 4.0, "resolution_hours": 16.0})
                                      for p in ("0", "1")]
        _plan, visit = self._first_visit(category_ids=[Command.set(self.server_category.ids)])
        self.assertEqual((visit.sla_response_deadline, visit.sla_resolution_deadline, visit.sla_state),
                         (False, False, False), "a planned visit is not a failure reported")
        check = visit.it_check_ids.filtered(lambda c: c.asset_id == self.server)
        visit.with_user(self.technician).write({"it_check_ids": [Command.update(check.id, {"result": "critical"})]})
        self.assertTrue(visit.it_followup_ids.sla_response_deadline, "the failure a visit found is answered in time")
        self.assertEqual(visit.it_followup_ids.sla_state, "on_track")

    def test_time_on_a_visit_draws_the_included_hours(self):
        _plan, visit = self._first_visit()
        line = self.env["account.analytic.line"].create({
            "name": "Visit", "task_id": visit.id, "project_id": visit.project_id.id,
            "employee_id": self.employee.id, "unit_amount": 2.0, "date": "2026-02-02",
        })
        self.assertEqual((line.it_billing_type, line.it_billable_hours, line.it_contract_id),
                         ("included", 2.0, self.contract))
        self.assertEqual(line.it_period_id.hours_used, 2.0)

    def test_monthly_report_lists_the_visits_and_their_checks(self):
        """The client reads in the month's report which visits there were and what each check found, although
        portal users cannot read plans and checks themselves."""
        _plan, visit = self._first_visit(asset_ids=[Command.set((self.server | self.workstation).ids)])
        visit.it_check_ids.filtered(lambda c: c.asset_id == self.server).write(
            {"result": "attention", "note": "Fan noisy"})
        line = self.env["account.analytic.line"].create({
            "name": "Visit", "task_id": visit.id, "project_id": visit.project_id.id,
            "employee_id": self.employee.id, "unit_amount": 2.0, "date": "2026-02-02",
        })
        contact = self.env["res.partner"].create({"name": "Client Contact", "parent_id": self.client.id})
        portal = new_test_user(self.env, "maint_report_portal", groups="base.group_portal", partner_id=contact.id)
        report = self.env["ir.actions.report"].with_context(allowed_company_ids=self.company.ids)
        for user in (self.technician, portal):
            with self.subTest(user=user.login):
                html = report.with_user(user)._render_qweb_html(
                    "it_service_contracts.action_report_it_monthly_client", line.it_period_id.ids)[0].decode()
                self.assertIn("Maintenance Visits", html)
                self.assertIn("Server room check: visit of 02/02/2026", html)
                self.assertRegex(html, rf"{self.server.display_name}</span>:\s*<span[^>]*>Needs Attention</span>"
                                       r"\s*\(<span[^>]*>Fan noisy</span>\)")
                self.assertRegex(html, rf"{self.workstation.display_name}</span>:\s*not checked yet")

    def test_time_on_a_visit_covered_by_the_fee_draws_nothing(self):
        # planned beyond the month's included hours, under a contract that asks the client before paid work
        self.contract.approval_required = True
        _plan, visit = self._first_visit(covered_by_fee=True, planned_hours=30.0)
        lines = self.env["account.analytic.line"].create([{
            "name": "Visit", "task_id": visit.id, "project_id": visit.project_id.id,
            "employee_id": self.employee.id, "unit_amount": hours, "date": day,
        } for hours, day in ((2.0, "2026-02-02"), (23.0, "2026-02-03"))])
        self.assertEqual(lines.mapped("it_billing_type"), ["covered", "covered"])
        self.assertEqual(lines.it_contract_id, self.contract)
        self.assertFalse(lines.it_period_id)
        periods = self.env["it.contract.period"].search([("contract_id", "=", self.contract.id)])
        self.assertEqual(sum(periods.mapped("hours_used")), 0.0)
        self.assertEqual(sum(periods.mapped("hours_overage")), 0.0)
        self.assertFalse(visit.it_approval_state, "covered work never asks the client's approval")
        # the same work on an ordinary request of the month draws the included hours, then overage
        request = self._routed_request(self.contract, "Printer", self.site_a)
        line = self.env["account.analytic.line"].create({
            "name": "Fix", "task_id": request.id, "project_id": request.project_id.id,
            "employee_id": self.employee.id, "unit_amount": 21.0, "date": "2026-02-03",
        })
        self.assertEqual(line.it_period_id.hours_used, 20.0)
        self.assertEqual(sum(request.timesheet_ids.filtered(
            lambda t: t.it_billing_type in ("overage", "held")).mapped("it_billable_hours")), 1.0)
        # a visit the fee does not cover, planned beyond the hours left, asks the client first
        _plan, paid_visit = self._first_visit(planned_hours=30.0, name="Paid check")
        self.assertEqual(paid_visit.it_approval_state, "pending")

    def test_late_then_missed_visit_is_warned_once(self):
        _plan, visit = self._first_visit(grace_days=3)
        self.assertEqual(visit.it_planned_date, date(2026, 2, 2))
        self._run_on("2026-02-03")
        self.assertEqual(visit.it_visit_state, "late")
        self._run_on("2026-02-05")
        self.assertEqual(visit.it_visit_state, "late")
        self._run_on("2026-02-06")
        self.assertEqual(visit.it_visit_state, "missed")
        self.assertTrue(visit.it_visit_warned)
        self._run_on("2026-02-07")
        activities = self.env["mail.activity"].search([("res_model", "=", "project.task"), ("res_id", "=", visit.id)])
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, self.contract.user_id)
        self.assertEqual(self.contract.visit_missed_count, 1)
        # the month's visits with their checks, for the client's report
        self.assertEqual(self.contract._it_visits_in_month(date(2026, 2, 17)), visit)
        self.assertFalse(self.contract._it_visits_in_month(date(2026, 3, 1)))
        # done late, it counts as done
        visit.state = "1_done"
        self.assertEqual(visit.it_visit_state, "done")
        self.contract.invalidate_recordset(["visit_done_count", "visit_missed_count"])
        self.assertEqual((self.contract.visit_done_count, self.contract.visit_missed_count), (1, 0))

    def test_visit_done_in_time(self):
        _plan, visit = self._first_visit()
        with freeze_time("2026-02-02"):
            visit.state = "1_done"
        self._run_on("2026-03-01")
        self.assertEqual(visit.it_visit_state, "done")
        self.assertFalse(visit.it_visit_warned)

    def test_audit_proposes_plans_from_recurring_findings(self):
        # a later audit of the client records its findings, is completed, and the next contract rests on it
        audit = self.env["it.audit"].create({
            "partner_id": self.client.id, "company_id": self.company.id,
            "asset_ids": [Command.create({"category_id": self.server_category.id})],
            "finding_ids": [
                Command.create({"name": "Backups unchecked", "recurring": True, "recurrence_interval_number": 3,
                                "recurrence_interval_type": "month", "estimated_hours": 1.5,
                                "recommendation": "Restore a backup every quarter.",
                                "asset_ids": [Command.set(self.workstation.ids)]}),
                Command.create({"name": "Old printer", "recommendation": "Replace it."}),
            ],
        })
        audit.action_done()
        contract = self._create_contract("monthly_flat", date_start="2026-02-01", audit_id=audit.id)
        audit.action_propose_maintenance_plans()
        plan = audit.finding_ids.maintenance_plan_id
        self.assertEqual(len(plan), 1)
        self.assertEqual((plan.contract_id, plan.interval_number, plan.interval_type, plan.planned_hours),
                         (contract, 3, "month", 1.5))
        self.assertEqual(plan.asset_ids, self.workstation)
        self.assertIn("Restore a backup", plan.checklist)
        with self.assertRaisesRegex(UserError, "No recurring finding"):
            audit.action_propose_maintenance_plans()


class TestMaintenanceRoles(MaintenanceCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        contact = cls.env["res.partner"].create({"name": "Other's Contact", "parent_id": cls.other_client.id})
        cls.portal = new_test_user(
            cls.env, "maint_portal", groups="base.group_portal", company_id=cls.company.id, partner_id=contact.id,
        )
        cls.manager = new_test_user(
            cls.env, "maint_manager", groups="it_service_contracts.group_it_manager",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
        )
        cls.company_b = cls.env["res.company"].create({"name": "Other MSP"})
        cls.manager_b = new_test_user(
            cls.env, "maint_manager_b", groups="it_service_contracts.group_it_manager",
            company_id=cls.company_b.id, company_ids=[Command.set(cls.company_b.ids)],
        )

    def test_only_a_monthly_fee_covers_visits(self):
        package = self._active_contract("hour_package", hours_total=10.0, date_start="2026-01-01")
        Plan = self.env["it.maintenance.plan"].with_user(self.manager)
        message = "cannot be covered by the monthly fee: contract .* has no monthly fee"
        with self.assertRaisesRegex(ValidationError, message), self.env.cr.savepoint():
            Plan.create({"name": "Backup check", "contract_id": package.id, "date_start": "2026-01-31",
                         "covered_by_fee": True})
        plan = Plan.create({"name": "Backup check", "contract_id": package.id, "date_start": "2026-01-31"})
        with self.assertRaisesRegex(ValidationError, message), self.env.cr.savepoint():
            plan.write({"covered_by_fee": True})
        self.assertFalse(plan.covered_by_fee)
        # a draft flat contract whose fee was to cover a plan does not become a package with it
        draft = self._create_contract("monthly_flat", date_start="2026-03-01", monthly_hours=10.0)
        Plan.create({"name": "Printer check", "contract_id": draft.id, "date_start": "2026-03-31",
                     "covered_by_fee": True})
        with self.assertRaisesRegex(ValidationError, message), self.env.cr.savepoint():
            draft.with_user(self.manager).write({"contract_type": "hour_package", "hours_total": 20.0})
        self.assertEqual(draft.contract_type, "monthly_flat")

    def test_technician_reads_plans_and_fills_checks_only(self):
        plan = self._plan(asset_ids=[Command.set(self.server.ids)])
        self._run_on("2026-01-24")
        visit = self._visits(plan)
        as_technician = plan.with_user(self.technician)
        self.assertEqual(as_technician.read(["name", "covered_by_fee"])[0]["name"], "Server room check")
        with self.assertRaises(AccessError):
            as_technician.write({"covered_by_fee": True})
        with self.assertRaises(AccessError):
            self.env["it.maintenance.plan"].with_user(self.technician).create({
                "name": "Mine", "contract_id": self.contract.id, "date_start": "2026-02-01"})
        self.assertFalse(plan.covered_by_fee)
        visit.with_user(self.technician).write({"it_check_ids": [
            Command.update(visit.it_check_ids.id, {"result": "attention", "note": "Fan noisy"})]})
        self.assertEqual(visit.it_check_ids.result, "attention")
        # what only the addon writes on a visit
        for vals in ({"it_maintenance_plan_id": False}, {"it_visit_state": "done"}, {"it_visit_warned": True}):
            with self.assertRaisesRegex(UserError, "cannot be set by hand"):
                visit.with_user(self.technician).write(vals)
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            visit.it_check_ids.with_user(self.technician).write({"followup_task_id": visit.id})
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            plan.write({"last_visit_date": "2027-01-31"})

    def test_portal_and_other_company_see_nothing(self):
        plan = self._plan(asset_ids=[Command.set(self.server.ids)])
        self._run_on("2026-01-24")
        check = self._visits(plan).it_check_ids
        for record in (plan, check):
            with self.assertRaises(AccessError):
                record.with_user(self.portal).read(["partner_id"])
        env_b = self.env(user=self.manager_b, context=dict(self.env.context, allowed_company_ids=self.company_b.ids))
        self.assertFalse(env_b["it.maintenance.plan"].search([]))
        self.assertFalse(env_b["it.maintenance.check"].search([]))
        self.assertFalse(env_b["project.task"].search([("it_maintenance_plan_id", "!=", False)]))
        with self.assertRaises(AccessError):
            plan.with_env(env_b).read(["name"])

    def test_a_check_belongs_to_a_maintenance_visit(self):
        """Assets are checked at the visits of a plan: a check on any other request is refused to every role,
        whether it is created there or moved there."""
        plan = self._plan(asset_ids=[Command.set(self.server.ids)])
        self._run_on("2026-01-24")
        visit = self._visits(plan)
        request = self._routed_request(self.contract, "Printer", self.site_a)
        self.env["it.maintenance.check"].with_user(self.technician).create(
            {"task_id": visit.id, "asset_id": self.workstation.id, "result": "ok"})
        for user in (self.technician, self.manager):
            with self.subTest(user=user.login):
                with self.assertRefused("Printer is not a maintenance visit"):
                    self.env["it.maintenance.check"].with_user(user).create(
                        {"task_id": request.id, "asset_id": self.server.id, "result": "critical"})
                with self.assertRefused("is not a maintenance visit"):
                    request.with_user(user).write({"it_check_ids": [Command.create({"asset_id": self.server.id})]})
                with self.assertRefused("is not a maintenance visit"):
                    visit.it_check_ids.with_user(user).write({"task_id": request.id})
        self.assertFalse(request.it_check_ids)
        self.assertEqual(visit.it_check_ids.asset_id, self.server | self.workstation)
        self.assertEqual(self.server.state, "ok", "a refused check sets no state")
        self.assertFalse(self.env["project.task"].search([("it_asset_id", "=", self.server.id)]), "nor opens a request")

    def test_huge_numbers_are_refused_with_a_message(self):
        """Lead days, grace days and the interval are bounded by the database with a message the manager reads,
        never a date out of range (creating a plan or changing one, over the API too)."""
        Plan = self.env["it.maintenance.plan"].with_user(self.manager)
        count = Plan.search_count([])
        vals = {"name": "Backups", "contract_id": self.contract.id, "date_start": "2026-01-31"}
        days = "lead days and grace days of a maintenance plan are 0 to 365 days"
        interval = "repeats every 1 to 260 weeks or every 1 to 60 months"
        bad = [
            ({"lead_days": 2147483647}, days), ({"lead_days": 999999999}, days), ({"lead_days": 366}, days),
            ({"grace_days": 2147483647}, days), ({"grace_days": 366}, days),
            ({"interval_number": 2000000000}, interval), ({"interval_number": 61}, interval),
            ({"interval_number": 261, "interval_type": "week"}, interval),
        ]
        for values, message in bad:
            with self.subTest(values=values), self.assertRefused(message, model="it.maintenance.plan"), \
                    self.env.cr.savepoint():
                Plan.create({**vals, **values})
        self.assertEqual(Plan.search_count([]), count, "nothing saved")
        plan = Plan.create({**vals, "lead_days": 365, "grace_days": 365, "interval_number": 60})
        weekly = Plan.create({**vals, "interval_type": "week", "interval_number": 260})
        self.assertEqual((plan.next_request_date, weekly.next_date), (date(2025, 1, 31), date(2026, 1, 31)))
        bad.append(({"interval_type": "month"}, interval))  # 260 months
        for values, message in bad:
            with self.subTest(values=values, write=True), self.assertRefused(message, model="it.maintenance.plan"), \
                    self.env.cr.savepoint():
                (weekly if "interval_type" in values else plan).write(values)
                self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual((plan.lead_days, plan.grace_days, plan.interval_number), (365, 365, 60))
        self.assertEqual((weekly.interval_type, weekly.interval_number), ("week", 260))

    def test_a_plan_goes_on_a_draft_or_running_contract(self):
        """The manager prepares plans on a draft contract, sent or agreed included, and keeps them on a running
        one; a contract that is over gets none, whether the plan is created on it or moved to it."""
        draft, sent, agreed, cancelled = (self._create_contract(date_start="2026-03-01") for _i in range(4))
        sent._it_mark_sent()
        agreed.action_confirm()
        cancelled.action_cancel()
        # six months from June: it ended on 30 November, the scheduled action has not expired it yet
        ended, expired = self._active_contract(date_start="2025-06-01"), self._active_contract(date_start="2025-06-01")
        expired._expire()
        closed = self._active_contract()
        closed.action_close()
        self.assertEqual((sent.state, sent.acceptance_state, agreed.state, agreed.progress_state, ended.state),
                         ("draft", "sent", "draft", "accepted", "active"))
        Plan = self.env["it.maintenance.plan"].with_user(self.manager)
        for contract in (draft, sent, agreed, self.contract):
            self.assertEqual(Plan.create({"name": "Backups", "contract_id": contract.id}).contract_id, contract)
        plan = Plan.create({"name": "Disks", "contract_id": self.contract.id})
        for contract in (ended, expired, closed, cancelled):
            with self.subTest(contract=contract.name, state=contract.state):
                with self.assertRefused("has ended, was closed or was cancelled"):
                    Plan.create({"name": "Backups", "contract_id": contract.id})
                with self.assertRefused("has ended, was closed or was cancelled"):
                    plan.write({"contract_id": contract.id})
        self.assertEqual(plan.contract_id, self.contract)
        self.assertFalse(self.env["it.maintenance.plan"].search([
            ("contract_id", "in", (ended | expired | closed | cancelled).ids)]))
        # QA: a plan of a closed contract no longer covered by the fee made its visits' time overage when edited late
        kept = Plan.create({"name": "Racks", "contract_id": self.contract.id, "covered_by_fee": True})
        self.contract.action_close()
        with self.assertRefused("nor change whether the fee covers its visits there"):
            kept.write({"covered_by_fee": False})
        self.assertTrue(kept.covered_by_fee)
