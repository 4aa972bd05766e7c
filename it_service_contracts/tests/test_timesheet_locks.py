from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .timesheet_common import ItTimesheetCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-01-20")
class TestTimesheetLocks(ItTimesheetCommon):
    """What billed time keeps, whoever edits the line or its request: the time of a package that has ended, the
    billing of a request whose terms did not change, a reclassification on another request."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tech_user = cls._user("lock_tech")
        cls.technician.user_id = cls.tech_user
        cls.manager = cls._user("lock_manager", "manager")

    def _package_lines(self, package):
        return self.env["account.analytic.line"].search([
            ("it_contract_id", "=", package.id), ("it_billing_type", "=", "package"),
        ])

    def test_time_of_a_package_that_ended_is_locked(self):
        package = self._active_contract(hours_total=10.0, date_start="2025-10-01", validity_months=3)
        request = self._request(package)
        line = self._log(request.with_user(self.tech_user), 3.0, date="2025-12-10")
        self.assertBilled(line, [("package", 3.0, package)])
        package._expire()
        self.assertEqual(package.hours_forfeited, 7.0)
        self.assertTrue(line.readonly_timesheet)
        for user in (self.tech_user, self.manager):
            for label, change in (
                ("hours", lambda line: line.write({"unit_amount": 2.5})),
                ("date", lambda line: line.write({"date": "2025-12-11"})),
                ("request", lambda line: line.write({"task_id": self.plain_task.id,
                                                     "project_id": self.plain_project.id})),
                ("delete", lambda line: line.unlink()),
            ):
                with self.subTest(user=user.login, change=label), self.assertRefusedWith(
                        UserError, "was drawn from hour package .* which has ended"), self.env.cr.savepoint():
                    change(line.with_user(user))
        with self.assertRefusedWith(UserError, "which has ended"), self.env.cr.savepoint():
            line.with_user(self.manager)._it_reclassify("non_billable", "Goodwill")
        self.assertEqual((package.hours_used, package.hours_remaining), (3.0, 7.0))
        # reactivated, the package's time can be corrected again; closed, it is locked again
        package.validity_months = 6  # its end is ahead again
        package.action_activate()
        line.with_user(self.tech_user).unit_amount = 2.0
        self.assertBilled(line, [("package", 2.0, package)])
        package.action_close()
        with self.assertRefusedWith(UserError, "which has ended"), self.env.cr.savepoint():
            line.with_user(self.tech_user).unit_amount = 1.0
        # the request's terms change: the package's time stays as it was billed
        request.with_user(self.manager).write({"it_contract_id": False})
        self.assertBilled(line, [("package", 2.0, package)])
        self.assertEqual(package.hours_used, 2.0)
        self.assertEqual(sum(self._package_lines(package).mapped("it_billable_hours")), package.hours_used)

    def test_a_request_saved_with_the_same_terms_keeps_the_billing_of_its_time(self):
        """Only a change of what decides the billing bills the request's time again: a form or an import that
        sends the request's contract again leaves it as it was billed."""
        first = self._active_contract(hours_total=4.0, date_start="2026-01-01", validity_months=2)
        second = self._active_contract(hours_total=10.0, date_start="2026-01-01", validity_months=12)
        emptying = self._log(self._request(first, name="Migration"), 4.0)
        request = self._request(second, name="Backup")
        line = self._log(request, 2.0)
        self.assertBilled(line, [("package", 2.0, second)])
        emptying.unlink()  # hours of the package that expires first are free again
        for user in (self.tech_user, self.manager):
            request.with_user(user).write({
                "it_contract_id": second.id, "it_site_id": False, "it_service_product_id": self.service_support.id,
            })
            self.assertBilled(line, [("package", 2.0, second)])
        # a real change does bill it again, in the order of the draw
        request.with_user(self.manager).write({"it_contract_id": first.id})
        self.assertBilled(line, [("package", 2.0, first)])
        self.assertEqual((first.hours_used, second.hours_used), (2.0, 0.0))

    def test_a_hand_set_billing_does_not_follow_the_line_to_another_request(self):
        package = self._active_contract(hours_total=10.0)
        refused = self._request(package, name="Refused upgrade")
        refused._it_addon_write({"it_approval_state": "refused"})
        other_refused = self._request(package, name="Refused printer")
        other_refused._it_addon_write({"it_approval_state": "refused"})
        covered = self._request(package, name="Covered")
        tech = self.env["account.analytic.line"].with_user(self.tech_user)
        line = tech.create({
            "name": "Work", "task_id": refused.id, "project_id": refused.project_id.id, "unit_amount": 1.5,
            "date": "2026-01-15", "it_billing_override": "non_billable",
        })
        self.assertBilled(line, [("non_billable", 0.0, package)])
        # onto another refused request it stays non-billable, as when logged there
        line.write({"task_id": other_refused.id})
        self.assertEqual(line.it_billing_override, "non_billable")
        self.assertBilled(line, [("non_billable", 0.0, package)])
        # onto a request the client did not refuse it is billed as any time there
        line.write({"task_id": covered.id})
        self.assertFalse(line.it_billing_override)
        self.assertBilled(line, [("package", 1.5, package)])
        self.assertEqual(package.hours_used, 1.5)
        # a manager's reclassification is about the time on its request
        line.with_user(self.manager)._it_reclassify("adhoc", "Not in the package's scope")
        self.assertBilled(line, [("adhoc", 1.5, package)])
        moved_to = self._request(package, name="Another covered")
        line.write({"task_id": moved_to.id})
        self.assertFalse(line.it_billing_override)
        self.assertBilled(line, [("package", 1.5, package)])
        self.assertEqual(package.hours_used, 1.5)


@tagged("post_install", "-at_install")
class TestContractReference(ItTimesheetCommon):
    """A contract's reference is the company's sequence's, set when it is made and never by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls._user("ref_manager", "manager")

    def test_the_reference_is_the_sequences(self):
        Contract = self.env["it.contract"].with_user(self.manager)
        contract = Contract.create(self._contract_vals(hours_total=5.0))
        self.assertRegex(contract.name, r"^SC/\d{4}/\d{4}$")
        other = Contract.create(self._contract_vals(hours_total=5.0))
        self.assertNotEqual(other.name, contract.name)
        for label, call in (
            ("write", lambda: contract.write({"name": "SC/2026/9999"})),
            ("create", lambda: Contract.create(dict(self._contract_vals(hours_total=5.0), name=contract.name))),
            ("default", lambda: Contract.with_context(default_name=contract.name).create(
                self._contract_vals(hours_total=5.0))),
            ("copy", lambda: contract.copy({"name": contract.name})),
        ):
            with self.subTest(call=label), self.assertRefusedWith(UserError, "Reference"), \
                    self.env.cr.savepoint():
                call()
        copied = contract.copy()
        self.assertNotIn(copied.name, (contract.name, other.name))
        self.assertEqual(self.env["it.contract"].search_count([("name", "=", contract.name)]), 1)

    def test_two_contracts_of_a_company_never_share_a_reference(self):
        contract, other = self.env["it.contract"].create([self._contract_vals(hours_total=5.0)] * 2)
        with self.assertRefused("same reference"):
            other._it_addon_write({"name": contract.name})
            self.env.flush_all()
