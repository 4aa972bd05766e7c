from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .invoicing_common import ItInvoicingCommon


@tagged("post_install", "-at_install")
class TestUsageStatement(ItInvoicingCommon):
    """The usage statement of a fee or package invoice shows the work of what it bills, and where each hour is
    paid: the month's included and overage work for a fee, the package's use to date for a package."""

    def _statement(self, invoice):
        html = self.env["ir.actions.report"].with_user(self.accountant)._render_qweb_html(
            "it_service_contracts.report_it_usage_statement", invoice.ids)[0].decode()
        return invoice.with_user(self.accountant)._it_usage_statement(), html

    def test_fee_invoice_shows_the_month_included_and_overage(self):
        with freeze_time("2026-10-20"):
            contract = self._flat()
            request = self._request(contract, name="Server check")
            self._log(request, 8.0, date="2026-10-06")
            self._log(request, 4.0, date="2026-10-14")
            october = self._invoice_due()
            data, html = self._statement(october)
        self.assertEqual(
            [(row["billable"], row["type"], row["billed"]) for row in data["rows"]],
            [(8.0, "Included Hours", "the monthly fee"), (2.0, "Included Hours", "the monthly fee"),
             (2.0, "Overage", "a later invoice")],
            "October's fee invoice shows October's work, the overage still to be billed",
        )
        self.assertIn("Server check", html)
        self.assertIn("08:00", html, "hours as timesheets show them")
        self.assertIn("October 2026", html)
        with freeze_time("2026-11-03"):
            november = self._invoice_due()
            data, html = self._statement(november)
        self.assertEqual([row["billed"] for row in data["rows"]],
                         ["the monthly fee", "the monthly fee", "this invoice"],
                         "November's invoice bills October's overage: it shows October's work")
        self.assertEqual(data["by_type"], [("Included Hours", 10.0), ("Overage", 2.0)])
        self.assertEqual([period.date_start.month for period in data["periods"]], [10, 11])
        with freeze_time("2026-11-20"):
            self._log(request, 1.0, date="2026-11-18")
        self.assertEqual(len(self._statement(october)[0]["rows"]), 3, "October's statement keeps its month")
        self.assertEqual(self._statement(october)[0]["rows"][2]["billed"], november.name)

    def test_package_invoice_shows_the_use_to_date(self):
        with freeze_time("2026-11-02"):
            package = self._create_contract(hours_total=10.0, date_start="2026-11-02")
            self._as(self.manager, package).action_activate()
            invoice = package.invoice_ids
            data, html = self._statement(invoice)
            self.assertFalse(data["rows"])
            self.assertIn("No time has been logged yet.", html)
            self._log(self._request(package, name="Printer down"), 3.5, date="2026-11-02")
            data, html = self._statement(invoice)
        self.assertEqual([(row["billable"], row["billed"]) for row in data["rows"]], [(3.5, "the prepaid package")])
        self.assertIn("Printer down", html)
        self.assertIn("06:30", html, "hours left in the package")

    def test_only_who_reads_the_invoice_prints_its_statement(self):
        """QA: a technician printed any invoice's statement (and another company's moves) through /report/."""
        with freeze_time("2026-10-20"):
            contract = self._flat()
            self._log(self._request(contract, name="Server check"), 2.0, date="2026-10-06")
            october = self._invoice_due()
        Report = self.env["ir.actions.report"]
        for user in (self.tech_user, self.manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                Report.with_user(user)._render_qweb_html("it_service_contracts.report_it_usage_statement", october.ids)
        other = self.env["res.company"].create({"name": "Other MSP"})
        journal = self.env["account.journal"].create({
            "name": "Miscellaneous", "code": "OMSC", "type": "general", "company_id": other.id})
        foreign = self.env["account.move"].create({"move_type": "entry", "journal_id": journal.id,
                                                   "company_id": other.id})
        with self.assertRaises(AccessError):
            Report.with_user(self.accountant)._render_qweb_html(
                "it_service_contracts.report_it_usage_statement", foreign.ids)
        html = Report.with_user(self.accountant)._render_qweb_html(
            "it_service_contracts.report_it_usage_statement", october.ids)[0].decode()
        self.assertIn("Server check", html)
