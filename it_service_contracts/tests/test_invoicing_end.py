from datetime import date

from odoo.tests import freeze_time, tagged

from .invoicing_common import ItInvoicingCommon


@tagged("post_install", "-at_install")
class TestInvoicingAfterTheEnd(ItInvoicingCommon):
    """What a flat contract earned up to its end is billed after it: the month it was closed in, its last overage,
    and time logged or corrected late (design rule 10)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.overage = cls.env.ref("it_service_contracts.product_it_overage")

    def test_closing_in_arrears_bills_the_month_up_to_the_closing_day(self):
        with freeze_time("2026-10-10"):
            contract = self._flat(invoice_timing="arrears", invoice_day=5)
            request = self._request(contract)
        with freeze_time("2026-11-05"):
            self._run_invoicing()
        with freeze_time("2026-11-18"):
            self._log(request, 12.0, date="2026-11-10")
        with freeze_time("2026-11-20"):
            self._as(self.manager, contract).action_close()
            self.assertEqual((contract.state, contract.date_end), ("closed", date(2026, 11, 20)))
            # time worked before the close and logged after it is the contract's, not ad-hoc work
            late = self._log(request, 1.0, date="2026-11-19")
            self.assertBilled(late, [("overage", 1.0, contract)])
            after = self._log(request, 1.0, date="2026-11-20")
            self.assertBilled(after, [("overage", 1.0, contract)])
        with freeze_time("2026-11-21"):
            next_day = self._log(request, 1.0, date="2026-11-21")
            self.assertBilled(next_day, [("adhoc", 1.0, contract)])
        with freeze_time("2026-12-05"):
            self._run_invoicing()
        november = contract.invoice_ids.filtered(lambda move: move.it_period_id.date_start == date(2026, 11, 1))
        self.assertInvoiceLines(november, [
            (contract.fee_product_id, 1.0, 1333.33),  # 20 of 30 days
            (self.overage, 4.0, 130.0),
        ])
        self.assertIn("20 of 30 days", november.invoice_line_ids[0].name)
        with freeze_time("2027-01-05"):
            self._run_invoicing()
        self.assertEqual(len(contract.invoice_ids), 2, "October and November, nothing after the end")

    def test_the_last_overage_of_a_contract_billed_in_advance_is_invoiced_after_its_end(self):
        with freeze_time("2026-10-01"):
            contract = self._flat()
            request = self._request(contract)
            self._run_invoicing()
        october = contract.invoice_ids
        with freeze_time("2026-10-20"):
            self._log(request, 12.0, date="2026-10-10")
        with freeze_time("2026-10-25"):
            self._as(self.manager, contract).action_close()
        with freeze_time("2026-11-01"):
            # the accountant's list shows it and invoices it at once
            settlement = self._invoice_due()
        self.assertEqual(len(settlement), 1)
        self.assertInvoiceLines(settlement, [(self.overage, 2.0, 130.0)])
        self.assertEqual((settlement.it_contract_id, settlement.it_invoice_kind), (contract, "flat"))
        self.assertFalse(settlement.it_period_id)
        self.assertEqual(settlement.invoice_line_ids.it_period_id.date_start, date(2026, 10, 1))
        lines, periods = settlement._it_statement_lines()
        self.assertEqual(periods.mapped("date_start"), [date(2026, 10, 1)])
        self.assertEqual(sum(lines.mapped("it_billable_hours")), 12.0)
        with freeze_time("2026-11-20"):
            self._run_invoicing()
            self.assertFalse(self._invoice_due(), "billed once")
            # time of October corrected late: one more invoice bills it
            late = self._log(request, 0.5, date="2026-10-24")
            self.assertBilled(late, [("overage", 0.5, contract)])
        with freeze_time("2026-12-02"):
            self._run_invoicing()
            self._run_invoicing()
        self.assertEqual(len(contract.invoice_ids), 3)
        last = contract.invoice_ids - october - settlement
        self.assertInvoiceLines(last, [(self.overage, 0.5, 130.0)])
        self.assertEqual(late.it_invoice_id, last)

    def test_a_fixed_term_contract_expired_by_the_scheduler_bills_its_last_overage(self):
        with freeze_time("2026-10-01"):
            contract = self._flat(date_end="2026-11-30")
            request = self._request(contract)
            self._run_invoicing()
        with freeze_time("2026-11-01"):
            self._run_invoicing()
        with freeze_time("2026-11-25"):
            self._log(request, 10.5, date="2026-11-24")
        with freeze_time("2026-12-01"):
            self._trigger_cron("it_service_contracts.ir_cron_it_contract_states")
            self.assertEqual(contract.state, "expired")
            self._run_invoicing()
        self.assertEqual(len(contract.invoice_ids), 3)
        self.assertInvoiceLines(contract.invoice_ids.sorted("id")[-1], [(self.overage, 0.5, 130.0)])


@tagged("post_install", "-at_install")
class TestAdhocTimeOfContractRequests(ItInvoicingCommon):
    """Time on a request under a contract that the contract does not pay for is billed as ad-hoc work when the
    request is completed: beyond a used-up package, reclassified by a manager, after the contract ended."""

    def test_time_beyond_a_used_up_package_is_billed_when_the_request_is_completed(self):
        with freeze_time("2026-11-02"):
            package = self._active_contract(hours_total=2.0, date_start="2026-11-01")
            request = self._request(package, name="Server migration")
            covered = self._request(package, name="Printer")
            self._log(request, 3.0, date="2026-11-02")
            lines = self.env["account.analytic.line"].search([("task_id", "=", request.id)])
            self.assertBilled(lines, [("package", 2.0, package), ("adhoc", 1.0, package)])
            self._as(self.tech_user, covered).state = "1_done"
            self.assertFalse(covered.it_invoice_ids, "what the package paid for is not billed again")
            self._as(self.tech_user, request).state = "1_done"
        invoice = request.it_invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertInvoiceLines(invoice, [(self.service_support, 1.0, 200.0)])
        self.assertEqual(invoice.it_invoice_kind, "adhoc")
        self.assertEqual(lines.filtered(lambda line: line.it_billing_type == "adhoc").it_invoice_id, invoice)
        with freeze_time("2026-11-03"):
            self._run_invoicing()
        self.assertEqual(request.it_invoice_ids, invoice, "billed once")

    def test_time_reclassified_as_adhoc_after_completion_is_billed_by_the_next_run(self):
        with freeze_time("2026-11-02"):
            flat = self._flat(date_start="2026-11-01")
            request = self._request(flat, name="New office wiring")
            line = self._log(request, 2.0, date="2026-11-02")
            self._as(self.tech_user, request).state = "1_done"
            self.assertFalse(request.it_invoice_ids)
            self._as(self.manager, line)._it_reclassify("adhoc", "Outside the agreed scope")
        with freeze_time("2026-11-03"):
            self._run_invoicing()
        self.assertInvoiceLines(request.it_invoice_ids, [(self.service_support, 2.0, 200.0)])
        self.assertEqual(line.it_invoice_id, request.it_invoice_ids)

    def test_time_logged_after_a_job_was_invoiced_and_reopened_is_billed_once(self):
        with freeze_time("2026-11-02"):
            request = self._request(name="Laptop repair")
            self.assertTrue(request.it_is_adhoc)
            self._log(request, 2.0, date="2026-11-02")
            self._as(self.tech_user, request).state = "1_done"
            first = request.it_invoice_ids
            self.assertInvoiceLines(first, [(self.service_support, 2.0, 200.0)])
            self._as(self.accountant, first).action_post()
            self._as(self.tech_user, request).state = "01_in_progress"
            more = self._log(request, 3.0, date="2026-11-02")
            self._as(self.tech_user, request).state = "1_done"
        further = request.it_invoice_ids - first
        self.assertEqual(len(further), 1)
        self.assertEqual(further.it_invoice_kind, "adhoc_more")
        self.assertInvoiceLines(further, [(self.service_support, 3.0, 200.0)])
        self.assertEqual(more.it_invoice_id, further)
        with freeze_time("2026-11-03"):
            self._run_invoicing()
        self.assertEqual(request.it_invoice_ids, first | further, "each hour billed once")

    def test_a_fixed_price_job_is_billed_once_however_often_it_is_reopened(self):
        with freeze_time("2026-11-02"):
            request = self._request(name="Network set-up")
            request.write({"it_price_agreement": "fixed", "it_fixed_price": 750.0})
            self._log(request, 5.0, date="2026-11-02")
            request.state = "1_done"
            request.state = "01_in_progress"
            self._log(request, 2.0, date="2026-11-02")
            request.state = "1_done"
        with freeze_time("2026-11-03"):
            self._run_invoicing()
        self.assertEqual(request.it_invoice_ids.mapped("amount_untaxed"), [750.0])


@tagged("post_install", "-at_install")
class TestInvoicingUnderTheTermsOfTheTime(ItInvoicingCommon):
    """What is billed late is billed under the terms of the time it was earned: a month made after an amendment,
    a credit for a month before one, a package credited after it ended."""

    def _amend_in_force(self, contract, effective_date, **terms):
        amendment = self.env["it.contract.amendment"].with_user(self.manager).with_context(
            allowed_company_ids=self.company.ids).create({
                "contract_id": contract.id, "effective_date": effective_date, "reason": "New terms", **terms,
            })
        amendment.action_confirm()
        return amendment

    def test_a_month_made_after_an_amendment_has_the_hours_of_its_time(self):
        with freeze_time("2026-10-20"):
            contract = self._flat(date_start="2026-08-01")  # activated late: August has no month yet
            self._amend_in_force(contract, "2026-10-01", monthly_hours=20.0)
            self.assertEqual(contract.monthly_hours, 20.0)
            request = self._request(contract)
            self._log(request, 12.0, date="2026-08-10")
            self._log(request, 12.0, date="2026-10-10")
            months = {period.date_start.month: period for period in contract.period_ids}
            self.assertEqual({month: period.hours_included for month, period in months.items()}, {8: 10.0, 10: 20.0})
            self.assertEqual((months[8].hours_used, months[8].hours_overage), (10.0, 2.0))
            self.assertEqual(months[10].hours_overage, 0.0)
            self._run_invoicing()
        overage = self.env.ref("it_service_contracts.product_it_overage")
        billed = contract.invoice_ids.invoice_line_ids.filtered(lambda line: line.product_id == overage)
        self.assertEqual([(line.quantity, line.price_unit) for line in billed], [(2.0, 130.0)])
        self.assertEqual(sorted(contract.invoice_ids.it_period_id.mapped("date_start")),
                         [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)])

    def test_a_service_credit_is_a_share_of_the_fee_of_the_month_breached(self):
        with freeze_time("2026-10-01"):
            contract = self._flat(service_credit_percent=10.0)
            late = self._request(contract, name="Server down")
            self._run_invoicing()
        late.flush_recordset()
        self.env.cr.execute(
            "UPDATE project_task SET sla_response_deadline = '2026-10-05 10:00', first_response_date = "
            "'2026-10-06 10:00' WHERE id = %s", [late.id])
        late.invalidate_recordset()
        with freeze_time("2026-10-28"):
            amendment = self._amend_in_force(contract, "2026-11-01", monthly_fee=5000.0)
            self.assertEqual(amendment.state, "confirmed")
        with freeze_time("2026-11-02"):
            # the invoicing runs before the amendments' scheduled action that day: November has the new fee
            invoice = self._invoice_due()
        self.assertEqual(amendment.state, "in_force")
        credit = self.env.ref("it_service_contracts.product_it_service_credit")
        self.assertInvoiceLines(invoice, [
            (contract.fee_product_id, 1.0, 5000.0),
            (credit, 1.0, -200.0),  # 10 % of October's 2,000.00, not of November's 5,000.00
        ])

    def test_a_package_credited_in_full_after_it_ended_is_invoiced_again(self):
        with freeze_time("2026-05-02"):
            package = self._create_contract(hours_total=10.0, date_start="2026-05-02", validity_months=3)
            self._as(self.manager, package).action_activate()
            invoice = self._as(self.accountant, package.invoice_ids)
            invoice.action_post()
        with freeze_time("2026-08-05"):
            self._trigger_cron("it_service_contracts.ir_cron_it_contract_states")
            self.assertEqual(package.state, "expired")
            wizard = self.env["account.move.reversal"].with_user(self.accountant).with_context(
                active_model="account.move", active_ids=invoice.ids, allowed_company_ids=self.company.ids,
            ).create({"reason": "Wrong price", "journal_id": invoice.journal_id.id})
            wizard.refund_moves()
            invoice.reversal_move_ids.action_post()
            self.assertTrue(invoice.it_released)
            self._run_invoicing()
            self._run_invoicing()
        again = package.invoice_ids - invoice
        self.assertEqual(len(again), 1)
        self.assertEqual((again.amount_untaxed, again.it_invoice_kind), (1600.0, "package"))

    def test_reverse_and_create_invoice_bills_the_month_once(self):
        """Odoo's "Reverse and Create Invoice" on a monthly invoice: the credit note cancels it, the new draft bills
        that month and its time instead, and no run bills the month again."""
        with freeze_time("2026-10-01"):
            contract = self._flat()
            request = self._request(contract)
            self._run_invoicing()
        with freeze_time("2026-10-20"):
            self._log(request, 12.0, date="2026-10-10")
        with freeze_time("2026-11-02"):
            self._run_invoicing()
            november = self._as(self.accountant, contract.invoice_ids.filtered(
                lambda move: move.it_period_id.date_start == date(2026, 11, 1)))
            november.action_post()
            time = self.env["account.analytic.line"].search([("it_invoice_id", "=", november.id)])
            self.assertEqual(sum(time.mapped("it_billable_hours")), 12.0)
            wizard = self.env["account.move.reversal"].with_user(self.accountant).with_context(
                active_model="account.move", active_ids=november.ids, allowed_company_ids=self.company.ids,
            ).create({"reason": "Wrong fee", "journal_id": november.journal_id.id})
            corrected = self.env["account.move"].browse(wizard.modify_moves()["res_id"])
            self.assertTrue(november.it_released)
            self.assertEqual((corrected.it_contract_id, corrected.it_period_id, corrected.it_invoice_kind),
                             (contract, november.it_period_id, "flat"))
            self.assertEqual(time.it_invoice_id, corrected)
            self.assertEqual(corrected.invoice_line_ids.mapped("it_period_id"),
                             november.invoice_line_ids.mapped("it_period_id"))
            self.assertIn("Corrected by", november.message_ids[:1].body)
            self._as(self.accountant, corrected).action_post()
            self._run_invoicing()
        with freeze_time("2026-11-20"):
            self._run_invoicing()
        november_invoices = contract.invoice_ids.filtered(
            lambda move: move.it_period_id.date_start == date(2026, 11, 1))
        self.assertEqual(november_invoices, november | corrected, "the month is billed by the corrected copy alone")
        self.assertEqual(november_invoices._it_issued(), corrected)

    def test_reverse_and_create_of_two_months_at_once_gives_each_copy_its_own_month(self):
        with freeze_time("2026-09-01"):
            contract = self._flat(date_start="2026-09-01")
            request = self._request(contract)
            self._run_invoicing()
            self._log(request, 12.0, date="2026-09-10")
        with freeze_time("2026-10-02"):
            self._run_invoicing()
            self._log(request, 11.0, date="2026-10-10")
        with freeze_time("2026-11-02"):
            self._run_invoicing()
            months = {move.it_period_id.date_start.month: self._as(self.accountant, move)
                      for move in contract.invoice_ids}
            originals = months[10] | months[11]
            originals.action_post()
            time = {month: self.env["account.analytic.line"].search([("it_invoice_id", "=", months[month].id)])
                    for month in (10, 11)}
            self.assertEqual([sum(time[m].mapped("it_billable_hours")) for m in (10, 11)], [12.0, 11.0])
            wizard = self.env["account.move.reversal"].with_user(self.accountant).with_context(
                active_model="account.move", active_ids=originals.ids, allowed_company_ids=self.company.ids,
            ).create({"reason": "Wrong rate", "journal_id": originals[0].journal_id.id})
            wizard.modify_moves()
            for month in (10, 11):
                copy = time[month].it_invoice_id
                self.assertNotIn(copy, originals)
                self.assertEqual(copy.it_period_id, months[month].it_period_id, f"month {month}")
                self.assertEqual(copy.amount_untaxed, months[month].amount_untaxed)
            self._run_invoicing()
        self.assertEqual(len(contract.invoice_ids._it_issued()), 3, "September and the two copies, nothing again")
