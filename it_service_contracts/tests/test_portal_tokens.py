import html
import json
import re
from urllib.parse import urlparse

from odoo import Command
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .test_contract_document import SIGNATURE
from .test_portal import PortalCommon

# what a link may carry instead of the record's token: nothing, garbage, non-ASCII, overlong, injected
BAD_TOKENS = ["", "wrong", "żółć", "\u2603" * 40, "a" * 5000, "%00", "' OR 1=1 --"]


@tagged("post_install", "-at_install")
class TestPortalTokens(PortalCommon):
    """The contract and amendment pages open with the token of the link mailed to the client's contact, for a
    visitor who is not logged in, who can read, download, accept and refuse the document; the contact it was sent
    to signs, never the public user (issue "Integrity by construction", item 4)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.draft = cls._create_contract(date_start=cls.today)
        cls.amendment, cls.other_amendment = cls.env["it.contract.amendment"].create([
            {"contract_id": cls.contract_a.id, "effective_date": cls.today, "monthly_hours": 12.0},
            {"contract_id": cls.contract_a.id, "effective_date": cls.today, "monthly_hours": 14.0},
        ])
        cls.technician = new_test_user(
            cls.env, "token_tech", groups="it_service_contracts.group_it_technician",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
        )

    # ------------------------------------------------------------------ helpers

    def _mailed_link(self, record):
        """Send the document as the firm does and return the portal link of the mail (path and query)."""
        action = record.action_it_send_document()
        self.env["mail.compose.message"].with_context(**action["context"]).create({}).action_send_mail()
        self.assertEqual(record.acceptance_state, "sent")
        mail = record.message_ids.filtered(lambda m: "for your acceptance" in (m.subject or ""))
        self.assertIn(record._it_document_recipient(), mail.partner_ids)
        href = re.search(rf'href="([^"]*{re.escape(record.access_url)}[^"]*)"', mail.body).group(1)
        url = urlparse(html.unescape(href))
        return f"{url.path}?{url.query}"

    def _accept(self, url, name, token=None):
        """Post the signature as portal.signature_form does: to the URL the page gives, token in its query."""
        return self.make_jsonrpc_request(f"{url}/accept" + (f"?access_token={token}" if token else ""), {
            "name": name, "signature": SIGNATURE,
        })

    def _state(self, record):
        record.invalidate_recordset()
        return record.acceptance_state, record.accepted_partner_id, record.refused_partner_id

    # ------------------------------------------------------------------ the mailed link

    def test_visitor_opens_and_accepts_a_contract_with_the_mailed_token(self):
        link = self._mailed_link(self.draft)
        token = self.draft.access_token
        self.assertEqual(link, f"/my/it/contracts/{self.draft.id}?access_token={token}")
        recipient = self.draft._it_document_recipient()
        self.assertEqual(recipient, self.contact_a)
        self.authenticate(None, None)
        self.assertEqual(self._get(f"/my/it/contracts/{self.draft.id}").status_code, 303, "no token, no page")
        page = self.url_open(link)
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.draft.name, page.text)
        self.assertIn("Accept and sign", page.text)
        self.assertIn(f'"defaultName": "{recipient.name}"', html.unescape(page.text), "the recipient signs")
        # the page's links carry the token: the document, its download, the answers
        for suffix in ("/document", "/accept", "/refuse"):
            self.assertIn(html.escape(self.draft.get_portal_url(suffix=suffix)), page.text)
        document = self.url_open(self.draft.get_portal_url(suffix="/document", report_type="html"))
        self.assertEqual(document.status_code, 200)
        self.assertIn(self.draft.name, document.text)

        result = self._accept(f"/my/it/contracts/{self.draft.id}", "Alice Anderson", token)
        self.assertEqual(result.get("redirect_url"), self.draft.get_portal_url(query_string="&message=accepted"),
                         result)
        self.assertEqual(self._state(self.draft), ("accepted", recipient, self.env["res.partner"]))
        self.assertEqual(self.draft.accepted_by_name, "Alice Anderson")
        message = self.draft.message_ids.filtered(lambda m: self.draft.signed_document_id in m.attachment_ids)
        self.assertEqual(message.author_id, recipient)
        self.assertNotEqual(message.author_id, self.env.ref("base.public_partner"))
        self.assertIn("you have accepted the contract", self.url_open(result["redirect_url"]).text)
        signed = self.url_open(self.draft.get_portal_url(suffix="/document", query_string="&signed=1"))
        self.assertEqual(signed.status_code, 200)
        # the logged-in contact of the client still opens it without a token
        self.assertEqual(self._get(f"/my/it/contracts/{self.draft.id}", self.portal_a).status_code, 200)

    def test_visitor_opens_accepts_and_refuses_amendments_with_the_mailed_token(self):
        link = self._mailed_link(self.amendment)
        self.assertEqual(link, f"/my/it/amendments/{self.amendment.id}?access_token={self.amendment.access_token}")
        self.authenticate(None, None)
        self.assertEqual(self._get(f"/my/it/amendments/{self.amendment.id}").status_code, 303)
        page = self.url_open(link)
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.amendment.name, page.text)
        self.assertIn("Accept and sign", page.text)
        # the contract it amends opens from it, with the contract's own token
        contract_url = self.contract_a.get_portal_url()
        self.assertIn(html.escape(contract_url), page.text)
        self.assertIn(self.contract_a.name, self.url_open(contract_url).text)
        document = self.url_open(self.amendment.get_portal_url(suffix="/document", report_type="html"))
        self.assertEqual(document.status_code, 200)
        self.assertIn(self.amendment.name, document.text)
        result = self._accept(f"/my/it/amendments/{self.amendment.id}", "Alice A", self.amendment.access_token)
        self.assertTrue(result.get("force_refresh"), result)
        self.assertEqual(self._state(self.amendment), ("accepted", self.contact_a, self.env["res.partner"]))

        # the other amendment is refused through its own link, by its recipient; the answer keeps the token
        link = self._mailed_link(self.other_amendment)
        self.authenticate(None, None)
        csrf = self._csrf(link)
        response = self.url_open(self.other_amendment.get_portal_url(suffix="/refuse"), data={
            "csrf_token": csrf, "comment": "Fourteen hours are too many"}, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(response.headers["Location"].split("/my/", 1)[1],
                         self.other_amendment.get_portal_url(query_string="&message=refused").split("/my/", 1)[1])
        self.assertEqual(self._state(self.other_amendment), ("refused", self.env["res.partner"], self.contact_a))
        self.assertIn("Your answer was sent", self.url_open(response.headers["Location"]).text)

    def test_an_agreed_amendment_is_linked_with_its_token(self):
        """The contract's page links its amendments with their tokens: one agreed before any was made gets one
        (an agreed amendment no longer changes, but its token is no term)."""
        self.other_amendment.action_confirm()
        self.assertEqual(self.other_amendment.state, "in_force")
        self.assertFalse(self.other_amendment.access_token)
        page = self._get(f"/my/it/contracts/{self.contract_a.id}", self.portal_a)
        self.assertEqual(page.status_code, 200)
        self.assertTrue(self.other_amendment.access_token)
        self.assertIn(html.escape(self.other_amendment.get_portal_url()), page.text)
        self.authenticate(None, None)
        self.assertIn(self.other_amendment.name, self.url_open(self.other_amendment.get_portal_url()).text)

    @mute_logger("odoo.http", "odoo.sql_db", "werkzeug")
    def test_a_wrong_token_shows_nothing(self):
        self._mailed_link(self.draft)
        self._mailed_link(self.amendment)
        self.contract_b._portal_ensure_token()
        before = {record: self._state(record) for record in (self.draft, self.amendment)}
        self.authenticate(None, None)
        csrf = self._csrf(f"/my/it/contracts/{self.draft.id}?access_token={self.draft.access_token}")
        for record in (self.draft, self.amendment):
            base = record.access_url
            # another record's valid token is a wrong token too
            for token in [*BAD_TOKENS, self.contract_b.access_token]:
                for path in (base, f"{base}/document", f"{base}/document?report_type=html",
                             f"{base}/document?signed=1"):
                    with self.subTest(path=path, token=token[:20]):
                        response = self.url_open(path, params={"access_token": token}, allow_redirects=False)
                        self.assertLess(response.status_code, 500)
                        self.assertNotEqual(response.status_code, 200)
                        self.assertNotIn(record.name, response.text)
                with self.subTest(answer="accept", token=token[:20]):
                    response = self.url_open(f"{base}/accept", params={"access_token": token}, data=json.dumps({
                        "jsonrpc": "2.0", "method": "call", "params": {"name": "Mallory", "signature": SIGNATURE},
                    }), headers={"Content-Type": "application/json"})
                    self.assertLess(response.status_code, 500)
                    self.assertIn("not one of your company", response.json()["result"]["error"])
                with self.subTest(answer="refuse", token=token[:20]):
                    response = self.url_open(f"{base}/refuse", params={"access_token": token}, data={
                        "csrf_token": csrf, "comment": "No"}, allow_redirects=False)
                    self.assertLess(response.status_code, 500)
                    self.assertEqual(urlparse(response.headers.get("Location", "")).path, "/my")
        self.assertEqual({record: self._state(record) for record in before}, before, "nothing was answered")

    def test_whoever_is_logged_in_sees_what_their_account_allows(self):
        """The client's token is for the visitor the mail went to: a technician or another client's contact who is
        logged in does not open the client's documents with it (a technician reads no rate or fee this way)."""
        self._mailed_link(self.draft)
        self._mailed_link(self.amendment)
        for user in (self.technician, self.portal_b):
            for record in (self.draft, self.amendment):
                for url in (record.get_portal_url(), record.get_portal_url(suffix="/document", report_type="html")):
                    with self.subTest(user=user.login, url=url):
                        response = self._get(url, user)
                        self.assertEqual(response.status_code, 303)
                        self.assertNotIn(record.name, response.text)
                answer = self._accept(record.access_url, user.name, record.access_token)
                self.assertIn("not one of your company", answer["error"])
        self.assertEqual(self._state(self.draft)[0], "sent")
        self.assertEqual(self._state(self.amendment)[0], "sent")

    @mute_logger("odoo.http", "werkzeug")
    def test_token_rotates_when_a_draft_changes_client(self):
        link = self._mailed_link(self.draft)
        token = self.draft.access_token
        self.draft.write({"partner_id": self.client.id})
        self.assertEqual(self.draft.access_token, token, "the same client keeps its link")
        self.draft.write({"partner_id": self.other_client.id, "site_ids": [Command.set(self.site_b_client.ids)]})
        self.assertNotEqual(self.draft.access_token, token)
        self.draft._it_mark_sent()  # sent again, to the new client
        new_link = self.draft.get_portal_url()
        self.assertNotEqual(new_link, link)
        self.authenticate(None, None)
        response = self.url_open(link, allow_redirects=False)
        self.assertEqual(response.status_code, 303, "the former client's link no longer opens it")
        self.assertNotIn(self.draft.name, response.text)
        self.assertIn(self.draft.name, self.url_open(new_link).text)
