from odoo.tests import tagged

from .audit_common import ItAuditCommon


@tagged("post_install", "-at_install")
class TestAuditReport(ItAuditCommon):
    def test_report_shows_figures(self):
        audit = self._audit_with(25, servers=1)
        audit.asset_ids[:2].write({"state": "end_of_life"})
        stage = self.env["it.audit.stage"].create({"audit_id": audit.id, "name": "Urgent security"})
        self.env["it.audit.finding"].create({
            "audit_id": audit.id, "name": "Untested backups", "estimated_hours": 6.5, "stage_id": stage.id,
            "recommendation": "Test restores quarterly.",
        })
        audit.action_done()
        html = self.env["ir.actions.report"]._render_qweb_html(
            "it_service_contracts.action_report_it_audit", audit.ids)[0].decode()
        for figure in ("14:00", "2,800.00", "2,240.00", "2,500.00", "1,300.00", "06:30", "28 h valid 2 months",
                       "14 h included a month", "Untested backups", "Urgent security", "Test restores quarterly.",
                       "Hour Package"):
            self.assertIn(figure, html)
        # the inventory summary: 23 workstations OK and 2 at end of life, 25 in all; one server
        self.assertRegex(html, r"Workstation</td>\s*<td[^>]*>23</td>\s*<td[^>]*>0</td>\s*<td[^>]*>0</td>"
                               r"\s*<td[^>]*>2</td>\s*<td[^>]*>25</td>")

    def test_report_mailed_from_the_audit(self):
        audit = self._audit_with(3)
        audit.action_done()
        action = audit.action_send_report()
        composer = self.env["mail.compose.message"].with_context(**action["context"]).create({})
        self.assertEqual(composer.partner_ids, audit.partner_id)
        composer._action_send_mail()
        message = audit.message_ids[:1]
        self.assertEqual(len(message.attachment_ids), 1)
        self.assertIn(audit.name.replace("/", "-"), message.attachment_ids.name)

    def test_report_in_the_clients_language(self):
        self.env["res.lang"]._activate_lang("pl_PL")
        self.env["ir.module.module"]._load_module_terms(["it_service_contracts"], ["pl_PL"], overwrite=True)
        client = self.env["res.partner"].create({"name": "Kancelaria Nowak", "is_company": True, "lang": "pl_PL"})
        audit = self._audit_with(25, servers=1, partner=client)
        self.env["it.audit.stage"].create({"audit_id": audit.id, "name": "Pilne zabezpieczenia"})
        audit.with_context(lang="pl_PL").action_done()
        html = self.env["ir.actions.report"]._render_qweb_html(
            "it_service_contracts.action_report_it_audit", audit.ids)[0].decode()
        for term in ("Inwentarz", "Etapy modernizacji", "Porównanie form współpracy", "Stacja robocza", "Serwer",
                     "Pakiet godzin kosztuje $\xa02240,00 miesięcznie"):
            self.assertIn(term, html)
        self.assertNotIn("Forms of Cooperation Compared", html)
