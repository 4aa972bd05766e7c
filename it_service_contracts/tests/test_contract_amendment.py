from xmlrpc.client import Fault

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, freeze_time, new_test_user, tagged
from odoo.tools import format_date, mute_logger

from .invoicing_common import ItInvoicingCommon
from .test_contract_document import SIGNATURE


@tagged("post_install", "-at_install")
class TestContractAmendment(ItInvoicingCommon):
    """Amendments from an effective date (issue 11, item 3): a flat contract of 10 included hours a month for
    2,000 at 130 an hour, amended on 15 October to 15 hours for 2,500."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client.lang = "en_US"
        with freeze_time("2026-10-20"):
            cls.flat = cls._active_contract(
                "monthly_flat", date_start="2026-10-01", date_end="2027-09-30", monthly_fee=2000.0,
                monthly_hours=10.0, hourly_rate=130.0, invoice_timing="arrears", invoice_day=1,
            )
            cls.request = cls._request(cls.flat, site=cls.site_a, name="Mail server")

    def _amend(self, **values):
        Amendment = self.env["it.contract.amendment"].with_user(self.manager).with_context(
            allowed_company_ids=self.company.ids, tracking_disable=False)
        return Amendment.create({"contract_id": self.flat.id, "effective_date": "2026-10-15", **values})

    def _october(self):
        return self.flat.period_ids.filtered(lambda p: p.date_start.month == 10)

    @freeze_time("2026-10-20")
    def test_lines_before_and_after_the_date_and_the_invoice(self):
        before = self._log(self.request, 12.0, date="2026-10-10")
        amendment = self._amend(monthly_hours=15.0, monthly_fee=2500.0, reason="Second office")
        self.assertEqual((amendment.hourly_rate, amendment.monthly_hours), (130.0, 15.0), "starts from the terms")
        amendment.action_confirm()
        self.assertEqual(amendment.state, "in_force")
        self.assertEqual((self.flat.monthly_hours, self.flat.monthly_fee), (15.0, 2500.0))
        self.assertEqual(amendment.terms_before["monthly_hours"], 10.0)
        after = self._log(self.request, 3.0, date="2026-10-20")
        lines = before | after | self.request.timesheet_ids
        # the 10th drew up to the 10 hours of its day, the 20th up to the 15 of its own
        self.assertBilled(lines, [
            ("included", 10.0, self.flat), ("overage", 2.0, self.flat), ("included", 3.0, self.flat),
        ])
        october = self._october()
        self.assertEqual((october.hours_included, october.hours_used, october.hours_overage), (15.0, 13.0, 2.0))
        # the chatter tracks the change of each term
        tracked = self.flat.message_ids.tracking_value_ids.mapped("field_id.name")
        self.assertIn("monthly_hours", tracked)
        self.assertIn("monthly_fee", tracked)
        with freeze_time("2026-11-02"):
            invoice = self._invoice_due()
        self.assertEqual(invoice.it_period_id, october)
        overage = self.env.ref("it_service_contracts.product_it_overage")
        self.assertInvoiceLines(invoice, [
            (self.flat.fee_product_id, 1.0, round(2000.0 * 14 / 31, 2)),
            (self.flat.fee_product_id, 1.0, round(2500.0 * 17 / 31, 2)),
            (overage, 2.0, 130.0),
        ])
        self.assertIn("(14 of 31 days) from", invoice.invoice_line_ids[0].name)
        self.assertIn("(17 of 31 days) from", invoice.invoice_line_ids[1].name)

    @freeze_time("2026-10-20")
    def test_a_back_dated_amendment_classifies_the_time_since_again(self):
        first = self._log(self.request, 10.0, date="2026-10-12")
        second = self._log(self.request, 3.0, date="2026-10-16")
        self.assertBilled(second, [("overage", 3.0, self.flat)])
        self._amend(monthly_hours=15.0).action_confirm()
        self.assertBilled(first | second, [("included", 10.0, self.flat), ("included", 3.0, self.flat)])
        self.assertEqual(self._october().hours_overage, 0.0)

    @freeze_time("2026-10-20")
    def test_scope_and_rate_from_the_date(self):
        self._amend(service_product_ids=[Command.link(self.service_other.id)], hourly_rate=120.0).action_confirm()
        self.assertEqual(self.flat.hourly_rate, 120.0)
        outside = self._request(self.flat, site=self.site_a, service=self.service_other, name="Website")
        early = self._log(outside, 1.0, date="2026-10-14")
        late = self._log(outside, 1.0, date="2026-10-16")
        self.assertEqual(early.it_billing_type, "adhoc", "out of scope before the amendment")
        self.assertEqual(late.it_billing_type, "included", "in scope from the amendment")

    @freeze_time("2026-10-20")
    def test_a_running_contracts_price_changes_only_by_amendment(self):
        """The form shows the price of a running contract read-only; no other write path changes it either: the
        months already worked would be billed at the new fee (rule 10)."""
        flat = self.flat.with_user(self.manager).with_context(allowed_company_ids=self.company.ids)
        for values in ({"monthly_fee": 2500.0}, {"monthly_hours": 15.0}, {"hourly_rate": 120.0},
                       {"monthly_fee": 2500.0, "note": "<p>more</p>"}):
            with self.subTest(values=values), self.assertRefused(
                    r"is running: its .* change from a date, with an amendment the client accepts"):
                flat.write(values)
        self.assertRecordValues(self.flat, [{"monthly_fee": 2000.0, "monthly_hours": 10.0, "hourly_rate": 130.0}])
        flat.write({"monthly_fee": 2000.0, "monthly_hours": 10.0, "invoice_day": 5})  # the same price: a form save
        self._amend(monthly_fee=2500.0, monthly_hours=15.0).action_confirm()
        self.assertRecordValues(self.flat, [{"monthly_fee": 2500.0, "monthly_hours": 15.0}])
        self.assertEqual(self.flat._it_terms_on(fields.Date.to_date("2026-10-14"))["monthly_fee"], 2000.0)
        package = self._active_contract(date_start="2026-10-01", validity_months=6, package_price_agreed=3000.0)
        for values in ({"package_price_agreed": 1.0}, {"hourly_rate": 1.0}):
            with self.subTest(values=values), self.assertRefused(r"has started: its .* can no longer change"):
                package.with_user(self.manager).write(values)
        self.assertRecordValues(package, [{"package_price_agreed": 3000.0}])
        self.flat.with_user(self.manager).action_close()
        with self.assertRefused(r"has ended: its Monthly Fee can no longer change"):
            self.flat.with_user(self.manager).write({"monthly_fee": 1.0})

    @freeze_time("2026-10-20")
    def test_a_future_amendment_waits_for_its_date(self):
        amendment = self._amend(effective_date="2026-11-01", monthly_hours=20.0, sla_line_ids=[Command.create({
            "priority": "1", "response_hours": 2.0, "resolution_hours": 8.0})])
        amendment.action_confirm()
        self.assertEqual((amendment.state, self.flat.monthly_hours), ("confirmed", 10.0))
        with self.assertRaisesRegex(UserError, "is agreed"):
            amendment.with_user(self.manager).write({"monthly_hours": 30.0})
        # its response times are terms too: neither changed, added nor removed once agreed
        lines = amendment.sla_line_ids.with_user(self.manager)
        self.assertTrue(lines, "the amendment carries its response times")
        with self.assertRaisesRegex(UserError, "is agreed"):
            lines[:1].response_hours = lines[:1].response_hours + 1
        with self.assertRaisesRegex(UserError, "is agreed"):
            lines[:1].unlink()
        with self.assertRaisesRegex(UserError, "is agreed"):
            self.env["it.contract.amendment.sla"].with_user(self.manager).create({
                "amendment_id": amendment.id, "priority": "3" if "3" not in lines.mapped("priority") else "0",
                "response_hours": 1.0, "resolution_hours": 2.0,
            })
        with freeze_time("2026-11-01"):
            self._trigger_cron("it_service_contracts.ir_cron_it_contract_amendments")
        self.assertEqual((amendment.state, self.flat.monthly_hours), ("in_force", 20.0))
        self.assertIn(amendment, self.flat.amendment_ids)

    @freeze_time("2026-10-20")
    def test_bad_dates_and_contracts_are_refused(self):
        count = self.env["it.contract.amendment"].search_count([])
        with self.assertRaisesRegex(ValidationError, "outside the contract's validity"), self.env.cr.savepoint():
            self._amend(effective_date="2026-09-30")
        with self.assertRaisesRegex(ValidationError, "outside the contract's validity"), self.env.cr.savepoint():
            self._amend(effective_date="2027-10-01")
        draft = self._create_contract("monthly_flat", date_start="2026-10-01", monthly_fee=1000.0, monthly_hours=5.0)
        draft.action_cancel()
        with self.assertRaisesRegex(ValidationError, "is Cancelled: only a running contract"), \
                self.env.cr.savepoint():
            self._amend(contract_id=draft.id)
        self.assertEqual(self.env["it.contract.amendment"].search_count([]), count, "nothing saved")
        self.assertEqual(self.flat.monthly_hours, 10.0)
        # in date order
        self._amend(effective_date="2026-10-18", monthly_hours=12.0).action_confirm()
        earlier = self._amend(monthly_hours=14.0)
        with self.assertRaisesRegex(UserError, "take effect in date order"):
            earlier.action_confirm()

    @freeze_time("2026-10-20")
    def test_terms_the_contract_refuses_are_refused_at_once(self):
        """An amendment's terms are checked by the contract's own rules when it is made, changed or confirmed,
        not only when it comes in force (a confirmed amendment would hold back the others until its day)."""
        Amendment = self.env["it.contract.amendment"]
        count = Amendment.search_count([])
        foreign_site = self.env["res.partner"].create({"name": "Elsewhere", "parent_id": self.other_client.id})
        for values, message in (
            ({"hourly_rate": 99999.0}, "must be lower than the standard hour package rate"),
            ({"hourly_rate": 0.0}, "hourly rate of contract .* must be positive"),
            ({"monthly_hours": -5.0}, "Rates, hours and fees cannot be negative"),
            ({"monthly_fee": -100.0}, "without a monthly fee"),  # as the contract itself says it
            ({"out_of_hours_response_hours": -1.0}, "Rates, hours and fees cannot be negative"),
            ({"monthly_fee": 0.0}, "without a monthly fee"),
            ({"service_product_ids": [Command.clear()]}, "without a scope"),
            ({"site_ids": [Command.link(foreign_site.id)]}, "must be addresses of its client"),
        ):
            with self.subTest(values=values), \
                    self.assertRaisesRegex(ValidationError, f"^Amendment .*: .*{message}"), self.env.cr.savepoint():
                self._amend(effective_date="2026-11-01", **values)
        self.assertEqual(Amendment.search_count([]), count, "nothing saved")
        # changed later: refused the same way, and what it had stays
        amendment = self._amend(effective_date="2026-11-01", monthly_hours=12.0)
        for values in ({"hourly_rate": 99999.0}, {"monthly_hours": -5.0}, {"monthly_fee": -100.0}):
            with self.subTest(values=values), self.assertRaises(ValidationError), self.env.cr.savepoint():
                amendment.with_user(self.manager).write(values)
        self.assertEqual((amendment.hourly_rate, amendment.monthly_hours, amendment.monthly_fee), (130.0, 12.0, 2000.0))
        self.assertEqual((self.flat.hourly_rate, self.flat.monthly_hours, self.flat.monthly_fee), (130.0, 10.0, 2000.0),
                         "the contract keeps its terms")
        amendment.with_user(self.manager).action_confirm()
        self.assertEqual(amendment.state, "confirmed")
        self.assertEqual(self.flat.monthly_hours, 10.0, "until its day")

    @freeze_time("2026-10-20")
    def test_a_package_hours_and_rate_are_not_amended(self):
        """Hours added by an amendment were never invoiced (QA): what a package's client bought is bought once."""
        package = self._active_contract(hours_total=20.0, date_start="2026-10-01", validity_months=3,
                                        service_product_ids=[Command.set(self.service_other.ids)])
        Amendment = self.env["it.contract.amendment"].with_user(self.manager)
        count = Amendment.search_count([])
        for values in ({"hours_total": 100.0}, {"hours_total": 8.0}, {"hourly_rate": 150.0}):
            with self.subTest(values=values), self.assertRaisesRegex(
                    ValidationError, "were bought and invoiced when it started, and no amendment changes them"), \
                    self.env.cr.savepoint():
                Amendment.create({"contract_id": package.id, "effective_date": "2026-11-01", **values})
        self.assertEqual(Amendment.search_count([]), count)
        # its scope and places are amended as any contract's
        amendment = Amendment.create({
            "contract_id": package.id, "effective_date": "2026-10-20",
            "service_product_ids": [Command.set((self.service_other | self.service_support).ids)],
        })
        with self.assertRaisesRegex(ValidationError, "were bought and invoiced"), self.env.cr.savepoint():
            amendment.write({"hours_total": 40.0})
        amendment.action_confirm()
        self.assertEqual(amendment.state, "in_force")
        self.assertEqual((package.hours_total, package.hourly_rate, package.service_product_ids),
                         (20.0, amendment.hourly_rate, self.service_other | self.service_support))

    @freeze_time("2026-10-20")
    def test_renewal_carries_the_terms_in_force_at_the_end(self):
        self._amend(monthly_hours=15.0, monthly_fee=2500.0).action_confirm()
        self._amend(effective_date="2027-06-01", hourly_rate=125.0, sla_line_ids=[
            Command.create({"priority": "3", "response_hours": 1.0, "resolution_hours": 4.0}),
        ]).action_confirm()
        renewal = self.env["it.contract"].browse(
            self.flat.with_user(self.manager).with_context(allowed_company_ids=self.company.ids)
            .action_renew()["res_id"])
        self.assertEqual((renewal.state, renewal.monthly_hours, renewal.monthly_fee, renewal.hourly_rate),
                         ("draft", 15.0, 2500.0, 125.0))
        self.assertEqual(renewal.sla_line_ids.mapped("priority"), ["3"])
        changes = renewal.renewal_changes_html
        self.assertRegex(changes, r"Hourly Rate.*130\.00.*125\.00")
        self.assertIn("01:00 / 04:00", changes)
        self.assertNotIn("Included Hours per Month", changes, "the same as the current terms")
        # the old contract keeps its history
        self.assertEqual(self.flat.amendment_ids.mapped("state"), ["in_force", "confirmed"])

    @freeze_time("2026-10-20")
    def test_terms_on_a_day_in_one_query(self):
        self._amend(monthly_hours=15.0).action_confirm()
        self._amend(effective_date="2026-10-18", monthly_hours=18.0).action_confirm()
        Contract = self.env["it.contract"]
        self.env.invalidate_all()
        with self.assertQueryCount(1):
            timeline = Contract._it_amendment_timeline(self.flat.ids, Contract._fields["date_start"].to_date(
                "2026-10-01"))
        current = {"monthly_hours": self.flat.monthly_hours}
        terms_on = {day: Contract._it_terms_at(current, timeline[self.flat.id], Contract._fields[
            "date_start"].to_date(day))["monthly_hours"] for day in ("2026-10-10", "2026-10-16", "2026-10-19")}
        self.assertEqual(terms_on, {"2026-10-10": 10.0, "2026-10-16": 15.0, "2026-10-19": 18.0})

    @freeze_time("2026-10-20")
    def test_who_may_amend(self):
        with self.assertRaises(AccessError):
            self.env["it.contract.amendment"].with_user(self.tech_user).search([])
        amendment = self._amend(monthly_hours=15.0)
        with self.assertRaisesRegex(UserError, "maintained by the IT services addon"):
            amendment.with_user(self.manager).write({"state": "in_force"})
        self.assertEqual(
            self.env["it.contract.amendment"].with_user(self.accountant).search([("id", "=", amendment.id)]),
            amendment, "the accountant reads amendments",
        )
        with self.assertRaises(AccessError):
            amendment.with_user(self.accountant).write({"reason": "mine"})


