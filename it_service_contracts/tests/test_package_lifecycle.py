
from odoo.exceptions import UserError, ValidationError
from odoo.tests import freeze_time, tagged

from .timesheet_common import ItTimesheetCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-01-20")
class TestPackageLifecycle(ItTimesheetCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls.env["res.users"].create({
            "name": "Anna Manager", "login": "anna_manager_ts", "email": "anna@msp.example",
            "company_id": cls.company.id, "company_ids": [(6, 0, cls.company.ids)],
            "group_ids": [(6, 0, cls.env.ref("it_service_contracts.group_it_manager").ids)],
        })
        cls.client.email = "it@client.example"
        cls.package = cls._active_contract(hours_total=10.0, user_id=cls.manager.id)
        cls.request = cls._request(cls.package)

    def _activities(self, contract):
        return contract.activity_ids.filtered(lambda a: a.user_id == self.manager)

    def test_usage_and_used_up_warnings_are_sent_once(self):
        self._log(self.request, 7.0)
        self.assertFalse(self.package.usage_warning_sent)
        self.assertFalse(self._activities(self.package))
        self._log(self.request, 1.0)  # 80 %
        self.assertTrue(self.package.usage_warning_sent)
        self.assertEqual(len(self._activities(self.package)), 1)
        message = self.package.message_ids.filtered(lambda m: "left on your hour package" in (m.subject or ""))
        self.assertEqual(len(message), 1)
        self.assertIn(self.client.commercial_partner_id, message.partner_ids)
        self.assertIn(self.manager.partner_id, message.partner_ids)
        self._log(self.request, 0.5)  # still above 80 %: no new warning
        self.assertEqual(len(self._activities(self.package)), 1)
        self._log(self.request, 1.5)  # used up
        self.assertTrue(self.package.depleted_warning_sent)
        self.assertEqual(len(self._activities(self.package)), 2)
        self.assertEqual(len(self.package.message_ids.filtered(lambda m: "are used up" in (m.subject or ""))), 1)
        # the cron sends nothing more
        self._trigger_cron("it_service_contracts.ir_cron_it_package_warnings")
        self.assertEqual(len(self._activities(self.package)), 2)

    def test_warning_is_rearmed_when_hours_come_back(self):
        line = self._log(self.request, 9.0)
        self.assertTrue(self.package.usage_warning_sent)
        line.unit_amount = 2.0
        self.env.cr.flush()
        self.assertFalse(self.package.usage_warning_sent)

    def test_an_edit_that_changes_nothing_in_total_warns_no_more(self):
        line = self._log(self.request, 8.5)  # 85 %: warned once
        self.assertEqual(len(self._activities(self.package)), 1)
        line.with_user(self.manager).write({"date": "2026-01-16"})  # its hours are given back and drawn again
        self.env.cr.flush()
        line.with_user(self.manager).write({"name": "Printer fixed", "date": "2026-01-14"})
        self.env.cr.flush()
        self.assertTrue(self.package.usage_warning_sent)
        self.assertEqual(len(self._activities(self.package)), 1)
        self.assertEqual(len(self.package.message_ids.filtered(
            lambda m: "left on your hour package" in (m.subject or ""))), 1)

    def test_configurable_threshold_and_expiry_warning(self):
        self.package.write({"usage_warning_percent": 50.0, "expiry_warning_days": 30})
        self._log(self.request, 5.0)
        self.assertTrue(self.package.usage_warning_sent)
        self._trigger_cron("it_service_contracts.ir_cron_it_package_warnings")
        self.assertFalse(self.package.expiry_warning_sent, "the package ends on 2026-06-30, not within 30 days")
        with freeze_time("2026-06-01"):
            self._trigger_cron("it_service_contracts.ir_cron_it_package_warnings")
            self.assertTrue(self.package.expiry_warning_sent)
            activities = len(self._activities(self.package))
            self._trigger_cron("it_service_contracts.ir_cron_it_package_warnings")
            self.assertEqual(len(self._activities(self.package)), activities, "sent once")
        self.assertEqual(
            len(self.package.message_ids.filtered(lambda m: "ends on" in (m.subject or ""))), 1,
        )

    def test_expiry_with_hours_left_forfeits_them(self):
        self._log(self.request, 4.0, date="2026-06-30")
        with freeze_time("2026-07-01"):
            self._trigger_cron("it_service_contracts.ir_cron_it_contract_states")
            self.assertEqual(self.package.state, "expired")
            self.assertEqual(self.package.hours_forfeited, 6.0)
            self.assertEqual(self.package.hours_rollover_available, 0.0)
            self.assertTrue(self.package.message_ids.filtered(lambda m: "has ended" in (m.subject or "")))
            self.assertTrue(self._activities(self.package).filtered(lambda a: "renewal" in (a.summary or "")))
            # time logged on the expired package afterwards is ad-hoc and changes nothing
            late = self._log(self.request, 1.0, date="2026-07-01")
            self.assertEqual(late.it_billing_type, "adhoc")
            self.assertEqual(self.package.hours_used, 4.0)
            # the renewal offered creates the next package from the old one
            renewal = self.env["it.contract"].browse(self.package.action_renew()["res_id"])
        self.assertEqual(renewal.previous_contract_id, self.package)
        self.assertEqual(renewal.hours_total, 10.0)
        self.assertEqual(renewal.hours_used, 0.0)
        self.assertEqual(str(renewal.date_start), "2026-07-01")

    def test_rollover_into_renewal_up_to_cap(self):
        self.package.write({"rollover_allowed": True, "rollover_cap_hours": 4.0})
        self._log(self.request, 3.0)
        with freeze_time("2026-07-02"):
            self._trigger_cron("it_service_contracts.ir_cron_it_contract_states")
            self.assertEqual(self.package.state, "expired")
            self.assertEqual(self.package.hours_forfeited, 3.0)
            self.assertEqual(self.package.hours_rollover_available, 4.0)
            renewal = self.env["it.contract"].browse(self.package.action_renew()["res_id"])
        self.assertEqual(renewal.hours_total, 14.0)
        self.assertEqual(renewal.hours_rolled_over, 4.0)
        self.assertEqual(renewal.package_price, 10.0 * renewal.hourly_rate, "carried hours are not sold again")
        self.assertEqual(self.package.hours_carried_over, 4.0)
        self.assertEqual(self.package.hours_rollover_available, 0.0)
        # renewing that one again buys 10 hours, not 14
        with freeze_time("2026-07-02"):
            renewal.action_activate()
            renewal.action_close()
            second = self.env["it.contract"].browse(renewal.action_renew()["res_id"])
        self.assertEqual(second.hours_total, 10.0, "a renewal buys the hours bought, not those carried in")
        self.assertEqual(second.hours_rolled_over, 0.0, "a closed package carries nothing over")

    def test_reactivating_an_expired_package_carries_nothing_twice(self):
        self.package.write({"rollover_allowed": True})
        self._log(self.request, 4.0)
        confirmed = self.package.date_confirmed
        with freeze_time("2026-07-02"):
            self._trigger_cron("it_service_contracts.ir_cron_it_contract_states")
            renewal = self.env["it.contract"].browse(self.package.action_renew()["res_id"])
            self.assertEqual((renewal.hours_rolled_over, self.package.hours_carried_over), (6.0, 6.0))
            self.package.with_user(self.manager).validity_months = 12  # its end is ahead again
            self.package.with_user(self.manager).action_activate()
        self.assertEqual(self.package.state, "active")
        self.assertEqual(self.package.date_confirmed, confirmed, "a reactivated package keeps its confirmation")
        self.assertEqual(self.package.hours_remaining, 0.0, "the 6 hours carried into the renewal left it")
        self.assertEqual(len(self.package.invoice_ids), len(self.package.invoice_ids.exists()))
        with freeze_time("2027-01-01"):
            self._trigger_cron("it_service_contracts.ir_cron_it_contract_states")
        self.assertEqual(self.package.state, "expired")
        self.assertEqual(renewal.hours_rolled_over, 6.0, "carried once")
        self.assertEqual(self.package.hours_carried_over, 6.0)

    def test_early_renewal_receives_rollover_at_expiry(self):
        self.package.write({"rollover_allowed": True, "rollover_cap_hours": 0.0})
        self._log(self.request, 8.0)
        renewal = self.env["it.contract"].browse(self.package.action_renew()["res_id"])
        self.assertEqual(renewal.state, "draft")
        self.assertEqual(renewal.hours_total, 10.0)
        with freeze_time("2026-07-01"):
            self._trigger_cron("it_service_contracts.ir_cron_it_contract_states")
        self.assertEqual(self.package.hours_forfeited, 0.0)
        self.assertEqual(renewal.hours_total, 12.0)
        self.assertEqual(renewal.hours_rolled_over, 2.0)

    def test_without_rollover_everything_is_forfeited(self):
        self.package.write({"rollover_allowed": False, "rollover_cap_hours": 5.0})
        self._log(self.request, 1.0)
        with freeze_time("2026-07-01"):
            self._trigger_cron("it_service_contracts.ir_cron_it_contract_states")
            renewal = self.env["it.contract"].browse(self.package.action_renew()["res_id"])
        self.assertEqual(self.package.hours_forfeited, 9.0)
        self.assertEqual(renewal.hours_total, 10.0)
        self.assertEqual(renewal.hours_rolled_over, 0.0)

    def test_hours_used_never_exceed_hours_bought(self):
        self._log(self.request, 6.0)
        with self.assertRefusedWith(UserError, "Correct its hours with an adjustment"):
            self.package.hours_total = 5.0
        # and the rule holds for the addon's own writes too
        with self.assertRefusedWith(ValidationError, "has drawn 06:00"):
            self.package._it_addon_write({"hours_total": 5.0})
        self.assertEqual(self.package.hours_total, 10.0)

    # ------------------------------------------------------------------ what a package carries out, as the IT manager

    def _expire_and_renew(self, manager, cap=4.0, used=3.0):
        """The package (10 h, ``used`` drawn) expires on 2026-06-30 with rollover up to ``cap``; the manager renews
        it on 2026-07-02 (call under that date). Returns the renewal, read as the manager."""
        self.package.write({"rollover_allowed": True, "rollover_cap_hours": cap})
        self._log(self.request, used)
        self._trigger_cron("it_service_contracts.ir_cron_it_contract_states")
        self.assertEqual(self.package.state, "expired")
        return self.env["it.contract"].with_user(manager).browse(
            self.package.with_user(manager).action_renew()["res_id"])

    def _figures(self, package):
        """available, forfeited, to carry over, carried out"""
        package.invalidate_recordset()
        return (package.hours_available, package.hours_forfeited, package.hours_rollover_available,
                package.hours_carried_over)

    def test_the_rollover_cap_bounds_what_a_package_carries_out_in_its_life(self):
        """QA: reactivated after its end and expired again the next night, a package carried its cap a second
        time."""
        manager = self._user("cap_it_manager", "manager")
        package = self.package.with_user(manager)
        with freeze_time("2026-07-02"):
            renewal = self._expire_and_renew(manager)
            self.assertEqual((renewal.hours_total, renewal.hours_rolled_over), (14.0, 4.0))
            self.assertEqual(self._figures(self.package), (6.0, 3.0, 0.0, 4.0))
            # its end has passed: reactivated, it would only expire again tonight
            with self.assertRefusedWith(UserError, r"ended on .*: reactivated, it would expire again .* Renew it "
                                                   r"instead"):
                package.action_activate()
            self.assertEqual(self.package.state, "expired")
            # extended, it runs again with the hours it forfeited (not those it carried out)
            package.validity_months = 12
            package.action_activate()
            self.assertEqual((self.package.state, self.package.hours_remaining), ("active", 3.0))
        with freeze_time("2027-01-02"):
            self._trigger_cron("it_service_contracts.ir_cron_it_contract_states")
        self.assertEqual(self.package.state, "expired")
        self.assertEqual(self._figures(self.package), (6.0, 3.0, 0.0, 4.0), "the cap of 4 h was carried already")
        self.assertEqual((renewal.hours_total, renewal.hours_rolled_over), (14.0, 4.0))

    def test_hours_carried_into_a_withdrawn_renewal_go_back_to_the_package(self):
        """QA: a renewal cancelled before it ran kept the hours carried into it, and the next renewal got none."""
        manager = self._user("rollback_it_manager", "manager")
        package = self.package.with_user(manager)
        with freeze_time("2026-07-02"):
            first = self._expire_and_renew(manager)
            self.assertEqual(self._figures(self.package), (6.0, 3.0, 0.0, 4.0))
            first.action_cancel()
            self.assertEqual((first.hours_total, first.hours_rolled_over, first.hours_sold), (10.0, 0.0, 10.0))
            self.assertEqual(self._figures(self.package), (10.0, 3.0, 4.0, 0.0), "they may be carried again")
            self.assertTrue(first.message_ids.filtered(
                lambda m: f"04:00 carried over from {self.package.name} went back to it" in str(m.body)))
            self.assertTrue(self.package.message_ids.filtered(
                lambda m: f"04:00 carried into {first.name} came back" in str(m.body)))
            # a new renewal receives them
            second = self.env["it.contract"].browse(package.action_renew()["res_id"])
            self.assertEqual((second.hours_total, second.hours_rolled_over, second.hours_sold), (14.0, 4.0, 10.0))
            self.assertEqual(self._figures(self.package), (6.0, 3.0, 0.0, 4.0))
            # or the cancelled one, set back to draft instead
            second.with_user(manager).action_cancel()
            first.action_reset_to_draft()
            self.assertEqual((first.hours_total, first.hours_rolled_over), (14.0, 4.0))
            self.assertEqual((second.hours_total, second.hours_rolled_over), (10.0, 0.0))
            self.assertEqual(self._figures(self.package), (6.0, 3.0, 0.0, 4.0))
            # a draft renewal deleted gives them back too
            first.unlink()
            self.assertEqual(self._figures(self.package), (10.0, 3.0, 4.0, 0.0))
            third = self.env["it.contract"].browse(package.action_renew()["res_id"])
            self.assertEqual((third.hours_total, third.hours_rolled_over), (14.0, 4.0))
            third.with_user(manager).action_confirm()
        self.assertEqual((third.state, third.hours_sold), ("active", 10.0))
        self.assertEqual(self._figures(self.package), (6.0, 3.0, 0.0, 4.0))

    def test_a_package_does_not_start_without_hours_bought(self):
        """QA: a renewal holding 10 h carried in was confirmed with 4 h in all: -6 h sold, a negative price."""
        manager = self._user("sold_it_manager", "manager")
        with freeze_time("2026-07-02"):
            renewal = self._expire_and_renew(manager)
            self.assertEqual(renewal.hours_rolled_over, 4.0)
            with self.assertRefused("include the hours carried into it: they cannot be fewer"), \
                    self.env.cr.savepoint():
                renewal.write({"hours_total": 2.0})
            renewal.write({"hours_total": 4.0})  # only the hours carried in: none bought
            self.assertEqual(renewal.hours_sold, 0.0)
            with self.assertRefusedWith(ValidationError, "cannot start without a number of hours bought"):
                renewal.action_confirm()
            self.assertEqual((renewal.state, renewal.date_confirmed), ("draft", False))
            renewal.write({"hours_total": 9.0})
            renewal.action_confirm()
        self.assertEqual((renewal.state, renewal.hours_sold), ("active", 5.0))
        self.assertEqual(renewal.package_price, 5.0 * renewal.hourly_rate)
