import re
from urllib.parse import urlparse
from xmlrpc.client import Fault

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import ItServiceCommon

REPORT = "it_service_contracts.action_report_it_contract_document"
# a 1x1 PNG, as the portal's signature pad sends it (base64, without the data: prefix)
SIGNATURE = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


@tagged("post_install", "-at_install")
class TestContractDocument(HttpCase, ItServiceCommon):
    """The contract document (issue 11, items 1, 2 and 5): the PDF with every term in the client's language,
    sending it, the client's acceptance or refusal in the portal, the rule that a contract requiring acceptance
    starts only once accepted, and the chatter tracking of the terms."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._it_english_frontend()
        cls.client.write({"email": "office@client-a.example", "lang": "en_US"})
        cls.other_client.write({"email": "office@client-b.example", "lang": "en_US"})
        cls.contact_a, cls.contact_b = cls.env["res.partner"].create([
            {"name": "Alice A", "parent_id": cls.client.id, "email": "alice@client-a.example"},
            {"name": "Bob B", "parent_id": cls.other_client.id, "email": "bob@client-b.example"},
        ])
        cls.portal_a = new_test_user(cls.env, "doc_portal_a", groups="base.group_portal", name="Alice A",
                                     partner_id=cls.contact_a.id)
        cls.portal_b = new_test_user(cls.env, "doc_portal_b", groups="base.group_portal", name="Bob B",
                                     partner_id=cls.contact_b.id)
        cls.manager = new_test_user(
            cls.env, "doc_manager", groups="it_service_contracts.group_it_manager",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
        )
        cls.backup = cls.env["product.product"].create({"name": "Backup monitoring", "type": "service"})
        sla = [
            Command.create({"priority": "3", "response_hours": 1.0, "resolution_hours": 4.0}),
            Command.create({"priority": "2", "response_hours": 2.5, "resolution_hours": 8.0}),
            Command.create({"priority": "1", "response_hours": 6.0, "resolution_hours": 16.0}),
            Command.create({"priority": "0", "response_hours": 12.0, "resolution_hours": 40.0}),
        ]
        cls.package = cls._create_contract(
            hourly_rate=150.0, hours_total=40.0, validity_months=6, billing_increment=0.25,
            onsite_minimum_hours=1.0, sla_line_ids=sla,
        )
        cls.flat = cls._create_contract(
            "monthly_flat", hourly_rate=120.0, monthly_fee=3400.0, monthly_hours=25.0,
            out_of_hours_response_hours=3.0, service_credit_percent=5.0, service_credit_cap_percent=20.0,
            invoice_day=5, site_ids=[Command.set(cls.site_a.ids)], remote_service=False, sla_line_ids=sla,
            line_ids=[Command.create({"product_id": cls.backup.id, "quantity": 2.0, "price_unit": 75.0})],
        )

    # ------------------------------------------------------------------ helpers

    def _html(self, contract):
        return self._text(self.env["ir.actions.report"]._render_qweb_html(REPORT, contract.ids)[0].decode())

    @staticmethod
    def _text(html):
        """The text a reader sees, one space between the words and cells."""
        text = re.sub(r"<[^>]+>", " ", html).replace("\N{NO-BREAK SPACE}", " ").replace("&nbsp;", " ")
        return re.sub(r"\s+", " ", text)

    def _accept(self, contract, name="Alice A", signature=SIGNATURE):
        return self.make_jsonrpc_request(f"/my/it/contracts/{contract.id}/accept", {
            "name": name, "signature": signature,
        })

    def _csrf(self, url):
        html = self.url_open(url).text
        return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    @mute_logger("odoo.addons.rpc.controllers.xmlrpc", "odoo.http")
    def _rpc(self, user, model, method, *args, **kwargs):
        return self.xmlrpc_object.execute_kw(self.env.cr.dbname, user.id, user.login, model, method, list(args), kwargs)

    def _acceptance(self, contract):
        contract.invalidate_recordset()
        return (contract.acceptance_state, contract.accepted_partner_id, contract.accepted_by_name,
                contract.accepted_date, bool(contract.accepted_signature), contract.signed_document_id,
                contract.refused_partner_id, contract.refusal_comment)

    # ------------------------------------------------------------------ the document

    def test_package_document_has_every_term(self):
        text = self._html(self.package)
        for term in (
            f"IT Service Contract {self.package.name}", "Form of cooperation: Hour Package",
            "Service provider Test MSP", "Client Client Ltd",
            "The contract starts on 01/01/2026 and ends on 06/30/2026",
            # scope and places
            "Workstation support", "Server administration", "Client Ltd, Head office", "Client Ltd, Warehouse",
            "Remote support",
            # service hours from the calendar, response times of every priority in the order of the table
            "Service hours: Standard 40 hours/week", "Monday 08:00-12:00, 13:00-17:00; Tuesday 08:00-12:00",
            "Priority Response within Resolution within Urgent 01:00 04:00 High priority 02:30 08:00 "
            "Medium priority 06:00 16:00 Low priority 12:00 40:00",
            # rates, hours and validity
            "Hours bought 40:00", "Hourly rate $ 150.00", "Package price $ 6,000.00", "Validity 6 months",
            "The hours of the package are valid for 6 months.",
            "Time is billed in steps of 00:15", "Least time billed for a visit on site 01:00",
            # additional services, credits, invoicing, signature
            "a package of additional services is priced individually",
            "No service credits are agreed.", "The package is invoiced in full when the contract starts.",
            "For the client Client Ltd Name, date and signature",
        ):
            self.assertIn(term, text)
        self.assertNotIn("Out-of-hours guarantee", text, "a package makes no out-of-hours promise")
        self.assertNotIn("Accepted online by", text)

    def test_flat_document_has_every_term(self):
        text = self._html(self.flat)
        for term in (
            "Form of cooperation: Flat Monthly Fee", "runs until either party ends it",
            "Places of service: Client Ltd, Head office Other work",
            "Urgent 01:00 04:00 High priority 02:30 08:00",
            "Out-of-hours guarantee: a failure reported outside service hours gets a response within 03:00 "
            "(clock hours)",
            "Monthly fee $ 3,400.00", "Hours included per month 25:00",
            "Rate of an hour beyond the included ones $ 120.00",
            # recurring services
            "Backup monitoring 2.00 $ 75.00 $ 150.00",
            # service credits and invoicing
            "the client is credited 5.00 % of the monthly fee, at most 20.00 % of the fee in one month",
            "The monthly fee is invoiced in advance, for the current month, from day 5 of each month",
        ):
            self.assertIn(term, text)
        self.assertNotIn("Remote support", text, "the flat contract covers its site only")
        self.assertNotIn("Warehouse", text)
        self.flat.invoice_timing = "arrears"
        self.assertIn("invoiced in arrears, for the month just ended", self._html(self.flat))

    def test_document_in_the_clients_language(self):
        if not self.env["res.lang"]._lang_get("pl_PL"):
            self.env["res.lang"]._activate_lang("pl_PL")
        if not self.env["res.lang"]._lang_get("pl_PL"):
            self.skipTest("Polish is not available in this database")
        self.env["ir.module.module"]._load_module_terms(["it_service_contracts"], ["pl_PL"], overwrite=True)
        self.client.lang = "pl_PL"
        text = self._html(self.package)
        for term in (
            f"Umowa serwisowa IT {self.package.name}", "Forma współpracy: Pakiet godzin",
            "Umowa obowiązuje od 01.01.2026 do 30.06.2026", "Wsparcie zdalne", "poniedziałek 08:00-12:00",
            "Pilny 01:00 04:00 Wysoki priorytet 02:30 08:00", "Kupione godziny 40:00", "Stawka godzinowa $ 150,00",
            "Cena pakietu $ 6000,00", "Ważność 6 mies.",
        ):
            self.assertIn(term, text)
        self.assertNotIn("Hours bought", text)
        text = self._html(self.flat)
        for term in ("Zryczałtowana opłata miesięczna", "Opłata miesięczna $ 3400,00",
                     "Godziny wliczone w miesiącu 25:00", "w ciągu 03:00", "5,00 %", "Backup monitoring"):
            self.assertIn(term, text)
        # the language follows the client, not the user
        self.client.lang = "en_US"
        self.assertIn("Hours bought 40:00", self._html(self.package))

    def test_site_address_is_not_the_addressee(self):
        """The layout's addressee slot shows the client, never the address of one of its places."""
        self.site_a.write({"street": "ul. Polna 5", "zip": "80-001", "city": "Gdańsk"})
        text = self._html(self.flat)
        self.assertIn("Client Ltd, Head office ( ul. Polna 5, 80-001 Gdańsk )", text)
        self.assertEqual(text.count("ul. Polna 5"), 1, "only in the places of service")
        self.assertIn("Services covered: Server administration, Workstation support Places of service:", text)

    # ------------------------------------------------------------------ sending

    def test_the_way_to_the_client_is_one_sequence(self):
        """Draft, sent, agreed (accepted online, then confirmed), running: one step at a time."""
        package = self.package.with_user(self.manager)
        self.assertEqual(package.progress_state, "draft")
        package._it_mark_sent()
        self.assertEqual(package.progress_state, "sent")
        self.package.acceptance_required = True
        with self.assertRaisesRegex(ValidationError, "cannot start before the client accepts it online"):
            package.action_confirm()
        self.authenticate("doc_portal_a", "doc_portal_a")
        self._accept(self.package)
        self.assertEqual(package.progress_state, "accepted")
        package.action_confirm()
        self.assertEqual((package.state, package.progress_state), ("active", "active"))

    def test_mail_asks_to_sign_only_when_online_acceptance_is_required(self):
        template = self.env.ref("it_service_contracts.mail_template_it_contract_document")
        self.flat.acceptance_required = False
        body = template._render_field("body_html", self.flat.ids)[self.flat.id]
        self.assertNotIn("accept it with your", body)
        self.assertIn("Please let us know whether you agree", body)
        self.flat.acceptance_required = True
        body = template._render_field("body_html", self.flat.ids)[self.flat.id]
        self.assertIn("accept it with your", body)


    def test_incomplete_contract_is_not_sent(self):
        """What the client accepts can start: a draft without a scope is not offered, by the button nor by a mail
        sent with the contract's template some other way."""
        contract = self.package.with_user(self.manager)
        contract.service_product_ids = False
        with self.assertRefused(r"cannot be sent to the client without a scope \(at least one service\)"):
            contract.action_it_send_document()
        with self.assertRefused("cannot be sent to the client without a scope"):
            contract._it_mark_sent()
        self.assertEqual(self.package.acceptance_state, "to_send")

    def test_send_mails_the_pdf_and_marks_sent(self):
        contract = self.package.with_user(self.manager).with_context(tracking_disable=False)
        action = contract.action_it_send_document()
        self.assertEqual(action["res_model"], "mail.compose.message")
        composer = Form(self.env["mail.compose.message"].with_user(self.manager).with_context(**action["context"]))
        self.assertIn(self.contact_a, composer.partner_ids[:], "the client's contact receives it")
        composer.save().action_send_mail()
        self.assertEqual(self.package.acceptance_state, "sent")
        self.assertTrue(self.package.sent_date)
        message = self.package.message_ids.filtered(lambda m: m.attachment_ids and m.message_type == "comment")[:1]
        self.assertTrue(message, "the document is posted and mailed")
        self.assertIn(self.contact_a, message.partner_ids)
        # the PDF (an HTML file when tests render reports)
        self.assertRegex(message.attachment_ids.name, rf"^Contract {self.package.name}\.(pdf|html)$")
        self.assertIn(f"contract {self.package.name} for your acceptance", message.subject)
        # a running contract's document is sent for the record: it waits for no acceptance
        self.flat.action_activate()
        self.flat._it_mark_sent()
        self.assertEqual(self.flat.acceptance_state, "to_send")
        # a technician cannot send it
        technician = new_test_user(self.env, "doc_tech", groups="it_service_contracts.group_it_technician",
                                   company_id=self.company.id, company_ids=[Command.set(self.company.ids)])
        with self.assertRaises(AccessError):
            self.flat.with_user(technician).action_it_send_document()

    # ------------------------------------------------------------------ the portal

    def test_portal_acceptance_records_signer_and_date(self):
        self.authenticate("doc_portal_a", "doc_portal_a")
        self.assertEqual(self.url_open(f"/my/it/contracts/{self.package.id}", allow_redirects=False).status_code,
                         303, "a draft that was not sent is not in the portal")
        self.package._it_mark_sent()
        page = self.url_open(f"/my/it/contracts/{self.package.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Accept and sign", page.text)
        self.assertIn('<owl-component name="portal.signature_form"', page.text)
        self.assertIn(f"/my/it/contracts/{self.package.id}/accept", page.text)
        self.assertIn(self.package.name, self.url_open("/my/it/contracts").text)
        # the page itself states the price and the rates, not only the PDF
        self.assertIn("Package price: $ 6,000.00", self._text(page.text))
        self.assertIn("Hourly rate: $ 150.00", self._text(page.text))
        self.assertIn("Time is billed in steps of: 00:15", self._text(page.text))
        document = self.url_open(f"/my/it/contracts/{self.package.id}/document?report_type=html")
        self.assertEqual(document.status_code, 200)
        self.assertIn("Hours bought 40:00", self._text(document.text))

        result = self._accept(self.package, name="  Alice Anderson  ")
        self.assertEqual(result["redirect_url"], self.package.get_portal_url(query_string="&message=accepted"))
        state, partner, name, date, signature, signed, refused_by, _comment = self._acceptance(self.package)
        self.assertEqual((state, partner, name, signature, refused_by),
                         ("accepted", self.contact_a, "Alice Anderson", True, self.env["res.partner"]))
        self.assertTrue(date)
        self.assertEqual((signed.res_model, signed.res_id), ("it.contract", self.package.id))
        self.assertIn("Alice Anderson", signed.raw.decode(), "the signed copy shows the signer")
        message = self.package.message_ids.filtered(lambda m: signed in m.attachment_ids)
        self.assertEqual(message.author_id, self.contact_a)
        self.assertIn("accepted and signed by Alice Anderson", message.body)
        self.assertIn("accepted by the client: confirm it", self.package.activity_ids.summary,
                      "the account manager is told to confirm it")
        page = self.url_open(f"/my/it/contracts/{self.package.id}?message=accepted").text
        self.assertIn("you have accepted the contract", page)
        self.assertNotIn(f"/my/it/contracts/{self.package.id}/accept", page)
        self.assertIn("Accepted online by Alice Anderson on", self._html(self.package))
        history = self._text(self.package.version_history)
        self.assertIn("Original terms 01/01/2026 Accepted created on", history)
        self.assertIn("accepted by Alice Anderson on", history)
        self.assertEqual(self.url_open(f"/my/it/contracts/{self.package.id}/document?signed=1").status_code, 200)

        # accepting twice, or refusing after accepting, changes nothing
        self.assertIn("already accepted", self._accept(self.package, name="Someone Else")["error"])
        response = self.url_open(f"/my/it/contracts/{self.package.id}/refuse", data={
            "csrf_token": self._csrf("/my/it/requests/new"), "comment": "Changed my mind",
        })
        self.assertIn("already accepted", response.text)
        self.assertEqual(self._acceptance(self.package)[:6], (state, partner, name, date, signature, signed))

    def test_portal_refusal_with_comment(self):
        self.package._it_mark_sent()
        self.authenticate("doc_portal_a", "doc_portal_a")
        url = f"/my/it/contracts/{self.package.id}"
        response = self.url_open(f"{url}/refuse", data={"csrf_token": self._csrf(url), "comment": "  "})
        self.assertIn("Tell us why you refuse", response.text)
        self.assertEqual(self._acceptance(self.package)[0], "sent", "no comment, no refusal")
        response = self.url_open(f"{url}/refuse", data={"csrf_token": self._csrf(url), "comment": "x" * 20001})
        self.assertIn("Your reason is 20001 characters long, and at most 20000", response.text)
        self.assertEqual(self._acceptance(self.package)[0], "sent", "a reason of megabytes, no refusal")
        response = self.url_open(f"{url}/refuse", data={
            "csrf_token": self._csrf(url), "comment": "The rate is too high",
        }, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.package.invalidate_recordset()
        self.assertEqual(
            (self.package.acceptance_state, self.package.refused_partner_id, self.package.refusal_comment),
            ("refused", self.contact_a, "The rate is too high"),
        )
        self.assertTrue(self.package.refused_date)
        self.assertFalse(self.package.accepted_partner_id)
        self.assertIn("refused by the client", self.package.activity_ids.summary)
        self.assertTrue(self.package.message_ids.filtered(
            lambda m: "The rate is too high" in (m.body or "")))
        # refusing twice or accepting a refused contract is refused with a clear message
        self.assertIn("was refused", self._accept(self.package)["error"])
        response = self.url_open(f"{url}/refuse", data={
            "csrf_token": self._csrf("/my/it/requests/new"), "comment": "Again"})
        self.assertIn("was refused", response.text)
        self.assertEqual(self._acceptance(self.package)[-1], "The rate is too high")
        # the firm sends a new version, which the client can accept
        self.package._it_mark_sent()
        self._accept(self.package)
        self.assertEqual(self._acceptance(self.package)[0], "accepted")

    def test_contact_of_another_client_can_neither_open_nor_answer(self):
        self.package._it_mark_sent()
        before = self._acceptance(self.package)
        self.authenticate("doc_portal_b", "doc_portal_b")
        url = f"/my/it/contracts/{self.package.id}"
        for path in (url, f"{url}/document", f"{url}/document?report_type=html", f"{url}/document?signed=1"):
            response = self.url_open(path)
            self.assertEqual(urlparse(response.url).path, "/my", path)
            self.assertNotIn(self.package.name, response.text)
        self.assertNotIn(self.package.name, self.url_open("/my/it/contracts").text)
        self.assertIn("not one of your company", self._accept(self.package)["error"])
        csrf = self._csrf("/my/it/requests/new")
        response = self.url_open(f"{url}/refuse", data={"csrf_token": csrf, "comment": "No"}, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self._acceptance(self.package), before, "nothing recorded")
        # nor by RPC, nor by calling the method with another client's contact
        with self.assertRaises(Fault):
            self._rpc(self.portal_b, "it.contract", "read", [self.package.id], ["acceptance_state"])
        with self.assertRaises(AccessError):
            self.package._it_accept(self.contact_b, "Bob B", SIGNATURE)
        with self.assertRaises(AccessError):
            self.package._it_refuse(self.contact_b, "No")
        self.assertEqual(self._acceptance(self.package), before)

    def test_bad_acceptance_saves_nothing(self):
        self.authenticate("doc_portal_a", "doc_portal_a")
        self.assertIn("not one of your company", self._accept(self.package)["error"], "a draft not sent yet")
        with self.assertRaisesRegex(UserError, "not been sent to you"):
            self.package._it_accept(self.contact_a, "Alice A", SIGNATURE)
        self.package._it_mark_sent()
        before = self._acceptance(self.package)
        attachments = self.env["ir.attachment"].search_count([("res_model", "=", "it.contract")])
        for name, signature, error in (
            ("   ", SIGNATURE, "Type your full name"),
            ("Alice A", "", "Draw your signature"),
            ("Alice A", None, "Draw your signature"),
            ("Alice A", "bm90IGFuIGltYWdl", "not a valid image"),
            ("Alice A", "%%%", "not a valid image"),
            ("A" * 201, SIGNATURE, "Your name is 201 characters long, and at most 200"),
        ):
            self.assertIn(error, self._accept(self.package, name=name, signature=signature)["error"])
            self.assertEqual(self._acceptance(self.package), before)
        self.assertEqual(self.env["ir.attachment"].search_count([("res_model", "=", "it.contract")]), attachments)
        # a running contract is changed by amendment, not accepted again
        self.flat._it_mark_sent()
        self.flat.action_activate()
        self.assertEqual(self.flat.acceptance_state, "sent")
        self.assertIn("no longer waiting", self._accept(self.flat)["error"])
        self.assertEqual(self.flat.acceptance_state, "sent")

    # ------------------------------------------------------------------ rules

    def test_acceptance_fields_are_written_by_the_addon_only(self):
        values = [
            {"acceptance_state": "accepted"}, {"accepted_by_name": "Forged"}, {"accepted_date": "2026-01-01"},
            {"accepted_partner_id": self.contact_a.id}, {"signed_document_id": False}, {"sent_date": "2026-01-01"},
        ]
        for vals in values:
            with self.assertRaises(Fault) as caught:
                self._rpc(self.manager, "it.contract", "write", [self.package.id], vals)
            self.assertIn("cannot be set by hand", caught.exception.faultString)
            with self.assertRaises(Fault):
                self._rpc(self.manager, "it.contract", "write", [self.package.id], vals,
                          context={"it_addon_write": True})
        with self.assertRaises(Fault):
            self._rpc(self.manager, "it.contract", "create", self._contract_vals(acceptance_state="accepted"))
        with self.assertRaises(Fault):
            self._rpc(self.manager, "it.contract", "create", self._contract_vals(),
                      context={"default_accepted_by_name": "Forged"})
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            self.package.with_user(self.manager).write({"acceptance_state": "accepted"})
        self.assertEqual(self._acceptance(self.package)[0], "to_send")

    def test_activation_requires_acceptance_when_required(self):
        self.assertFalse(self.package.acceptance_required, "the company default is off")
        self.company.it_contract_acceptance_required = True
        contract = self._create_contract()
        self.assertTrue(contract.acceptance_required, "new contracts follow the company default")
        created = self._rpc(self.manager, "it.contract", "create", self._contract_vals(date_start="2026-02-01"))
        self.assertTrue(self.env["it.contract"].browse(created).acceptance_required, "also over RPC")
        with self.assertRaisesRegex(ValidationError, "cannot start before the client accepts it online"):
            contract.action_activate()
        with self.assertRaisesRegex(ValidationError, "cannot start before the client accepts it online"):
            contract.action_confirm()
        with self.assertRaises(Fault) as caught:
            self._rpc(self.manager, "it.contract", "action_activate", [contract.id])
        self.assertIn("accepts it online", caught.exception.faultString)
        contract._it_mark_sent()
        with self.assertRaisesRegex(ValidationError, "accepts it online"):
            contract.action_activate()
        self.assertEqual(contract.state, "draft")
        contract._it_accept(self.contact_a, "Alice A", SIGNATURE)
        contract.action_activate()
        self.assertEqual(contract.state, "active")
        # a contract that does not require it starts as before; the audit rule still applies
        optional = self._create_contract(acceptance_required=False, date_start="2026-03-01", audit_id=False)
        with self.assertRaisesRegex(ValidationError, "audit"):
            optional.action_activate()

    def test_chatter_tracks_the_terms(self):
        # Odoo does not track records created in the same transaction until it is committed
        self.env.cr.precommit.run()
        self.assertTrue(self.package.env.context.get("tracking_disable"))
        contract = self.package
        contract.write({"hourly_rate": 140.0, "validity_months": 3, "site_ids": [Command.set(self.site_a.ids)]})
        contract.sla_line_ids.filtered(lambda line: line.priority == "3").response_hours = 0.5
        contract.env.cr.precommit.run()
        contract.invalidate_recordset(["message_ids"])
        tracked = contract.message_ids.tracking_value_ids
        rate = tracked.filtered(lambda t: t.field_id.name == "hourly_rate")
        self.assertEqual((rate.old_value_float, rate.new_value_float), (150.0, 140.0))
        self.assertTrue(tracked.filtered(lambda t: t.field_id.name == "validity_months"))
        self.assertTrue(tracked.filtered(lambda t: t.field_id.name == "site_ids"))
        sla = contract.message_ids.filtered(lambda m: "Response times changed" in (m.body or ""))
        self.assertEqual(len(sla), 2, "the original response times, then their change")
        self.assertIn("added: Urgent: response 01:00, resolution 04:00", sla[1].body)
        sla = sla[0]
        self.assertIn("Urgent (response 01:00, resolution 04:00) → Urgent: response 00:30, resolution 04:00", sla.body)
        # whatever the context says (here the tests' tracking_disable)
        contract = self.package
        contract.line_ids = [Command.create({
            "product_id": self.backup.id, "quantity": 1.0, "price_unit": 60.0,
        })]
        contract.invalidate_recordset(["message_ids"])
        self.assertIn("added: Backup monitoring, quantity 1", contract.message_ids[0].body)
        # its price is a tracking value of the price field, shown to who sees money only
        price = contract.message_ids[0].tracking_value_ids
        self.assertEqual((price.field_id.name, price.old_value_float, price.new_value_float), ("price_unit", 0.0, 60.0))
        contract.note = "<p>Backups are tested every quarter.</p>"
        contract.invalidate_recordset(["message_ids"])
        self.assertIn("Further terms changed:", contract.message_ids[0].body)
        self.assertIn("Backups are tested every quarter.", contract.message_ids[0].body)
        # over RPC, a context that asks not to track is not obeyed for a term
        self._rpc(self.manager, "it.contract", "write", [self.flat.id], {"monthly_fee": 3500.0},
                  context={"tracking_disable": True, "mail_notrack": True})
        self.env.cr.precommit.run()
        self.flat.invalidate_recordset(["message_ids"])
        fee = self.flat.message_ids.tracking_value_ids.filtered(lambda t: t.field_id.name == "monthly_fee")
        self.assertEqual((fee.old_value_float, fee.new_value_float), (3400.0, 3500.0))
        # the form shows the history page with the acceptance record
        form = Form(self.package)
        self.assertEqual(form.acceptance_state, "to_send")

    def test_a_change_of_terms_after_sending_asks_for_a_new_acceptance(self):
        self.package._it_mark_sent()
        self.package._it_accept(self.contact_a, "Alice A", SIGNATURE)
        signed = self.package.signed_document_id
        self.package.write({"hourly_rate": 150.0, "remote_service": True})  # the same terms: nothing changes
        self.assertEqual(self.package.acceptance_state, "accepted")
        self.package.hourly_rate = 145.0
        self.assertEqual(
            (self.package.acceptance_state, self.package.accepted_partner_id, self.package.accepted_by_name),
            ("to_send", self.env["res.partner"], False), "the client never accepted this rate",
        )
        self.assertTrue(signed.exists(), "the document signed before stays in the chatter")
        self.assertIn("send it again for acceptance", self.package.message_ids[0].body)
        # hours carried over into an accepted renewal follow the accepted rollover terms: no new acceptance
        self.package._it_mark_sent()
        self.package._it_accept(self.contact_a, "Alice A", SIGNATURE)
        self.package._it_addon_write({"hours_total": 45.0})
        self.assertEqual(self.package.acceptance_state, "accepted")
        # a response time changed on a contract waiting for the client's answer: sent again too
        self.package._it_mark_sent()
        self.package.sla_line_ids[:1].response_hours = 0.75
        self.assertEqual(self.package.acceptance_state, "to_send")
        self.package._it_mark_sent()
        self.package.line_ids = [Command.create({"product_id": self.backup.id, "price_unit": 10.0})]
        self.assertEqual(self.package.acceptance_state, "to_send")

    def test_tour_the_contact_accepts_and_signs_in_the_portal(self):
        self.package._it_mark_sent()
        self.start_tour(f"/my/it/contracts/{self.package.id}", "it_portal_contract_accept_tour",
                        login="doc_portal_a")
        self.package.invalidate_recordset()
        self.assertEqual((self.package.acceptance_state, self.package.accepted_partner_id,
                          self.package.accepted_by_name), ("accepted", self.contact_a, "Alice A"))
        self.assertTrue(self.package.accepted_signature and self.package.signed_document_id)
