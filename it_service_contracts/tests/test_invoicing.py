import importlib.util
from datetime import date
from unittest.mock import patch

import psycopg2

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.modules.module import get_module_path
from odoo.tests import Form, freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from .invoicing_common import ItInvoicingCommon


@tagged("post_install", "-at_install")
class TestInvoicingAmounts(ItInvoicingCommon):
    """The amounts the issue names, invoiced by the accountant from the to-invoice list."""

    def test_flat_fee_and_overage(self):
        """2,000.00 with 10 h included at 130.00/h and 12 h worked in October: in November a fee line of
        2,000.00 and an overage line of 2 x 130.00 referring to the October month."""
        self.vat = self.company.account_sale_tax_id
        with freeze_time("2026-10-20"):
            contract = self._flat()
            contract.fee_product_id.taxes_id = self.vat
            request = self._request(contract)
            october = self._log(request, 8.0, date="2026-10-06") | self._log(request, 4.0, date="2026-10-14")
            self.assertEqual(self._invoice_due(), self.env["account.move"].search(
                [("it_contract_id", "=", contract.id)]), "October's fee is invoiced in October")
        october_period = contract.period_ids.filtered(lambda p: p.date_start.month == 10)
        self.assertEqual((october_period.hours_used, october_period.hours_overage), (10.0, 2.0))
        with freeze_time("2026-11-03"):
            invoice = self._invoice_due()
        self.assertEqual(len(invoice), 1)
        overage_product = self.env.ref("it_service_contracts.product_it_overage")
        self.assertInvoiceLines(invoice, [
            (contract.fee_product_id, 1.0, 2000.0),
            (overage_product, 2.0, 130.0),
        ])
        self.assertEqual(invoice.amount_untaxed, 2260.0)
        self.assertEqual(invoice.invoice_line_ids[1].it_period_id, october_period)
        self.assertEqual(invoice.it_period_id.date_start.month, 11)
        self.assertEqual(invoice.it_contract_id, contract)
        self.assertEqual(invoice.state, "draft")
        self.assertEqual(invoice.invoice_line_ids[0].analytic_distribution,
                         {str(contract.analytic_account_id.id): 100.0})
        self.assertEqual(invoice.invoice_line_ids[0].tax_ids, self.vat)
        # the October time is locked on that invoice
        self.assertEqual(october.mapped("it_invoice_id"), invoice)
        with self.assertRaisesRegex(UserError, "has been invoiced"):
            self._as(self.manager, october[0]).unit_amount = 1.0
        # nothing is due twice
        with freeze_time("2026-11-20"):
            self.assertFalse(self._invoice_due())

    def test_arrears_and_invoicing_day(self):
        with freeze_time("2026-10-20"):
            self._flat(invoice_timing="arrears", invoice_day=5)
            self.assertFalse(self._invoice_due(), "in arrears: nothing is billed during the first month")
        with freeze_time("2026-11-04"):
            self.assertFalse(self._invoice_due(), "not before the invoicing day")
        with freeze_time("2026-11-05"):
            invoice = self._invoice_due()
        self.assertEqual(invoice.it_period_id.date_start.month, 10)
        self.assertEqual(invoice.amount_untaxed, 2000.0)

    def test_prorated_start(self):
        """A contract starting on the 16th of a 30-day month is billed 15/30 of its fee."""
        with freeze_time("2026-11-16"):
            self._flat(date_start="2026-11-16")
            invoice = self._invoice_due(self.manager)  # the IT manager's "To Invoice" list
        self.assertEqual(invoice.amount_untaxed, 1000.0)
        self.assertIn("15 of 30 days", invoice.invoice_line_ids.name)

    def test_package(self):
        """A 10-hour package at 160.00/h is invoiced 1,600.00 as soon as the IT manager activates it."""
        with freeze_time("2026-11-02"):
            package = self._create_contract(hours_total=10.0, date_start="2026-11-02")
            self.assertEqual(package.hourly_rate, 160.0)
            self._as(self.manager, package).action_activate()
        invoice = package.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.amount_untaxed, 1600.0)
        self.assertEqual(invoice.it_invoice_kind, "package")
        with freeze_time("2026-11-03"):
            self.assertFalse(self._invoice_due())

    def test_package_negotiated_price_and_rollover(self):
        with freeze_time("2026-11-02"):
            package = self._active_contract(hours_total=10.0, package_price_agreed=1450.0, date_start="2026-11-02")
        self.assertEqual(package.invoice_ids.amount_untaxed, 1450.0)
        previous = self._active_contract(hours_total=10.0, date_start="2026-01-01", validity_months=1,
                                         rollover_allowed=True)
        previous.invoice_ids.button_cancel()
        renewal = self.env["it.contract"].browse(previous.action_renew()["res_id"])
        previous._expire()
        self.assertEqual((renewal.hours_total, renewal.hours_rolled_over), (20.0, 10.0))
        renewal.action_activate()
        invoice = renewal.invoice_ids
        self.assertEqual(invoice.amount_untaxed, 1600.0, "carried-over hours are not billed again")
        self.assertIn("carried over from", invoice.invoice_line_ids.name)

    def test_adhoc_time_and_materials(self):
        """1.5 h of ad-hoc work at 200.00/h: 300.00, invoiced when the technician completes the request."""
        with freeze_time("2026-11-02"):
            request = self._request(name="Laptop repair")
            self.assertTrue(request.it_is_adhoc)
            lines = self._log(request, 1.5, date="2026-11-02")
            self.assertFalse(self._invoice_due(), "never before the job is completed")
            self._as(self.tech_user, request).state = "1_done"
        invoice = request.it_invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.amount_untaxed, 300.0)
        self.assertInvoiceLines(invoice, [(self.service_support, 1.5, 200.0)])
        self.assertIn("Tom Technician", invoice.invoice_line_ids.name)
        self.assertEqual(lines.it_invoice_id, invoice)
        self.assertEqual(invoice.partner_id, self.client)

    def test_adhoc_fixed_price(self):
        with freeze_time("2026-11-02"):
            request = self._request(name="Network set-up")
            request.write({"it_price_agreement": "fixed", "it_fixed_price": 750.0})
            self._log(request, 5.0, date="2026-11-02")
            request.state = "1_done"
        self.assertEqual(request.it_invoice_ids.amount_untaxed, 750.0)
        # QA: the manager quoted 1.00 on the invoiced job; task and invoice disagreed
        for vals in ({"it_fixed_price": 1.0}, {"it_price_agreement": "time_materials"}):
            with self.subTest(vals=vals), self.assertRaisesRegex(
                    ValidationError, r"is billed on invoice .* at the price agreed then"), self.env.cr.savepoint():
                request.with_user(self.manager).write(vals)
        request.with_user(self.manager).write({"it_fixed_price": 750.0})  # the same price: a form save
        request.it_invoice_ids.with_user(self.accountant).button_cancel()
        request.with_user(self.manager).write({"it_fixed_price": 700.0})  # its invoice no longer stands

    def test_payment_terms_of_client(self):
        terms = self.env.ref("account.account_payment_term_30days")
        self.client.property_payment_term_id = terms
        with freeze_time("2026-11-02"):
            request = self._request()
            self._log(request, 1.0, date="2026-11-02")
            request.state = "1_done"
        self.assertEqual(request.it_invoice_ids.invoice_payment_term_id, terms)

    def test_recurring_service_and_service_credit(self):
        monitoring = self.env["product.product"].create({"name": "Monitoring", "type": "service"})
        with freeze_time("2026-10-01"):
            contract = self._flat(service_credit_percent=5.0, service_credit_cap_percent=8.0, line_ids=[
                Command.create({"product_id": monitoring.id, "quantity": 3.0, "price_unit": 50.0}),
            ])
            self.assertEqual(contract.line_ids._it_monthly_quantity(contract.date_start), 3.0)
            late = self.env["project.task"]
            for name in ("Server down", "Mail down"):
                task = self._request(contract, name=name)
                late |= task
        # response deadlines missed in October (first response after the deadline)
        late.flush_recordset()
        self.env.cr.execute(
            "UPDATE project_task SET sla_response_deadline = '2026-10-05 10:00', first_response_date = "
            "'2026-10-06 10:00' WHERE id IN %s", [tuple(late.ids)])
        late.invalidate_recordset()
        with freeze_time("2026-10-01"):
            self._invoice_due()
        with freeze_time("2026-11-02"):
            invoice = self._invoice_due()
        credit_product = self.env.ref("it_service_contracts.product_it_service_credit")
        self.assertInvoiceLines(invoice, [
            (contract.fee_product_id, 1.0, 2000.0),
            (monitoring, 3.0, 50.0),
            (credit_product, 1.0, -160.0),  # 2 x 5 % capped at 8 % of 2,000.00
        ])
        self.assertIn("Server down", invoice.invoice_line_ids[-1].name)
        self.assertEqual(late.it_credit_move_id, invoice)
        with freeze_time("2026-12-02"):
            december = self._invoice_due()
        self.assertNotIn(credit_product, december.invoice_line_ids.product_id, "a breach is credited once")


    def test_billed_inventory_is_history(self):
        """A workstation billed per asset in October cannot be retired, moved or recategorised back into
        October afterwards (that would silently lower an invoice already issued); from November it can."""
        category = self.env.ref("it_service_contracts.asset_category_workstation")
        care = self.env["product.product"].create({"name": "Workstation care", "type": "service"})
        with freeze_time("2026-10-01"):
            assets = self.env["it.asset"].create([{
                "name": f"PC {index}", "partner_id": self.client.id, "category_id": category.id,
                "company_id": self.company.id, "date_in_service": "2026-09-01",
            } for index in range(3)])
            self._flat(line_ids=[Command.create({
                "product_id": care.id, "pricing": "per_asset", "asset_category_id": category.id,
                "price_unit": 40.0,
            })])
            invoice = self._invoice_due()
            self.env.flush_all()
            self.env.cr.precommit.run()  # the transaction that recorded the inventory is over
        in_service = self.env["it.asset"].search_count([("partner_id", "=", self.client.id),
                                                        ("category_id", "=", category.id)])
        self.assertEqual(invoice.invoice_line_ids.filtered(lambda line: line.product_id == care).quantity, in_service)
        server = self.env.ref("it_service_contracts.asset_category_server")
        technician = assets[0].with_user(self.tech_user).with_context(allowed_company_ids=self.company.ids)
        with freeze_time("2026-10-20"):
            for vals in ({"date_retired": "2026-10-01"}, {"date_in_service": "2026-10-15"},
                         {"category_id": server.id}):
                with self.subTest(vals=vals), self.assertRaisesRegex(ValidationError, "invoiced already"):
                    technician.write(vals)
            technician.date_retired = "2026-11-01"
        self.assertEqual(str(assets[0].date_retired), "2026-11-01")
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracked = assets[0].message_ids.tracking_value_ids.filtered(lambda v: v.field_id.name == "date_retired")
        self.assertTrue(tracked, "a retirement is in the chatter with who and when")


