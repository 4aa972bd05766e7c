import json

from odoo.tests import tagged
from odoo.tools import mute_logger

from .test_portal import PortalCommon

# what a careless or hostile sender puts in a field: NUL bytes, non-ASCII, markup, huge and odd values
BAD_TEXT = ["\x00", "a\x00b", "żółć ☃", "<script>alert(1)</script>", "x" * 20000, "-1", "99999999999999999999"]
BAD_JSON = [123, None, [], {}, {"a": 1}, True, "\x00", "x" * 20000]


@tagged("post_install", "-at_install")
class TestPortalFuzz(PortalCommon):
    """Every portal and JSON route of the addon answers bad input with a page, a redirect or a 4xx and a message,
    never a server error (5xx), and saves nothing (issue 19, item 5)."""

    def assertNoServerError(self, response, what):
        self.assertLess(response.status_code, 500, f"{what} gave a server error")

    @mute_logger("odoo.http", "odoo.sql_db", "werkzeug")
    def test_tokens_and_ids(self):
        self.authenticate(None, None)
        task = self.request_a
        for token in ("żółć", "%00", "\u2603" * 40, "a" * 5000, "", "' OR 1=1 --"):
            for url in (f"/my/it/requests/{task.id}", f"/my/it/contracts/{self.contract_a.id}",
                        f"/my/it/months/{self.period_a.id}/report"):
                with self.subTest(url=url, token=token):
                    response = self.url_open(url, params={"access_token": token}, allow_redirects=False)
                    self.assertNoServerError(response, url)
                    self.assertNotIn(task.name, response.text)
        self.authenticate("portal_a", "portal_a")
        for url in ("/my/it/requests/99999999999", "/my/it/contracts/99999999999", "/my/it/amendments/0",
                    "/my/it/months/99999999999/report", f"/my/it/months/{self.period_a.id}/nothing",
                    f"/my/it/contracts/{self.contract_a.id}/document?report_type=xlsx"):
            with self.subTest(url=url):
                self.assertNoServerError(self.url_open(url, allow_redirects=False), url)

    @mute_logger("odoo.http", "odoo.sql_db", "werkzeug")
    def test_request_form(self):
        self.authenticate("portal_a", "portal_a")
        before = self._tasks_of(self.client)
        for field in ("description", "name", "site_id", "asset_id", "priority", "contract_id"):
            for value in BAD_TEXT:
                with self.subTest(field=field, value=value[:20]):
                    self.assertNoServerError(self._report({field: value}), field)
        response = self._report({}, files=[("attachments", ("bad\x00name.txt", b"log", "text/plain"))])
        self.assertNoServerError(response, "a file name with a NUL byte")
        nul = self._report({"description": "printer\x00jammed"})
        self.assertIn("o_it_portal_error", nul.text)
        self.assertEqual(self._tasks_of(self.client).filtered(lambda t: "\x00" in (t.description or "")),
                         self.env["project.task"], "nothing with a NUL byte is saved")
        self.assertFalse(self._tasks_of(self.client).filtered(lambda t: t.name == "\x00"))
        self.assertLessEqual(len(self._tasks_of(self.client) - before), len(BAD_TEXT) * 6)

    @mute_logger("odoo.http", "odoo.sql_db", "werkzeug")
    def test_json_and_posted_decisions(self):
        self.authenticate("portal_a", "portal_a")
        url = f"/my/it/contracts/{self.contract_a.id}/accept"
        for name in BAD_JSON:
            for signature in BAD_JSON:
                with self.subTest(name=repr(name)[:20], signature=repr(signature)[:20]):
                    response = self.url_open(url, data=json.dumps({
                        "jsonrpc": "2.0", "method": "call", "params": {"name": name, "signature": signature},
                    }), headers={"Content-Type": "application/json"})
                    self.assertNoServerError(response, url)
        response = self.url_open(url, data="{not json", headers={"Content-Type": "application/json"})
        self.assertNoServerError(response, "malformed JSON")
        csrf = self._csrf("/my/it/requests/new")
        for decision, comment in (("approve", "\x00"), ("\x00", "ok"), ("refuse", "x" * 20000), (None, None)):
            data = {"csrf_token": csrf, "decision": decision or "", "comment": comment or ""}
            with self.subTest(decision=decision):
                response = self.url_open(f"/my/it/requests/{self.request_a.id}/approval", data=data,
                                         allow_redirects=False)
                self.assertNoServerError(response, "approval")
        for comment in ("\x00", "x" * 20000):
            response = self.url_open(f"/my/it/contracts/{self.contract_a.id}/refuse",
                                     data={"csrf_token": csrf, "comment": comment}, allow_redirects=False)
            self.assertNoServerError(response, "refusal")

    @mute_logger("odoo.http", "werkzeug")
    def test_token_rotates_when_a_request_changes_client(self):
        task = self.request_a
        token = task.sudo()._portal_ensure_token()
        self.authenticate(None, None)
        url = f"/my/it/requests/{task.id}"
        self.assertIn("o_it_portal_request_page", self.url_open(url, params={"access_token": token}).text)
        task.write({"partner_id": self.other_client.id, "it_site_id": False, "it_contract_id": False})
        self.assertNotEqual(task.sudo().access_token, token)
        response = self.url_open(url, params={"access_token": token}, allow_redirects=False)
        self.assertNotIn("o_it_portal_request_page", response.text, "the former client's link no longer opens it")
