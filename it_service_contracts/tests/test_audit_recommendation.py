from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .audit_common import ItAuditCommon


@tagged("post_install", "-at_install")
class TestAuditRecommendation(ItAuditCommon):
    def assertComparison(self, audit, hours, adhoc, package, package_hours, package_months, flat, flat_hours, form):
        self.assertAlmostEqual(audit.estimated_monthly_hours, hours)
        self.assertAlmostEqual(audit.adhoc_monthly_cost, adhoc, places=2)
        self.assertAlmostEqual(audit.package_monthly_cost, package, places=2)
        self.assertEqual((audit.package_hours, audit.package_months), (package_hours, package_months))
        self.assertAlmostEqual(audit.flat_monthly_fee, flat, places=2)
        self.assertEqual(audit.flat_hours, flat_hours)
        self.assertEqual(audit.recommended_type, form)

    def test_small_office_gets_adhoc(self):
        # 3 x 0.4 = 1.2 h: ad-hoc 240; the smallest package (20 h over 12 months) 266.67; flat at its minimum 2,500
        audit = self._audit_with(3)
        self.assertComparison(audit, 1.2, 240.0, 20 * 160 / 12, 20, 12, 2500.0, 2, "adhoc")
        self.assertIn("Ad-hoc Help costs $\xa0240.00 a month", audit.recommendation_reasons)

    def test_clinic_gets_the_cheaper_of_package_and_flat(self):
        # 25 x 0.4 + 4 = 14 h: package 28 h / 2 months = 2,240 a month; flat 14 h x 130 = 1,820, raised to 2,500
        audit = self._audit_with(25, servers=1)
        self.assertComparison(audit, 14.0, 2800.0, 2240.0, 28, 2, 2500.0, 14, "hour_package")
        self.assertIn("guaranteed response time", audit.recommendation_reasons)
        # at a lower minimum fee the flat contract is the cheaper one
        self.company.it_flat_minimum_fee = 1500.0
        self.assertComparison(audit, 14.0, 2800.0, 2240.0, 28, 2, 1820.0, 14, "monthly_flat")

    def test_logistics_firm_gets_flat_fee(self):
        # 60 x 0.4 + 3 x 4 = 36 h: package 36 x 160 = 5,760; flat 36 x 130 = 4,680
        audit = self._audit_with(60, servers=3)
        self.assertComparison(audit, 36.0, 7200.0, 5760.0, 36, 1, 4680.0, 36, "monthly_flat")

    def test_servers_rule_out_adhoc_even_when_cheapest(self):
        self.server_category.monthly_hours = 0.5
        audit = self._audit_with(0, servers=1)
        self.assertAlmostEqual(audit.adhoc_monthly_cost, 100.0)
        self.assertEqual(audit.recommended_type, "hour_package")

    def test_adjustment_and_norms_change_the_estimate(self):
        audit = self._audit_with(25, servers=1)
        audit.with_user(self.manager).adjustment_hours = 6.0
        self.assertAlmostEqual(audit.estimated_monthly_hours, 20.0)
        self.workstation_category.with_user(self.manager).monthly_hours = 0.6
        self.assertAlmostEqual(audit.norm_hours, 19.0)
        self.assertAlmostEqual(audit.estimated_monthly_hours, 25.0)

    def test_a_completed_audit_keeps_the_recommendation_it_was_priced_with(self):
        """Its report and the contracts offered on it rest on its figures: norms and rates changed later apply to
        the audits still in progress, and to this one again only if a manager reopens it."""
        audit = self._audit_with(25, servers=1)
        audit.with_user(self.manager).action_done()
        self.env.flush_all()
        self.workstation_category.with_user(self.manager).monthly_hours = 0.6
        self.company.write({"it_package_hourly_rate": 150.0, "it_flat_minimum_fee": 1500.0})
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertAlmostEqual(audit.norm_hours, 14.0)
        self.assertComparison(audit, 14.0, 2800.0, 2240.0, 28, 2, 2500.0, 14, "hour_package")
        self.assertIn("2,240.00", audit.recommendation_reasons)
        in_progress = self._audit_with(25, servers=1)
        self.assertComparison(in_progress, 19.0, 3800.0, 2850.0, 38, 2, 1820.0 + 5 * 130.0, 19, "monthly_flat")
        audit.with_user(self.manager).action_reopen()
        self.assertComparison(audit, 19.0, 3800.0, 2850.0, 38, 2, 2470.0, 19, "monthly_flat")

    def test_retired_assets_do_not_count(self):
        audit = self._audit_with(3)
        audit.asset_ids[0].date_retired = "2026-01-05"
        self.assertAlmostEqual(audit.estimated_monthly_hours, 0.8)

    def test_per_asset_pricing_offered_when_cheaper(self):
        self.workstation_category.monthly_asset_price = 45.0
        self.server_category.monthly_asset_price = 300.0
        audit = self._audit_with(25, servers=1)
        self.assertAlmostEqual(audit.per_asset_monthly_cost, 25 * 45 + 300)
        self.assertTrue(audit.per_asset_cheaper)
        self.assertIn("$\xa01,425.00 a month", audit.recommendation_reasons)
        audit.action_done()
        action = audit.action_create_contract()
        contract = self.env["it.contract"].browse(action["res_id"])
        per_asset = contract.line_ids.filtered(lambda line: line.pricing == "per_asset")
        self.assertEqual(per_asset.asset_category_id, self.workstation_category | self.server_category)
        self.assertEqual(sorted(per_asset.mapped("price_unit")), [45.0, 300.0])

    def test_each_company_its_own_price_and_service_per_category(self):
        """The categories are shared; what a company charges for one and the service it sells for it are its own:
        another firm of the database sets theirs without changing this one's, and its audits use theirs."""
        self.workstation_category.monthly_asset_price = 45.0
        self.server_category.monthly_asset_price = 300.0
        other = self.env["res.company"].create({"name": "Other MSP"})
        other_manager = new_test_user(
            self.env, "other_msp_manager", groups="it_service_contracts.group_it_manager",
            company_id=other.id, company_ids=[(6, 0, other.ids)],
        )
        their_care = self.env["product.product"].create(
            {"name": "Their server care", "type": "service", "company_id": other.id})
        as_other = self.server_category.with_user(other_manager).with_context(allowed_company_ids=other.ids)
        self.assertFalse(as_other.service_product_id, "this firm's service is not theirs")
        as_other.write({"service_product_id": their_care.id, "monthly_asset_price": 500.0})
        self.workstation_category.with_env(as_other.env).monthly_asset_price = 50.0
        self.assertEqual((as_other.service_product_id, as_other.monthly_asset_price), (their_care, 500.0))
        self.assertEqual((self.server_category.service_product_id, self.server_category.monthly_asset_price),
                         (self.service_servers, 300.0), "this firm's are unchanged")
        ours = self._audit_with(25, servers=1)
        self.assertAlmostEqual(ours.per_asset_monthly_cost, 25 * 45 + 300)
        theirs = self.env["it.audit"].with_context(allowed_company_ids=other.ids).create({
            "partner_id": self.env["res.partner"].create({"name": "Their client", "is_company": True}).id,
            "company_id": other.id, "date": "2026-01-10",
            "asset_ids": [(0, 0, {"category_id": self.workstation_category.id, "serial": f"THEIRS-{i}"})
                          for i in range(25)] + [(0, 0, {"category_id": self.server_category.id})],
        })
        self.assertAlmostEqual(theirs.per_asset_monthly_cost, 25 * 50 + 500, msg="computed in the audit's company")
        self.assertEqual(set(theirs._it_contract_values()["service_product_ids"][0][2]), set(their_care.ids))
        self.assertEqual(set(ours._it_contract_values()["service_product_ids"][0][2]),
                         set((self.service_support | self.service_servers).ids))
        with self.assertRefused("cannot be negative", model="it.asset.category"):
            as_other.monthly_asset_price = -1.0

    def test_per_asset_not_offered_when_a_category_has_no_price(self):
        self.workstation_category.monthly_asset_price = 45.0
        audit = self._audit_with(25, servers=1)
        self.assertEqual(audit.per_asset_monthly_cost, 0.0)
        self.assertFalse(audit.per_asset_cheaper)

    def test_manager_chooses_another_form_with_a_reason(self):
        audit = self._audit_with(25, servers=1).with_user(self.manager)
        with self.assertRefused("Say why", model="it.audit"), self.env.cr.savepoint():
            audit.chosen_type = "monthly_flat"
        audit.write({"chosen_type": "monthly_flat", "choice_reason": "The client wants a fixed monthly budget."})
        self.assertEqual(audit.contract_type, "monthly_flat")
        self.assertEqual(audit.recommended_type, "hour_package")
        audit.action_done()
        contract = self.env["it.contract"].browse(audit.action_create_contract()["res_id"])
        self.assertEqual(contract.contract_type, "monthly_flat")
        self.assertEqual((contract.monthly_hours, contract.monthly_fee), (14.0, 2500.0))

    def test_contract_scope_takes_the_services_this_company_sells(self):
        """Asset categories are shared by the companies of a database: a category whose service belongs to another
        company brings nothing into the scope, and the manager, who cannot read that service, gets the contract."""
        other = self.env["res.company"].create({"name": "Other MSP"})
        foreign = self.env["product.product"].create({"name": "Their server care", "type": "service",
                                                      "company_id": other.id})
        self.server_category.service_product_id = foreign
        audit = self._audit_with(2, servers=1).with_user(self.manager)
        audit.action_done()
        contract = self.env["it.contract"].browse(audit.action_create_contract()["res_id"])
        self.assertEqual(contract.service_product_ids, self.service_support)

    def test_technician_cannot_recommend_nor_complete(self):
        audit = self._audit_with(3).with_user(self.technician)
        with self.assertRaises(AccessError):
            audit.write({"chosen_type": "hour_package", "choice_reason": "x"})
        with self.assertRaises(AccessError):
            audit.adjustment_hours = 3.0
        with self.assertRaises(AccessError):
            audit.action_done()
        with self.assertRaises(AccessError):
            self.workstation_category.with_user(self.technician).monthly_hours = 1.0
        self.assertEqual(audit.state, "draft")