@tagged("post_install", "-at_install")
class TestInvoicingRelease(ItInvoicingCommon):
    """A credit note or a cancellation frees what the invoice billed."""

    def _adhoc_invoice(self):
        with freeze_time("2026-11-02"):
            request = self._request(name="Printer jam")
            lines = self._log(request, 1.5, date="2026-11-02")
            request.state = "1_done"
        return request, lines, request.it_invoice_ids

    def _credit_in_full(self, invoice):
        """The accountant's credit note of the whole invoice (Odoo's reversal wizard), left in draft."""
        wizard = Form(self.env["account.move.reversal"].with_user(self.accountant).with_context(
            active_model="account.move", active_ids=invoice.ids, allowed_company_ids=self.company.ids))
        wizard.reason = "Wrong client"
        wizard.journal_id = invoice.journal_id
        wizard.save().refund_moves()

    def test_credit_note_frees_hours(self):
        request, lines, invoice = self._adhoc_invoice()
        invoice = self._as(self.accountant, invoice)
        invoice.action_post()
        self._credit_in_full(invoice)
        refund = invoice.reversal_move_ids
        self.assertTrue(lines.it_invoice_id, "a draft credit note frees nothing yet")
        refund.action_post()
        self.assertFalse(lines.it_invoice_id)
        self.assertTrue(invoice.it_released)
        # the time is editable again and invoiced again by the next run
        lines.with_user(self.tech_user).name = "Printer jam, corrected"
        with freeze_time("2026-11-03"):
            again = self._invoice_due()
        self.assertEqual(again.it_task_id, request)
        self.assertEqual(again.amount_untaxed, 300.0)
        self.assertEqual(lines.it_invoice_id, again)

    def test_billing_links_cannot_be_forged(self):
        """Neither the accountant nor the IT manager can mark an invoice credited or move its links by hand
        (what the external API writes goes through the same write)."""
        _request, _lines, invoice = self._adhoc_invoice()
        for user in (self.accountant, self.manager):
            for vals in ({"it_released": True}, {"it_task_id": False}, {"it_invoice_kind": False}):
                with self.assertRaisesRegex(UserError, "cannot be changed by hand"):
                    self._as(user, invoice).with_context(it_timesheet_classified=True).write(vals)
        with self.assertRaisesRegex(UserError, "cannot be changed by hand"):
            self.env["account.move"].with_user(self.accountant).create({
                "move_type": "out_invoice", "partner_id": self.client.id, "it_task_id": _request.id,
            })

    def test_what_was_released_is_not_billed_twice(self):
        """QA: a posted credit note set back to draft, or a cancelled invoice set back to draft and posted again,
        kept the release while the next run billed the same time again."""
        request, lines, invoice = self._adhoc_invoice()
        invoice = self._as(self.accountant, invoice)
        invoice.action_post()
        self._credit_in_full(invoice)
        refund = invoice.reversal_move_ids.with_user(self.accountant)
        refund.action_post()
        self.assertTrue(invoice.it_released)
        for label, action in (("draft", refund.button_draft), ("cancel", refund.button_cancel),
                              ("write", lambda: refund.write({"state": "draft"}))):
            with self.subTest(action=label), self.assertRaisesRegex(
                    UserError, "released what invoice .* billed, to be invoiced again: it stays posted"), \
                    self.env.cr.savepoint():
                action()
        self.assertEqual((refund.state, invoice.it_released), ("posted", True))
        with freeze_time("2026-11-03"):
            again = self._invoice_due()
        self.assertEqual((again.it_task_id, lines.it_invoice_id), (request, again))
        # the new invoice is cancelled: it releases the time, and is not set back to draft to bill it again
        self._as(self.accountant, again).button_cancel()
        self.assertFalse(lines.it_invoice_id)
        with self.assertRaisesRegex(UserError, "was cancelled: what it billed was released"), \
                self.env.cr.savepoint():
            self._as(self.accountant, again).button_draft()
        self.assertEqual(again.state, "cancel")
        with freeze_time("2026-11-04"):
            third = self._invoice_due()
        self.assertEqual((third.it_task_id, lines.it_invoice_id), (request, third))

    def test_partial_credit_note_keeps_lock(self):
        _request, lines, invoice = self._adhoc_invoice()
        invoice.action_post()
        refund = invoice._reverse_moves()
        refund.invoice_line_ids.price_unit = 50.0
        refund.action_post()
        self.assertEqual(lines.it_invoice_id, invoice)
        self.assertFalse(invoice.it_released)

    def test_cancel_frees_period(self):
        with freeze_time("2026-10-20"):
            contract = self._flat()
            request = self._request(contract)
            self._log(request, 12.0, date="2026-10-06")
            self._invoice_due()
        with freeze_time("2026-11-03"):
            november = self._invoice_due()
            self._as(self.accountant, november).button_cancel()
            self.assertFalse(self.env["account.analytic.line"].search([("it_invoice_id", "=", november.id)]))
            again = self._invoice_due()
        self.assertEqual(again.it_period_id, november.it_period_id)
        self.assertEqual(again.amount_untaxed, 2260.0)


