from datetime import timedelta
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger
from odoo.tools.safe_eval import safe_eval

from ..models.it_sla_watch import ItSlaWatch
from .test_sla_common import SlaCommon, utc


@tagged("post_install", "-at_install")
class TestSlaWatch(SlaCommon):

    def _alerts(self, task):
        activity_type = self.env.ref("it_service_contracts.mail_activity_type_sla_alert")
        return task.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)

    def _lead_notes(self, task):
        """Messages to the service desk lead naming the request."""
        return self.env["mail.message"].search([
            ("partner_ids", "in", self.lead.partner_id.ids), ("body", "ilike", f'data-oe-id="{task.id}"'),
        ])

    def _chatter_notes(self, task):
        """Messages in the request's chatter about its SLA: none, the alert is the activity (which the chatter
        shows); the request's SLA record keeps the deadlines and at-risk moments."""
        task.invalidate_recordset(["message_ids"])
        return task.message_ids.filtered(lambda m: "SLA " in (m.body or ""))

    def test_watch_marks_and_notifies_once_per_change(self):
        with freeze_time("2026-01-12 08:00:00"):
            task = self._request(utc(2026, 1, 12, 8, 0))  # response due 12:00 UTC, at risk from 11:00 UTC
        self.assertEqual(task.sla_state, "on_track")
        with freeze_time("2026-01-12 10:59:00"), self._cron_commits():
            self.env["project.task"]._cron_sla_watch()
        self.assertEqual(task.sla_state, "on_track")
        self.assertFalse(self._alerts(task))

        with freeze_time("2026-01-12 11:30:00"), self._cron_commits():
            self.env["project.task"]._cron_sla_watch()
            self.env["project.task"]._cron_sla_watch()  # a second run changes nothing
        self.assertEqual(task.sla_state, "at_risk")
        self.assertEqual(task.sla_notified_state, "at_risk")
        alert = self._alerts(task)
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.user_id, self.technician)
        self.assertIn("at risk", alert.summary)
        self.assertEqual(len(self._lead_notes(task)), 1)
        self.assertFalse(self._chatter_notes(task), "no note per change: the activity is the alert")

        with freeze_time("2026-01-12 12:01:00"), self._cron_commits():
            self.env["project.task"]._cron_sla_watch()
            self.env["project.task"]._cron_sla_watch()
        self.assertEqual(task.sla_state, "breached")
        alert = self._alerts(task)
        self.assertEqual(len(alert), 1, "the technician's SLA activity is updated, not duplicated")
        self.assertIn("breached", alert.summary)
        self.assertEqual(len(self._lead_notes(task)), 2, "one message per state change, never repeated")
        self.assertFalse(self._chatter_notes(task))
        self.assertFalse(task.first_response_date, "the watch's alert is not a response to the client")

        with freeze_time("2026-01-13 12:00:00"), self._cron_commits():
            self.env["project.task"]._cron_sla_watch()
        self.assertEqual(len(self._lead_notes(task)), 2)

    def test_breach_of_a_late_response_names_the_response_deadline(self):
        """A request answered late is breached by its response deadline: the alert names that deadline, not the
        resolution deadline still ahead, also once the request waits for the client (its clock stopped)."""
        with freeze_time("2026-01-12 08:00:00"):
            late = self._request(utc(2026, 1, 12, 8, 0), name="Answered late")   # response due 12:00 UTC
            waiting = self._request(utc(2026, 1, 12, 8, 0), name="Answered late, now waiting")
        with freeze_time("2026-01-12 12:30:00"):
            (late | waiting)._it_record_first_response()
            waiting.stage_id = self.stage_waiting
        self.assertFalse(waiting.sla_next_deadline, "the clock is stopped")
        self.assertEqual(late.sla_next_deadline, late.sla_resolution_deadline)
        with freeze_time("2026-01-12 12:31:00"), self._cron_commits():
            self.env["project.task"]._cron_sla_watch()
        for task in late | waiting:
            self.assertEqual(task.sla_state, "breached", task.name)
            # 12:00 UTC is 13:00 in Warsaw, the service calendar's time zone
            self.assertEqual(self._alerts(task).summary, "SLA breached (was due 01/12/2026 01:00 PM)", task.name)

    def test_alerts_are_written_in_one_language(self):
        """Run by a user whose language is not installed (English in a database made in Polish, which Odoo still
        takes as a context language), the watch writes its alerts in the company's language, the one their
        deadlines are formatted in: not English words around a Polish date."""
        self.env["res.lang"]._activate_lang("pl_PL")
        self.env["ir.module.module"]._load_module_terms(["it_service_contracts"], ["pl_PL"], overwrite=True)
        self.company.partner_id.lang = "pl_PL"
        self.env.flush_all()

        def english(active):
            self.env.cr.execute("UPDATE res_lang SET active = %s WHERE code = 'en_US'", [active])
            self.env.registry.clear_cache("stable")  # where Odoo keeps the active languages

        english(False)
        self.addCleanup(english, True)
        with freeze_time("2026-01-12 08:00:00"):
            task = self._request(utc(2026, 1, 12, 8, 0))  # response due 12:00 UTC, 13:00 in Warsaw
        with freeze_time("2026-01-12 12:01:00"), self._cron_commits():
            self.env["project.task"].with_context(lang="en_US")._cron_sla_watch()
        self.assertEqual(task.sla_state, "breached")
        self.assertEqual(self._alerts(task).summary, "SLA przekroczone (termin minął 12.01.2026 13:00)")
        # the lead's language is English, not installed either: the lead's list is Polish too, words and items
        self.assertEqual(self.lead.lang, "en_US")
        message = self._lead_notes(task)
        self.assertEqual(len(message), 1)
        self.assertIn("SLA przekroczone (termin minął 12.01.2026 13:00)", message.body)
        self.assertNotIn("These service requests", message.body)

    def test_watch_query_finds_only_changes(self):
        with freeze_time("2026-01-12 08:00:00"):
            due_soon = self._request(utc(2026, 1, 12, 8, 0))            # at risk from 11:00 UTC
            urgent = self._request(utc(2026, 1, 12, 8, 0), priority="3")  # due 9:00 UTC
            waiting = self._request(utc(2026, 1, 12, 8, 0), priority="3", stage_id=self.stage_waiting.id)
            adhoc = self._request(utc(2026, 1, 12, 8, 0), partner_id=self.other_client.id,
                                  project_id=self.company._it_get_service_desk_project().id)
        with freeze_time("2026-01-12 10:00:00"):
            later = self._request(utc(2026, 1, 12, 10, 0))              # at risk from 13:00 UTC
        self.assertTrue(adhoc.it_is_adhoc)
        self.assertFalse(adhoc.sla_state)
        self.env.flush_all()
        now = utc(2026, 1, 12, 11, 30)
        found = self.env["project.task"]._it_sla_watch_query(now, limit=100)
        rows = {task.id: task._it_sla_target_state(now) for task in found}
        self.assertEqual(rows, {due_soon.id: "at_risk", urgent.id: "breached"})
        self.assertNotIn(later.id, rows)
        self.assertNotIn(waiting.id, rows, "a stopped clock is not watched")

    def test_watch_batches_with_committed_progress(self):
        with freeze_time("2026-01-12 08:00:00"):
            tasks = self.env["project.task"].concat(*[
                self._request(utc(2026, 1, 12, 8, 0), priority="3", name=f"Request {n}") for n in range(5)
            ])
        with freeze_time("2026-01-12 10:00:00"), self._cron_commits() as commits:
            self.env["project.task"]._cron_sla_watch(batch_size=2)
        self.assertEqual(set(tasks.mapped("sla_state")), {"breached"})
        self.assertEqual([processed for processed, _remaining in commits], [2, 2, 1])
        self.assertEqual([remaining for _processed, remaining in commits], [3, 1, 0])

    def _lead_messages(self):
        return self.env["mail.message"].search([("partner_ids", "in", self.lead.partner_id.ids)])

    def test_watch_batch_notifies_each_request_once(self):
        """A batch of many changes: one activity per request and state, one message to the lead listing the
        batch's requests by state; the activities are updated, not duplicated, on breach."""
        with freeze_time("2026-01-12 08:25:00"):
            # response due 12:00 to 12:25 UTC (13:00 to 13:25 in Warsaw), at risk from 11:00 to 11:25 UTC
            at_risk = self.env["project.task"].concat(*[
                self._request(utc(2026, 1, 12, 8, 0) + timedelta(minutes=5 * n), name=f"Slow {n}") for n in range(6)
            ])
            unassigned = self.env["project.task"].concat(*[
                self._request(utc(2026, 1, 12, 8, 0), name=f"Unassigned {n}", user_ids=[(6, 0, [])]) for n in range(2)
            ])
            breached = self.env["project.task"].concat(*[  # due 9:00 UTC
                self._request(utc(2026, 1, 12, 8, 0), name=f"Urgent {n}", priority="3") for n in range(4)
            ])
        at_risk |= unassigned
        before = self._lead_messages()
        with freeze_time("2026-01-12 11:30:00"), self._cron_commits() as commits:
            self.env["project.task"]._cron_sla_watch()
        self.assertEqual([processed for processed, _remaining in commits], [12], "one batch")
        self.assertEqual(set(at_risk.mapped("sla_state")) | set(at_risk.mapped("sla_notified_state")), {"at_risk"})
        self.assertEqual(set(breached.mapped("sla_state")) | set(breached.mapped("sla_notified_state")), {"breached"})
        for task in at_risk | breached:
            alert = self._alerts(task)
            self.assertEqual(len(alert), 1, task.name)
            self.assertEqual(alert.user_id, self.lead if task in unassigned else self.technician, task.name)
            self.assertEqual(alert.res_name, task.display_name)
            self.assertFalse(self._chatter_notes(task), task.name)
        self.assertEqual(self._alerts(at_risk[1]).summary, "SLA at risk: due 01/12/2026 01:05 PM")
        self.assertEqual(self._alerts(breached[0]).summary, "SLA breached (was due 01/12/2026 10:00 AM)")
        messages = self._lead_messages() - before
        self.assertEqual(len(messages), 1, "one message to the lead per batch")
        # the breaches first, then the requests at risk
        breach_part, risk_part = messages.body.split("will breach their SLA soon")
        self.assertIn("have breached their SLA", breach_part)
        for task in at_risk:
            self.assertIn(f'data-oe-id="{task.id}"', risk_part)
            self.assertNotIn(f'data-oe-id="{task.id}"', breach_part)
        for task in breached:
            self.assertIn(f'data-oe-id="{task.id}"', breach_part)

        unassigned.write({"user_ids": [(6, 0, self.technician.ids)]})
        before = self._lead_messages()
        with freeze_time("2026-01-12 12:30:00"), self._cron_commits():
            self.env["project.task"]._cron_sla_watch()
            self.env["project.task"]._cron_sla_watch()  # a second run changes nothing
        self.assertEqual(set((at_risk | breached).mapped("sla_notified_state")), {"breached"})
        for task in at_risk:
            alert = self._alerts(task)
            self.assertEqual(len(alert), 1, "the activity is updated, not duplicated")
            self.assertEqual(alert.user_id, self.technician, "given to the technician assigned since")
        self.assertEqual(self._alerts(at_risk[1]).summary, "SLA breached (was due 01/12/2026 01:05 PM)")
        self.assertEqual(self._alerts(at_risk[5]).summary, "SLA breached (was due 01/12/2026 01:25 PM)")
        message = self._lead_messages() - before
        self.assertEqual(len(message), 1)
        self.assertIn("have breached their SLA", message.body)
        self.assertEqual(message.body.count("data-oe-id="), len(at_risk))

    def test_lead_message_of_both_states_is_titled_by_the_breaches(self):
        """A firm's template may name its first request in the subject: the message of a batch with both states,
        which begins with the breaches, is titled by the most urgent breach, not by a request at risk."""
        self.env.ref("it_service_contracts.mail_template_it_sla_alert").subject = "SLA: {{ object.name }}"
        with freeze_time("2026-01-12 08:00:00"):
            self._request(utc(2026, 1, 12, 8, 0), name="Slow")  # at risk from 11:00 UTC
            self._request(utc(2026, 1, 12, 8, 0), name="Urgent", priority="3")  # due 9:00 UTC
        before = self._lead_messages()
        with freeze_time("2026-01-12 11:30:00"), self._cron_commits():
            self.env["project.task"]._cron_sla_watch()
        message = self._lead_messages() - before
        self.assertEqual(message.subject, "SLA: Urgent")
        self.assertIn("will breach their SLA soon", message.body)

    def test_lead_message_names_the_most_urgent_and_links_to_the_rest(self):
        """A mass outage: the lead's message names the requests due first, up to its limit, and links to the
        list of all of them; every request still gets its own activity."""
        with freeze_time("2026-01-12 08:20:00"):  # due from 12:00 UTC by 5 minutes, the first made due last
            tasks = self.env["project.task"].concat(*[
                self._request(utc(2026, 1, 12, 8, 0) + timedelta(minutes=5 * n), name=f"Outage {n}")
                for n in reversed(range(5))
            ])
        before = self._lead_messages()
        with patch.object(type(self.env["project.task"]), "_it_sla_lead_list_limit", 3), \
                freeze_time("2026-01-12 11:30:00"), self._cron_commits():
            self.env["project.task"]._cron_sla_watch()
        self.assertEqual(set(tasks.mapped("sla_state")), {"at_risk"})
        self.assertTrue(all(self._alerts(task) for task in tasks))
        message = self._lead_messages() - before
        self.assertEqual(len(message), 1, message.mapped(lambda m: (m.model, m.message_type, m.body[:80])))
        named = [task.name for task in tasks if f'data-oe-id="{task.id}"' in message.body]
        self.assertEqual(sorted(named), ["Outage 0", "Outage 1", "Outage 2"], "the three due first")
        self.assertIn("And 2 more", message.body)
        self.assertIn("/odoo/action-it_service_contracts.it_sla_attention_request_action", message.body)
        context = safe_eval(self.env.ref("it_service_contracts.it_sla_attention_request_action").context)
        self.assertTrue(context["search_default_at_risk"] and context["search_default_breached"])

    def test_watch_alerts_of_unassigned_requests_do_not_make_the_lead_follow(self):
        """Whoever is given an SLA activity follows the request (Odoo's rule for an activity's user), except the
        service desk lead given the activities of the requests nobody is assigned to: the lead is told of them
        in the batch's message, and following each of them would bring the lead every later message on them."""
        with freeze_time("2026-01-12 08:00:00"):  # at risk from 11:00 UTC, due 12:00 UTC
            unassigned = self._request(utc(2026, 1, 12, 8, 0), name="Unassigned", user_ids=[(6, 0, [])])
            assigned = self._request(utc(2026, 1, 12, 8, 0), name="Assigned")
        assigned.message_unsubscribe(partner_ids=self.technician.partner_id.ids)
        with freeze_time("2026-01-12 11:30:00"), self._cron_commits():
            self.env["project.task"]._cron_sla_watch()
        self.assertEqual(self._alerts(unassigned).user_id, self.lead)
        self.assertEqual(len(self._lead_notes(unassigned)), 1)
        self.assertNotIn(self.lead.partner_id, unassigned.message_partner_ids)
        self.assertEqual(self._alerts(assigned).user_id, self.technician)
        self.assertIn(self.technician.partner_id, assigned.message_partner_ids)

        # the activities change hands on breach: the same rule
        unassigned.write({"user_ids": [(6, 0, self.technician.ids)]})
        unassigned.message_unsubscribe(partner_ids=self.technician.partner_id.ids)
        assigned.write({"user_ids": [(5, 0, 0)]})
        with freeze_time("2026-01-12 12:30:00"), self._cron_commits():
            self.env["project.task"]._cron_sla_watch()
        self.assertEqual(self._alerts(unassigned).user_id, self.technician)
        self.assertIn(self.technician.partner_id, unassigned.message_partner_ids)
        self.assertEqual(self._alerts(assigned).user_id, self.lead)
        self.assertNotIn(self.lead.partner_id, assigned.message_partner_ids)
        self.assertNotIn(self.lead.partner_id, unassigned.message_partner_ids)

    def test_no_context_key_keeps_a_technician_from_following(self):
        """Only the watch, around its own activities, keeps their user from following a request: a context key
        sent with a call over RPC (the watch once read one) does not switch subscriptions off, neither for a
        technician subscribing to a request nor for one creating a request they are assigned to."""
        with freeze_time("2026-01-12 08:00:00"):
            task = self._request(utc(2026, 1, 12, 8, 0))
        task.message_unsubscribe(partner_ids=self.technician.partner_id.ids)
        as_technician = task.with_user(self.technician).with_context(it_sla_alert_no_follow=True)
        as_technician.message_subscribe(partner_ids=self.technician.partner_id.ids)
        self.assertIn(self.technician.partner_id, task.message_partner_ids)
        created = as_technician.create({
            "name": "Scanner down", "partner_id": self.client.id, "project_id": self.project.id,
            "user_ids": [(6, 0, self.technician.ids)],
        })
        self.assertIn(self.technician.partner_id, created.message_partner_ids)

    def test_watch_failed_notification_is_redone_once(self):
        """The state, the mark that it was notified and the notifications are one: a batch whose notification
        fails leaves none of them, and the next run notifies once."""
        with freeze_time("2026-01-12 08:00:00"):
            tasks = self.env["project.task"].concat(*[
                self._request(utc(2026, 1, 12, 8, 0), priority="3", name=f"Request {n}") for n in range(3)
            ])
        before = self._lead_messages()

        def failing(*args, **kwargs):
            raise RuntimeError("mail server down")

        with freeze_time("2026-01-12 10:00:00"), self._cron_commits(), \
                patch.object(ItSlaWatch, "_it_sla_mail_leads", failing), \
                mute_logger("odoo.addons.it_service_contracts.models.it_cron_batch"):
            self.env["project.task"]._cron_sla_watch()
        self.assertEqual(set(tasks.mapped("sla_state")), {"on_track"})
        self.assertFalse(any(tasks.mapped("sla_notified_state")))
        self.assertFalse(any(self._alerts(task) for task in tasks))
        self.assertEqual(self._lead_messages(), before)

        with freeze_time("2026-01-12 10:10:00"), self._cron_commits():
            self.env["project.task"]._cron_sla_watch()
            self.env["project.task"]._cron_sla_watch()
        self.assertEqual(set(tasks.mapped("sla_notified_state")), {"breached"})
        for task in tasks:
            self.assertEqual(len(self._alerts(task)), 1)
            self.assertIn("SLA breached", self._alerts(task).summary)
        self.assertEqual(len(self._lead_messages() - before), 1)


