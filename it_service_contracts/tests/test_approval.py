from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, tagged

from .timesheet_common import ItTimesheetCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-01-20")
class TestApproval(ItTimesheetCommon):
    """The client's approval before work that costs extra (issue 10, item 2)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client.write({"email": "it@client.example", "lang": "en_US"})
        cls.contact = cls.env["res.partner"].create({
            "name": "Anna Client", "parent_id": cls.client.id, "email": "anna@client.example",
        })
        cls.other_contact = cls.env["res.partner"].create({
            "name": "Olaf Other", "parent_id": cls.other_client.id, "email": "olaf@other.example",
        })
        cls.flat = cls._active_contract(
            "monthly_flat", date_start="2026-01-01", monthly_hours=2.0, hourly_rate=120.0, approval_required=True,
        )
        cls.tech_user = cls._user("appr_tech")
        cls.technician.user_id = cls.tech_user
        cls.manager = cls._user("appr_manager", "manager")

    def _approval_mails(self, task):
        """The approval requests sent to the client: notifications, not messages of the request's thread."""
        return self.env["mail.message"].search([
            ("model", "=", "project.task"), ("res_id", "=", task.id), ("message_type", "=", "user_notification"),
            ("subject", "ilike", "your approval is needed"),
        ])

    def test_covered_work_asks_nothing(self):
        request = self._request(self.flat, site=self.site_a)
        self._log(request, 1.5)
        self.assertFalse(request.it_approval_state)
        self.assertFalse(self._approval_mails(request))

    def test_month_used_up_asks_once_with_the_flat_rate(self):
        request = self._request(self.flat, site=self.site_a)
        self._log(request, 1.5)
        self.assertFalse(request.it_approval_state, "the included hours cover the first hours")
        self._log(request, 0.5)
        self.assertEqual(request.it_approval_state, "pending", "the next work on the request costs extra")
        self.assertEqual(request.it_approval_rate, 120.0)
        self.assertRegex(request.it_approval_reason, "included hours are used up")
        mails = self._approval_mails(request)
        self.assertEqual(len(mails), 1)
        self.assertRegex(mails.body, r"120[.,]00")
        self.assertEqual(mails.partner_ids, self.contact, "the client's contact person, not the company")
        self.assertIn("Hello Anna Client", mails.body)
        self.assertIn(self.contact, request.message_partner_ids)
        # more time does not ask again
        self._log(request, 1.0)
        self.assertEqual(len(self._approval_mails(request)), 1)
        # a new request once the month is used up asks at once
        second = self._request(self.flat, site=self.site_b, name="Scanner")
        self.assertEqual(second.it_approval_state, "pending")

    def test_extra_time_is_held_until_the_client_approves(self):
        """The line that uses up the included hours is split: the extra part is held, not booked as overage, until
        the client approves; then it is billed as overage."""
        request = self._request(self.flat, site=self.site_a)
        line = self._log(request.with_user(self.tech_user), 3.0)
        lines = self.env["account.analytic.line"].search([("task_id", "=", request.id)])
        self.assertBilled(lines, [("included", 2.0, self.flat), ("held", 1.0, self.flat)])
        period = self.flat.period_ids.filtered(lambda p: p.date_start.month == 1)
        self.assertEqual((period.hours_used, period.hours_overage), (2.0, 0.0), "nothing is booked beyond coverage")
        self.assertEqual(request.it_approval_state, "pending")
        labels = dict(line._fields["it_billing_type"]._description_selection(self.env))
        self.assertEqual(labels["held"], "Awaiting Approval")
        request._it_decide_approval("approved", self.contact)
        self.assertBilled(lines, [("included", 2.0, self.flat), ("overage", 1.0, self.flat)])
        self.assertEqual((period.hours_used, period.hours_overage), (2.0, 1.0))
        self.assertEqual(self._log(request, 0.5).it_billing_type, "overage", "approved: the next time is billed")

    def test_refused_extra_time_is_not_billed_and_the_technician_stops(self):
        request = self._request(self.flat, site=self.site_a)
        request.user_ids = self.tech_user
        self._log(request.with_user(self.tech_user), 2.5)
        self.assertEqual(request.it_approval_state, "pending")
        request._it_decide_approval("refused", self.contact, "Too expensive")
        lines = self.env["account.analytic.line"].search([("task_id", "=", request.id)])
        self.assertBilled(lines, [("included", 2.0, self.flat), ("non_billable", 0.0, self.flat)])
        self.assertEqual(self.flat.period_ids.filtered(lambda p: p.date_start.month == 1).hours_overage, 0.0)
        todo = request.activity_ids.filtered(lambda a: a.user_id == self.tech_user)
        self.assertRegex(todo.summary, "refused paid work on Printer down: stop")
        with self.assertRaisesRegex(ValidationError, "refused paid work"), self.env.cr.savepoint():
            self._log(request.with_user(self.tech_user), 1.0)

    def test_planned_hours_beyond_what_is_left_ask_ahead(self):
        request = self._request(self.flat, site=self.site_a)
        self.assertFalse(request.it_approval_state)
        request.with_user(self.tech_user).allocated_hours = 1.5
        self.assertFalse(request.it_approval_state, "2 included hours cover the plan")
        request.with_user(self.tech_user).allocated_hours = 5.0
        self.assertEqual(request.it_approval_state, "pending", "asked before any time is logged")
        self.assertEqual(request.it_approval_reason,
                         "The work planned on this request (05:00) exceeds the hours left (02:00).")
        self.assertEqual(request.it_approval_rate, 120.0)

    def test_a_question_the_request_no_longer_raises_is_withdrawn(self):
        """The plan lowered back, or the service put back in scope: the client is not asked to pay for covered work."""
        request = self._request(self.flat, site=self.site_a)
        request.with_user(self.tech_user).allocated_hours = 5.0
        self.assertEqual(request.it_approval_state, "pending")
        request.with_user(self.tech_user).allocated_hours = 1.5
        self.assertRecordValues(request, [{"it_approval_state": False, "it_approval_reason": False}])
        self.assertIn("no longer needed", request.message_ids[0].body)
        outside = self._request(site=self.site_a, service=self.service_other, name="New website")
        self.assertEqual(outside.it_approval_state, "pending")
        outside.with_user(self.manager).it_service_product_id = self.service_support
        self.assertFalse(outside.it_is_adhoc)
        self.assertFalse(outside.it_approval_state)
        # a decision the client took stays
        outside.with_user(self.manager).it_service_product_id = self.service_other
        outside._it_decide_approval("approved", self.contact)
        outside.with_user(self.manager).it_service_product_id = self.service_support
        self.assertEqual(outside.it_approval_state, "approved")

    def test_request_of_a_site_greets_the_contact_person(self):
        request = self._request(self.flat, site=self.site_a, partner=self.site_a)
        self._log(request, 2.5)
        mails = self._approval_mails(request)
        self.assertEqual(mails.partner_ids, self.contact)
        self.assertIn("Hello Anna Client", mails.body)
        self.assertNotIn(self.site_a.name, mails.body.split(",")[0])

    def test_outside_scope_asks_with_the_adhoc_rate(self):
        request = self._request(site=self.site_a, service=self.service_other, name="New website")
        self.assertTrue(request.it_is_adhoc)
        self.assertEqual(request.it_approval_state, "pending")
        self.assertEqual(request.it_approval_rate, 200.0)

    def test_no_approval_without_the_setting(self):
        self.flat.approval_required = False
        request = self._request(site=self.site_a, service=self.service_other)
        self._log(request, 5.0)
        self.assertFalse(request.it_approval_state)

    def test_package_used_up_asks_with_the_adhoc_rate(self):
        # the flat contract serves the warehouse only: the head office is the package's
        self.flat.write({"approval_required": False, "site_ids": [(6, 0, self.site_b.ids)], "remote_service": False})
        package = self._active_contract(hours_total=1.0, approval_required=True, date_start="2026-01-01")
        request = self._request(package, site=self.site_a)
        self._log(request, 1.0)
        self.assertEqual(request.it_approval_state, "pending")
        self.assertRegex(request.it_approval_reason, "package are used up")
        self.assertEqual(request.it_approval_rate, 200.0)

    def test_client_approves(self):
        request = self._request(site=self.site_a, service=self.service_other)
        request._it_decide_approval("approved", self.contact, "Go ahead")
        self.assertEqual(request.it_approval_state, "approved")
        self.assertEqual(request.it_approval_partner_id, self.contact)
        self.assertTrue(request.it_approval_date)
        self.assertEqual(request.it_approval_comment, "Go ahead")
        self.assertIn("Anna Client approved the extra work", request.message_ids[0].body)
        line = self._log(request.with_user(self.tech_user), 1.0)
        self.assertEqual(line.it_billing_type, "adhoc")
        with self.assertRaisesRegex(UserError, "not waiting for your approval"):
            request._it_decide_approval("refused", self.contact)

    def test_contact_of_another_client_cannot_decide(self):
        request = self._request(site=self.site_a, service=self.service_other)
        with self.assertRaisesRegex(AccessError, "Only a contact of the client"):
            request._it_decide_approval("approved", self.other_contact)
        self.assertEqual(request.it_approval_state, "pending")
        with self.assertRaisesRegex(UserError, "approve or to refuse"):
            request._it_decide_approval("maybe", self.contact)

    def test_refused_blocks_billable_time_but_not_non_billable(self):
        request = self._request(site=self.site_a, service=self.service_other)
        request._it_decide_approval("refused", self.contact, "Too expensive")
        lines_before = self.env["account.analytic.line"].search_count([("task_id", "=", request.id)])
        with self.assertRaisesRegex(ValidationError, "refused paid work"), self.env.cr.savepoint():
            self._log(request.with_user(self.tech_user), 1.0)
        self.assertEqual(
            self.env["account.analytic.line"].search_count([("task_id", "=", request.id)]), lines_before,
            "nothing of the refused line is saved",
        )
        line = self._log(request.with_user(self.tech_user), 1.0, it_billing_override="non_billable")
        self.assertEqual((line.it_billing_type, line.it_billing_override), ("non_billable", "non_billable"))
        # not on a request the client did not refuse
        other = self._request(self.flat, site=self.site_a, name="Covered")
        with self.assertRaisesRegex(UserError, "decided by the contract rules"), self.env.cr.savepoint():
            self._log(other.with_user(self.tech_user), 1.0, it_billing_override="non_billable")

    def test_manager_records_and_asks_again(self):
        request = self._request(site=self.site_a, service=self.service_other)
        request.partner_id = self.contact
        with self.assertRaisesRegex(AccessError, "Only an IT services manager"):
            request.with_user(self.tech_user).action_it_approval_approved_by_client()
        request._it_decide_approval("refused", self.contact)
        request.with_user(self.manager).action_it_approval_ask_again()
        self.assertEqual(request.it_approval_state, "pending")
        self.assertEqual(len(self._approval_mails(request)), 2)
        request.with_user(self.manager).action_it_approval_approved_by_client()
        self.assertEqual(request.it_approval_state, "approved")
        self.assertEqual(request.it_approval_partner_id, self.contact)

    def test_approval_fields_are_not_written_by_hand(self):
        request = self._request(site=self.site_a, service=self.service_other)
        for user in (self.manager, self.tech_user):
            with self.assertRaisesRegex(UserError, "approval .* cannot be set by hand"):
                request.with_user(user).write({"it_approval_state": "approved"})
        with self.assertRaisesRegex(UserError, "approval .* cannot be set by hand"):
            self.env["project.task"].with_user(self.manager).create({
                "name": "Forged", "project_id": self.flat.project_id.id, "it_approval_state": "approved",
            })
        self.assertEqual(request.it_approval_state, "pending")

    def test_technician_does_not_read_the_rate(self):
        request = self._request(site=self.site_a, service=self.service_other)
        as_tech = request.with_user(self.tech_user)
        self.assertEqual(as_tech.it_approval_state, "pending")
        with self.assertRaises(AccessError):
            as_tech.read(["it_approval_rate"])
        self.assertNotIn("it_approval_rate", as_tech.fields_get())