@tagged("post_install", "-at_install")
class TestInvoicingRuns(ItInvoicingCommon):
    """The scheduled action: settings, bad input, re-runs, killed runs, uniqueness in the database."""

    def test_settings_post_and_journal_with_usage_statement(self):
        journal = self.env["account.journal"].create({
            "name": "IT invoices", "code": "ITS", "type": "sale", "company_id": self.company.id,
        })
        admin = new_test_user(self.env, "it_admin", groups="base.group_system,account.group_account_manager",
                              company_id=self.company.id, company_ids=[(6, 0, self.company.ids)])
        settings = self.env["res.config.settings"].with_user(admin).with_context(
            allowed_company_ids=self.company.ids).create({})
        settings.it_invoice_auto_post = True
        settings.it_invoice_journal_id = journal
        settings.execute()
        with freeze_time("2026-10-20"):
            contract = self._flat()
            self._log(self._request(contract), 3.0, date="2026-10-06")
            self._run_invoicing()
        invoice = contract.invoice_ids
        self.assertEqual((invoice.state, invoice.journal_id), ("posted", journal))
        attachment = self.env["ir.attachment"].search([("res_model", "=", "account.move"), ("res_id", "=", invoice.id)])
        self.assertTrue(attachment.filtered(lambda a: a.name.startswith("Usage statement")))
        # posted again after a correction in draft: its statement is made anew, not added to the old one (QA)
        before = invoice._it_report_attachments()
        names = sorted(before.mapped("name"))
        self._as(self.accountant, invoice).button_draft()
        self._as(self.accountant, invoice).action_post()
        statements = invoice._it_report_attachments()
        self.assertEqual(sorted(statements.mapped("name")), names)
        self.assertFalse(before.exists())
        with freeze_time("2026-11-03"):
            self._run_invoicing()
        november = contract.invoice_ids - invoice
        html = self.env["ir.actions.report"]._render_qweb_html(
            "it_service_contracts.report_it_usage_statement", november.ids)[0].decode()
        self.assertIn("Tom Technician", html)
        self.assertIn("Included Hours", html)

    def test_bad_inputs_become_activities(self):
        """Bad input is reported on the contract to the accountant while the rest of the batch is invoiced."""
        self.company.it_invoice_user_id = self.accountant
        no_income = self.env["product.product"].create({"name": "Unaccounted fee", "type": "service"})
        no_income.categ_id = self.env["product.category"].create({"name": "No accounts"})
        with freeze_time("2026-10-20"):
            good = self._flat()
            bad_partner = self._flat_for("Nowhere Ltd", partner_values={"street": False, "city": False})
            bad_product = self._flat_for("Unaccounted Ltd", fee_product_id=no_income.id)
            no_product = self._flat_for("Productless Ltd")
            no_product.fee_product_id = False
            income = self.company.income_account_id
            good.fee_product_id.property_account_income_id = income
            self.company.income_account_id = False
            self.env["ir.default"].discard_values("product.category", "property_account_income_categ_id", [income.id])
        with freeze_time("2026-10-20"), mute_logger("odoo.addons.it_service_contracts.models.it_cron_batch"):
            self._run_invoicing()
        Move = self.env["account.move"]
        self.assertEqual(Move.search_count([("it_contract_id", "=", good.id)]), 1)
        for contract, pattern in ((bad_partner, "has no address"), (bad_product, "has no income account"),
                                  (no_product, "no fee product")):
            self.assertFalse(Move.search([("it_contract_id", "=", contract.id)]))
            activity = contract.activity_ids
            self.assertEqual(activity.user_id, self.accountant)
            self.assertRegex(str(activity.note), pattern)
            self.assertIn(contract.name, str(activity.note))

    def test_zero_hour_package_is_reported(self):
        with freeze_time("2026-11-02"):
            package = self._active_contract(hours_total=5.0, date_start="2026-11-02")
            package.invoice_ids.button_cancel()
            self.env.cr.execute("UPDATE it_contract SET hours_rolled_over = 5, hours_sold = 0 WHERE id = %s",
                                [package.id])
            package.invalidate_recordset()
            with mute_logger("odoo.addons.it_service_contracts.models.it_cron_batch"):
                self._run_invoicing()
        self.assertFalse(package.invoice_ids.filtered(lambda m: m.state != "cancel"))
        self.assertRegex(str(package.activity_ids.note), f"{package.name}.*no hours bought")

    def test_twice_invoices_once_and_database_refuses_duplicates(self):
        with freeze_time("2026-10-20"):
            contracts = self._flat() | self._flat_for("Second Client")
            self._run_invoicing()
            self._run_invoicing()
            self.assertFalse(self.env["it.invoicing"]._it_invoice(contracts))
        invoice = contracts[0].invoice_ids
        self.assertEqual(len(contracts.invoice_ids), 2)
        with self.assertRaises(psycopg2.IntegrityError), mute_logger("odoo.sql_db"):
            invoice._it_addon_env().copy({
                "it_period_id": invoice.it_period_id.id, "it_invoice_kind": "flat",
            }).flush_recordset()

    def test_backdated_contract_is_billed_for_every_month_once(self):
        """A flat contract started in August and activated on 20 October: August, September and October are
        each invoiced once by the next run, however often it runs again."""
        with freeze_time("2026-10-20"):
            contract = self._flat(date_start="2026-08-01")
            self._run_invoicing()
            self._run_invoicing()
            self.assertFalse(self.env["it.invoicing"]._it_invoice(contract), "nothing is due twice")
        invoices = contract.invoice_ids
        self.assertEqual(sorted(invoices.it_period_id.mapped("date_start")),
                         [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)])
        self.assertEqual(invoices.mapped("amount_untaxed"), [2000.0] * 3)

    def test_month_whose_runs_all_failed_is_billed_later(self):
        """No run happened in November (the server was down): the December run bills November and December."""
        with freeze_time("2026-10-20"):
            contract = self._flat()
            self._run_invoicing()
        with freeze_time("2026-12-02"):
            self._run_invoicing()
            self._run_invoicing()
        self.assertEqual(sorted(contract.invoice_ids.it_period_id.mapped("date_start")),
                         [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)])

    def test_killed_run_completes_on_rerun(self):
        """A run killed after its first committed batch: the re-run invoices the rest, nothing twice."""
        with freeze_time("2026-10-20"):
            contracts = self.env["it.contract"].concat(*(self._flat_for(f"Client {i}") for i in range(5)))
            # the killed run: its first batch was committed, the second one died with the worker
            first_batch = self.env["it.invoicing"]._it_invoice(contracts[:2])
            self.assertEqual(len(first_batch), 2)
            with patch.object(type(self.env["it.invoicing"]), "_it_create_invoices", side_effect=KeyboardInterrupt):
                with self.assertRaises(KeyboardInterrupt), self.env.cr.savepoint():
                    self.env["it.invoicing"]._it_invoice(contracts[2:])
            self._run_invoicing()
        invoices = self.env["account.move"].search([("it_contract_id", "in", contracts.ids)])
        self.assertEqual(invoices.it_contract_id, contracts)
        self.assertEqual(len(invoices), 5, "one invoice per contract, the committed ones not repeated")
        self.assertLessEqual(set(first_batch.ids), set(invoices.ids))


