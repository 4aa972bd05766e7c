from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, tagged

from .timesheet_common import ItTimesheetCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-01-20")
class TestTimesheetClassification(ItTimesheetCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.package = cls._active_contract(hours_total=10.0)
        cls.request = cls._request(cls.package)

    def test_package_hours_are_drawn(self):
        line = self._log(self.request, 2.5)
        self.assertBilled(line, [("package", 2.5, self.package)])
        self.assertEqual(self.package.hours_used, 2.5)
        self.assertEqual(self.package.hours_remaining, 7.5)

    def test_timesheet_analysis_shows_the_billing(self):
        line = self._log(self.request, 1.2)
        self.env.flush_all()
        report = self.env["timesheets.analysis.report"].search([("it_billing_type", "=", "package"),
                                                                 ("it_contract_id", "=", self.package.id)])
        self.assertEqual(report.mapped("id"), line.ids)
        self.assertEqual(report.it_billable_hours, 1.2)

    def test_line_crossing_the_end_of_the_package_is_split(self):
        self._log(self.request, 8.0)
        line = self._log(self.request, 3.0, name="Server migration")
        lines = self.request.timesheet_ids.filtered(lambda t: t.name == "Server migration")
        self.assertEqual(len(lines), 2, "the line is split where the package runs out")
        self.assertIn(line, lines)
        self.assertBilled(lines, [("package", 2.0, self.package), ("adhoc", 1.0, self.package)])
        self.assertEqual(line.unit_amount, 2.0)
        self.assertAlmostEqual(sum(lines.mapped("unit_amount")), 3.0)
        self.assertEqual(self.package.hours_used, 10.0)
        self.assertEqual(self.package.hours_remaining, 0.0)
        # used up: the next line is not drawn from the package at all
        after = self._log(self.request, 1.0)
        self.assertBilled(after, [("adhoc", 1.0, self.package)])
        self.assertEqual(self.package.hours_used, 10.0)

    def test_package_expiring_first_is_used_first(self):
        later = self._active_contract(hours_total=10.0, date_start="2026-01-10")  # ends 2026-07-09
        line = self._log(self.request, 11.0)
        lines = self.request.timesheet_ids
        self.assertBilled(lines, [("package", 10.0, self.package), ("package", 1.0, later)])
        self.assertEqual(line.it_contract_id, self.package)
        self.assertEqual((self.package.hours_used, later.hours_used), (10.0, 1.0))

    def test_flat_included_then_package_then_overage(self):
        flat = self._active_contract("monthly_flat", monthly_hours=4.0)
        request = self._request(flat)
        self._log(request, 3.0)
        self._log(request, 13.0, date="2026-01-16")
        lines = request.timesheet_ids
        self.assertBilled(lines, [
            ("included", 3.0, flat),
            ("included", 1.0, flat),
            ("package", 10.0, self.package),
            ("overage", 2.0, flat),
        ])
        period = flat.period_ids.filtered(lambda p: str(p.date_start) == "2026-01-01")
        self.assertEqual((period.hours_included, period.hours_used, period.hours_overage), (4.0, 4.0, 2.0))
        self.assertEqual(self.package.hours_remaining, 0.0)
        self.assertEqual(set(lines.filtered(lambda t: t.it_billing_type != "package").it_period_id.ids), {period.id})
        self.assertAlmostEqual(sum(lines.mapped("unit_amount")), 16.0)

    def test_changing_the_request_reclassifies_its_uninvoiced_time(self):
        """Time logged remotely on a package request that turns out to be on-site work at a place the package
        does not cover becomes ad-hoc; moved back, it draws on the package again."""
        self.package.write({"remote_service": True, "site_ids": [(6, 0, self.site_a.ids)]})
        request = self._request(self.package)
        line = self._log(request, 3.0)
        self.assertBilled(line, [("package", 3.0, self.package)])
        request.write({"it_contract_id": False, "it_site_id": self.site_b.id})
        self.assertBilled(line, [("adhoc", 3.0, self.env["it.contract"])])
        self.assertEqual(self.package.hours_used, 0.0)
        request.write({"it_site_id": False, "it_contract_id": self.package.id})
        self.assertBilled(line, [("package", 3.0, self.package)])
        self.assertEqual(self.package.hours_used, 3.0)

    def test_month_boundary(self):
        flat = self._active_contract("monthly_flat", monthly_hours=2.0)
        request = self._request(flat, service=self.service_servers)
        self.package.service_product_ids = self.service_support  # the package does not cover server work
        last_day = self._log(request, 2.0, date="2026-01-31")
        first_day = self._log(request, 2.0, date="2026-02-01")
        self.assertBilled(last_day | first_day, [("included", 2.0, flat), ("included", 2.0, flat)])
        self.assertNotEqual(last_day.it_period_id, first_day.it_period_id)
        self.assertEqual(str(last_day.it_period_id.date_start), "2026-01-01")
        self.assertEqual(str(last_day.it_period_id.date_end), "2026-01-31")
        self.assertEqual(str(first_day.it_period_id.date_start), "2026-02-01")
        over = self._log(request, 0.5, date="2026-01-31")
        self.assertBilled(over, [("overage", 0.5, flat)])
        self.assertEqual(last_day.it_period_id.hours_overage, 0.5)
        self.assertEqual(first_day.it_period_id.hours_overage, 0.0)
        self.assertEqual(self.package.hours_used, 0.0, "the package does not cover server work")

    def test_adhoc_client_without_contract(self):
        request = self._request(partner=self.other_client)
        self.assertTrue(request.it_is_adhoc)
        line = self._log(request, 1.5)
        self.assertBilled(line, [("adhoc", 1.5, self.env["it.contract"])])

    def test_out_of_scope_and_out_of_place_work_is_adhoc(self):
        outside_scope = self._request(service=self.service_other)
        self.assertFalse(outside_scope.it_contract_id)
        line = self._log(outside_scope, 1.0)
        self.assertBilled(line, [("adhoc", 1.0, self.env["it.contract"])])
        self.package.write({"remote_service": False, "site_ids": [(6, 0, self.site_a.ids)]})
        remote = self._request()
        on_site = self._request(self.package, site=self.site_a)
        self.assertEqual(self._log(remote, 1.0).it_billing_type, "adhoc")
        self.assertEqual(self._log(on_site, 1.0).it_billing_type, "package")
        # the request keeps a contract that no longer covers its place: the time is still ad-hoc
        self.package.write({"site_ids": [(6, 0, self.site_b.ids)]})
        self.assertEqual(self._log(on_site, 1.0).it_billing_type, "adhoc")
        self.assertEqual(self.package.hours_used, 1.0)

    def test_time_on_expired_or_closed_contract_is_adhoc(self):
        expired = self._active_contract(date_start="2025-06-01", validity_months=6)  # ended 2025-11-30
        old_request = self._request(expired)
        self.package.action_close()
        line = self._log(self.request, 1.0)
        self.assertBilled(line, [("adhoc", 1.0, self.package)])
        self.assertEqual(self.package.hours_used, 0.0)
        expired._expire()
        line = self._log(old_request, 1.0, date="2026-01-19")
        self.assertBilled(line, [("adhoc", 1.0, expired)])
        self.assertEqual(expired.hours_used, 0.0)

    def test_rounding_increment_and_onsite_minimum(self):
        # as agreed before it started (a started contract's billing terms do not change)
        self.package._it_addon_write({"billing_increment": 0.25, "onsite_minimum_hours": 1.0})
        remote = self._log(self.request, 10 / 60)  # 10 minutes
        self.assertEqual(remote.unit_amount, 10 / 60, "the time worked is kept as logged")
        self.assertEqual(remote.it_billable_hours, 0.25)
        exact = self._log(self.request, 0.5)
        self.assertEqual(exact.it_billable_hours, 0.5)
        visit = self._log(self._request(self.package, site=self.site_a), 0.4)
        self.assertEqual(visit.it_billable_hours, 1.0, "an on-site visit bills at least the minimum")
        self.assertEqual(self.package.hours_used, 1.75, "only billable time reduces the package")

    def test_edit_moves_hours(self):
        line = self._log(self.request, 2.0)
        line.unit_amount = 3.0
        self.assertEqual(self.package.hours_used, 3.0)
        line.unit_amount = 1.0
        self.assertEqual(self.package.hours_used, 1.0)
        self.assertBilled(line, [("package", 1.0, self.package)])

    def test_edit_moving_line_to_another_contract(self):
        flat = self._active_contract(
            "monthly_flat", monthly_hours=5.0, service_product_ids=[(6, 0, self.service_support.ids)],
        )
        flat_request = self._request(flat)
        self.package.service_product_ids = self.service_servers  # the package no longer covers support
        package_request = self._request(self.package, service=self.service_servers)
        line = self._log(package_request, 2.0)
        self.assertBilled(line, [("package", 2.0, self.package)])
        period = line.it_period_id
        self.assertFalse(period)
        line.task_id = flat_request
        self.assertEqual(line.project_id, flat.project_id)
        self.assertBilled(line, [("included", 2.0, flat)])
        self.assertEqual(self.package.hours_used, 0.0)
        self.assertEqual(flat.current_hours_used, 2.0)
        line.task_id = package_request
        self.assertBilled(line, [("package", 2.0, self.package)])
        self.assertEqual(flat.current_hours_used, 0.0)
        self.assertEqual(self.package.hours_used, 2.0)

    def test_deleted_line_restores_hours(self):
        first = self._log(self.request, 6.0)
        second = self._log(self.request, 3.0)
        self.assertEqual(self.package.hours_remaining, 1.0)
        first.unlink()
        self.assertEqual(self.package.hours_used, 3.0)
        self.assertEqual(self.package.hours_remaining, 7.0)
        second.unlink()
        self.assertEqual(self.package.hours_used, 0.0)
        self.assertEqual(self.package.hours_remaining, 10.0)

    def test_time_rolled_back_in_a_savepoint_draws_nothing(self):
        """An import row or a cron record that fails is rolled back to its savepoint while the transaction goes
        on: what its line drew must not count, neither in the package nor for the next line of the transaction
        (its draw was recorded on a connection of its own, which no savepoint rolls back)."""
        with self.assertRaises(ValueError), self.env.cr.savepoint():
            self._log(self.request, 8.0, name="Failed import row")
            raise ValueError("the rest of the row is wrong")
        self.assertEqual(self.package.hours_used, 0.0)
        line = self._log(self.request, 3.0)
        self.assertBilled(line, [("package", 3.0, self.package)])
        self.assertEqual((self.package.hours_used, self.package.hours_remaining), (3.0, 7.0))
        # and a give-back rolled back the same way gives nothing back
        with self.assertRaises(ValueError), self.env.cr.savepoint():
            line.unlink()
            raise ValueError("undo")
        last = self._log(self.request, 8.0, name="Last hours")
        self.assertBilled(self.request.timesheet_ids.filtered(lambda t: t.name == "Last hours"),
                          [("package", 7.0, self.package), ("adhoc", 1.0, self.package)])
        self.assertEqual(last.unit_amount, 7.0)

    def test_non_billable_time_reduces_nothing(self):
        line = self._log(self.request, 2.0)
        line._it_reclassify("non_billable", "Warranty repair caused by our own mistake")
        self.assertBilled(line, [("non_billable", 0.0, self.package)])
        self.assertEqual(self.package.hours_used, 0.0)
        message = self.request.message_ids[:1]
        self.assertIn("Warranty repair caused by our own mistake", message.body)
        self.assertIn("Non-billable", message.body)
        # editing keeps the manager's decision
        line.unit_amount = 3.0
        self.assertBilled(line, [("non_billable", 0.0, self.package)])
        line._it_reclassify("auto", "Billable after all")
        self.assertBilled(line, [("package", 3.0, self.package)])
        self.assertEqual(self.package.hours_used, 3.0)

    def test_reclassification_wizard(self):
        lines = self._log(self.request, 1.0) | self._log(self.request, 2.0)
        wizard = self.env["it.timesheet.reclassify"].with_context(
            active_model="account.analytic.line", active_ids=lines.ids,
        ).create({"billing_mode": "adhoc", "reason": "Work outside the agreed scope"})
        self.assertEqual(wizard.timesheet_ids, lines)
        wizard.action_apply()
        self.assertEqual(set(lines.mapped("it_billing_type")), {"adhoc"})
        self.assertEqual(self.package.hours_used, 0.0)

    def test_reclassification_needs_a_reason_and_a_manager(self):
        line = self._log(self.request, 2.0)
        with self.assertRefusedWith(UserError, "reason"):
            line._it_reclassify("non_billable", "  ")
        self.assertBilled(line, [("package", 2.0, self.package)])
        technician_user = self.env["res.users"].create({
            "name": "Tech User", "login": "tech_user_ts", "company_id": self.company.id,
            "company_ids": [(6, 0, self.company.ids)],
            "group_ids": [(6, 0, self.env.ref("it_service_contracts.group_it_technician").ids)],
        })
        with self.assertRaises(AccessError):
            line.with_user(technician_user)._it_reclassify("non_billable", "I think so")
        with self.assertRefusedWith(UserError, "decided by the contract rules"):
            line.write({"it_billing_type": "non_billable"})
        with self.assertRefusedWith(UserError, "decided by the contract rules"):
            self._log(self.request, 1.0, it_billing_type="non_billable")
        self.assertBilled(line, [("package", 2.0, self.package)])
        self.assertEqual(self.package.hours_used, 2.0)

    def test_bad_input_is_refused_and_nothing_saved(self):
        count = self.env["account.analytic.line"].search_count([])
        for hours in (0.0, -1.0):
            with self.assertRefusedWith(ValidationError, "must be positive"):
                self._log(self.request, hours)
        with self.assertRefusedWith(ValidationError, "before contract"):
            self._log(self.request, 1.0, date="2025-12-31")
        for hours, message in (
            (24.25, "At most 24:00 can be logged in one line"), (1e300, "At most 24:00"),
            (float("inf"), "must be a number of hours"), (float("nan"), "must be a number of hours"),
        ):
            with self.subTest(hours=hours), self.assertRefusedWith(ValidationError, message):
                self._log(self.request, hours)
        self.assertEqual(self.env["account.analytic.line"].search_count([]), count)
        self.assertEqual(self.package.hours_used, 0.0)
        line = self._log(self.request, 1.0)
        with self.assertRefusedWith(ValidationError, "must be positive"):
            line.unit_amount = 0.0
        with self.assertRefusedWith(ValidationError, "At most 24:00"):
            line.unit_amount = 30
        with self.assertRefusedWith(ValidationError, "must be a number of hours"):
            line.unit_amount = float("nan")
        self._log(self.request, 24.0)  # a whole day is fine (split where the package runs out)
        (self.request.timesheet_ids - line).unlink()
        self.assertEqual(line.unit_amount, 1.0)
        self.assertEqual(self.package.hours_used, 1.0)

    def test_invoiced_time_is_locked(self):
        line = self._log(self.request, 2.0)
        journal = self.env["account.journal"].create({
            "name": "IT Sales", "code": "ITS", "type": "sale", "company_id": self.company.id,
        })
        invoice, other_invoice = self.env["account.move"].create([{
            "move_type": "out_invoice", "partner_id": self.client.id, "company_id": self.company.id,
            "journal_id": journal.id,
        }] * 2)
        with self.assertRefusedWith(UserError, "invoice link by invoicing"):
            line.it_invoice_id = invoice
        self.assertFalse(line.it_invoice_id)
        line._it_set_invoice(invoice)
        self.assertEqual(line.it_invoice_id, invoice)
        self.assertTrue(line.readonly_timesheet)
        with self.assertRefusedWith(UserError, "already invoiced on"):
            line._it_set_invoice(other_invoice)
        with self.assertRefusedWith(UserError, "invoice link by invoicing"):
            line.it_invoice_id = False
        with self.assertRefusedWith(UserError, "cancel the invoice or credit it in full"):
            line._it_free_from_invoice()
        with self.assertRefusedWith(UserError, "invoiced on"):
            line.unit_amount = 3.0
        with self.assertRefusedWith(UserError, "invoiced on"):
            line.name = "Changed"
        with self.assertRefusedWith(UserError, "invoiced on"):
            line.unlink()
        with self.assertRefusedWith(UserError, "invoiced on"):
            line._it_reclassify("non_billable", "Goodwill")
        self.assertEqual(self.package.hours_used, 2.0)
        self.assertEqual(line.it_invoice_id, invoice)
        invoice.button_cancel()
        line._it_free_from_invoice()
        self.assertFalse(line.it_invoice_id)
        line.unit_amount = 1.0
        self.assertEqual(self.package.hours_used, 1.0)
        line._it_set_invoice(other_invoice)
        self.assertEqual(line.it_invoice_id, other_invoice)

    def test_plain_timesheets_are_untouched(self):
        line = self._log(self.plain_task, 0.0)
        self.assertFalse(line.it_billing_type)
        self.assertFalse(line.it_contract_id)
        line.unit_amount = 2.0
        self.assertFalse(line.it_billing_type)
        project_only = self.env["account.analytic.line"].create({
            "name": "Meeting", "project_id": self.plain_project.id, "employee_id": self.technician.id,
            "unit_amount": 1.0,
        })
        self.assertFalse(project_only.it_billing_type)

    def test_a_line_on_a_request_costs_one_query_more_than_on_a_plain_task(self):
        """The classification reads its contracts, their months and the draw's mark in one statement; the draw
        itself runs on its own connection."""
        def queries(task):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            self._log(task, 0.5)
            return self.cr.sql_log_count - before

        queries(self.plain_task)
        queries(self.request)
        plain, package = queries(self.plain_task), queries(self.request)
        self.assertLessEqual(package, plain + 1)
        self.assertEqual(self.package.hours_used, 1.0)
        # the client's flat contract comes first: its month is opened by the first line
        flat = self._active_contract("monthly_flat", monthly_hours=8.0)
        flat_request = self._request(flat)
        queries(flat_request)
        self.assertLessEqual(queries(flat_request), plain + 1)
        self.assertEqual(flat.current_hours_used, 1.0)
        self.assertEqual(self.package.hours_used, 1.0)

    def test_request_shows_hours_left(self):
        flat = self._active_contract("monthly_flat", monthly_hours=8.0)
        request = self._request(flat)
        self.assertEqual(request.it_month_hours_included, 8.0)
        self.assertEqual(request.it_month_hours_left, 8.0)
        self.assertEqual(request.it_package_hours_left, 10.0)
        self._log(request, 9.0)
        request.invalidate_recordset()
        self.assertEqual(request.it_month_hours_left, 0.0)
        self.assertEqual(request.it_package_hours_left, 9.0)
        self.assertEqual(self.client.it_month_hours_used, 8.0)
        self.assertEqual(self.client.it_month_hours_left, 0.0)
        self.assertFalse(self.plain_task.it_has_entitlement)