@tagged("post_install", "-at_install")
class TestContractAmendmentRpc(HttpCase, ItInvoicingCommon):
    """The rules of amendments hold over the external API."""

    @mute_logger("odoo.addons.rpc.controllers.xmlrpc", "odoo.http")
    def _rpc(self, user, password, model, method, *args):
        return self.xmlrpc_object.execute_kw(self.env.cr.dbname, user.id, password, model, method, list(args))

    def test_rpc(self):
        flat = self._flat(date_start="2026-10-01")
        manager = new_test_user(self.env, "amend_rpc_manager", groups="it_service_contracts.group_it_manager",
                                company_id=self.company.id, company_ids=[Command.set(self.company.ids)])
        amendment_id = self._rpc(manager, "amend_rpc_manager", "it.contract.amendment", "create", [{
            "contract_id": flat.id, "effective_date": "2026-10-15", "monthly_hours": 12.0,
        }])[0]
        with self.assertRaisesRegex(Fault, "maintained by the IT services addon"):
            self._rpc(manager, "amend_rpc_manager", "it.contract.amendment", "write", [amendment_id],
                      {"state": "in_force"})
        with self.assertRaisesRegex(Fault, "outside the contract's validity"):
            self._rpc(manager, "amend_rpc_manager", "it.contract.amendment", "create", [{
                "contract_id": flat.id, "effective_date": "2026-09-01",
            }])
        with self.assertRaises(Fault):
            self._rpc(self.tech_user, "it_invoicing_tech", "it.contract.amendment", "read", [amendment_id],
                      ["monthly_hours"])
        with self.assertRaisesRegex(Fault, "is running: its Monthly Fee change from a date"):
            self._rpc(manager, "amend_rpc_manager", "it.contract", "write", [flat.id], {"monthly_fee": 1.0})
        self.assertEqual(flat.monthly_fee, 2000.0)


