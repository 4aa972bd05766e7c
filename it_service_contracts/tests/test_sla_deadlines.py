import re

import psycopg2

from odoo.tests import Form, freeze_time, tagged

from .test_sla_common import SlaCommon, utc


@tagged("post_install", "-at_install")
class TestSlaDeadlines(SlaCommon):

    @freeze_time("2026-01-09 14:00:00")
    def test_friday_afternoon_due_monday(self):
        """15:00 on a Friday (Warsaw), 4 working hours on Mon-Fri 8-16: 1 h on Friday, 3 h on Monday -> 11:00."""
        task = self._request(utc(2026, 1, 9, 14, 0))  # 15:00 CET
        self.assertEqual(task.it_contract_id, self.flat)
        self.assertFalse(task.out_of_hours)
        self.assertEqual(task.sla_response_deadline, utc(2026, 1, 12, 10, 0))  # Monday 11:00 CET
        # 16 h: 1 h Friday, 8 h Monday, 7 h Tuesday -> Tuesday 15:00
        self.assertEqual(task.sla_resolution_deadline, utc(2026, 1, 13, 14, 0))
        self.assertEqual(task.sla_next_deadline, task.sla_response_deadline)
        self.assertEqual(task.sla_state, "on_track")
        # at risk after 75 % of the 4 h: 3 h -> Monday 10:00
        self.assertEqual(task.sla_risk_date, utc(2026, 1, 12, 9, 0))

    @freeze_time("2026-04-03 13:00:00")
    def test_monday_public_holiday_due_tuesday(self):
        """Easter Monday 2026 is a Polish public holiday: the same request is due on Tuesday 11:00."""
        self.env["resource.calendar.leaves"]._it_fill_public_holidays(self.company, 2026)
        task = self._request(utc(2026, 4, 3, 13, 0))  # Friday 15:00 CEST
        self.assertEqual(task.sla_response_deadline, utc(2026, 4, 7, 9, 0))  # Tuesday 11:00 CEST

    def test_public_holiday_of_another_company_ignored(self):
        other = self.env["res.company"].create({"name": "Other MSP", "country_id": self.env.ref("base.pl").id})
        self.env["resource.calendar.leaves"].sudo()._it_fill_public_holidays(other, 2026)
        task = self._request(utc(2026, 4, 3, 13, 0))
        self.assertEqual(task.sla_response_deadline, utc(2026, 4, 6, 9, 0))  # Monday 11:00, no holiday here

    @freeze_time("2026-01-10 09:00:00")
    def test_saturday_failure_out_of_hours_clock_hours(self):
        """Saturday 10:00 under a flat contract with a 2-hour out-of-hours response: due Saturday 12:00."""
        task = self._request(utc(2026, 1, 10, 9, 0))
        self.assertTrue(task.out_of_hours)
        self.assertEqual(task.sla_response_deadline, utc(2026, 1, 10, 11, 0))
        # resolution is still counted on the service hours, from Monday 8:00: 16 h -> Tuesday 16:00
        self.assertEqual(task.sla_resolution_deadline, utc(2026, 1, 13, 15, 0))

    def test_out_of_hours_on_package_counts_service_hours(self):
        """An hour package has no out-of-hours promise: the response waits for the service hours."""
        package = self._active_contract(
            "hour_package", partner_id=self.other_client.id, audit_id=self._other_audit().id, site_ids=[(5, 0, 0)],
            service_calendar_id=self.service_calendar.id,
            sla_line_ids=[(0, 0, {"priority": "0", "response_hours": 4, "resolution_hours": 8})],
        )
        task = self._request(utc(2026, 1, 10, 9, 0), partner_id=self.other_client.id, project_id=package.project_id.id)
        self.assertEqual(task.it_contract_id, package)
        self.assertTrue(task.out_of_hours)
        self.assertEqual(task.sla_response_deadline, utc(2026, 1, 12, 11, 0))  # Monday 12:00 CET

    def _other_audit(self):
        audit = self.env["it.audit"].create({
            "partner_id": self.other_client.id, "company_id": self.company.id,
            "asset_ids": [(0, 0, {"category_id": self.workstation_category.id})],
        })
        audit.action_done()
        return audit

    def test_daylight_saving_change_warsaw(self):
        """Clocks go forward on Sunday 29 March 2026: Friday 15:00 CET + 4 h is Monday 11:00 CEST (09:00 UTC)."""
        task = self._request(utc(2026, 3, 27, 14, 0))
        self.assertEqual(task.sla_response_deadline, utc(2026, 3, 30, 9, 0))
        # and back on Sunday 25 October 2026: Friday 15:00 CEST + 4 h is Monday 11:00 CET (10:00 UTC)
        task = self._request(utc(2026, 10, 23, 13, 0))
        self.assertEqual(task.sla_response_deadline, utc(2026, 10, 26, 10, 0))

    def test_out_of_hours_across_daylight_saving(self):
        """Clock hours are real hours: Sunday 1:30 CET + 2 h is 4:30 CEST, the night clocks go forward."""
        task = self._request(utc(2026, 3, 29, 0, 30))
        self.assertTrue(task.out_of_hours)
        self.assertEqual(task.sla_response_deadline, utc(2026, 3, 29, 2, 30))

    def test_priority_change_recomputes(self):
        task = self._request(utc(2026, 1, 12, 8, 0))  # Monday 9:00 CET
        self.assertEqual(task.sla_response_deadline, utc(2026, 1, 12, 12, 0))
        task.priority = "3"
        self.assertEqual(task.sla_response_deadline, utc(2026, 1, 12, 9, 0))
        self.assertEqual(task.sla_resolution_deadline, utc(2026, 1, 12, 12, 0))
        task.priority = "2"  # the contract has no response time for high priority: no SLA clock
        self.assertFalse(task.sla_response_deadline)
        self.assertFalse(task.sla_state)

    def test_contract_change_recomputes(self):
        task = self._request(utc(2026, 1, 12, 8, 0))
        package = self._active_contract(
            "hour_package", service_calendar_id=self.service_calendar.id,
            sla_line_ids=[(0, 0, {"priority": "0", "response_hours": 8, "resolution_hours": 24})],
        )
        task.it_contract_id = package
        self.assertEqual(task.sla_response_deadline, utc(2026, 1, 13, 8, 0))  # Tuesday 9:00
        self.assertFalse(task.it_is_adhoc)

    def test_priority_change_in_form(self):
        with Form(self.env["project.task"].with_context(default_project_id=self.project.id)) as form:
            form.name = "Server down"
            form.partner_id = self.client
            form.it_reported_date = utc(2026, 1, 12, 8, 0)
            self.assertEqual(form.it_contract_id, self.flat)
            self.assertEqual(form.sla_response_deadline, utc(2026, 1, 12, 12, 0))
            form.priority = "1"
            self.assertEqual(form.sla_response_deadline, utc(2026, 1, 12, 10, 0))
        self.assertEqual(form.record.sla_response_deadline, utc(2026, 1, 12, 10, 0))