@tagged("post_install", "-at_install")
class TestAdditionalServices(ItInvoicingCommon):

    def test_quotation_from_contract_invoiced_through_sales(self):
        with freeze_time("2026-10-20"):
            contract = self._flat()
        extra = self.env["product.product"].create({
            "name": "Firewall replacement", "type": "service", "invoice_policy": "order", "list_price": 900.0,
        })
        action = self._as(self.manager, contract).action_new_quotation()
        order = self.env["sale.order"].with_user(self.manager).browse(action["res_id"])
        self.assertEqual((order.partner_id, order.it_contract_id), (self.client, contract))
        order.order_line = [Command.create({"product_id": extra.id, "price_unit": 850.0})]
        order.action_confirm()
        invoice = order._create_invoices()
        self.assertEqual(invoice.it_contract_id, contract)
        self.assertIn(invoice, contract.invoice_ids)
        self.assertEqual(contract.sale_order_count, 1)
        self.assertEqual(invoice.amount_untaxed, 850.0)


@tagged("post_install", "-at_install")
class TestInvoicingMigration(ItInvoicingCommon):

    def test_contracts_of_the_released_version_get_their_fee_product(self):
        spec = importlib.util.spec_from_file_location(
            "post_invoicing", get_module_path("it_service_contracts") + "/migrations/19.0.2.0.0/post-invoicing.py")
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        with freeze_time("2026-10-20"):
            flat = self._flat()
            package = self._active_contract(hours_total=10.0, date_start="2026-10-01")
        self.env.flush_all()
        self.env.cr.execute("UPDATE it_contract SET fee_product_id = NULL WHERE id IN %s", [(flat.id, package.id)])
        self.env.invalidate_all()
        migration.migrate(self.env.cr, "19.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(flat.fee_product_id, self.env.ref("it_service_contracts.product_it_flat_fee"))
        self.assertEqual(package.fee_product_id, self.env.ref("it_service_contracts.product_it_package"))
        self.assertEqual((flat.monthly_fee, package.hours_total), (2000.0, 10.0), "the figures are kept")
