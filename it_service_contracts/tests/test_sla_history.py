from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, freeze_time, new_test_user, tagged

from .test_sla_common import SlaCommon, utc


@tagged("post_install", "-at_install")
class TestSlaHistory(SlaCommon):
    """What was met, breached or credited stays as it was measured, whatever a technician changes afterwards
    (issue 19, item 3), and a quote stays the manager's (item 2)."""

    def test_response_deadline_stays_once_responded(self):
        # Monday 9:00 Warsaw (7:00 UTC), low priority: response within 4 service hours
        with freeze_time("2026-03-02 07:00:00"):
            task = self._request(utc(2026, 3, 2, 7, 0), priority="0")
        response = task.sla_response_deadline
        with freeze_time("2026-03-02 12:30:00"):  # answered late: 13:30 Warsaw, the deadline was 13:00
            task.with_user(self.technician).stage_id = self.stage_progress
            self.env.flush_all()
            self.env.cr.precommit.run()  # the transaction that created and answered it is over
        self.assertEqual(task.sla_state, "breached")
        with freeze_time("2026-03-02 13:00:00"):  # breached: the priority is the manager's to change
            task.with_user(self.lead).with_context(mail_notrack=True, tracking_disable=True).write(
                {"priority": "3"})
            self.env.flush_all()
            self.env.cr.precommit.run()  # the tracking is written when the transaction commits
        self.assertEqual(task.sla_response_deadline, response, "the breached deadline is history")
        self.assertEqual(task.sla_state, "breached")
        tracked = task.message_ids.sudo().tracking_value_ids.filtered(lambda v: v.field_id.name == "priority")
        self.assertTrue(tracked, "every change of priority is tracked, whatever the context says")

    def test_closed_request_keeps_its_deadlines(self):
        with freeze_time("2026-03-02 07:00:00"):
            task = self._request(utc(2026, 3, 2, 7, 0), priority="0")
            task.with_user(self.technician).stage_id = self.stage_done
        deadlines = (task.sla_response_deadline, task.sla_resolution_deadline, task.sla_state)
        self.assertEqual(task.sla_state, "met")
        with freeze_time("2026-03-03 07:00:00"):
            task.with_user(self.technician).write({"priority": "3"})
            self.flat.sla_line_ids.filtered(lambda line: line.priority == "0").response_hours = 0.5
        self.assertEqual((task.sla_response_deadline, task.sla_resolution_deadline, task.sla_state), deadlines)

    def test_reported_date_does_not_move_after_the_first_response(self):
        with freeze_time("2026-03-02 07:00:00"):
            task = self._request(utc(2026, 3, 2, 7, 0))
            task.with_user(self.technician).stage_id = self.stage_progress
        for user in (self.technician, self.lead):
            with self.subTest(user=user.name), self.assertRaisesRegex(AccessError, "part of its SLA record"):
                task.with_user(user).it_reported_date = utc(2026, 3, 2, 12, 0)
        self.assertEqual(task.it_reported_date, utc(2026, 3, 2, 7, 0))

    @freeze_time("2026-03-02 07:00:00")
    def test_a_request_is_never_reported_in_the_future(self):
        Task = self.env["project.task"].with_user(self.technician)
        count = Task.search_count([])
        form = Form(Task.with_context(default_project_id=self.project.id))
        form.name = "Server down"
        form.partner_id = self.client
        form.it_reported_date = utc(2062, 3, 2, 7, 0)  # the year mistyped
        with self.assertRaises(ValidationError) as caught:  # rolled back to a savepoint, as a request would be
            form.save()
        self.assertRegex(str(caught.exception), "cannot be reported on .*2062.*still to come")
        self.assertEqual(Task.search_count([]), count, "nothing is saved")
        # a reporting tool whose clock runs a few minutes ahead is still heard
        task = Task.create({"name": "Alert", "partner_id": self.client.id, "project_id": self.project.id,
                            "it_reported_date": utc(2026, 3, 2, 7, 3)})
        self.assertEqual(task.it_reported_date, utc(2026, 3, 2, 7, 3))
        for user in (self.technician, self.lead):
            with self.subTest(user=user.name), self.assertRaisesRegex(ValidationError, "still to come"), \
                    self.env.cr.savepoint():
                task.with_user(user).it_reported_date = utc(2026, 3, 4, 7, 0)
        self.assertEqual(task.it_reported_date, utc(2026, 3, 2, 7, 3))
        # a plain task of an internal project keeps whatever date it is given
        internal = self.env["project.project"].create({"name": "Internal"})
        plain = Task.sudo().create({"name": "Plan the office move", "project_id": internal.id,
                                    "it_reported_date": utc(2026, 6, 1, 7, 0)})
        self.assertFalse(plain.it_is_service_request)

    def test_a_breached_sla_keeps_what_it_was_measured_against(self):
        """Taking a breached request off its contract, lowering its priority or archiving it would erase the breach
        and the client's service credit: an IT manager's decision, never a technician's."""
        with freeze_time("2026-03-02 07:00:00"):
            on_time = self._request(utc(2026, 3, 2, 7, 0), name="Printer jam")
            late = self._request(utc(2026, 3, 2, 7, 0), name="Server down", priority="3")
        with freeze_time("2026-03-02 07:30:00"):  # before a breach, the technician sorts requests freely
            on_time.with_user(self.technician).priority = "1"
        self.assertEqual(on_time.priority, "1")
        with freeze_time("2026-03-02 09:00:00"):  # an hour to respond: breached, unanswered
            self.assertEqual(late._it_sla_target_state(utc(2026, 3, 2, 9, 0)), "breached")
            for label, vals in (("contract", {"it_contract_id": False}), ("priority", {"priority": "0"}),
                                ("archive", {"active": False})):
                with self.subTest(change=label), self.assertRaisesRegex(
                        AccessError, "SLA of request .* was breached.*only be changed by an IT manager"), \
                        self.env.cr.savepoint():
                    late.with_user(self.technician).write(vals)
            self.assertEqual((late.it_contract_id, late.priority, late.active), (self.flat, "3", True))
            # saving the values it has is no change
            late.with_user(self.technician).write({"priority": "3", "it_contract_id": self.flat.id})
            late.with_user(self.technician).stage_id = self.stage_progress
            self.assertEqual(late.sla_state, "breached")
            # the manager decides, in the tracked chatter
            late.with_user(self.lead).priority = "0"
        self.assertEqual(late.priority, "0")

    def test_saving_the_same_stage_is_no_response(self):
        with freeze_time("2026-03-02 07:00:00"):
            task = self._request(utc(2026, 3, 2, 7, 0))
        with freeze_time("2026-03-02 08:00:00"):
            task.with_user(self.technician).write({"stage_id": task.stage_id.id})  # a mass edit, an import
            self.assertFalse(task.first_response_date)
            task.with_user(self.technician).stage_id = self.stage_progress
        self.assertEqual(task.first_response_date, utc(2026, 3, 2, 8, 0))

    def test_only_support_staff_answer_counts_as_first_response(self):
        accountant = new_test_user(self.env, "sla_accountant", groups="account.group_account_invoice",
                                   company_id=self.company.id, company_ids=[(6, 0, self.company.ids)])
        with freeze_time("2026-03-02 07:00:00"):
            task = self._request(utc(2026, 3, 2, 7, 0))
        with freeze_time("2026-03-02 08:00:00"):
            task.with_user(accountant).message_post(body="About your invoice", message_type="comment",
                                                   subtype_xmlid="mail.mt_comment")
        self.assertFalse(task.first_response_date, "an accountant's message is not the service desk's answer")
        with freeze_time("2026-03-02 09:00:00"):
            task.with_user(self.technician).message_post(body="On it", message_type="comment",
                                                        subtype_xmlid="mail.mt_comment")
        self.assertEqual(task.first_response_date, utc(2026, 3, 2, 9, 0))

    def test_quote_stays_the_managers(self):
        task = self._request(utc(2026, 3, 2, 7, 0), partner_id=self.other_client.id)
        self.assertTrue(task.it_is_adhoc)
        task.with_user(self.lead).write({"it_price_agreement": "fixed", "it_fixed_price": 500.0})
        for vals in ({"it_price_agreement": "time_materials"}, {"it_fixed_price": 100.0}, {"it_fixed_price": 0}):
            with self.subTest(vals=vals), self.assertRaisesRegex(AccessError, "Only an IT services manager"):
                task.with_user(self.technician).write(vals)
        with self.assertRaisesRegex(AccessError, "Only an IT services manager"):
            self.env["project.task"].with_user(self.technician).create({
                "name": "Forged quote", "partner_id": self.other_client.id, "project_id": self.project.id,
                "it_price_agreement": "fixed",
            })
        self.env.invalidate_all()
        self.assertEqual((task.it_price_agreement, task.sudo().it_fixed_price), ("fixed", 500.0))