@tagged("post_install", "-at_install")
class TestSlaClock(SlaCommon):

    def test_waiting_for_client_moves_deadline(self):
        """Two working hours waiting for the client move the resolution deadline by two working hours."""
        with freeze_time("2026-01-12 08:00:00"):
            task = self._request(utc(2026, 1, 12, 8, 0))  # Monday 9:00
        # 16 h: 7 h Monday, 8 h Tuesday, 1 h Wednesday -> Wednesday 9:00
        self.assertEqual(task.sla_resolution_deadline, utc(2026, 1, 14, 8, 0))
        with freeze_time("2026-01-12 08:30:00"):
            task.stage_id = self.stage_progress
        self.assertEqual(task.first_response_date, utc(2026, 1, 12, 8, 30))
        with freeze_time("2026-01-12 09:00:00"):
            task.stage_id = self.stage_waiting
        self.assertEqual(task.sla_paused_since, utc(2026, 1, 12, 9, 0))
        self.assertFalse(task.sla_next_deadline, "the watch ignores a stopped clock")
        with freeze_time("2026-01-12 11:00:00"):
            task.stage_id = self.stage_progress
        self.assertFalse(task.sla_paused_since)
        self.assertAlmostEqual(task.sla_paused_hours, 2.0)
        self.assertEqual(task.sla_resolution_deadline, utc(2026, 1, 14, 10, 0))
        self.assertEqual(task.sla_next_deadline, task.sla_resolution_deadline)
        # the response was given before: its deadline does not move
        self.assertEqual(task.sla_response_deadline, utc(2026, 1, 12, 12, 0))

    def test_waiting_over_night_counts_service_hours_only(self):
        with freeze_time("2026-01-12 14:00:00"):  # Monday 15:00
            task = self._request(utc(2026, 1, 12, 8, 0), stage_id=self.stage_waiting.id)
        self.assertTrue(task.sla_paused_since)
        with freeze_time("2026-01-13 08:00:00"):  # Tuesday 9:00: 7 + 1 service hours since Monday 9:00
            task.stage_id = self.stage_progress
        self.assertAlmostEqual(task.sla_paused_hours, 8.0)

    def test_resolution_met_then_reopened(self):
        with freeze_time("2026-01-12 08:00:00"):
            task = self._request(utc(2026, 1, 12, 8, 0))
        with freeze_time("2026-01-12 09:00:00"):
            task.stage_id = self.stage_done
        self.assertEqual(task.sla_resolution_date, utc(2026, 1, 12, 9, 0))
        self.assertEqual(task.first_response_date, utc(2026, 1, 12, 9, 0))
        self.assertEqual(task.sla_state, "met")
        self.assertFalse(task.sla_next_deadline)
        deadline = task.sla_resolution_deadline
        # the client calls back on Thursday: still broken. The closed time does not count against the firm.
        with freeze_time("2026-01-15 09:00:00"):
            task.stage_id = self.stage_progress
        self.assertFalse(task.sla_resolution_date)
        self.assertEqual(task.sla_state, "on_track")
        self.assertAlmostEqual(task.sla_paused_hours, 6.0 + 8.0 + 8.0 + 2.0)  # Mon 10-16, Tue, Wed, Thu 8-10
        self.assertGreater(task.sla_resolution_deadline, deadline)
        self.assertEqual(task.sla_next_deadline, task.sla_resolution_deadline)

    def test_closed_late_is_breached(self):
        with freeze_time("2026-01-12 08:00:00"):
            task = self._request(utc(2026, 1, 12, 8, 0), priority="3")  # 1 h response, 4 h resolution
        with freeze_time("2026-01-12 08:30:00"):
            task.stage_id = self.stage_progress
        self.assertEqual(task.sla_state, "on_track")
        with freeze_time("2026-01-12 13:00:00"):
            task.state = "1_done"
        self.assertEqual(task.sla_resolution_date, utc(2026, 1, 12, 13, 0))
        self.assertEqual(task.sla_state, "breached")

    def test_late_first_response_is_breached(self):
        with freeze_time("2026-01-12 08:00:00"):
            task = self._request(utc(2026, 1, 12, 8, 0), priority="3")
        with freeze_time("2026-01-12 09:30:00"):
            task.stage_id = self.stage_progress
        self.assertEqual(task.sla_state, "breached")

    def test_first_response_by_timesheet(self):
        task = self._request(utc(2026, 1, 12, 8, 0))
        employee = self.env["hr.employee"].create({
            "name": "Tom", "user_id": self.technician.id, "company_id": self.company.id,
        })
        with freeze_time("2026-01-12 08:45:00"):
            self.env["account.analytic.line"].create({
                "name": "Diagnosis", "task_id": task.id, "project_id": task.project_id.id,
                "employee_id": employee.id, "unit_amount": 0.5, "date": "2026-01-12",
            })
        self.assertEqual(task.first_response_date, utc(2026, 1, 12, 8, 45))
        self.assertEqual(task.sla_next_deadline, task.sla_resolution_deadline)

    def test_first_response_by_message_to_client(self):
        task = self._request(utc(2026, 1, 12, 8, 0))
        # an internal note is not a response to the client
        with freeze_time("2026-01-12 08:10:00"):
            task.with_user(self.technician).message_post(body="Looking", message_type="comment",
                                                          subtype_xmlid="mail.mt_note")
        self.assertFalse(task.first_response_date)
        # a message from the client is not either
        task.message_post(body="Any news?", message_type="comment", subtype_xmlid="mail.mt_comment",
                          author_id=self.client.id)
        self.assertFalse(task.first_response_date)
        with freeze_time("2026-01-12 08:20:00"):
            task.with_user(self.technician).message_post(body="We are on it", message_type="comment",
                                                          subtype_xmlid="mail.mt_comment")
        self.assertEqual(task.first_response_date, utc(2026, 1, 12, 8, 20))
        with freeze_time("2026-01-12 09:00:00"):
            task.stage_id = self.stage_progress
        self.assertEqual(task.first_response_date, utc(2026, 1, 12, 8, 20), "only the first action counts")


