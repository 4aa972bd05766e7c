from odoo.tests import tagged
from odoo.tools import mute_logger

from .test_rpc_roles import RpcRolesCommon


def amount_pattern(value):
    """``value`` as any text may show it: 3456.78, 3456,78, 3,456.78, 3 456,78; 130.0 as 130.00 or 130,0."""
    whole, cents = f"{value:.2f}".split(".")
    groups = [whole[max(0, end - 3):end] for end in range(len(whole), 0, -3)][::-1]
    return r"(?<![\d.,])" + r"[\s,.\u00a0\u202f]?".join(groups) + "[.,]" + (cents.rstrip("0") or "0")


@tagged("post_install", "-at_install")
class TestMoneyVisibility(RpcRolesCommon):
    """Money reaches no technician through a text derived from it (issue "Integrity by construction", item 4):
    the history of versions, the chatter (tracking and the addon's own posts), the documents; the manager and
    the accountant still read it all."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.readers = (cls.manager, cls.accountant)

    def _change_the_money(self):
        """The manager changes the rate of a package being prepared (a started one's price no longer changes), adds
        and reprices an additional service of the flat contract, and amends the flat contract's rate, fee and hours:
        all over the external API, as in the web client."""
        self.prepared = self._create_contract(hours_total=10.0, hourly_rate=160.0)
        self.rpc(self.manager, "it.contract", "write", [self.prepared.id], {"hourly_rate": 187.65})
        self.rpc(self.manager, "it.contract", "write", [self.flat.id], {"service_credit_percent": 7.25, "line_ids": [
            (0, 0, {"product_id": self.service_servers.id, "quantity": 2.0, "price_unit": 345.67})]})
        line_id = self.flat.line_ids.id
        self.rpc(self.manager, "it.contract.line", "write", [line_id], {"price_unit": 456.71})
        amendment_id = self.rpc(self.manager, "it.contract.amendment", "create", [{
            "contract_id": self.flat.id, "effective_date": str(self.today),
            "hourly_rate": 141.35, "monthly_fee": 3456.78, "monthly_hours": 25.0,
        }])[0]
        self.rpc(self.manager, "it.contract.amendment", "action_confirm", [amendment_id])
        self.env.cr.precommit.run()  # the tracking of the fields, as at the end of a transaction
        self.env.invalidate_all()
        return self.env["it.contract.amendment"].browse(amendment_id)

    def assertNoMoney(self, text, amounts, what):
        for amount in amounts:
            self.assertNotRegex(text, amount_pattern(amount), f"{amount} in {what}")

    def assertMoney(self, text, amounts, what):
        for amount in amounts:
            self.assertRegex(text, amount_pattern(amount), f"{amount} not in {what}")

    def _session_call(self, user, url, params):
        self.authenticate(user.login, f"{user.login}_pw")
        return str(self.make_jsonrpc_request(url, params))

    # ------------------------------------------------------------------ the texts

    def test_version_history_shows_the_money_to_who_sees_it(self):
        amendment = self._change_the_money()
        old, new = (130.0, 3000.0), (141.35, 3456.78)
        self.assertEqual((self.flat.hourly_rate, self.flat.monthly_fee), new)
        history = self.rpc(self.technician, "it.contract", "read", [self.flat.id], ["version_history"])[0]
        history = history["version_history"]
        # the versions, their dates and states, and what else changed
        self.assertRegex(history, rf"Original terms.*{amendment.name}</td><td>[^<]+</td><td>In Force</td>")
        self.assertIn("Included Hours per Month: 20:00 → 25:00", history)
        self.assertNoMoney(history, old + new, "the technician's history")
        for user in self.readers:
            with self.subTest(user=user.login):
                history = self.rpc(user, "it.contract", "read", [self.flat.id], ["version_history"])[0]
                self.assertIn("Hourly Rate: $\xa0130.00 → $\xa0141.35", history["version_history"])
                self.assertMoney(history["version_history"], old + new, "the history")
        # an amendment of the fee only is a version the technician sees, without the amounts
        only_fee = self.rpc(self.manager, "it.contract.amendment", "create", [{
            "contract_id": self.flat.id, "effective_date": str(self.today), "monthly_fee": 3999.99}])[0]
        history = self.rpc(self.technician, "it.contract", "read", [self.flat.id], ["version_history"])[0]
        only_fee = self.env["it.contract.amendment"].browse(only_fee)
        self.assertRegex(history["version_history"], rf"{only_fee.name}</td><td>[^<]+</td><td>Draft</td>"
                                                     r"<td>rates or fees changed</td>")
        self.assertNoMoney(history["version_history"], (3999.99,), "the technician's history")

    def test_amendments_and_renewal_changes_are_for_who_sees_money(self):
        amendment = self._change_the_money()
        self.assertRpcRefused("not allowed to access", self.technician, "it.contract.amendment", "read",
                              [amendment.id], ["change_html"])
        self.assertRpcRefused("not allowed to access", self.technician, "it.contract.amendment", "search_read",
                              [("contract_id", "=", self.flat.id)], ["name"])
        self.assertRpcRefused("rights to access the field", self.technician, "it.contract", "read",
                              [self.flat.id], ["renewal_changes_html"])
        self.assertRpcRefused("rights to access the field", self.technician, "it.contract", "read",
                              [self.flat.id], ["amendment_ids"])
        for user in self.readers:
            with self.subTest(user=user.login):
                html = self.rpc(user, "it.contract.amendment", "read", [amendment.id], ["change_html"])[0]
                self.assertMoney(html["change_html"], (130.0, 141.35, 3000.0, 3456.78), "the amendment's changes")

    def test_chatter_shows_the_money_to_who_sees_it(self):
        self._change_the_money()
        amounts = (160.0, 187.65, 130.0, 141.35, 3000.0, 3456.78, 345.67, 456.71, 7.25)
        threads = (("it.contract", self.prepared.id), ("it.contract", self.flat.id))
        domain = [("model", "=", "it.contract"), ("res_id", "in", [self.prepared.id, self.flat.id])]
        # the messages as the external API reads them: bodies without amounts, the tracking values refused
        messages = self.rpc(self.technician, "mail.message", "search_read", domain, ["body", "subject"])
        bodies = "\n".join(message["body"] for message in messages)
        self.assertIn("Amendment", bodies)
        self.assertIn("Additional services changed", bodies)
        self.assertIn("Server administration, quantity 2: monthly price changed", bodies)
        self.assertNoMoney(bodies, amounts, "the bodies of the chatter")
        with mute_logger("odoo.http"):
            self.assertRpcRefused("rights to access the field", self.technician, "mail.message", "read",
                                  [messages[0]["id"]], ["tracking_value_ids"])
        self.assertRpcRefused("not allowed to access", self.technician, "mail.tracking.value", "search_read",
                              [("mail_message_id", "in", [m["id"] for m in messages])], ["new_value_float"])
        # the chatter as the web client shows it: no tracking value of a money field
        for model, thread_id in threads:
            with self.subTest(thread=thread_id):
                shown = self._session_call(self.technician, "/mail/thread/messages",
                                           {"thread_model": model, "thread_id": thread_id})
                # the change of the package's rate is there, without its tracking value
                self.assertIn("Additional services changed" if thread_id == self.flat.id else "'trackingValues': []",
                              shown)
                self.assertNotIn("Hourly Rate", shown)
                self.assertNotIn("Monthly Price", shown)
                self.assertNoMoney(shown, amounts, "the technician's chatter")
        # the manager and the accountant read the amounts in the tracking
        for user in self.readers:
            with self.subTest(user=user.login):
                shown = "".join(self._session_call(user, "/mail/thread/messages",
                                                   {"thread_model": model, "thread_id": thread_id})
                                for model, thread_id in threads)
                self.assertIn("Hourly Rate", shown)
                self.assertIn("Monthly Price", shown)
                self.assertMoney(shown, amounts, "the chatter")

    def test_the_approval_request_gives_the_rate_to_the_client_alone(self):
        """Work a technician reports outside the package's scope costs the ad-hoc rate, which the client's contact
        is asked to approve: the contact receives the rate, the request's messages that technicians read do not
        hold it (issue "Integrity by construction", item 5)."""
        contact = self.env["res.partner"].create({
            "name": "Carl Client", "parent_id": self.client.id, "email": "carl@client.example",
        })
        self.package.approval_required = True
        task_id = self.rpc(self.technician, "project.task", "create", [{
            "name": "New website", "project_id": self.package.project_id.id, "partner_id": contact.id,
            "it_site_id": self.site_a.id, "it_service_product_id": self.service_other.id,
        }])[0]
        task = self.env["project.task"].browse(task_id)
        self.assertEqual((task.it_approval_state, task.it_approval_rate), ("pending", 200.0))
        domain = [("model", "=", "project.task"), ("res_id", "=", task_id)]
        messages = self.rpc(self.technician, "mail.message", "search_read", domain, ["body", "subject"])
        texts = "\n".join(f"{message['subject'] or ''} {message['body']}" for message in messages)
        self.assertIn("Carl Client was asked to approve paid work", texts)
        self.assertNoMoney(texts, (200.0,), "the request's messages the technician reads")
        shown = self._session_call(self.technician, "/mail/thread/messages",
                                   {"thread_model": "project.task", "thread_id": task_id})
        self.assertIn("was asked to approve paid work", shown)
        self.assertNoMoney(shown, (200.0,), "the technician's chatter")
        # the client's contact receives the rate, in a notification the technician cannot read
        notification = self.env["mail.message"].search([*domain, ("message_type", "=", "user_notification")])
        self.assertEqual(notification.partner_ids, contact)
        self.assertIn("your approval is needed for New website", notification.subject)
        self.assertMoney(notification.body, (200.0,), "the client's mail")
        self.assertIn(contact, self.env["mail.mail"].search([("mail_message_id", "=", notification.id)]).recipient_ids)
        self.assertNotEqual(notification.author_id, self.technician.partner_id)
        with mute_logger("odoo.http"):
            self.assertRpcRefused("security restrictions", self.technician, "mail.message", "read",
                                  notification.ids, ["body"])

    # ------------------------------------------------------------------ the documents

    def _report(self, user, report, record_id):
        self.authenticate(user.login, f"{user.login}_pw")
        with mute_logger("odoo.http", "odoo.addons.web.controllers.report"):
            response = self.url_open(f"/report/html/{report}/{record_id}")
        return response.status_code, response.text

    def test_documents_with_money_are_not_printed_by_technicians(self):
        amendment = self._change_the_money()
        contract_amounts = (141.35, 3456.78, 456.71, 7.25)
        for report, record_id in (("it_service_contracts.report_it_contract_document", self.flat.id),
                                  ("it_service_contracts.report_it_contract_amendment", amendment.id)):
            with self.subTest(report=report):
                status, text = self._report(self.technician, report, record_id)
                self.assertNotEqual(status, 200)
                self.assertNoMoney(text, contract_amounts, "the technician's print")
                for user in self.readers:
                    status, text = self._report(user, report, record_id)
                    self.assertEqual(status, 200, user.login)
                    self.assertMoney(text, (141.35, 3456.78), f"the print of {user.login}")
        # nor are they offered to them: the print menu of a contract
        document = self.env.ref("it_service_contracts.action_report_it_contract_document")
        for user, offered in ((self.technician, False), (self.manager, True), (self.accountant, True)):
            with self.subTest(user=user.login):
                views = self.rpc(user, "it.contract", "get_views", [[False, "form"]], options={"toolbar": True})
                reports = {action["id"] for action in views["views"]["form"]["toolbar"].get("print", [])}
                self.assertEqual(document.id in reports, offered)
        # the monthly client report is the technician's too, and shows no money
        period = self.flat.period_ids[:1]
        status, text = self._report(self.technician, "it_service_contracts.report_it_monthly_client", period.id)
        self.assertEqual(status, 200)
        self.assertIn("IT Services Report", text)
        self.assertNoMoney(text, (130.0, 3000.0, *contract_amounts), "the monthly client report")

    def test_technician_cannot_get_the_documents_through_the_mail_composer(self):
        """The composer renders a template's reports as the system: the documents refuse a technician all the
        same."""
        amendment = self._change_the_money()
        for template, model, record in (("mail_template_it_contract_document", "it.contract", self.flat),
                                        ("mail_template_it_amendment_document", "it.contract.amendment", amendment)):
            with self.subTest(template=template):
                values = {"model": model, "res_ids": str(record.ids), "composition_mode": "comment",
                          "template_id": self.env.ref(f"it_service_contracts.{template}").id}
                # the amendment is not even the technician's to read: its template's language is refused first
                self.assertRpcRefused("shows prices: only IT services managers and invoicing users print it"
                                      if model == "it.contract" else "Failed to render",
                                      self.technician, "mail.compose.message", "create", [values])
                composer = self.rpc(self.manager, "mail.compose.message", "create", [values])
                attachments = self.rpc(self.manager, "mail.compose.message", "read", composer, ["attachment_ids"])
                self.assertEqual(len(attachments[0]["attachment_ids"]), 1, "the document, for the manager")
