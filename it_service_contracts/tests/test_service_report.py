from odoo.exceptions import AccessError
from odoo.tests import freeze_time, new_test_user, tagged

from .invoicing_common import ItInvoicingCommon


@tagged("post_install", "-at_install")
class TestServiceReport(ItInvoicingCommon):
    """The manager's figures per client and month, from a flat contract, a package and an ad-hoc job."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2026-10-20"):
            cls.flat = cls._active_contract("monthly_flat", date_start="2026-10-01", monthly_fee=2000.0,
                                            monthly_hours=10.0, hourly_rate=130.0)
            cls.flat_request = cls._request(cls.flat)
            cls._log(cls.flat_request, 8.0, date="2026-10-06")
            cls._log(cls.flat_request, 4.0, date="2026-10-14")
            cls.env["it.invoicing"]._it_invoice(cls.flat)
            cls.flat.invoice_ids.action_post()
        with freeze_time("2026-11-02"):
            cls.package = cls._active_contract(hours_total=10.0, date_start="2026-11-02")
            cls.package.invoice_ids.action_post()
            cls.other_client.write({"street": "Polna 2", "city": "Gdańsk"})
            cls.adhoc_request = cls._request(partner=cls.other_client, name="Laptop repair")
            cls._log(cls.adhoc_request, 1.5, date="2026-11-02")
            cls.adhoc_request.state = "1_done"
            cls.adhoc_request.it_invoice_ids.action_post()
        with freeze_time("2026-11-03"):
            cls.env["it.invoicing"]._it_invoice(cls.flat)
            (cls.flat.invoice_ids.filtered(lambda m: m.state == "draft")).action_post()
        # two requests of October under the flat contract: one met its SLA, one breached it
        cls.flat_request._it_write_sla({"sla_state": "met"})
        with freeze_time("2026-10-21"):
            breached = cls._request(cls.flat, name="Server down")
        breached._it_write_sla({"sla_state": "breached"})
        cls.env.flush_all()

    def _figures(self, user, domain=(), groupby=("contract_type",), client=None):
        report = self.env["it.service.report"].with_user(user).with_context(allowed_company_ids=self.company.ids)
        aggregates = ["hours_sold:sum", "hours_worked:sum", "hours_invoiced:sum", "hours_overage:sum",
                      "sla_compliance:avg", "revenue:sum"]
        return {
            key if len(key) > 1 else key[0]: [round(v or 0.0, 2) for v in values]
            for *key, values in (
                (*row[:len(groupby)], row[len(groupby):]) for row in report._read_group(
                    [("partner_id", "=", (client or self.client).id), *domain], list(groupby), aggregates)
            )
        }

    def test_figures_per_contract_type(self):
        """Sold, worked, invoiced, overage, SLA compliance and revenue (net of tax) per contract type."""
        self.assertEqual(self._figures(self.manager), {
            # 10 h included in October and in November; 12 h worked in October, invoiced with November's
            # fee, 2 h of them beyond the included hours; one request met, one breached; 2,000 + 2,260
            "monthly_flat": [20.0, 12.0, 12.0, 2.0, 50.0, 4260.0],
            "hour_package": [10.0, 0.0, 0.0, 0.0, 0.0, 1600.0],
        })
        # a client without a contract: its job invoiced when completed
        self.assertEqual(self._figures(self.manager, client=self.other_client), {
            "adhoc": [0.0, 1.5, 1.5, 0.0, 0.0, 300.0],
        })

    def test_figures_per_month(self):
        figures = self._figures(self.accountant, groupby=("date:month",))
        october, november = sorted(figures)
        self.assertEqual(figures[october], [10.0, 12.0, 12.0, 2.0, 50.0, 2000.0])
        self.assertEqual(figures[november], [20.0, 0.0, 0.0, 0.0, 0.0, 1600.0 + 2260.0])

    def test_credit_note_reduces_revenue(self):
        invoice = self.package.invoice_ids
        refund = invoice._reverse_moves()
        refund.action_post()
        self.env.flush_all()
        self.assertEqual(self._figures(self.manager)["hour_package"][5], 0.0)

    def test_client_smart_buttons(self):
        with freeze_time("2026-11-20"):
            client = self.client.with_user(self.manager).with_context(allowed_company_ids=self.company.ids)
            self.assertEqual(
                (client.it_report_hours_sold, client.it_report_hours_worked, client.it_report_hours_invoiced,
                 client.it_report_hours_overage, client.it_report_sla_compliance, client.it_report_revenue),
                (30.0, 12.0, 12.0, 2.0, 50.0, 5860.0),
            )
            action = client.action_view_it_service_report()
        self.assertEqual(action["res_model"], "it.service.report")
        self.assertIn(("partner_id", "=", self.client.id), action["domain"])

    def test_technician_sees_hours_not_revenue(self):
        report = self.env["it.service.report"].with_user(self.tech_user).with_context(
            allowed_company_ids=self.company.ids)
        rows = report.search([("partner_id", "=", self.client.id)])
        self.assertTrue(rows)
        self.assertEqual(round(sum(rows.mapped("hours_worked")), 2), 12.0)
        with self.assertRaises(AccessError):
            rows.read(["revenue"])
        with self.assertRaises(AccessError):
            report._read_group([], ["contract_type"], ["revenue:sum"])
        client = self.client.with_user(self.tech_user).with_context(allowed_company_ids=self.company.ids)
        self.assertEqual(client.it_report_hours_worked, 12.0)
        with self.assertRaises(AccessError):
            client.read(["it_report_revenue"])

    def test_other_company_sees_nothing(self):
        other = self.env["res.company"].create({"name": "Other MSP"})
        outsider = new_test_user(
            self.env, "it_other_manager", groups="it_service_contracts.group_it_manager,account.group_account_invoice",
            company_id=other.id, company_ids=[(6, 0, other.ids)],
        )
        report = self.env["it.service.report"].with_user(outsider).with_context(allowed_company_ids=other.ids)
        self.assertFalse(report.search([("partner_id", "=", self.client.id)]))
        self.assertFalse(report._read_group([("partner_id", "=", self.client.id)], [], ["revenue:sum"])[0][0])
        client = self.client.with_user(outsider).with_context(allowed_company_ids=other.ids)
        self.assertEqual((client.it_report_hours_worked, client.it_report_revenue), (0.0, 0.0))

    def test_portal_user_has_no_access(self):
        portal = new_test_user(self.env, "it_report_portal", groups="base.group_portal")
        with self.assertRaises(AccessError):
            self.env["it.service.report"].with_user(portal).search([])
