from odoo.exceptions import AccessError
from odoo.tests import freeze_time, new_test_user, tagged

from .invoicing_common import ItInvoicingCommon


@tagged("post_install", "-at_install")
class TestMonthlyClientReport(ItInvoicingCommon):
    """October of a flat contract: 12 h worked on 10 included, two requests (one met, one breached), an asset
    put in service, a warranty ending, an open recommendation of the audit in a stage."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client.write({"lang": "en_US", "email": "office@client.example"})
        cls.portal_contact = cls.env["res.partner"].create({
            "name": "Paula Portal", "parent_id": cls.client.id, "email": "paula@client.example",
        })
        cls.portal_user = new_test_user(cls.env, "it_monthly_portal", groups="base.group_portal",
                                        partner_id=cls.portal_contact.id)
        cls.audit.action_reopen()  # its findings are recorded before it is completed
        stage = cls.env["it.audit.stage"].create({
            "audit_id": cls.audit.id, "name": "Secure the network", "planned_date": "2027-01-15",
        })
        cls.env["it.audit.finding"].create([{
            "audit_id": cls.audit.id, "name": "Untested backups", "severity": "2", "stage_id": stage.id,
            "recommendation": "Test restores quarterly.",
        }, {
            "audit_id": cls.audit.id, "name": "Cabling labels", "severity": "0",
        }])
        cls.audit.action_done()
        category = cls.env.ref("it_service_contracts.asset_category_workstation")
        cls.env["it.asset"].create([{
            "name": "Accounting laptop", "partner_id": cls.client.id, "company_id": cls.company.id,
            "category_id": category.id, "date_in_service": "2026-10-05",
        }, {
            "name": "Office firewall", "partner_id": cls.client.id, "company_id": cls.company.id,
            "category_id": category.id, "date_in_service": "2025-01-01", "warranty_end": "2026-12-15",
        }, {
            "name": "Old printer", "partner_id": cls.client.id, "company_id": cls.company.id,
            "category_id": category.id, "date_in_service": "2020-01-01", "warranty_end": "2027-09-01",
        }])
        with freeze_time("2026-10-20"):
            cls.flat = cls._active_contract("monthly_flat", date_start="2026-10-01", monthly_fee=2000.0,
                                            monthly_hours=10.0, hourly_rate=130.0)
            request = cls._request(cls.flat, name="Mail server down")
            cls._log(request, 8.0, date="2026-10-06")
            cls._log(request, 4.0, date="2026-10-14")
            breached = cls._request(cls.flat, name="VPN unreachable")
        request._it_write_sla({"sla_state": "met"})
        breached._it_write_sla({"sla_state": "breached"})
        cls.october = cls.flat.period_ids.filtered(lambda p: p.date_start.month == 10)

    def _html(self, user, periods):
        report = self.env["ir.actions.report"].with_user(user).with_context(allowed_company_ids=self.company.ids)
        return report._render_qweb_html("it_service_contracts.action_report_it_monthly_client", periods.ids)[0].decode()

    def test_report_figures(self):
        html = self._html(self.manager, self.october)
        self.assertRegex(html, r"<td[^>]*><span[^>]*>10:00</span></td>\s*<td[^>]*><span[^>]*>10:00</span></td>\s*"
                               r"<td[^>]*><span[^>]*>00:00</span></td>\s*<td[^>]*><span[^>]*>02:00</span></td>\s*"
                               r"<td[^>]*><span[^>]*>12:00</span></td>")
        self.assertRegex(html, r"<span>2</span> requests reported")
        self.assertRegex(html, r"<span>1</span> of <span>2</span> settled")
        self.assertRegex(html, r"<span>50</span> %</strong> SLA compliance")
        for text in ("Mail server down", "VPN unreachable", "Accounting laptop", "Office firewall",
                     "Untested backups", "Test restores quarterly.", "Secure the network", "October 2026"):
            self.assertIn(text, html)
        self.assertNotIn("Old printer", html, "a warranty ending in a year is not news")
        self.assertNotIn("Maintenance Visits", html, "a contract without maintenance plans has no visits to show")
        self.assertNotIn("Cabling labels", html, "a finding without a recommendation is not one")

    def test_done_recommendation_is_not_open(self):
        finding = self.audit.finding_ids.filtered(lambda f: f.name == "Untested backups")
        self.audit.action_create_work_plan()
        finding.task_id.state = "1_done"
        html = self._html(self.manager, self.october)
        self.assertNotIn("Untested backups", html)
        self.assertIn("Every recommendation of the audit has been carried out.", html)

    def test_portal_contact_reads_own_months_only(self):
        html = self._html(self.portal_user, self.october)
        self.assertIn("Mail server down", html)
        with freeze_time("2026-10-20"):
            other = self._flat_for("Other Ltd")
        with self.assertRaises(AccessError):
            self._html(self.portal_user, other.period_ids[:1])
        periods = self.env["it.contract.period"].with_user(self.portal_user).search([])
        self.assertEqual(periods.partner_id, self.client)

    def test_technician_of_another_company_cannot_print(self):
        other = self.env["res.company"].create({"name": "Other MSP"})
        outsider = new_test_user(self.env, "it_outsider_tech", groups="it_service_contracts.group_it_manager",
                                 company_id=other.id, company_ids=[(6, 0, other.ids)])
        report = self.env["ir.actions.report"].with_user(outsider).with_context(allowed_company_ids=other.ids)
        with self.assertRaises(AccessError):
            report._render_qweb_html("it_service_contracts.action_report_it_monthly_client", self.october.ids)

    def test_mailed_with_the_monthly_invoice(self):
        """November's invoice (fee and October's overage), posted, is sent by the accountant with the monthly
        invoice mail, its usage statement and October's report."""
        with freeze_time("2026-10-20"):
            first = self.env["it.invoicing"]._it_invoice(self.flat)
            first.action_post()
        self.assertFalse(first._it_report_attachments().filtered(lambda a: a.name.startswith("IT report")),
                         "no month has ended before the first invoice")
        with freeze_time("2026-11-03"):
            november = self.env["it.invoicing"]._it_invoice(self.flat)
            november.action_post()
            attachments = november._it_report_attachments()
            self.assertEqual(sorted(attachments.mapped("name")), sorted([
                f"IT report {self.flat.name} 2026-10.pdf", f"Usage statement {november.name}.pdf"]))
            Send = self.env["account.move.send"].with_user(self.accountant).with_context(
                allowed_company_ids=self.company.ids)
            template = Send._get_default_mail_template_id(november)
            self.assertEqual(template, self.env.ref("it_service_contracts.mail_template_it_monthly_invoice"))
            self.assertEqual(Send._get_invoice_extra_attachments(november) & attachments, attachments)
            body = template.with_user(self.accountant)._render_field("body_html", november.ids)[november.id]
            self.assertIn(november.name, body)
            self.assertRegex(body, r"October 2026:\s*10:00 of 10:00\s*included hours used,\s*02:00\s*hours beyond them")
            wizard = self.env["account.move.send.wizard"].with_user(self.accountant).with_context(
                allowed_company_ids=self.company.ids, active_model="account.move", active_ids=november.ids,
            ).create({})
            self.assertEqual(wizard.template_id, template)
            wizard.action_send_and_print()
        message = november.message_ids.filtered(lambda m: m.message_type in ("comment", "email"))[:1]
        self.assertIn(november.name, message.subject)
        names = message.attachment_ids.mapped("name")
        self.assertIn(f"IT report {self.flat.name} 2026-10.pdf", names)
        self.assertIn(f"Usage statement {november.name}.pdf", names)