@tagged("post_install", "-at_install")
class TestPublicHolidays(SlaCommon):

    def test_fill_polish_holidays(self):
        Leaves = self.env["resource.calendar.leaves"]
        created = Leaves._it_fill_public_holidays(self.company, 2025)
        days = {leave.date_from.date() for leave in created}
        self.assertEqual(len(created), 14)
        # midnight in Warsaw is 23:00 UTC the day before
        christmas_eve = created.filtered(lambda leave: leave.date_from == utc(2025, 12, 23, 23, 0))
        self.assertTrue(christmas_eve, "Christmas Eve is a Polish public holiday from 2025 on")
        self.assertTrue(all(not leave.resource_id and not leave.calendar_id for leave in created))
        self.assertEqual(created.company_id, self.company)
        self.assertTrue(days)
        self.assertFalse(Leaves._it_fill_public_holidays(self.company, 2025), "filling twice adds nothing")
        created_2024 = Leaves._it_fill_public_holidays(self.company, 2024)
        self.assertFalse(created_2024.filtered(lambda leave: leave.date_from == utc(2024, 12, 23, 23, 0)))

    def test_holidays_are_days_off_for_service_hours(self):
        self.env["resource.calendar.leaves"]._it_fill_public_holidays(self.company, 2026)
        # Wednesday 23 December 2026, 15:00: 1 h, then 24-27 December off, Monday 28 December 8:00 + 3 h
        with freeze_time("2026-12-23 14:00:00"):
            task = self._request(utc(2026, 12, 23, 14, 0))
        self.assertEqual(task.sla_response_deadline, utc(2026, 12, 28, 10, 0))
        # reported on a public holiday: out of hours, the flat contract's clock-hour response applies
        with freeze_time("2026-12-24 09:00:00"):
            task = self._request(utc(2026, 12, 24, 9, 0))
        self.assertTrue(task.out_of_hours)
        self.assertEqual(task.sla_response_deadline, utc(2026, 12, 24, 11, 0))

    def test_company_without_country(self):
        self.company.country_id = False
        with self.assertRaisesRegex(UserError, "Set the country"):
            self.env["resource.calendar.leaves"]._it_fill_public_holidays(self.company, 2025)

    def test_settings_button_and_yearly_cron(self):
        settings = self.env["res.config.settings"].with_company(self.company).create({"it_holiday_year": 2027})
        action = settings.action_it_fill_public_holidays()
        self.assertIn("2027", action["params"]["message"])
        leaves = self.env["resource.calendar.leaves"].search([
            ("company_id", "=", self.company.id), ("it_public_holiday", "=", True),
        ])
        self.assertTrue(leaves)
        with freeze_time("2027-12-01"), self._cron_commits():
            self.env["resource.calendar.leaves"]._cron_it_fill_public_holidays()
        years = set(self.env["resource.calendar.leaves"].search([
            ("company_id", "=", self.company.id), ("it_public_holiday", "=", True),
        ]).mapped(lambda leave: leave.date_to.year))
        self.assertEqual(years, {2027, 2028})
        self.assertTrue(self.env.ref("it_service_contracts.ir_cron_it_public_holidays").active)
