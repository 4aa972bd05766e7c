from odoo.tests import freeze_time, tagged

from .test_sla_common import SlaCommon, utc
from .timesheet_common import ItTimesheetCommon


@tagged("post_install", "-at_install")
class TestSlaAlertTemplate(SlaCommon):
    """The SLA watch tells the service desk lead through the internal template, in the lead's language."""

    def _lead_messages(self):
        return self.env["mail.message"].search([("partner_ids", "in", self.lead.partner_id.ids)])

    def test_lead_digest_at_risk_then_breached(self):
        with freeze_time("2026-01-12 08:00:00"):
            task = self._request(utc(2026, 1, 12, 8, 0), name="Mail server down")
        before = self._lead_messages()
        with freeze_time("2026-01-12 11:30:00"), self._cron_commits():
            self.env["project.task"]._cron_sla_watch()
        message = self._lead_messages() - before
        self.assertEqual(len(message), 1)
        self.assertEqual(message.subject, "Service requests: SLA at risk or breached")
        self.assertIn("will breach their SLA soon", message.body)
        self.assertIn("Mail server down", message.body)
        self.assertIn("Tom Technician", message.body)
        self.assertIn("SLA at risk: due 01/12/2026 01:00 PM", message.body)  # the deadline in Warsaw time
        self.assertIn(f'data-oe-id="{task.id}"', message.body)
        before = self._lead_messages()
        with freeze_time("2026-01-12 12:30:00"), self._cron_commits():
            self.env["project.task"]._cron_sla_watch()
        message = self._lead_messages() - before
        self.assertEqual(len(message), 1)
        self.assertIn("have breached their SLA", message.body)
        self.assertIn("SLA breached (was due 01/12/2026 01:00 PM)", message.body)


@tagged("post_install", "-at_install")
@freeze_time("2026-01-20")
class TestClientTemplates(ItTimesheetCommon):
    """The client's mails: approval of paid work, package 80 % used, used up and ending."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client.write({"email": "it@client.example", "lang": "en_US"})
        cls.tech_user = cls.env["res.users"].create({
            "name": "Tom Technician", "login": "tom_tpl", "email": "tom@msp.example",
            "company_id": cls.company.id, "company_ids": [(6, 0, cls.company.ids)],
            "group_ids": [(6, 0, cls.env.ref("it_service_contracts.group_it_technician").ids)],
        })
        cls.technician.user_id = cls.tech_user
        cls.package = cls._active_contract(hours_total=10.0)
        cls.request = cls._request(cls.package, name="Laptop reinstall")

    def _as_technician(self, records):
        return records.with_user(self.tech_user).with_context(allowed_company_ids=self.company.ids)

    def _mail(self, fragment):
        return self.package.message_ids.filtered(lambda m: fragment in (m.subject or ""))

    def test_approval_requested_shows_the_rate(self):
        """The request holds the reason and the rate; the mail to the client shows both and the portal link."""
        self.request._it_ask_approval("the hours of your package are used up", 130.0)
        mail = self.env["mail.message"].search([
            ("model", "=", "project.task"), ("res_id", "=", self.request.id),
            ("message_type", "=", "user_notification"),
        ])
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.subject, "Test MSP: your approval is needed for Laptop reinstall")
        self.assertRegex(mail.body, r"130[.,]00")
        self.assertIn("the hours of your package are used up", mail.body)
        self.assertIn(self.request.get_portal_url(), mail.body)
        self.assertEqual(mail.partner_ids, self.client)
        # without a rate on the request, the company's ad-hoc rate applies
        template = self.env.ref("it_service_contracts.mail_template_it_approval_requested")
        self.request._it_addon_write({"it_approval_rate": 0.0})
        body = template._render_field("body_html", self.request.ids)[self.request.id]
        self.assertRegex(body, r"200[.,]00")

    def test_package_warnings_sent_when_the_technician_logs_time(self):
        self._log(self._as_technician(self.request), 8.0)
        usage = self._mail("left on your hour package")
        self.assertEqual(len(usage), 1)
        self.assertEqual(usage.subject, f"{self.package.name}: 02:00 left on your hour package")
        self.assertRegex(usage.body, r"08:00 of the 10:00\s+hours of your package")
        self.assertIn(self.client, usage.partner_ids)
        self._log(self._as_technician(self.request), 2.0)
        used_up = self._mail("are used up")
        self.assertEqual(len(used_up), 1)
        self.assertIn("All 10:00 hours of your package", used_up.body)

    def test_package_ending(self):
        self.package.expiry_warning_days = 30
        with freeze_time("2026-06-01"):
            self._trigger_cron("it_service_contracts.ir_cron_it_package_warnings")
        ending = self._mail("ends on")
        self.assertEqual(ending.subject, f"{self.package.name}: your hour package ends on 06/30/2026")
        self.assertIn("10:00 left", ending.body)
        self.assertIn("Hours not used by then are forfeited.", ending.body)
