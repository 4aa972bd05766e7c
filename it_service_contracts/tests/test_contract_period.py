from datetime import date

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from .timesheet_common import ItTimesheetCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-01-20")
class TestContractPeriod(ItTimesheetCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flat = cls._active_contract("monthly_flat", monthly_hours=20.0)

    def test_activation_opens_the_current_month(self):
        self.assertEqual(len(self.flat.period_ids), 1)
        period = self.flat.current_period_id
        self.assertEqual((period.date_start, period.date_end), (date(2026, 1, 1), date(2026, 1, 31)))
        self.assertEqual((period.hours_included, period.hours_used, period.hours_overage), (20.0, 0.0, 0.0))
        self.assertEqual(period.display_name, f"{self.flat.name} 2026-01")
        self.assertTrue(period.is_current)
        # among this company's months (the demo's flat contract runs this month too)
        self.assertEqual(self.env["it.contract.period"].search([
            ("is_current", "=", True), ("company_id", "=", self.company.id),
        ]), period)

    def test_cron_opens_each_month_once(self):
        with freeze_time("2026-02-01"):
            self._trigger_cron("it_service_contracts.ir_cron_it_contract_periods")
            self._trigger_cron("it_service_contracts.ir_cron_it_contract_periods")
            self.assertEqual(self.flat.period_ids.mapped("date_start"), [date(2026, 2, 1), date(2026, 1, 1)])
            self.assertEqual(self.flat.current_period_id.date_start, date(2026, 2, 1))
            self.assertEqual(self.client.it_month_hours_included, 20.0)

    def test_cron_skips_contracts_that_do_not_run(self):
        draft = self._create_contract(
            "monthly_flat", partner_id=self.other_client.id, audit_id=False, site_ids=[(5, 0, 0)],
        )
        self.flat.action_close()
        with freeze_time("2026-02-01"):
            self._trigger_cron("it_service_contracts.ir_cron_it_contract_periods")
        self.assertFalse(draft.period_ids)
        self.assertEqual(len(self.flat.period_ids), 1)

    def test_one_period_per_month(self):
        vals = {"contract_id": self.flat.id, "date_start": "2026-01-01", "date_end": "2026-01-31"}
        with self.assertRefusedWith(UserError, "are kept by the contract and its timesheets"):
            self.env["it.contract.period"].create(vals)
        with mute_logger("odoo.sql_db"), self.assertRefusedWith(Exception, "one period per month|contract_month_uniq"):
            self.env["it.contract.period"]._it_addon_create([vals])
        # creating on demand twice is harmless
        Period = self.env["it.contract.period"]
        Period._it_ensure_periods({(self.flat.id, date(2026, 1, 1))})
        self.assertEqual(Period.search_count([("contract_id", "=", self.flat.id)]), 1)

    def test_current_month_on_contract_and_client(self):
        request = self._request(self.flat)
        self._log(request, 15.0, date="2026-01-10")
        self._log(request, 7.0, date="2026-01-19")
        self.assertEqual(self.flat.current_hours_used, 20.0)
        self.assertEqual(self.flat.current_hours_remaining, 0.0)
        self.assertEqual(self.flat.current_hours_overage, 2.0)
        self.assertEqual(
            (self.client.it_month_hours_included, self.client.it_month_hours_used,
             self.client.it_month_hours_left, self.client.it_month_hours_overage),
            (20.0, 20.0, 0.0, 2.0),
        )
        self.assertEqual(self.site_a.it_month_hours_used, 20.0, "the client's addresses show the client's month")
        self.assertEqual(self.flat.current_period_id.timesheet_ids.mapped("it_billing_type").count("included"), 2)

    def test_deleting_overage_and_included_time(self):
        request = self._request(self.flat)
        line = self._log(request, 22.0)
        lines = request.timesheet_ids
        self.assertEqual(sorted(lines.mapped("it_billing_type")), ["included", "overage"])
        self.assertEqual(line.it_billing_type, "included")
        period = self.flat.current_period_id
        lines.filtered(lambda t: t.it_billing_type == "overage").unlink()
        self.assertEqual((period.hours_used, period.hours_overage), (20.0, 0.0))
        line.unlink()
        self.assertEqual((period.hours_used, period.hours_overage), (0.0, 0.0))

    def test_mid_month_start_and_line_before_start(self):
        flat = self._active_contract(
            "monthly_flat", partner_id=self.other_client.id, audit_id=self._other_audit().id,
            date_start="2026-01-15", site_ids=[(5, 0, 0)],
        )
        request = self._request(flat, partner=self.other_client)
        line = self._log(request, 2.0, date="2026-01-15")
        self.assertEqual(line.it_period_id.date_start, date(2026, 1, 1))
        with self.assertRefusedWith(Exception, "before contract"):
            self._log(request, 2.0, date="2026-01-14")
        self.assertEqual(line.it_period_id.hours_used, 2.0)

    def _other_audit(self):
        audit = self.env["it.audit"].create({
            "partner_id": self.other_client.id, "company_id": self.company.id,
            "asset_ids": [(0, 0, {"category_id": self.workstation_category.id})],
        })
        audit.action_done()
        return audit
