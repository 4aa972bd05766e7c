from bisect import bisect_left, bisect_right
from collections import defaultdict
from datetime import UTC, timedelta
from itertools import accumulate

from odoo import api, models

# how far after the latest start a batch's working time is worked out: Odoo plans hours two weeks at a time
PLAN_WINDOW = timedelta(days=14)


class ItServiceCalendar(models.AbstractModel):
    """Working time on a contract's service calendar, public holidays of the company off (design rule 5): the
    arithmetic of the SLA clock and of the maintenance visits.

    The batched methods work the calendar's intervals out once for many moments (a batch of alerts, of visits,
    of open requests whose terms changed), where Odoo's ``plan_hours`` and ``get_work_hours_count`` read the
    attendances and the leaves again for every moment.
    """

    _name = "it.service.calendar"
    _description = "Service Calendar Working Time"

    @api.model
    def _it_leave_domain(self, company):
        return [("time_type", "=", "leave"), ("company_id", "in", company.ids)]

    @api.model
    def _it_work_hours(self, calendar, start, end, company):
        """Working hours of ``calendar`` between two naive UTC datetimes, public holidays of ``company`` off."""
        return calendar.sudo().get_work_hours_count(
            start, end, compute_leaves=True, domain=self._it_leave_domain(company),
        )

    @api.model
    def _it_plan_hours(self, calendar, start, hours, company):
        """The moment (naive UTC, to the second) at which ``hours`` working hours counted from ``start`` (naive
        UTC) are used up on ``calendar`` with ``company``'s public holidays off; False when it cannot be planned.

        An amount that ends exactly where a working interval ends is due at that end, not at the start of the
        next interval: the budget is planned a hair short (3.6 µs), which the rounding to the second takes back.
        """
        moment = calendar.sudo().plan_hours(
            hours - 1e-9, start, compute_leaves=True, domain=self._it_leave_domain(company),
        )
        return moment and self._it_to_the_second(moment)

    @api.model
    def _it_to_the_second(self, moment):
        return (moment + timedelta(microseconds=500000)).replace(microsecond=0)

    @api.model
    def _it_worked_spans(self, calendar, company, first, last):
        """The working intervals between two naive UTC datetimes as ``(begins, ends, hours_before)``: sorted
        naive UTC bounds, and the working hours before each interval (one more item: the total)."""
        intervals = calendar.sudo()._work_intervals_batch(
            first.replace(tzinfo=UTC), last.replace(tzinfo=UTC), domain=self._it_leave_domain(company),
        )[False]
        # Odoo's intervals are sorted and do not overlap
        spans = [
            (begin.astimezone(UTC).replace(tzinfo=None), stop.astimezone(UTC).replace(tzinfo=None))
            for begin, stop, _meta in intervals if stop > begin
        ]
        begins, ends = [begin for begin, _stop in spans], [stop for _begin, stop in spans]
        hours_before = list(accumulate(
            ((stop - begin).total_seconds() / 3600 for begin, stop in spans), initial=0.0,
        ))
        return begins, ends, hours_before

    @api.model
    def _it_by_month(self, moments):
        """The moments grouped by month: a batch's working time is worked out over a month at most at a time."""
        groups = defaultdict(list)
        for moment in moments:
            groups[moment.year, moment.month].append(moment)
        return groups.values()

    @api.model
    def _it_in_service_hours(self, calendar, company, moments):
        """The ones of ``moments`` (naive UTC) at which the service works: some of the minute that starts there
        is working time (what ``_it_work_hours`` over that minute would say)."""
        minute = timedelta(minutes=1)
        if calendar.flexible_hours:  # no working intervals to walk, see _it_plan_hours_batch
            return {moment for moment in moments if self._it_work_hours(calendar, moment, moment + minute, company)}
        inside = set()
        for group in self._it_by_month(moments):
            begins, ends, _hours = self._it_worked_spans(calendar, company, min(group), max(group) + minute)
            for moment in group:
                index = bisect_right(ends, moment)  # the first interval that ends after the moment
                if index < len(begins) and begins[index] < moment + minute:
                    inside.add(moment)
        return inside

    @api.model
    def _it_plan_hours_batch(self, calendar, company, demands):
        """``{(start, hours): moment}``: ``_it_plan_hours`` of each ``(start, hours)`` of ``demands``, the
        working time worked out once a month of starts; what the two weeks after the month's last start do not
        reach (a long time on hold, a calendar of few hours) is planned by Odoo's ``plan_hours`` alone."""
        demands = set(demands)
        planned = {}
        by_start = defaultdict(list)
        for start, hours in demands:
            by_start[start].append(hours)
        # a calendar of flexible hours has no working intervals to walk: Odoo plans on it its own way, alone
        for starts in self._it_by_month(by_start) if not calendar.flexible_hours else ():
            begins, ends, hours_before = self._it_worked_spans(
                calendar, company, min(starts), max(starts) + PLAN_WINDOW,
            )
            for start in starts:
                first = bisect_right(ends, start)  # the first interval that ends after the start
                if first == len(begins):
                    continue
                worked = hours_before[first] + max((start - begins[first]).total_seconds(), 0) / 3600
                for hours in by_start[start]:
                    if hours <= 0:
                        continue
                    goal = worked + hours - 1e-9  # a hair short, as _it_plan_hours
                    index = bisect_left(hours_before, goal, lo=first + 1) - 1  # the interval where it is used up
                    if index < len(begins):
                        moment = begins[index] + timedelta(hours=goal - hours_before[index])
                        planned[start, hours] = self._it_to_the_second(moment)
        for start, hours in demands - planned.keys():
            planned[start, hours] = self._it_plan_hours(calendar, start, hours, company)
        return planned