@tagged("post_install", "-at_install")
class TestSlaLineInput(SlaCommon):
    """Bad response times are refused with a clear message, and nothing is saved."""

    def _count(self):
        return self.env["it.contract.sla"].search_count([("contract_id", "=", self.flat.id)])

    def test_resolution_shorter_than_response(self):
        before = self._count()
        with self.assertRefused("the resolution time cannot be shorter than the response time", "it.contract.sla"):
            self.env["it.contract.sla"].create({
                "contract_id": self.flat.id, "priority": "2", "response_hours": 4, "resolution_hours": 2,
            })
        self.assertEqual(self._count(), before)
        line = self.flat.sla_line_ids.filtered(lambda line: line.priority == "0")
        with self.assertRefused("the resolution time cannot be shorter than the response time", "it.contract.sla"):
            line.write({"resolution_hours": line.response_hours - 1})
            line.flush_recordset()
        line.invalidate_recordset()
        self.assertEqual(line.resolution_hours, 16)

    def test_negative_time(self):
        before = self._count()
        with self.assertRefused("^Response times must be positive", "it.contract.sla") as caught:
            self.env["it.contract.sla"].create({
                "contract_id": self.flat.id, "priority": "2", "response_hours": -1, "resolution_hours": 4,
            })
        self.assertIsInstance(caught.exception, psycopg2.errors.CheckViolation)
        self.assertEqual(self._count(), before)
        line = self.flat.sla_line_ids.filtered(lambda line: line.priority == "0")
        with self.assertRefused("^Response times must be positive", "it.contract.sla"):
            line.write({"response_hours": -2})
            line.flush_recordset()
        line.invalidate_recordset()
        self.assertEqual(line.response_hours, 4)

    def test_duplicate_priority(self):
        before = self._count()
        with self.assertRefused("^A contract has one response time per priority", "it.contract.sla") as caught:
            self.flat.write({"sla_line_ids": [
                (0, 0, {"priority": "2", "response_hours": 2, "resolution_hours": 8}),
                (0, 0, {"priority": "2", "response_hours": 3, "resolution_hours": 9}),
            ]})
            self.env.flush_all()
        self.assertIsInstance(caught.exception, psycopg2.errors.UniqueViolation)
        self.assertEqual(self._count(), before)

    def test_sla_risk_share_out_of_range(self):
        """The company's at-risk share lies strictly between 0 and 100 %."""
        message = r"^The SLA at-risk share must be more than 0 and less than 100 %\.$"
        for share in (0.0, 100.0, -5.0, 120.0):
            with self.assertRefused(message, "res.company"):
                self.company.it_sla_risk_share = share
                self.company.flush_recordset()
            self.assertEqual(self.company.it_sla_risk_share, 75.0)
        self.company.it_sla_risk_share = 99.5
        self.company.flush_recordset()


