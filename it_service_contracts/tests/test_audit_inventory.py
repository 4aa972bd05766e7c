from datetime import date, timedelta

import psycopg2

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import file_open, mute_logger

from .audit_common import ItAuditCommon


@tagged("post_install", "-at_install")
class TestAuditInventory(ItAuditCommon):
    # ------------------------------------------------------------------ bad input

    def test_asset_dates_out_of_order_refused(self):
        """The database refuses a warranty ending before the purchase and a retirement before the service."""
        Asset = self.env["it.asset"]
        count = Asset.search_count([])
        message = r"^The warranty or licence end cannot be before the purchase date, nor the retirement date before"
        with self.assertRefused(message, model="it.asset") as caught:
            Asset.create({"partner_id": self.client.id, "category_id": self.workstation_category.id,
                          "purchase_date": "2025-05-01", "warranty_end": "2025-04-30"})
        self.assertIsInstance(caught.exception, psycopg2.errors.CheckViolation)
        with self.assertRefused(message, model="it.asset") as caught:
            Asset.create({"partner_id": self.client.id, "category_id": self.workstation_category.id,
                          "purchase_date": "2025-05-01", "date_retired": "2025-04-30"})
        self.assertIsInstance(caught.exception, psycopg2.errors.CheckViolation)
        self.assertEqual(Asset.search_count([]), count)
        asset = Asset.create({"partner_id": self.client.id, "category_id": self.workstation_category.id,
                              "date_in_service": "2025-05-01"})
        with self.assertRefused(message, model="it.asset") as caught:
            asset.date_retired = "2025-04-30"
            asset.flush_recordset()
        self.assertIsInstance(caught.exception, psycopg2.errors.CheckViolation)
        self.assertFalse(asset.date_retired)
        asset.date_retired = "2025-05-01"  # retired the day it went into service: a short life, but a possible one
        asset.flush_recordset()

    def test_negative_effort_norm_refused(self):
        with self.assertRefused("^The effort norm cannot be negative", "it.asset.category"):
            self.env["it.asset.category"].with_user(self.manager).create({"name": "Tablet", "monthly_hours": -1})
        self.assertFalse(self.env["it.asset.category"].search([("name", "=", "Tablet")]))
        with self.assertRefused("cannot be negative", model="it.asset.category") as caught:
            self.workstation_category.monthly_hours = -0.5
            self.workstation_category.flush_recordset()
        self.assertIsInstance(caught.exception, psycopg2.errors.CheckViolation)
        self.assertEqual(self.workstation_category.monthly_hours, 0.4)
        with self.assertRefused("^The price per asset cannot be negative", model="it.asset.category"):
            self.workstation_category.monthly_asset_price = -1
            self.workstation_category.flush_recordset()
        self.assertEqual(self.workstation_category.monthly_asset_price, 0.0)

    def test_complete_without_assets_refused(self):
        audit = self.env["it.audit"].create({"partner_id": self.other_client.id, "company_id": self.company.id})
        with self.assertRefused("without an inventory", model="it.audit"):
            audit.with_user(self.manager).action_done()
        self.assertEqual(audit.state, "draft")

    def test_finding_with_negative_hours_refused(self):
        audit = self._audit_with(3)
        with self.assertRefused("^The estimated hours cannot be negative", model="it.audit.finding"):
            self.env["it.audit.finding"].with_user(self.technician).create(
                {"audit_id": audit.id, "name": "Old switch", "estimated_hours": -2},
            )
        self.assertFalse(audit.finding_ids)
        finding = self.env["it.audit.finding"].create(
            {"audit_id": audit.id, "name": "Old switch", "estimated_hours": 2},
        )
        with self.assertRefused("^The estimated hours cannot be negative", model="it.audit.finding") as caught:
            finding.with_user(self.technician).estimated_hours = -1
            finding.flush_recordset()
        self.assertIsInstance(caught.exception, psycopg2.errors.CheckViolation)
        self.assertEqual(finding.estimated_hours, 2)

    def test_duplicate_serial_per_client_refused(self):
        self.env["it.asset"].create({"partner_id": self.client.id, "category_id": self.workstation_category.id,
                                     "serial": "ABC-1"})
        with self.assertRefused("already has an asset with this serial", model="it.asset"):
            self.env["it.asset"].create({"partner_id": self.client.id, "category_id": self.workstation_category.id,
                                         "serial": "ABC-1"})
        # the same serial at another client is another machine
        self.env["it.asset"].create({"partner_id": self.other_client.id, "category_id": self.workstation_category.id,
                                     "serial": "ABC-1"})

    # ------------------------------------------------------------------ import

    def _import(self, content, file_type="text/csv", dryrun=False):
        wizard = self.env["base_import.import"].with_user(self.technician).create({
            "res_model": "it.asset", "file": content, "file_type": file_type, "file_name": "assets.csv",
        })
        options = {"quoting": '"', "separator": ",", "has_headers": True, "date_format": "%Y-%m-%d"}
        preview = wizard.parse_preview(options)
        self.assertNotIn("error", preview, preview.get("error"))
        headers = preview["headers"]
        return wizard.execute_import(headers, headers, options, dryrun=dryrun), headers

    def test_import_template_and_duplicate_serial(self):
        template = self.env["it.asset"].get_import_templates()[0]["template"]
        with file_open(template.lstrip("/"), "rb") as xlsx:
            wizard = self.env["base_import.import"].create({
                "res_model": "it.asset", "file": xlsx.read(), "file_name": "template.xlsx",
                "file_type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            })
        preview = wizard.parse_preview({"has_headers": True})
        self.assertNotIn("error", preview, preview.get("error"))
        importable = {field["name"] for field in wizard.get_fields_tree("it.asset")}
        self.assertLessEqual(set(preview["headers"]), importable, "every template column maps to a field")

        header = ",".join(preview["headers"])
        rows = [
            f"{self.client.name},,Workstation,Dell,OptiPlex 7010,,SN-001,2024-01-10,2027-01-10,ok,",
            f"{self.client.name},,Server,HPE,ProLiant DL380,,SN-002,2023-05-01,2028-05-01,attention,",
        ]
        result, _headers = self._import(f"{header}\n" + "\n".join(rows) + "\n")
        self.assertFalse(result["messages"], result["messages"])
        assets = self.env["it.asset"].search([("partner_id", "=", self.client.id), ("serial", "like", "SN-")])
        self.assertEqual(sorted(assets.mapped("serial")), ["SN-001", "SN-002"])
        self.assertEqual(assets.filtered(lambda a: a.serial == "SN-002").category_id, self.server_category)

        duplicate = f"{header}\n{self.client.name},,Laptop,Lenovo,T14,,SN-003,,,ok,\n" \
                    f"{self.client.name},,Workstation,Dell,OptiPlex 7010,,SN-001,,,ok,\n"
        with mute_logger("odoo.sql_db"):
            result, _headers = self._import(duplicate)
        messages = " ".join(message["message"] for message in result["messages"])
        self.assertIn("already has an asset with this serial", messages)
        self.assertFalse(self.env["it.asset"].search([("serial", "=", "SN-003")]), "nothing of the file is saved")

    # ------------------------------------------------------------------ findings, work plan, stages

    def test_work_plan_tasks_once(self):
        audit = self._audit_with(25, servers=1)
        stage = self.env["it.audit.stage"].create({"audit_id": audit.id, "name": "Urgent security",
                                                   "planned_date": "2026-02-01"})
        server = audit.asset_ids.filtered(lambda a: a.category_id == self.server_category)
        findings = self.env["it.audit.finding"].with_user(self.technician).create([
            {"audit_id": audit.id, "name": "Untested backups", "severity": "3", "estimated_hours": 6,
             "recommendation": "Test restores quarterly.", "asset_ids": [(6, 0, server.ids)], "stage_id": stage.id},
            {"audit_id": audit.id, "name": "Old switch", "severity": "1", "estimated_hours": 2.5,
             "stage_id": stage.id},
        ])
        self.assertAlmostEqual(stage.estimated_hours, 8.5)
        self.assertAlmostEqual(stage.estimated_cost, 8.5 * 200)
        audit.with_user(self.technician).action_create_work_plan()
        tasks = findings.task_id
        self.assertEqual(len(tasks), 2)
        self.assertEqual(tasks.project_id, audit.project_id)
        self.assertEqual(sorted(tasks.mapped("allocated_hours")), [2.5, 6.0])
        backup_task = findings[0].task_id
        self.assertEqual(backup_task.it_asset_id, server)
        self.assertEqual(backup_task.date_deadline.date(), date(2026, 2, 1))
        self.assertEqual(server.task_count, 1)
        # re-running creates nothing twice; a new finding gets its own task
        audit.action_create_work_plan()
        self.assertEqual(self.env["project.task"].search_count([("project_id", "=", audit.project_id.id)]), 2)
        self.env["it.audit.finding"].create({"audit_id": audit.id, "name": "No UPS", "estimated_hours": 1})
        audit.action_create_work_plan()
        self.assertEqual(self.env["project.task"].search_count([("project_id", "=", audit.project_id.id)]), 3)

    # ------------------------------------------------------------------ from audit to contract

    def test_create_contract_from_completed_audit(self):
        audit = self._audit_with(25, servers=1, partner=self.other_client)
        audit.asset_ids[0].site_id = self.env["res.partner"].create(
            {"name": "Surgery", "type": "other", "parent_id": self.other_client.id})
        with self.assertRaisesRegex(UserError, "Complete the audit"):
            audit.action_create_contract()
        audit.with_user(self.manager).action_done()
        contract = self.env["it.contract"].browse(audit.with_user(self.manager).action_create_contract()["res_id"])
        self.assertEqual(contract.state, "draft")
        self.assertEqual(contract.audit_id, audit)
        self.assertEqual(contract.contract_type, "hour_package")
        self.assertEqual((contract.hours_total, contract.validity_months), (28.0, 2))
        self.assertEqual(contract.hourly_rate, 160.0)
        self.assertEqual(contract.service_product_ids, self.service_support | self.service_servers)
        self.assertEqual(contract.site_ids, audit.asset_ids[0].site_id)

    def test_adhoc_recommendation_creates_no_contract(self):
        audit = self._audit_with(3)
        audit.action_done()
        with self.assertRaisesRegex(UserError, "Ad-hoc help needs no contract"):
            audit.action_create_contract()

    def test_contract_rests_on_latest_completed_audit(self):
        partner = self.env["res.partner"].create({"name": "New client", "is_company": True})
        older = self._audit_with(3, partner=partner, date="2025-01-01")
        older.action_done()
        newer = self._audit_with(5, partner=partner, date="2025-06-01")
        newer.action_done()
        self._audit_with(1, partner=partner, date="2025-09-01")  # still in progress
        contract = self._create_contract(partner_id=partner.id, site_ids=[(5, 0, 0)], audit_id=False)
        contract.audit_id = False
        contract.partner_id = self.client
        self.assertEqual(contract.audit_id, self.audit)
        fresh = self.env["it.contract"].create({
            key: value for key, value in self._contract_vals(partner_id=partner.id, site_ids=[(5, 0, 0)]).items()
            if key != "audit_id"
        })
        self.assertEqual(fresh.audit_id, newer)

    def test_reopen_refused_while_a_contract_rests_on_it(self):
        audit = self._audit_with(25, servers=1, partner=self.other_client)
        audit.action_done()
        contract = self._create_contract(partner_id=self.other_client.id, site_ids=[(5, 0, 0)], audit_id=audit.id,
                                         date_start=fields.Date.to_string(date.today() + timedelta(days=30)))
        contract.with_user(self.manager).action_confirm()
        self.assertEqual(contract.state, "draft", "confirmed, starting later")
        with self.assertRefused("cannot be reopened", model="it.audit"):
            audit.with_user(self.manager).action_reopen()
        with self.assertRefused("cannot be reopened", model="it.audit"):
            audit.with_user(self.manager).write({"state": "draft"})
        self.assertEqual(audit.state, "done")
        # nor is the form chosen on it (QA: rewritten, it offered another form of contract)
        for vals in ({"chosen_type": "monthly_flat", "choice_reason": "Rewritten"}, {"choice_reason": "Other"}):
            with self.subTest(vals=vals), self.assertRefused(r"is what contracts .* were agreed on", model="it.audit"):
                audit.with_user(self.manager).write(vals)
        self.assertFalse(audit.chosen_type)
        contract.with_user(self.manager).action_cancel()
        audit.with_user(self.manager).write({"chosen_type": "monthly_flat", "choice_reason": "The client's budget"})
        self.assertEqual(audit.contract_type, "monthly_flat")

    def test_manager_exception_without_audit(self):
        partner = self.env["res.partner"].create({"name": "Urgent client", "is_company": True})
        contract = self._create_contract(partner_id=partner.id, site_ids=[(5, 0, 0)], audit_id=False)
        self.assertFalse(contract.audit_id)
        with self.assertRefused("before the hardware and software audit of Urgent client is completed"):
            contract.with_user(self.manager).action_confirm()
        contract.with_user(self.manager).audit_exception_reason = "Server room flooded: support starts today."
        self.assertIn("Server room flooded", contract.message_ids[:1].body)
        contract.with_user(self.manager).action_confirm()
        self.assertEqual(contract.state, "active")

    # ------------------------------------------------------------------ per-asset pricing

    def test_per_asset_quantity_counts_assets_in_service_on_the_date(self):
        client = self.env["res.partner"].create({"name": "Per-asset client", "is_company": True})
        assets = self.env["it.asset"].create([{
            "partner_id": client.id, "category_id": self.workstation_category.id, "serial": f"PA-{i}",
            "date_in_service": "2026-01-01",
        } for i in range(12)])
        assets[:2].write({"date_retired": "2026-03-15"})
        self.env["it.asset"].create([
            {"partner_id": client.id, "category_id": self.server_category.id, "date_in_service": "2026-01-01"},
            {"partner_id": self.other_client.id, "category_id": self.workstation_category.id,
             "date_in_service": "2026-01-01"},
            {"partner_id": client.id, "category_id": self.workstation_category.id,
             "date_in_service": "2026-04-01"},
        ])
        contract = self._create_contract("monthly_flat", partner_id=client.id, site_ids=[(5, 0, 0)], line_ids=[(0, 0, {
            "product_id": self.service_support.id, "pricing": "per_asset",
            "asset_category_id": self.workstation_category.id, "price_unit": 45.0,
        }), (0, 0, {"product_id": self.service_servers.id, "quantity": 2.0, "price_unit": 300.0})])
        per_asset, fixed = contract.line_ids.sorted(lambda line: line.pricing == "fixed")
        self.assertEqual(per_asset._it_monthly_quantity(date(2026, 3, 31)), 10.0)
        self.assertEqual(per_asset._it_monthly_quantity(date(2026, 3, 14)), 12.0)
        self.assertEqual(per_asset._it_monthly_quantity(date(2026, 3, 15)), 10.0)
        self.assertEqual(per_asset._it_monthly_quantity(date(2026, 4, 30)), 11.0)
        self.assertEqual(per_asset._it_monthly_quantity(date(2025, 12, 31)), 0.0)
        self.assertEqual(fixed._it_monthly_quantity(date(2026, 3, 31)), 2.0)

    def test_per_asset_line_needs_a_category(self):
        with self.assertRefused("priced per asset"):
            self._create_contract("monthly_flat", line_ids=[(0, 0, {
                "product_id": self.service_support.id, "pricing": "per_asset", "price_unit": 45.0,
            })])

    # ------------------------------------------------------------------ the client's inventory

    def test_assets_from_client_site_and_request(self):
        before = self.client.it_asset_count
        asset = self.env["it.asset"].with_user(self.technician).create({
            "partner_id": self.client.id, "site_id": self.site_a.id, "category_id": self.workstation_category.id,
        })
        self.client.invalidate_recordset(["it_asset_count"])
        self.assertEqual(self.client.it_asset_count, before + 1)
        self.assertEqual(self.site_a.it_asset_count, 1)
        self.assertEqual(self.site_b.it_asset_count, 0)
        self.assertEqual(self.env["it.asset"].search(self.site_a.action_view_it_assets()["domain"]), asset)
        with self.assertRefused("must be an address of its client", model="it.asset"):
            asset.site_id = self.other_client

    def test_warranty_activities_once_per_end(self):
        today = fields.Date.context_today(self.env["it.asset"])
        self.client.user_id = self.manager
        soon, later, past = self.env["it.asset"].create([
            {"partner_id": self.client.id, "category_id": self.workstation_category.id, "serial": "W1",
             "warranty_end": today + timedelta(days=10)},
            {"partner_id": self.client.id, "category_id": self.workstation_category.id, "serial": "W2",
             "warranty_end": today + timedelta(days=90)},
            {"partner_id": self.client.id, "category_id": self.workstation_category.id, "serial": "W3",
             "warranty_end": today - timedelta(days=1)},
        ])
        self._run_cron("it_service_contracts.ir_cron_it_asset_warranty")
        self._run_cron("it_service_contracts.ir_cron_it_asset_warranty")
        self.assertEqual(len(soon.activity_ids), 1)
        self.assertEqual(soon.activity_ids.user_id, self.manager)
        self.assertFalse(later.activity_ids | past.activity_ids)
        self.company.it_warranty_horizon_days = 120
        self._run_cron("it_service_contracts.ir_cron_it_asset_warranty")
        self.assertEqual(len(later.activity_ids), 1)
        self.assertEqual(len(soon.activity_ids), 1)
        # a warranty extended by a technician: the new end gets its own reminder
        soon.with_user(self.technician).warranty_end = today + timedelta(days=20)
        self.assertFalse(soon.warranty_activity_date)
        self._run_cron("it_service_contracts.ir_cron_it_asset_warranty")
        self.assertEqual(len(soon.activity_ids), 2)
        self.assertEqual(soon.warranty_activity_date, today + timedelta(days=20))

    def test_technician_records_but_cannot_delete_assets(self):
        asset = self.env["it.asset"].with_user(self.technician).create(
            {"partner_id": self.client.id, "category_id": self.workstation_category.id})
        asset.with_user(self.technician).state = "critical"
        with self.assertRaises(AccessError):
            asset.with_user(self.technician).unlink()
