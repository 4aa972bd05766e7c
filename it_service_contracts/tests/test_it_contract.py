from datetime import date

from odoo.tests import Form, freeze_time, new_test_user, tagged

from .common import ItServiceCommon


@tagged("post_install", "-at_install")
class TestItContract(ItServiceCommon):
    def assertCreateRefused(self, vals, pattern):
        """Creating `vals` is refused with a message matching `pattern` and leaves no contract behind."""
        before = self.env["it.contract"].search_count([])
        with self.assertRefused(pattern):
            self.env["it.contract"].create(vals)
        self.assertEqual(self.env["it.contract"].search_count([]), before)

    # ------------------------------------------------------------ defaults and dates

    def test_reference_from_sequence(self):
        first, second = self._create_contract(), self._create_contract()
        self.assertRegex(first.name, r"^SC/2026/\d{4}$")
        self.assertNotEqual(first.name, second.name)

    def test_reference_is_never_set_by_hand(self):
        """The manager is told that the reference is the sequence's, not that it is an hours counter."""
        manager = new_test_user(self.env, "it_contract_ref_manager", groups="it_service_contracts.group_it_manager",
                                company_id=self.company.id, company_ids=[(6, 0, self.company.ids)])
        contract = self._create_contract().with_user(manager)
        reference = contract.name
        message = r"^The reference of a contract \(Reference\) is given by the company's sequence"
        with self.assertRefused(message):
            contract.write({"name": "X-1"})
        with self.assertRefused(message):
            contract.copy({"name": "X-2"})
        with self.assertRefused(message):
            self.env["it.contract"].with_user(manager).create(self._contract_vals(name="X-3"))
        self.assertEqual(contract.name, reference)
        self.assertFalse(self.env["it.contract"].search_count([("name", "like", "X-")]))

    def test_rates_default_from_company_settings(self):
        package = self._create_contract("hour_package")
        flat = self._create_contract("monthly_flat")
        self.assertEqual(package.hourly_rate, 160.0)
        self.assertEqual(flat.hourly_rate, 130.0)
        with Form(self.env["it.contract"]) as form:
            form.partner_id = self.client
            form.contract_type = "monthly_flat"
            self.assertEqual(form.hourly_rate, 130.0)
            form.contract_type = "hour_package"
            self.assertEqual(form.hourly_rate, 160.0)
            form.hours_total = 10
            form.service_product_ids.add(self.service_support)
            self.assertEqual(form.audit_id, self.audit, "the client's completed audit is proposed")

    def test_package_end_date_follows_start_and_validity(self):
        contract = self._create_contract(date_start="2026-01-31", validity_months=1)
        self.assertEqual(contract.date_end, date(2026, 2, 27))
        contract.validity_months = 12
        self.assertEqual(contract.date_end, date(2027, 1, 30))
        contract.date_start = "2026-03-01"
        self.assertEqual(contract.date_end, date(2027, 2, 28))
        with self.assertRefused("follows from its start date"):
            contract.date_end = "2027-12-31"
        self.assertEqual(contract.date_end, date(2027, 2, 28))

    def test_flat_contract_may_run_open_ended(self):
        contract = self._create_contract("monthly_flat")
        self.assertFalse(contract.date_end)
        contract.date_end = "2026-12-31"
        self.assertEqual(contract.date_end, date(2026, 12, 31))

    # ------------------------------------------------------------ bad input

    def test_validity_out_of_range(self):
        for months in (0, 13, -1):
            self.assertCreateRefused(self._contract_vals(validity_months=months), "1 to 12 months")
        contract = self._create_contract()
        with self.assertRefused("1 to 12 months"):
            contract.validity_months = 13
        self.assertEqual(contract.validity_months, 6)

    def test_negative_hours_rates_and_fees(self):
        self.assertCreateRefused(self._contract_vals(hours_total=-5), "cannot be negative")
        self.assertCreateRefused(self._contract_vals(hourly_rate=-10), "cannot be negative|must be positive")
        self.assertCreateRefused(self._contract_vals("monthly_flat", monthly_fee=-1), "cannot be negative")
        self.assertCreateRefused(self._contract_vals("monthly_flat", monthly_hours=-2), "cannot be negative")
        self.assertCreateRefused(
            self._contract_vals("monthly_flat", out_of_hours_response_hours=-1), "cannot be negative",
        )

    def test_end_before_start(self):
        vals = self._contract_vals("monthly_flat", date_start="2026-05-01", date_end="2026-04-30")
        with self.assertRefused("cannot end .*before it starts"):
            self.env["it.contract"].create(vals)
        contract = self._create_contract("monthly_flat", date_start="2026-05-01")
        with self.assertRefused("cannot end .*before it starts"):
            contract.date_end = "2026-04-30"
        self.assertFalse(contract.date_end)

    def test_package_rate_at_or_above_adhoc_rate(self):
        self.assertCreateRefused(self._contract_vals(hourly_rate=200.0), "lower than the ad-hoc rate")
        self.assertCreateRefused(self._contract_vals(hourly_rate=250.0), "lower than the ad-hoc rate")
        self.assertEqual(self._create_contract(hourly_rate=199.99).hourly_rate, 199.99)

    def test_flat_rate_at_or_above_package_rate(self):
        for rate in (160.0, 170.0):
            self.assertCreateRefused(
                self._contract_vals("monthly_flat", hourly_rate=rate), "lower than the standard hour",
            )
        contract = self._create_contract("monthly_flat", hourly_rate=150.0)
        with self.assertRefused("lower than the standard hour package"):
            contract.hourly_rate = 160.0
        self.assertEqual(contract.hourly_rate, 150.0)

    def test_rates_hold_for_rpc_style_writes(self):
        """Switching the type of a cheap flat contract to a package keeps the rule, whatever the path."""
        contract = self._create_contract("hour_package", hourly_rate=150.0)
        contract.write({"contract_type": "monthly_flat", "hourly_rate": 120.0, "monthly_fee": 100})
        with self.assertRefused("lower than the ad-hoc rate"):
            contract.write({"contract_type": "hour_package", "hourly_rate": 205.0, "validity_months": 3})

    def test_company_rates_must_be_ordered(self):
        with self.assertRefused("lower than the ad-hoc rate"):
            self.company.it_package_hourly_rate = 200.0
        with self.assertRefused("lower than the standard hour package rate"):
            self.company.it_flat_hourly_rate = 165.0
        with self.assertRefused("must be positive"):
            self.company.it_flat_hourly_rate = 0
        self.assertEqual(self.company.it_flat_hourly_rate, 130.0)

    def test_settings_page_sets_company_rates(self):
        settings = self.env["res.config.settings"].with_company(self.company).create({
            "it_adhoc_hourly_rate": 250.0, "it_package_hourly_rate": 190.0, "it_flat_hourly_rate": 140.0,
        })
        settings.execute()
        self.assertEqual(
            (self.company.it_adhoc_hourly_rate, self.company.it_package_hourly_rate, self.company.it_flat_hourly_rate),
            (250.0, 190.0, 140.0),
        )
        self.assertEqual(self._create_contract("hour_package").hourly_rate, 190.0)

    def test_site_of_another_client(self):
        foreign_site = self.env["res.partner"].create({"name": "Elsewhere", "parent_id": self.other_client.id})
        self.assertCreateRefused(self._contract_vals(site_ids=[(6, 0, foreign_site.ids)]), "addresses of its client")

    # ------------------------------------------------------------ lifecycle

    def test_activation_requires_client_scope_and_audit(self):
        no_scope = self._create_contract(service_product_ids=[(5, 0, 0)])
        with self.assertRefused("scope"):
            no_scope.action_confirm()
        with self.assertRefused("scope"):
            no_scope.action_activate()
        self.assertEqual(no_scope.state, "draft")

        running = self._create_contract()
        running.action_confirm()
        with self.assertRefused("scope"):
            running.write({"service_product_ids": [(5, 0, 0)]})
        with self.assertRefused("place of service"):
            running.write({"site_ids": [(5, 0, 0)], "remote_service": False})
        self.assertTrue(running.service_product_ids and running.site_ids)

        no_place = self._create_contract(site_ids=[(5, 0, 0)], remote_service=False)
        with self.assertRefused("place of service"):
            no_place.action_activate()

    def test_no_activation_without_completed_audit(self):
        other_audit = self.env["it.audit"].create({
            "partner_id": self.other_client.id, "company_id": self.company.id,
            "asset_ids": [(0, 0, {"category_id": self.workstation_category.id})],
        })
        contract = self._create_contract(partner_id=self.other_client.id, site_ids=[(5, 0, 0)], audit_id=other_audit.id)
        with self.assertRefused("audit"):
            contract.action_confirm()
        other_audit.action_done()
        contract.action_confirm()
        self.assertEqual(contract.state, "active")
        with self.assertRefused("running contract"):
            other_audit.action_reopen()

    def test_audit_of_another_client_does_not_count(self):
        contract = self._create_contract(partner_id=self.other_client.id, site_ids=[(5, 0, 0)])
        with self.assertRefused("audit"):
            contract.action_activate()

    @freeze_time("2026-03-10")
    def test_confirm_activates_now_or_on_start_date(self):
        now = self._create_contract(date_start="2026-03-01")
        later = self._create_contract(date_start="2026-04-01")
        (now | later).action_confirm()
        self.assertEqual(now.state, "active")
        self.assertTrue(now.project_id.allow_timesheets)
        self.assertEqual(now.analytic_account_id, now.project_id.account_id)
        self.assertEqual(now.project_id.partner_id, self.client)
        self.assertEqual(later.state, "draft")
        self.assertEqual(later.date_confirmed, date(2026, 3, 10))
        with freeze_time("2026-04-01"):
            self._run_cron("it_service_contracts.ir_cron_it_contract_states")
        self.assertEqual(later.state, "active")

    @freeze_time("2026-08-01")
    def test_cron_expires_ended_contracts(self):
        ended = self._active_contract(date_start="2026-01-01", validity_months=6)  # ends 2026-06-30
        running = self._active_contract(date_start="2026-03-01", validity_months=6)
        self._run_cron("it_service_contracts.ir_cron_it_contract_states")
        self.assertEqual(ended.state, "expired")
        self.assertEqual(running.state, "active")

    @freeze_time("2026-06-15")
    def test_the_end_of_a_contract_that_ran_never_moves_into_the_past(self):
        manager = new_test_user(self.env, "end_manager", groups="it_service_contracts.group_it_manager",
                                company_id=self.company.id, company_ids=[(6, 0, self.company.ids)])
        package = self._active_contract(date_start="2026-01-01", validity_months=12).with_user(manager)
        message = r"has run: its end cannot move back to .*a day already past. Close it"
        with self.assertRefused(message):
            package.write({"validity_months": 3})  # would have ended on 31 March
        self.assertEqual(package.date_end, date(2026, 12, 31))
        # the client paid for its hours until the end of December: a started package is extended, never cut
        with self.assertRefused(r"Package .* has started: its client paid for its hours until .*can be extended, "
                                r"not cut"):
            package.write({"validity_months": 7})
        package.write({"validity_months": 12})  # the same end: a form save
        self.assertEqual(package.date_end, date(2026, 12, 31))
        flat = self._active_contract("monthly_flat", date_start="2026-01-01").with_user(manager)
        with self.assertRefused(message):
            flat.write({"date_end": "2026-02-28"})
        self.assertFalse(flat.date_end)
        flat.write({"date_end": "2026-09-30"})  # a flat contract ends later, with notice
        flat.action_close()  # ends today
        self.assertEqual(flat.date_end, date(2026, 6, 15))
        for end in ("2026-05-31", "2026-06-30", False):
            with self.subTest(end=end), self.assertRefused("is closed: the day it ended is history"):
                flat.write({"date_end": end})
        self.assertEqual(flat.date_end, date(2026, 6, 15))

    @freeze_time("2026-06-15")
    def test_an_expired_flat_contract_is_renewed_not_extended(self):
        """QA: its end moved on after it expired, the invoicing billed the months after it (and its coverage took the
        client's time then), while it stayed expired: a renewal serves the client again."""
        manager = new_test_user(self.env, "expired_manager", groups="it_service_contracts.group_it_manager",
                                company_id=self.company.id, company_ids=[(6, 0, self.company.ids)])
        flat = self._active_contract("monthly_flat", date_start="2026-01-01", date_end="2026-04-30")
        self._run_cron("it_service_contracts.ir_cron_it_contract_states")
        self.assertEqual(flat.state, "expired")
        for end in ("2026-12-31", False, "2026-03-31"):
            with self.subTest(end=end), self.assertRefused(r"expired on .*its end no longer moves\. Renew it"):
                flat.with_user(manager).write({"date_end": end})
        self.assertEqual(flat.date_end, date(2026, 4, 30))
        with self.assertRefused(r"ended on .*Renew it instead"):
            flat.with_user(manager).action_activate()

    @freeze_time("2026-06-15")
    def test_what_a_started_contract_rests_on_and_bills_by_does_not_change(self):
        """QA: a manager detached a running contract from its audit (then reopened and rewrote the audit), set its
        billing increment and on-site minimum, and, once it ended, its scope, places and billing terms: time
        corrected late was then billed again on other terms."""
        manager = new_test_user(self.env, "terms_manager", groups="it_service_contracts.group_it_manager",
                                company_id=self.company.id, company_ids=[(6, 0, self.company.ids)])
        flat = self._active_contract("monthly_flat", date_start="2026-01-01", billing_increment=0.25)
        as_manager = flat.with_user(manager)
        for vals in ({"audit_id": False, "audit_exception_reason": "None needed"},
                     {"audit_exception_reason": "Another reason"}):
            with self.subTest(vals=vals), self.assertRefused(r"has run: its .*Audit.* can no longer change"):
                as_manager.write(vals)
        self.assertEqual(flat.audit_id, self.audit)
        for vals in ({"billing_increment": 1.0}, {"onsite_minimum_hours": 4.0}):
            with self.subTest(vals=vals), self.assertRefused(r"has started: its .* can no longer change"):
                as_manager.write(vals)
        # a running contract's scope and places still change by hand (the form offers them)
        as_manager.write({"site_ids": [(3, self.site_b.id)], "invoice_day": 5})
        as_manager.action_close()
        for vals in ({"service_product_ids": [(3, self.service_servers.id)]}, {"site_ids": [(5, 0, 0)]},
                     {"remote_service": not flat.remote_service}, {"invoice_day": 10},
                     {"service_credit_percent": 50.0},
                     {"approval_required": True}):
            with self.subTest(vals=vals), self.assertRefused(r"has ended: its .* can no longer change"):
                as_manager.write(vals)
        self.assertEqual(flat.service_product_ids, self.service_support | self.service_servers)
        as_manager.write({"note": "<p>Kept for the record.</p>", "invoice_day": 5})  # same values, and notes, pass
        # an audit of another client is no exception
        other_audit = self.env["it.audit"].create({
            "partner_id": self.other_client.id, "company_id": self.company.id,
            "asset_ids": [(0, 0, {"category_id": self.workstation_category.id})],
        })
        other_audit.action_done()
        draft = self._create_contract(audit_id=other_audit.id, audit_exception_reason="Urgent start")
        with self.assertRefused(r"rests on audit .*, of another client"):
            draft.with_user(manager).action_confirm()

    def test_close_cancel_and_reset(self):
        contract = self._active_contract()
        with self.assertRefused("not started"):
            contract.action_cancel()
        contract.action_close()
        self.assertEqual(contract.state, "closed")
        draft = self._create_contract()
        draft.action_cancel()
        self.assertEqual(draft.state, "cancelled")
        draft.action_reset_to_draft()
        self.assertEqual(draft.state, "draft")
        with self.assertRefused("Only draft or cancelled"):
            contract.unlink()
        draft.unlink()
        self.assertFalse(draft.exists())

    @freeze_time("2026-02-15")
    def test_renew_package(self):
        contract = self._active_contract(date_start="2026-01-01", validity_months=3, hourly_rate=150.0)
        self.env["it.contract.sla"].create({
            "contract_id": contract.id, "priority": "1", "response_hours": 4, "resolution_hours": 16,
        })
        action = contract.action_renew()
        renewal = self.env["it.contract"].browse(action["res_id"])
        self.assertEqual(renewal.state, "draft")
        self.assertEqual(renewal.previous_contract_id, contract)
        self.assertEqual(renewal.date_start, date(2026, 4, 1))
        self.assertEqual(renewal.validity_months, 3)
        self.assertEqual(renewal.hourly_rate, 150.0)
        self.assertEqual(renewal.hours_total, 20.0)
        self.assertEqual(renewal.service_product_ids, contract.service_product_ids)
        self.assertEqual(renewal.site_ids, contract.site_ids)
        self.assertEqual(len(renewal.sla_line_ids), 1)
        self.assertNotEqual(renewal.name, contract.name)
        self.assertEqual(contract.renewal_id, renewal, "the form shows it, and no Renew button")
        with self.assertRefused("already been renewed"):
            contract.action_renew()
        renewal.action_cancel()
        self.assertFalse(contract.renewal_id)
        second = self.env["it.contract"].browse(contract.action_renew()["res_id"])
        self.assertEqual(contract.renewal_id, second, "a cancelled renewal does not count")

    def test_one_active_flat_contract_per_client(self):
        self._active_contract("monthly_flat", date_start="2026-01-01", date_end="2026-12-31")
        second = self._create_contract("monthly_flat", date_start="2026-06-01")
        with self.assertRefused("already has an active flat"):
            second.action_activate()
        next_year = self._create_contract("monthly_flat", date_start="2027-01-01")
        with freeze_time("2027-01-01"):
            next_year.action_activate()
        self.assertEqual(next_year.state, "active")
        # a contract without an end runs from its start on: one that starts before the running ones overlaps them
        earlier = self._create_contract("monthly_flat", date_start="2025-06-01")
        with self.assertRefused("already has an active flat"):
            earlier.action_activate()
        # as the IT services manager who would activate it (the check reads the other contracts as the system)
        manager = new_test_user(self.env, "flat_manager", groups="it_service_contracts.group_it_manager",
                                company_id=self.company.id, company_ids=[(6, 0, self.company.ids)])
        with self.assertRefused("already has an active flat"):
            earlier.with_user(manager).action_activate()
        ended_before = self._create_contract("monthly_flat", date_start="2025-06-01", date_end="2025-12-31")
        ended_before.action_activate()
        self.assertEqual(ended_before.state, "active")
        # another company of the database is another firm: the client may have its flat contract there too
        other = self.env["res.company"].create({"name": "Other MSP"})
        audit = self.env["it.audit"].create({
            "partner_id": self.client.id, "company_id": other.id,
            "asset_ids": [(0, 0, {"category_id": self.workstation_category.id})],
        })
        audit.action_done()
        elsewhere = self._create_contract("monthly_flat", company_id=other.id, date_start="2026-06-01",
                                          audit_id=audit.id, service_calendar_id=other.resource_calendar_id.id)
        elsewhere.action_activate()
        self.assertEqual(elsewhere.state, "active")

    def test_additional_services(self):
        contract = self._active_contract("monthly_flat")
        line = self.env["it.contract.line"].create({
            "contract_id": contract.id, "product_id": self.service_other.id, "quantity": 2,
        })
        self.assertEqual(line.price_unit, 200.0)
        self.assertEqual(line.price_subtotal, 400.0)
        self.assertIn("Website design", line.name)
        with self.assertRefused("positive quantity", model="it.contract.line"):
            line.quantity = 0
            line.flush_recordset()
        with self.assertRefused("positive quantity", model="it.contract.line"):
            line.price_unit = -1
            line.flush_recordset()
        self.assertEqual((line.quantity, line.price_unit), (2, 200.0))

    def test_contract_form_lifecycle(self):
        with Form(self.env["it.contract"]) as form:
            form.partner_id = self.client
            form.contract_type = "monthly_flat"
            form.monthly_fee = 2500
            form.monthly_hours = 15
            form.date_start = date.today()
            form.service_product_ids.add(self.service_support)
            form.site_ids.add(self.site_a)
            with form.sla_line_ids.new() as sla:
                sla.priority = "3"
                sla.response_hours = 1
                sla.resolution_hours = 4
        contract = form.record
        contract.action_confirm()
        self.assertEqual(contract.state, "active")
        self.assertEqual(contract.sla_line_ids.response_hours, 1)

    # ------------------------------------------------------------ client form

    def test_client_form_of_cooperation(self):
        self.assertEqual(self.client.it_cooperation_form, "adhoc")
        package = self._active_contract(hours_total=30)
        self.env.invalidate_all()
        self.assertEqual(self.client.it_cooperation_form, "hour_package")
        self.assertEqual(self.client.it_package_hours_remaining, 30)
        self.assertEqual(self.site_a.it_cooperation_form, "hour_package", "an address shows its client's form")
        self._active_contract("monthly_flat")
        self.env.invalidate_all()
        self.assertEqual(self.client.it_cooperation_form, "monthly_flat")
        self.assertEqual(self.client.it_contract_count, 2)
        action = self.client.action_view_it_contracts()
        self.assertIn(package, self.env["it.contract"].search(action["domain"]))
        self.assertEqual(self.other_client.it_cooperation_form, "adhoc")
