from odoo.tests import freeze_time, tagged

from .audit_common import ItAuditCommon
from .timesheet_common import ItTimesheetCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-07-20")
class TestRenewalAdvice(ItTimesheetCommon, ItAuditCommon):
    """Before renewal, the audit's comparison runs on the hours the client really used (rates 200 / 160 / 130)."""

    def _package_used(self, hours_a_month, months=7):
        package = self._active_contract(validity_months=12, hours_total=400.0)
        request = self._request(package)
        for month in range(1, months + 1):  # a line is a day's work at most
            for day in range(int(hours_a_month // 12)):
                self._log(request, 12.0, date=f"2026-{month:02d}-{day + 1:02d}")
            if hours_a_month % 12:
                self._log(request, hours_a_month % 12, date=f"2026-{month:02d}-15")
        return package

    def test_heavy_use_suggests_a_flat_fee(self):
        # 36 h a month: the best package (36 h for a month) costs 5,760, a flat fee 36 x 130 = 4,680
        package = self._package_used(36.0)
        self.assertAlmostEqual(package.renewal_actual_monthly_hours, 36.0)
        self.assertEqual(package.renewal_recommended_type, "monthly_flat")
        self.assertIn("36:00 hours a month", package.renewal_advice)
        self.assertIn("$\xa05,760.00", package.renewal_advice)
        self.assertIn("Suggestion: renew as Flat Monthly Fee, about $\xa04,680.00 a month.", package.renewal_advice)

    def test_no_suggestion_when_the_form_fits(self):
        # 14 h a month: a package of 28 h over 2 months (2,240 a month) beats the flat minimum of 2,500
        package = self._package_used(14.0)
        self.assertEqual(package.renewal_recommended_type, "hour_package")
        self.assertNotIn("Suggestion", package.renewal_advice)

    def test_non_billable_time_and_drafts_give_no_advice(self):
        package = self._package_used(36.0)
        package.timesheet_ids.with_user(self.manager)._it_reclassify("non_billable", "Warranty work")
        self.assertAlmostEqual(package.renewal_actual_monthly_hours, 0.0)
        draft = self._create_contract("monthly_flat")
        self.assertFalse(draft.renewal_advice)
