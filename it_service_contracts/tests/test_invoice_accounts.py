from freezegun import freeze_time

from odoo.tests import Form, tagged

from .invoicing_common import ItInvoicingCommon


@tagged("post_install", "-at_install")
class TestServicesIncomeAccount(ItInvoicingCommon):
    """On the Polish chart the addon's invoices are sales of services (70.000.300), not of goods (73.000.100),
    and the accountant sees their analytic account."""

    _it_chart_template = "pl"  # the test command installs l10n_pl

    def _income_code(self, product):
        accounts = product.product_tmpl_id.with_company(self.company)._get_product_accounts()
        return accounts["income"].code

    def test_addon_products_book_on_services_sales(self):
        journal = self.env["account.journal"].search([("type", "=", "sale"), ("company_id", "=", self.company.id)])
        self.assertEqual(journal.default_account_id.code, "73.000.100", "the chart's default: sales of goods")
        for xmlid in ("product_it_flat_fee", "product_it_overage", "product_it_package", "product_it_adhoc",
                      "product_it_service_credit"):
            with self.subTest(product=xmlid):
                self.assertEqual(self._income_code(self.env.ref(f"it_service_contracts.{xmlid}")), "70.000.300")

    def test_flat_invoice_lines_and_analytic_seen_by_accountant(self):
        with freeze_time("2026-10-20"):
            contract = self._flat()
            self._log(self._request(contract), 12.0, date="2026-10-06")
            self._invoice_due()
        with freeze_time("2026-11-03"):
            invoice = self._invoice_due()
        self.assertEqual(len(invoice.invoice_line_ids), 2, "the fee and October's overage")
        self.assertEqual(set(invoice.invoice_line_ids.account_id.mapped("code")), {"70.000.300"})
        as_accountant = invoice.with_user(self.accountant)
        self.assertTrue(self.accountant.has_group("analytic.group_analytic_accounting"))
        with Form(as_accountant) as form, form.invoice_line_ids.edit(0) as line:
            self.assertEqual(line.analytic_distribution, {str(contract.analytic_account_id.id): 100.0})
        as_accountant.action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(set(invoice.line_ids.filtered("product_id").account_id.mapped("code")), {"70.000.300"})

    def test_new_company_gets_the_services_account(self):
        company = self.env["res.company"].create({"name": "Second MSP", "country_id": self.env.ref("base.pl").id})
        self.env["account.chart.template"].try_loading("pl", company=company, install_demo=False)
        category = self.env.ref("it_service_contracts.product_category_it_services").with_company(company)
        self.assertEqual(category.property_account_income_categ_id.code, "70.000.300")
        self.assertEqual(category.property_account_income_categ_id.company_ids, company)