@tagged("post_install", "-at_install")
class TestRunningContractsKeepTheirMeaning(SlaCommon):
    """Design rules 1 and 4 for contracts that have run: their identity is history, their terms move the
    deadlines of the requests still open, and company rates cannot slip under them."""

    def test_type_client_and_start_of_a_contract_that_ran_are_refused(self):
        other_company = self.env["res.company"].create({"name": "Other firm"})
        self.lead.company_ids |= other_company
        flat = self.flat.with_user(self.lead).with_context(allowed_company_ids=(self.company | other_company).ids)
        for values in ({"contract_type": "hour_package"}, {"partner_id": self.other_client.id},
                       {"date_start": "2026-02-01"}, {"company_id": other_company.id}):
            with self.assertRefused(r"has run: its .* can no longer change"):
                flat.write(values)
        self.assertEqual((self.flat.contract_type, self.flat.partner_id, str(self.flat.date_start)),
                         ("monthly_flat", self.client, "2026-01-01"))
        flat.write({"date_start": "2026-01-01", "note": "<p>Unchanged start, new terms note</p>"})

    def test_response_times_calendar_and_holidays_replan_open_requests_only(self):
        self.flat.with_user(self.lead).out_of_hours_response_hours = 3.0
        with freeze_time("2026-01-12 09:00:00"):
            done = self._request(utc(2026, 1, 12, 9, 0))  # Monday 10:00 in Warsaw, 4 h to respond
            done.stage_id = self.stage_done
            open_request = self._request(utc(2026, 1, 12, 9, 0))
        with freeze_time("2026-01-12 16:00:00"):
            late = self._request(utc(2026, 1, 12, 16, 0))  # 17:00 in Warsaw: out of hours, 3 clock hours
        # the terms change that Monday morning, while the open requests are on track (a breached one keeps its
        # deadlines: test_a_breach_is_not_planned_away_by_later_terms)
        with freeze_time("2026-01-12 10:30:00"):
            self.assertEqual(open_request.sla_response_deadline, utc(2026, 1, 12, 13, 0))
            self.assertEqual(late.sla_response_deadline, utc(2026, 1, 12, 19, 0))
            line = self.flat.sla_line_ids.filtered(lambda sla: sla.priority == "0")
            line.with_user(self.lead).response_hours = 2.0
            self.assertEqual(open_request.sla_response_deadline, utc(2026, 1, 12, 11, 0))
            self.assertEqual(done.sla_response_deadline, utc(2026, 1, 12, 13, 0), "resolved: measured as it was")
            # a company day off on that Monday: reported out of hours, the 3 clock hours apply
            day_off = self.env["resource.calendar.leaves"].create({
                "name": "Company day off", "company_id": self.company.id, "calendar_id": False,
                "date_from": utc(2026, 1, 11, 23, 0), "date_to": utc(2026, 1, 12, 22, 59, 59),
            })
            self.assertTrue(open_request.out_of_hours)
            self.assertEqual(open_request.sla_response_deadline, utc(2026, 1, 12, 12, 0))
            day_off.unlink()
            self.assertEqual(open_request.sla_response_deadline, utc(2026, 1, 12, 11, 0))
            # a round-the-clock service calendar: 17:00 is within service hours, 2 working hours
            always = self.env["resource.calendar"].create({
                "name": "24/7", "company_id": self.company.id, "tz": "Europe/Warsaw", "attendance_ids": [(5, 0, 0)] + [
                    (0, 0, {"name": f"Day {day}", "dayofweek": str(day), "hour_from": 0, "hour_to": 24,
                            "day_period": "full_day"}) for day in range(7)
                ],
            })
            self.flat.with_user(self.lead).service_calendar_id = always
            self.assertFalse(late.out_of_hours)
            self.assertEqual(late.sla_response_deadline, utc(2026, 1, 12, 18, 0))

    def test_a_breach_is_not_planned_away_by_later_terms(self):
        """Longer response times, set after a request breached, replanned its deadline past the response and
        the breach (and the client's service credit) went."""
        with freeze_time("2026-01-12 09:00:00"):
            breached = self._request(utc(2026, 1, 12, 9, 0))  # Monday 10:00 in Warsaw, 4 h to respond: 14:00
        with freeze_time("2026-01-12 14:00:00"):
            fresh = self._request(utc(2026, 1, 12, 14, 0))
            breached._it_sla_refresh_state()
            self.assertEqual(breached.sla_state, "breached")
            deadline = fresh.sla_response_deadline
            line = self.flat.sla_line_ids.filtered(lambda sla: sla.priority == "0")
            line.with_user(self.lead).response_hours = 8.0
            self.assertRecordValues(breached, [{"sla_response_deadline": utc(2026, 1, 12, 13, 0),
                                                "sla_state": "breached"}])
            self.assertGreater(fresh.sla_response_deadline, deadline, "an open request on track is planned again")

    def test_rate_change_that_would_reorder_running_contracts_is_refused(self):
        package = self._active_contract(
            "hour_package", partner_id=self.other_client.id, site_ids=[(5, 0, 0)], remote_service=True,
            audit_id=self._audit_for(self.other_client).id, hourly_rate=190.0,
        )
        with self.assertRefused(re.escape(f"{package.name} ($\xa0190.00)"), model="res.company"):
            self.company.it_adhoc_hourly_rate = 180.0
        self.assertEqual(self.company.it_adhoc_hourly_rate, 200.0)
        with self.assertRefused(re.escape(f"{self.flat.name} ($\xa0130.00)"), model="res.company"):
            self.company.write({"it_package_hourly_rate": 125.0, "it_flat_hourly_rate": 110.0})
        self.company.it_adhoc_hourly_rate = 195.0  # still above every package: fine

    def _audit_for(self, client):
        audit = self.env["it.audit"].create({
            "partner_id": client.id, "asset_ids": [(0, 0, {"category_id": self.workstation_category.id})],
        })
        audit.action_done()
        return audit
