from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .audit_common import ItAuditCommon

KEPT = "is completed: what it recorded"
OTHER_CLIENT = "stays an asset of"


@tagged("post_install", "-at_install")
class TestAuditRecordKept(ItAuditCommon):
    """What a completed audit recorded (its client, its inventory, its findings) and so its recommendation no longer
    change, whoever writes and however; the client's inventory lives on (states, sites, retirements, warranties),
    and no asset ever goes to another client."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client_b = cls.env["res.partner"].create({"name": "Never audited", "is_company": True})
        cls.office = cls.env["res.partner"].create({"name": "Branch office", "type": "other",
                                                   "parent_id": cls.other_client.id})
        # 3 workstations and a server: 5.2 h a month, a package (a server needs response times)
        cls.audit = cls._audit_with(3, servers=1, partner=cls.other_client)
        cls.found = cls.env["it.audit.finding"].create({"audit_id": cls.audit.id, "name": "No UPS"})
        cls.audit.with_user(cls.manager).action_done()

    def _kept(self, audit=None):
        audit = audit or self.audit
        return (audit.state, audit.partner_id, audit.date, audit.asset_ids, audit.finding_ids,
                audit.asset_ids.mapped("category_id"), audit.estimated_monthly_hours, audit.recommended_type)

    def assertKept(self, user, model, method, records, *args):
        """``method`` of ``user`` on ``records`` is refused and changes nothing of the audit's record."""
        before = self._kept()
        with self.assertRaisesRegex(UserError, KEPT), self.env.cr.savepoint():
            getattr(self.env[model].with_user(user).browse(records.ids), method)(*args)
        self.env.invalidate_all()
        self.assertEqual(self._kept(), before)

    def test_the_moves_of_the_report_are_refused(self):
        """QA's report: a technician moves the audit with its assets to a client never audited, for every role."""
        assets = self.audit.asset_ids
        for user in (self.technician, self.manager):
            self.assertKept(user, "it.audit", "write", self.audit, {
                "partner_id": self.client_b.id,
                "asset_ids": [Command.update(asset.id, {"partner_id": self.client_b.id}) for asset in assets],
            })
            self.assertKept(user, "it.audit", "write", self.audit, {"partner_id": self.client_b.id})
        self.assertFalse(self.env["it.audit"].search([("partner_id", "=", self.client_b.id)]))
        self.assertEqual(assets.partner_id, self.other_client)

    def test_an_asset_never_goes_to_another_client(self):
        """Of a completed audit, of one in progress or of none, by a technician or a manager: refused."""
        draft = self._audit_with(1, partner=self.other_client)
        loose = self.env["it.asset"].with_user(self.technician).create(
            {"partner_id": self.other_client.id, "category_id": self.workstation_category.id})
        for asset in (self.audit.asset_ids[0], draft.asset_ids, loose):
            for user in (self.technician, self.manager):
                with self.subTest(asset=asset.name, user=user.login), \
                        self.assertRaisesRegex(UserError, OTHER_CLIENT), self.env.cr.savepoint():
                    asset.with_user(user).partner_id = self.client_b
                self.assertEqual(asset.partner_id, self.other_client)
        # nor together with the audit in progress that recorded it
        with self.assertRaisesRegex(UserError, OTHER_CLIENT), self.env.cr.savepoint():
            draft.with_user(self.technician).write({
                "partner_id": self.client_b.id,
                "asset_ids": [Command.update(draft.asset_ids.id, {"partner_id": self.client_b.id})],
            })
        self.assertEqual(draft.partner_id, self.other_client)
        # its client written again unchanged (a client sending the whole record) is no move
        loose.with_user(self.technician).write({"partner_id": self.other_client.id, "note": "Checked"})
        # an asset made for another client is not put in an audit of this one
        with self.assertRaisesRegex(UserError, "can only hold assets of"), self.env.cr.savepoint():
            self.env["it.asset"].with_user(self.technician).create({
                "partner_id": self.client_b.id, "audit_id": draft.id, "category_id": self.server_category.id,
            })

    def test_the_inventory_of_a_completed_audit_is_kept(self):
        """Assets added, removed or rewritten, from the audit or on the assets, by a technician or a manager."""
        Asset = self.env["it.asset"]
        server = self.audit.asset_ids.filtered(lambda a: a.category_id == self.server_category)
        workstation = self.audit.asset_ids[0]
        loose = Asset.create({"partner_id": self.other_client.id, "category_id": self.server_category.id})
        for user in (self.technician, self.manager):
            with self.subTest(user=user.login):
                # QA's second report: five assets more, which made the recommendation another form
                self.assertKept(user, "it.audit", "write", self.audit, {"asset_ids": [
                    Command.create({"category_id": self.workstation_category.id}) for _i in range(5)]})
                self.assertKept(user, "it.asset", "create", Asset, [
                    {"audit_id": self.audit.id, "category_id": self.server_category.id}])
                for command in (Command.update(server.id, {"category_id": self.workstation_category.id}),
                                Command.unlink(workstation.id), Command.link(loose.id), Command.set(server.ids),
                                Command.clear()):
                    self.assertKept(user, "it.audit", "write", self.audit, {"asset_ids": [command]})
                self.assertKept(user, "it.asset", "write", workstation, {"audit_id": False})
                self.assertKept(user, "it.asset", "write", loose, {"audit_id": self.audit.id})
                self.assertKept(user, "it.asset", "write", server, {"category_id": self.workstation_category.id})
                # what was in service on the audit's day stays so (the audit was on 2026-01-10)
                self.assertKept(user, "it.asset", "write", workstation, {"date_retired": "2026-01-10"})
                self.assertKept(user, "it.asset", "write", workstation, {"date_in_service": "2026-01-11"})
        self.assertKept(self.manager, "it.audit", "write", self.audit, {"asset_ids": [Command.delete(server.id)]})
        self.assertKept(self.manager, "it.asset", "unlink", server)
        with self.assertRaises(AccessError):
            server.with_user(self.technician).unlink()
        self.assertEqual(self.audit.recommended_type, "hour_package")

    def test_the_findings_of_a_completed_audit_are_kept(self):
        Finding = self.env["it.audit.finding"]
        for user in (self.technician, self.manager):
            with self.subTest(user=user.login):
                self.assertKept(user, "it.audit.finding", "create", Finding,
                                [{"audit_id": self.audit.id, "name": "Old switch"}])
                self.assertKept(user, "it.audit.finding", "write", self.found, {"estimated_hours": 40})
                self.assertKept(user, "it.audit.finding", "unlink", self.found)
                self.assertKept(user, "it.audit", "write", self.audit,
                                {"finding_ids": [Command.create({"name": "Old switch"})]})
                self.assertKept(user, "it.audit", "write", self.audit, {"finding_ids": [Command.delete(self.found.id)]})
        # what the addon does with the findings afterwards still works: the work plan
        self.audit.with_user(self.technician).action_create_work_plan()
        self.assertTrue(self.found.task_id)

    def test_the_audit_itself_is_kept(self):
        other_firm = self.env["res.company"].create({"name": "Other firm"})
        for vals in ({"date": "2026-02-01"}, {"adjustment_hours": 20.0}, {"company_id": other_firm.id}):
            self.assertKept(self.manager, "it.audit", "write", self.audit, vals)
        self.assertKept(self.manager, "it.audit", "unlink", self.audit)
        # the manager's choice of form and the summary are no part of what the audit recorded
        self.audit.with_user(self.manager).write({
            "chosen_type": "monthly_flat", "choice_reason": "A fixed budget.", "summary": "<p>Sound network.</p>",
        })
        self.assertEqual(self.audit.contract_type, "monthly_flat")

    def test_the_modernisation_plan_of_a_completed_audit_is_kept(self):
        """QA: the manager renamed, moved and deleted a completed audit's stages (deleting one took a recorded
        finding off it), and their costs followed a later ad-hoc rate; the report the client had said otherwise."""
        self.audit.with_user(self.manager).action_reopen()
        stage = self.env["it.audit.stage"].with_user(self.manager).create({
            "audit_id": self.audit.id, "name": "Power", "planned_date": "2026-09-01"})
        self.found.with_user(self.manager).write({"stage_id": stage.id, "estimated_hours": 2.0})
        self.audit.with_user(self.manager).action_done()
        self.env.flush_all()
        cost = stage.estimated_cost
        self.assertAlmostEqual(cost, 2.0 * self.company.it_adhoc_hourly_rate)
        # the IT manager's (a technician reads the plan only)
        self.assertKept(self.manager, "it.audit.stage", "write", stage, {"planned_date": "2030-01-01"})
        self.assertKept(self.manager, "it.audit.stage", "unlink", stage)
        self.assertKept(self.manager, "it.audit.stage", "create", self.env["it.audit.stage"],
                        {"audit_id": self.audit.id, "name": "Later"})
        self.assertKept(self.manager, "it.audit", "write", self.audit, {"stage_ids": [Command.delete(stage.id)]})
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            stage.with_user(self.technician).write({"name": "Mine"})
        self.assertEqual(self.found.stage_id, stage)
        self.company.it_adhoc_hourly_rate += 50.0
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertAlmostEqual(stage.estimated_cost, cost)

    def test_the_clients_inventory_lives_on(self):
        """After the audit, a technician looks after the client's equipment: states, sites, retirements,
        warranties, notes and new equipment; the audit's recommendation does not move with them."""
        workstation = self.audit.asset_ids[0].with_user(self.technician)
        workstation.write({
            "state": "critical", "site_id": self.office.id, "warranty_end": "2027-01-01", "note": "Fan replaced",
            "make": "Dell", "model": "OptiPlex 7010", "product_version": "BIOS 1.2", "date_retired": "2026-06-30",
        })
        workstation.write({"site_id": False, "date_retired": False})
        self.env["it.asset"].with_user(self.technician).create(
            {"partner_id": self.other_client.id, "category_id": self.server_category.id, "site_id": self.office.id})
        self.assertEqual(workstation.state, "critical")
        self.assertEqual(len(self.audit.asset_ids), 4)
        self.assertAlmostEqual(self.audit.estimated_monthly_hours, 5.2)

    def test_a_manager_reopens_to_correct(self):
        """The way the refusal names: a manager reopens an audit no confirmed contract rests on, the inventory is
        corrected, and the manager completes it again; the recommendation follows the corrected inventory."""
        with self.assertRaises(AccessError):
            self.audit.with_user(self.technician).action_reopen()
        self.audit.with_user(self.manager).action_reopen()
        self.audit.with_user(self.technician).write({"asset_ids": [
            Command.create({"category_id": self.workstation_category.id}) for _i in range(5)]})
        self.env["it.audit.finding"].with_user(self.technician).create(
            {"audit_id": self.audit.id, "name": "Old switch"})
        self.audit.with_user(self.manager).action_done()
        self.assertEqual(len(self.audit.asset_ids), 9)
        self.assertAlmostEqual(self.audit.estimated_monthly_hours, 7.2)

    def test_an_audit_created_completed(self):
        """A manager may record an audit completed at once, with what it recorded."""
        audit = self.env["it.audit"].with_user(self.manager).create({
            "partner_id": self.client_b.id, "state": "done",
            "asset_ids": [Command.create({"category_id": self.server_category.id})],
            "finding_ids": [Command.create({"name": "No backups"})],
        })
        self.assertEqual((audit.state, len(audit.asset_ids), len(audit.finding_ids)), ("done", 1, 1))

    def test_recurring_work_repeats_within_five_years(self):
        """A finding's recurrence becomes a maintenance plan's: bounded alike, with a message, never a date out of
        range when the plan is proposed."""
        draft = self._audit_with(1, partner=self.other_client)
        Finding = self.env["it.audit.finding"].with_user(self.technician)
        for number, unit in ((61, "month"), (261, "week"), (2000000000, "month")):
            with self.subTest(number=number, unit=unit), self.assertRefused(
                    "repeats every 1 to 260 weeks or every 1 to 60 months", model="it.audit.finding"), \
                    self.env.cr.savepoint():
                Finding.create({"audit_id": draft.id, "name": "Backups unchecked", "recurring": True,
                                "recurrence_interval_number": number, "recurrence_interval_type": unit})
                self.env.flush_all()
        finding = Finding.create({"audit_id": draft.id, "name": "Backups unchecked", "recurring": True,
                                  "recurrence_interval_number": 60, "recurrence_interval_type": "month"})
        self.assertEqual(finding.recurrence_interval_number, 60)
