import re
from contextlib import contextmanager
from unittest.mock import patch
from urllib.parse import urljoin, urlsplit

from lxml import html

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common import ItServiceCommon

# the client's portal pages are crawled from its home page; other links (logout, the website, Odoo's own
# account and security settings) are not documents of the journey
CRAWLED = re.compile(r"^/(my(/|$)|report/|web/content/)")
NOT_CRAWLED = re.compile(r"^/my/(account|security)|/web/session/logout|/page/\d+|[?&](sortby|filterby|groupby)=")


@tagged("post_install", "-at_install")
class TestJourney(HttpCase, ItServiceCommon):
    """Issue 22: a new client's journey walked in the browser by each of its users, in English and in Polish. The
    manager completes the audit and sends the recommended contract; the client's contact accepts it in the portal
    and reports a problem; the technician logs time past the included hours; the client approves the paid work;
    the accountant invoices and posts; then every link of the client's portal answers with a page or a real PDF."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["account.chart.template"].try_loading("pl", company=cls.company, install_demo=False)
        # the invoicing of this test sees this company's work alone, not the demo data of the database
        cls.env.cr.execute("UPDATE it_contract SET state = 'cancelled' WHERE company_id != %s", [cls.company.id])
        cls.env.cr.execute("UPDATE project_task SET it_is_adhoc = FALSE WHERE company_id != %s", [cls.company.id])
        cls.env.invalidate_all()
        cls.env["res.lang"]._activate_lang("en_US")
        cls.env["res.lang"]._activate_lang("pl_PL")
        cls.env["ir.module.module"]._load_module_terms(["it_service_contracts"], ["pl_PL"], overwrite=True)

    @contextmanager
    def _real_pdfs(self):
        """Reports rendered as PDF files by wkhtmltopdf, as on the firm's server (tests otherwise get HTML in their
        place). Not while a tour works in the back office: the test server lets only wkhtmltopdf in while it renders,
        and the web client's own requests of that moment would fail."""
        Report = type(self.env["ir.actions.report"])
        render = Report._pre_render_qweb_pdf

        def render_pdf(report, report_ref, res_ids=None, data=None):
            return render(report.with_context(force_report_rendering=True), report_ref, res_ids=res_ids, data=data)

        with patch.object(Report, "_pre_render_qweb_pdf", render_pdf):
            yield

    def _users(self, lang):
        company = {"company_id": self.company.id, "company_ids": [Command.set(self.company.ids)], "lang": lang}
        manager = new_test_user(self.env, f"journey_manager_{lang}", groups=(
            "it_service_contracts.group_it_manager,sales_team.group_sale_salesman"), **company)
        technician = new_test_user(
            self.env, f"journey_tech_{lang}", groups="it_service_contracts.group_it_technician", **company)
        self.env["hr.employee"].create({
            "name": "Journey Tech", "user_id": technician.id, "company_id": self.company.id,
        })
        accountant = new_test_user(self.env, f"journey_accountant_{lang}", groups="account.group_account_invoice",
                                   **company)
        return manager, technician, accountant

    def _new_client(self, lang):
        """A client with an office, its contact person with a portal login, and the audit of its servers."""
        client = self.env["res.partner"].create({
            "name": f"Biuro Nowak {lang}", "is_company": True, "lang": lang, "street": "ul. Długa 5",
            "city": "Kraków", "zip": "31-147", "country_id": self.env.ref("base.pl").id, "email": "biuro@nowak.example",
        })
        office = self.env["res.partner"].create({"name": "Biuro główne", "type": "other", "parent_id": client.id})
        contact = self.env["res.partner"].create({
            "name": "Anna Nowak", "parent_id": client.id, "email": "anna@nowak.example", "lang": lang,
        })
        portal = new_test_user(self.env, f"journey_client_{lang}", groups="base.group_portal",
                               partner_id=contact.id, lang=lang)
        server, workstation = (self.env.ref(f"it_service_contracts.asset_category_{name}")
                               for name in ("server", "workstation"))
        audit = self.env["it.audit"].create({
            "partner_id": client.id, "company_id": self.company.id, "asset_ids": [
                Command.create({"category_id": category.id, "site_id": office.id, "serial": f"SN-{lang}-{index}"})
                for index, category in enumerate([server] * 4 + [workstation] * 10)
            ],
        })
        return client, portal, audit

    def _walk(self, lang):
        manager, technician, accountant = self._users(lang)
        client, portal, audit = self._new_client(lang)
        self.assertEqual(audit.recommended_type, "monthly_flat")

        self.start_tour(f"/odoo/it.audit/{audit.id}", "it_journey_manager_tour", login=manager.login)
        contract = audit.contract_ids
        self.assertEqual((contract.state, contract.contract_type, contract.approval_required),
                         ("draft", "monthly_flat", True))
        self.assertEqual(contract.acceptance_state, "sent")
        sent = self.env["mail.message"].search([("model", "=", "it.contract"), ("res_id", "=", contract.id),
                                               ("message_type", "=", "comment")])
        self.assertIn(portal.partner_id, sent.partner_ids, "the contract goes to the client's contact person")

        with self._real_pdfs():  # the signed copy the client keeps
            self.start_tour(contract.get_portal_url(), "it_journey_client_accept_tour", login=portal.login)
        self.assertEqual((contract.acceptance_state, contract.accepted_partner_id), ("accepted", portal.partner_id))
        self.start_tour(f"/odoo/it.contract/{contract.id}", "it_journey_manager_confirm_tour", login=manager.login)
        self.assertEqual(contract.state, "active")

        # earlier this month the technician used all but half an hour of the included hours
        earlier = self.env["project.task"].create({
            "name": "Earlier work", "project_id": contract.project_id.id, "partner_id": client.id,
        })
        self.env["account.analytic.line"].with_user(technician).create({
            "name": "Monthly updates", "task_id": earlier.id, "unit_amount": contract.monthly_hours - 0.5,
        })

        self.start_tour("/my/it/requests", "it_journey_client_request_tour", login=portal.login)
        request = self.env["project.task"].search([("name", "=", "Journey: the server does not start"),
                                                   ("partner_id", "child_of", client.id)])
        self.assertEqual(request.it_contract_id, contract)
        self.assertFalse(request.user_ids.filtered("share"), "a portal user never owns a request")

        self.start_tour(f"/odoo/project.task/{request.id}", "it_journey_technician_tour", login=technician.login)
        lines = request.timesheet_ids
        self.assertEqual(sorted((line.it_billing_type, line.unit_amount) for line in lines),
                         [("held", 0.5), ("included", 0.5)])
        self.assertEqual(request.it_approval_state, "pending")

        self.start_tour(request.get_portal_url(), "it_journey_client_approve_tour", login=portal.login)
        self.assertEqual(request.it_approval_state, "approved")
        self.assertEqual(sorted(request.timesheet_ids.mapped("it_billing_type")), ["included", "overage"])

        self.start_tour("/odoo/action-it_service_contracts.it_invoice_due_server_action",
                        "it_journey_accountant_tour", login=accountant.login)
        invoice = self.env["account.move"].search([("it_contract_id", "=", contract.id)])
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.partner_id, client)
        self.assertEqual(invoice.invoice_line_ids.product_id, self.env.ref("it_service_contracts.product_it_flat_fee"))
        self.assertEqual(invoice.invoice_line_ids.account_id.code, "70.000.300", "a sale of services")
        # the fee of the month it started, from its first day
        self.assertTrue(0 < invoice.amount_untaxed <= contract.monthly_fee)

        documents = self._crawl_portal(portal)
        for path in (contract.get_portal_url(suffix="/document"), f"/my/invoices/{invoice.id}",
                     request.get_portal_url(), f"/my/it/months/{contract.current_period_id.id}/report"):
            self.assertIn(urlsplit(path).path, {urlsplit(url).path for url in documents},
                          f"the portal links to {path}")
        pdfs = {url for url, kind in documents.items() if kind == "pdf"}
        for needed in ("/document", "/report", f"/my/invoices/{invoice.id}"):
            self.assertTrue([url for url in pdfs if needed in url], f"a PDF at {needed} among {sorted(pdfs)}")
        return contract, invoice

    def _crawl_portal(self, portal):
        """Every page and document the client's portal links to, from its home page: {url: "page" | "pdf"}.
        Each must answer 200 with a page that is not an error, or a real PDF."""
        self.authenticate(portal.login, portal.login)
        seen, queue = {}, ["/my"]
        with self._real_pdfs():
            self._crawl(seen, queue)
        self.assertLess(len(seen), 200, "the crawl stays within the client's documents")
        return seen

    def _crawl(self, seen, queue):
        while queue:
            url = queue.pop(0)
            if url in seen:
                continue
            response = self.url_open(url, timeout=60)
            with self.subTest(url=url):
                self.assertEqual(response.status_code, 200, f"{url} answers")
            kind = "pdf" if response.headers.get("Content-Type", "").startswith("application/pdf") else "page"
            seen[url] = kind
            if kind == "pdf":
                self.assertTrue(response.content.startswith(b"%PDF-"), f"{url} is a real PDF")
                self.assertGreater(len(response.content), 2000, f"{url} is not an empty PDF")
                continue
            self.assertNotIn(b"Traceback", response.content, url)
            page = html.fromstring(response.content)
            self.assertFalse(page.xpath("//*[contains(@class, 'o_error_detail')]"), f"{url} is no error page")
            for href in page.xpath("//a/@href"):
                link = urlsplit(urljoin(url, href))
                target = link.path + (f"?{link.query}" if link.query else "")
                if link.netloc in ("", urlsplit(self.base_url()).netloc) and CRAWLED.match(link.path) \
                        and not NOT_CRAWLED.search(target) and target not in seen:
                    queue.append(target)

    def test_journey_in_english(self):
        self._walk("en_US")

    def test_journey_in_polish(self):
        contract, invoice = self._walk("pl_PL")
        self.assertEqual(contract.partner_id.lang, "pl_PL")
        self.assertTrue(invoice.name)
