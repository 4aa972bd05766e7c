from odoo.tests import freeze_time, tagged

from .timesheet_common import ItTimesheetCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-01-20")
class TestTimesheetRedraw(ItTimesheetCommon):
    """Hours given back to a month or a package (time deleted, shortened, moved or made non-billable) go to the
    time that cost extra for lack of them, whoever logged it: rule 4 as if the change had always been there."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.anna = cls._user("redraw_anna")
        cls.technician.user_id = cls.anna
        cls.bob = cls._user("redraw_bob")
        cls.bob_employee = cls.env["hr.employee"].create({
            "name": "Bob Technician", "company_id": cls.company.id, "user_id": cls.bob.id,
        })
        cls.manager = cls._user("redraw_manager", "manager")

    def _log_as(self, user, employee, task, hours, date="2026-01-15", name="Work"):
        line = self.env["account.analytic.line"].with_user(user).create({
            "name": name, "task_id": task.id, "project_id": task.project_id.id, "employee_id": employee.id,
            "unit_amount": hours, "date": date,
        })
        self.env.flush_all()
        return line.with_env(self.env)

    def _lines(self, task, name=None):
        return task.timesheet_ids.filtered(lambda line: not name or line.name == name)

    def test_deleted_included_time_goes_to_the_overage_of_the_month(self):
        flat = self._active_contract("monthly_flat", monthly_hours=4.0)
        request = self._request(flat)
        anna_line = self._log_as(self.anna, self.technician, request, 3.0, name="Anna")
        self._log_as(self.bob, self.bob_employee, request, 2.0, date="2026-01-16", name="Bob")
        self.assertBilled(self._lines(request, "Bob"), [("included", 1.0, flat), ("overage", 1.0, flat)])
        period = self._lines(request, "Bob").it_period_id
        anna_line.with_user(self.anna).unlink()
        self.assertBilled(self._lines(request, "Bob"), [("included", 1.0, flat), ("included", 1.0, flat)])
        self.assertEqual((period.hours_used, period.hours_overage, period.hours_remaining), (2.0, 0.0, 2.0))

    def test_shortened_package_time_goes_to_the_adhoc_time_beyond_it(self):
        package = self._active_contract(hours_total=10.0)
        request = self._request(package)
        anna_line = self._log_as(self.anna, self.technician, request, 8.0, name="Anna")
        self._log_as(self.bob, self.bob_employee, request, 3.0, date="2026-01-16", name="Bob")
        self.assertBilled(self._lines(request, "Bob"), [("package", 2.0, package), ("adhoc", 1.0, package)])
        anna_line.with_user(self.anna).unit_amount = 7.5
        # the half hour given back goes to Bob's time beyond the package; the rest of it stays ad hoc
        self.assertBilled(self._lines(request, "Bob"), [
            ("package", 2.0, package), ("package", 0.5, package), ("adhoc", 0.5, package),
        ])
        self.assertBilled(self._lines(request, "Anna"), [("package", 7.5, package)])
        self.assertEqual((package.hours_used, package.hours_remaining), (10.0, 0.0))
        lines = self._lines(request)
        drawn = lines.filtered(lambda line: line.it_billing_type == "package")
        self.assertEqual(sum(drawn.mapped("it_billable_hours")), package.hours_used)
        self.assertAlmostEqual(sum(lines.mapped("unit_amount")), 10.5)
        anna_line.with_user(self.anna).unit_amount = 5.0
        self.assertBilled(self._lines(request, "Bob"), [
            ("package", 2.0, package), ("package", 0.5, package), ("package", 0.5, package),
        ])
        self.assertEqual((package.hours_used, package.hours_remaining), (8.0, 2.0))

    def test_hours_drawn_again_by_the_edited_line_leave_the_extra_time_as_it_was(self):
        flat = self._active_contract("monthly_flat", monthly_hours=4.0)
        request = self._request(flat)
        anna_line = self._log_as(self.anna, self.technician, request, 3.0, name="Anna")
        self._log_as(self.bob, self.bob_employee, request, 2.0, date="2026-01-16", name="Bob")
        bob_lines = self._lines(request, "Bob")
        written = {line: line.write_date for line in bob_lines}
        anna_line.with_user(self.anna).write({"unit_amount": 3.5})
        # Anna's line draws the month's hours again first: nothing is left for Bob's overage
        self.assertBilled(self._lines(request, "Anna"), [("included", 3.0, flat), ("overage", 0.5, flat)])
        self.assertBilled(bob_lines, [("included", 1.0, flat), ("overage", 1.0, flat)])
        self.assertEqual({line: line.write_date for line in bob_lines}, written)

    def test_time_made_non_billable_by_the_manager_frees_hours_for_the_overage(self):
        flat = self._active_contract("monthly_flat", monthly_hours=4.0)
        request = self._request(flat)
        anna_line = self._log_as(self.anna, self.technician, request, 4.0, name="Anna")
        self._log_as(self.bob, self.bob_employee, request, 1.5, date="2026-01-16", name="Bob")
        self.assertBilled(self._lines(request, "Bob"), [("overage", 1.5, flat)])
        anna_line.with_user(self.manager)._it_reclassify("non_billable", "Setting up our own monitoring")
        self.assertBilled(self._lines(request, "Anna"), [("non_billable", 0.0, flat)])
        self.assertBilled(self._lines(request, "Bob"), [("included", 1.5, flat)])

    def test_moved_time_frees_hours_for_the_other_requests_of_the_client(self):
        package = self._active_contract(hours_total=4.0)
        request = self._request(package, name="Server down")
        other = self._request(package, name="Mail down")
        anna_line = self._log_as(self.anna, self.technician, request, 4.0, name="Anna")
        self._log_as(self.bob, self.bob_employee, other, 1.0, date="2026-01-16", name="Bob")
        self.assertBilled(self._lines(other, "Bob"), [("adhoc", 1.0, package)])
        anna_line.with_user(self.anna).write({"task_id": self.plain_task.id, "project_id": self.plain_project.id})
        self.assertFalse(anna_line.it_billing_type)
        self.assertBilled(self._lines(other, "Bob"), [("package", 1.0, package)])
        self.assertEqual(package.hours_used, 1.0)

    def test_other_clients_and_other_months_keep_their_billing(self):
        flat = self._active_contract("monthly_flat", monthly_hours=2.0)
        request = self._request(flat)
        february = self._log_as(self.bob, self.bob_employee, request, 3.0, date="2026-02-03", name="February")
        anna_line = self._log_as(self.anna, self.technician, request, 2.0, name="Anna")
        self._log_as(self.bob, self.bob_employee, request, 1.0, date="2026-01-16", name="Bob")
        self.assertBilled(self._lines(request, "February"), [("included", 2.0, flat), ("overage", 1.0, flat)])
        anna_line.with_user(self.anna).unlink()
        self.assertBilled(self._lines(request, "Bob"), [("included", 1.0, flat)])
        self.assertBilled(self._lines(request, "February"), [("included", 2.0, flat), ("overage", 1.0, flat)])
        self.assertTrue(february.exists())

    def test_time_held_for_approval_draws_the_hours_given_back(self):
        flat = self._active_contract("monthly_flat", monthly_hours=4.0, approval_required=True)
        request = self._request(flat)
        anna_line = self._log_as(self.anna, self.technician, request, 3.0, name="Anna")
        self._log_as(self.bob, self.bob_employee, request, 2.0, date="2026-01-16", name="Bob")
        self.assertBilled(self._lines(request, "Bob"), [("included", 1.0, flat), ("held", 1.0, flat)])
        anna_line.with_user(self.anna).unit_amount = 2.0
        self.assertBilled(self._lines(request, "Bob"), [("included", 1.0, flat), ("included", 1.0, flat)])
        self.assertEqual(self._lines(request, "Bob").it_period_id.hours_remaining, 0.0)

    def test_a_question_to_the_client_that_the_hours_given_back_answer_is_withdrawn(self):
        flat = self._active_contract("monthly_flat", monthly_hours=4.0, approval_required=True)
        request = self._request(flat)
        anna_line = self._log_as(self.anna, self.technician, request, 3.0, name="Anna")
        self._log_as(self.bob, self.bob_employee, request, 2.0, date="2026-01-16", name="Bob")
        self.assertEqual(request.it_approval_state, "pending")
        # the month is still used up: the question stays
        anna_line.with_user(self.anna).unit_amount = 2.0
        self.assertEqual(request.it_approval_state, "pending")
        self.assertEqual(request.it_approval_reason, "This month's included hours are used up.")
        # an hour is left now: the client is no longer asked to pay for work the fee covers
        anna_line.with_user(self.anna).unit_amount = 1.0
        self.assertBilled(self._lines(request, "Bob"), [("included", 1.0, flat), ("included", 1.0, flat)])
        self.assertRecordValues(request, [{"it_approval_state": False, "it_approval_reason": False}])
        self.assertIn("no longer needed", request.message_ids[0].body)
        # the next time beyond the month asks again
        self._log_as(self.bob, self.bob_employee, request, 2.0, date="2026-01-17", name="Bob again")
        self.assertEqual(request.it_approval_state, "pending")
