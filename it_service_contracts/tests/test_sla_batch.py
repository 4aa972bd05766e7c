from datetime import timedelta
from unittest.mock import patch

from odoo.tests import tagged

from .test_sla_common import SlaCommon, utc

SLA_FIELDS = (
    "it_contract_id", "out_of_hours", "sla_response_deadline", "sla_resolution_deadline", "sla_response_risk_date",
    "sla_resolution_risk_date", "sla_state",
)


@tagged("post_install", "-at_install")
class TestSlaBatch(SlaCommon):
    """Requests made together (an alert storm, an import, the maintenance visits) get what each would get alone,
    and their contracts and service calendar are read once for the batch, not once a request."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["resource.calendar.leaves"]._it_fill_public_holidays(cls.company, 2026)
        # Friday 15:00, Saturday 10:00 (out of hours), Easter Monday 10:00 (a public holiday), Tuesday 15:59 (the
        # last minute of the day), Tuesday 16:00 (just closed), Wednesday 7:30 (before the opening), in Warsaw
        cls.moments = [utc(2026, 4, 3, 13, 0), utc(2026, 4, 4, 8, 0), utc(2026, 4, 6, 8, 0), utc(2026, 4, 7, 13, 59),
                       utc(2026, 4, 7, 14, 0), utc(2026, 4, 8, 5, 30)]

    def _vals(self, moments, priorities=("0", "1", "3"), client=None):
        client = client or self.client
        return [{
            "name": f"Alert {index}", "partner_id": client.id, "project_id": self.project.id, "priority": priority,
            "it_reported_date": moment,
        } for index, (moment, priority) in enumerate((m, p) for m in moments for p in priorities)]

    def _spy(self, model, method):
        cls = type(self.env[model])
        return patch.object(cls, method, autospec=True, side_effect=getattr(cls, method))

    def test_a_batch_of_requests_is_planned_as_each_alone(self):
        Task = self.env["project.task"].with_user(self.lead)
        vals_list = self._vals(self.moments)
        with self._spy("resource.calendar", "_attendance_intervals_batch") as calendar_reads:
            batch = Task.create(vals_list)
            self.env.flush_all()
        self.assertLessEqual(
            calendar_reads.call_count, 2,
            "18 requests of one month: the service calendar is worked out once for whether they came in service "
            "hours and once for their deadlines",
        )
        for vals, task in zip(vals_list, batch, strict=True):
            alone = Task.create(vals)
            self.assertEqual(
                [task[name] for name in SLA_FIELDS], [alone[name] for name in SLA_FIELDS],
                f"reported {vals['it_reported_date']}, priority {vals['priority']}",
            )
        by_moment = {(task.it_reported_date, task.priority): task for task in batch}
        # as Odoo's own planning gives them (tests of TestSlaDeadlines): Easter Monday off, Friday 15:00 plus 4 h is
        # Tuesday 11:00; Saturday is out of hours: 2 clock hours for the response
        self.assertEqual(by_moment[utc(2026, 4, 3, 13, 0), "0"].sla_response_deadline, utc(2026, 4, 7, 9, 0))
        saturday = by_moment[utc(2026, 4, 4, 8, 0), "0"]
        self.assertTrue(saturday.out_of_hours)
        self.assertEqual(saturday.sla_response_deadline, utc(2026, 4, 4, 10, 0))
        self.assertTrue(by_moment[utc(2026, 4, 6, 8, 0), "0"].out_of_hours, "a public holiday is out of hours")
        self.assertFalse(by_moment[utc(2026, 4, 7, 13, 59), "0"].out_of_hours, "the last minute of the day")
        self.assertTrue(by_moment[utc(2026, 4, 7, 14, 0), "0"].out_of_hours, "16:00, closed")
        # Tuesday 15:59 plus 1 hour (urgent): 1 minute on Tuesday, 59 minutes on Wednesday from 8:00
        self.assertEqual(by_moment[utc(2026, 4, 7, 13, 59), "3"].sla_response_deadline, utc(2026, 4, 8, 6, 59))

    def test_batch_planning_gives_odoo_plan_hours_moments(self):
        """The batch's arithmetic on the calendar's intervals against Odoo's ``plan_hours``, one amount at a time:
        amounts ending exactly where a day ends, starting in a holiday or at night, and beyond the two weeks the
        batch works out (planned by Odoo's method)."""
        Calendar = self.env["it.service.calendar"]
        starts = [moment + timedelta(minutes=shift) for moment in self.moments for shift in (0, 1, 37, 600)]
        amounts = [0.25, 1.0, 3.0, 7.0, 8.0, 8.5, 16.0, 1 / 60, 100.0, 500.0]
        demands = [(start, hours) for start in starts for hours in amounts]
        planned = Calendar._it_plan_hours_batch(self.service_calendar, self.company, demands)
        self.assertEqual(len(planned), len(set(demands)))
        for start, hours in demands:
            self.assertEqual(
                planned[start, hours], Calendar._it_plan_hours(self.service_calendar, start, hours, self.company),
                f"{hours} h from {start}",
            )
        # Thursday 8:00 Warsaw plus 8 hours ends at 16:00 that day, not on the next working day
        day = Calendar._it_plan_hours_batch(self.service_calendar, self.company, [(utc(2026, 4, 2, 6, 0), 8.0)])
        self.assertEqual(day, {(utc(2026, 4, 2, 6, 0), 8.0): utc(2026, 4, 2, 14, 0)})
        inside = Calendar._it_in_service_hours(self.service_calendar, self.company, starts)
        for start in starts:
            worked = Calendar._it_work_hours(self.service_calendar, start, start + timedelta(minutes=1), self.company)
            self.assertEqual(start in inside, bool(worked), start)

    def test_contracts_are_searched_once_a_batch(self):
        """Requests of two clients, one without a contract, reported before and after the flat contract began:
        each is served as it would be alone, and the contracts are searched as often for 24 requests as for 4."""
        Task = self.env["project.task"].with_user(self.lead)
        stranger = self.env["res.partner"].create({"name": "Walk-in Ltd", "is_company": True})
        before_start = self.flat.date_start - timedelta(days=3)
        moments = [utc(before_start.year, before_start.month, before_start.day, 9, 0), *self.moments[:1]]

        def create(count):
            vals_list = [
                dict(vals, project_id=False) for _copy in range(count)
                for vals in self._vals(moments, ("0",)) + self._vals(moments, ("0",), stranger)
            ]
            with self._spy("it.contract", "search_fetch") as searches:
                tasks = Task.with_context(it_service_request=True).create(vals_list)
                self.env.flush_all()
            return vals_list, tasks, searches.call_count

        _vals, _tasks, few = create(1)
        vals_list, tasks, many = create(6)
        self.assertEqual(many, few, "the contracts are searched once a batch, not once a request")
        served = {(task.partner_id, task.it_reported_date): task.it_contract_id for task in tasks}
        self.assertEqual(served[self.client, moments[1]], self.flat)
        self.assertFalse(served[self.client, moments[0]], "reported before the contract began: ad-hoc")
        self.assertFalse(served[stranger, moments[1]])
        for vals, task in list(zip(vals_list, tasks, strict=True))[:4]:
            alone = Task.with_context(it_service_request=True).create(dict(vals))
            self.assertEqual(
                [task[name] for name in (*SLA_FIELDS, "it_site_id", "it_adhoc_reason")],
                [alone[name] for name in (*SLA_FIELDS, "it_site_id", "it_adhoc_reason")],
            )

    def test_a_batch_across_companies_keeps_each_request_to_its_company(self):
        """The client has a running flat contract in this company only: in one batch, its request made in another
        company of the firm is served ad-hoc there, the one made here under the contract."""
        other = self.env["res.company"].create({"name": "Other MSP", "country_id": self.env.ref("base.pl").id})
        Task = self.env["project.task"].with_context(
            it_service_request=True, allowed_company_ids=(self.company | other).ids)
        here, there = Task.create([
            {"name": "Here", "partner_id": self.client.id, "company_id": self.company.id,
             "it_reported_date": self.moments[0]},
            {"name": "There", "partner_id": self.client.id, "company_id": other.id,
             "it_reported_date": self.moments[0]},
        ])
        self.assertEqual(here.it_contract_id, self.flat)
        self.assertEqual(here.project_id, self.flat.project_id)
        self.assertFalse(there.it_contract_id)
        self.assertEqual(there.company_id, other)
        self.assertEqual(there.project_id.company_id, other, "the other company's service desk")
        self.assertEqual(there.it_adhoc_reason, "The client has no running contract.")
        self.assertFalse(there.sla_response_deadline)