@tagged("post_install", "-at_install")
class TestAmendmentAcceptance(HttpCase, ItInvoicingCommon):
    """An amendment's own document and the client's acceptance of it in the portal (issue 11, item 3)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._it_english_frontend()
        cls.client.write({"lang": "en_US", "email": "office@client.example"})
        cls.company.it_contract_acceptance_required = True
        cls.flat = cls._active_contract(
            "monthly_flat", date_start="2026-10-01", monthly_fee=2000.0, monthly_hours=10.0, hourly_rate=130.0,
            acceptance_required=False,
        )
        # a contract the client accepted online, as the company asks
        cls.flat._it_addon_write({"acceptance_required": True, "acceptance_state": "accepted"})
        cls.contact_a = cls.env["res.partner"].create({
            "name": "Alice A", "parent_id": cls.client.id, "email": "alice@client.example",
        })
        other_contact = cls.env["res.partner"].create({"name": "Bob B", "parent_id": cls.other_client.id})
        cls.portal_a = new_test_user(cls.env, "amend_portal_a", groups="base.group_portal",
                                     partner_id=cls.contact_a.id)
        cls.portal_b = new_test_user(cls.env, "amend_portal_b", groups="base.group_portal",
                                     partner_id=other_contact.id)
        cls.amendment = cls.env["it.contract.amendment"].create({
            "contract_id": cls.flat.id, "effective_date": "2026-11-15", "monthly_hours": 16.0,
            "monthly_fee": 2600.0, "reason": "A second office",
        })

    def _html(self):
        report = self.env["ir.actions.report"].with_user(self.manager).with_context(
            allowed_company_ids=self.company.ids)
        return report._render_qweb_html("it_service_contracts.action_report_it_contract_amendment",
                                        self.amendment.ids)[0].decode()

    def test_document_shows_the_date_and_before_after(self):
        html = self._html()
        self.assertIn(format_date(self.env(context={"lang": "en_US"}), self.amendment.effective_date), html)
        self.assertRegex(html, r"Included Hours per Month</td><td>10:00</td><td>16:00")
        self.assertRegex(html, r"Monthly Fee</td><td>\$\xa02,000\.00</td><td>\$\xa02,600\.00")
        self.assertIn("A second office", html)
        self.assertIn("Name, date and signature", html)

    def test_client_accepts_in_the_portal_then_the_firm_confirms(self):
        with self.assertRaisesRegex(UserError, "requires the client's online acceptance"):
            self.amendment.with_user(self.manager).with_context(
                allowed_company_ids=self.company.ids).action_confirm()
        self.authenticate("amend_portal_a", "amend_portal_a")
        self.assertEqual(self.url_open(f"/my/it/amendments/{self.amendment.id}", allow_redirects=False)
                         .status_code, 303, "not sent yet: not in the portal")
        action = self.amendment.with_user(self.manager).with_context(
            allowed_company_ids=self.company.ids).action_it_send_document()
        composer = self.env["mail.compose.message"].with_user(self.manager).with_context(
            allowed_company_ids=self.company.ids, **action["context"]).create({})
        composer.action_send_mail()
        self.assertEqual(self.amendment.acceptance_state, "sent")
        mail = self.amendment.message_ids.filtered(lambda m: "for your acceptance" in (m.subject or ""))
        self.assertEqual(len(mail.attachment_ids), 1, "the PDF goes with the mail")
        page = self.url_open(f"/my/it/amendments/{self.amendment.id}")
        self.assertIn("Accept and sign", page.text)
        self.assertIn(f"/my/it/amendments/{self.amendment.id}", self.url_open(
            f"/my/it/contracts/{self.flat.id}").text)
        # another client's contact can neither open nor accept it
        self.authenticate("amend_portal_b", "amend_portal_b")
        self.assertEqual(self.url_open(f"/my/it/amendments/{self.amendment.id}", allow_redirects=False)
                         .status_code, 303)
        answer = self.make_jsonrpc_request(f"/my/it/amendments/{self.amendment.id}/accept", {
            "name": "Bob B", "signature": SIGNATURE})
        self.assertIn("not one of your company's", answer["error"])
        self.assertEqual(self.amendment.acceptance_state, "sent")
        self.authenticate("amend_portal_a", "amend_portal_a")
        answer = self.make_jsonrpc_request(f"/my/it/amendments/{self.amendment.id}/accept", {
            "name": "", "signature": SIGNATURE})
        self.assertIn("Type your full name", answer["error"])
        answer = self.make_jsonrpc_request(f"/my/it/amendments/{self.amendment.id}/accept", {
            "name": "Alice A", "signature": SIGNATURE})
        self.assertTrue(answer.get("force_refresh"), answer)
        self.assertEqual((self.amendment.acceptance_state, self.amendment.accepted_partner_id,
                          self.amendment.accepted_by_name), ("accepted", self.contact_a, "Alice A"))
        self.assertTrue(self.amendment.accepted_date and self.amendment.signed_document_id)
        self.amendment.with_user(self.manager).with_context(allowed_company_ids=self.company.ids).action_confirm()
        self.assertEqual(self.amendment.state, "confirmed")
        history = self.flat.with_user(self.manager).with_context(allowed_company_ids=self.company.ids).version_history
        day = format_date(self.env(context={"lang": "en_US"}), self.amendment.effective_date)
        self.assertRegex(history, f"Original terms.*{self.amendment.name}</td><td>{day}</td><td>Confirmed")
