from xmlrpc.client import Fault

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .audit_common import ItAuditCommon


@tagged("post_install", "-at_install")
class TestAuditRpc(HttpCase, ItAuditCommon):
    """The activation gate and the audit's roles through XML-RPC, as the real users (rule 3, rule 9)."""

    @mute_logger("odoo.addons.rpc.controllers.xmlrpc", "odoo.http", "odoo.sql_db")
    def rpc(self, user, model, method, *args, **kwargs):
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, f"{user.login}_pw", model, method, list(args), kwargs)

    def assertRpcRefused(self, pattern, user, model, method, *args, **kwargs):
        with self.assertRaises(Fault) as caught:
            self.rpc(user, model, method, *args, **kwargs)
        self.assertRegex(caught.exception.faultString, pattern)

    @mute_logger("odoo.http", "odoo.sql_db")
    def call_kw(self, model, method, *args, **kwargs):
        """A call of the web client (JSON-RPC) in the session of the authenticated user; the answer's error."""
        response = self.opener.post(f"{self.base_url()}/web/dataset/call_kw/{model}.{method}", json={
            "id": 0, "jsonrpc": "2.0", "method": "call",
            "params": {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        }, timeout=30)
        response.raise_for_status()
        return response.json().get("error")

    def _contract_without_audit(self, partner, contract_type="hour_package"):
        vals = self._contract_vals(contract_type, partner_id=partner.id, site_ids=[(5, 0, 0)])
        vals.pop("audit_id")
        vals["service_product_ids"] = [[6, 0, vals["service_product_ids"][0][2]]]
        return self.rpc(self.manager, "it.contract", "create", [vals])[0]

    def test_no_activation_without_completed_audit_over_rpc(self):
        partner = self.env["res.partner"].create({"name": "RPC client", "is_company": True})
        audit = self._audit_with(3, partner=partner)  # in progress
        contract_id = self._contract_without_audit(partner)
        contract = self.env["it.contract"].browse(contract_id)
        self.assertFalse(contract.audit_id)
        self.assertRpcRefused("audit of RPC client is completed", self.manager, "it.contract", "action_confirm",
                              [contract_id])
        self.assertRpcRefused("audit of RPC client is completed", self.manager, "it.contract", "action_activate",
                              [contract_id])
        self.assertRpcRefused("cannot be set by hand", self.manager, "it.contract", "write",
                              [contract_id], {"state": "active", "audit_id": audit.id})
        self.assertRpcRefused("cannot be set by hand", self.manager, "it.contract", "create",
                              [{**self._contract_vals(partner_id=partner.id, site_ids=[(5, 0, 0)], audit_id=False),
                                "state": "active", "service_product_ids": [[6, 0, self.service_support.ids]]}])
        self.assertRpcRefused("Only an IT manager", self.technician, "it.audit", "action_done", [audit.id])
        self.assertRpcRefused("Only an IT manager", self.technician, "it.audit", "write", [audit.id],
                              {"state": "done"})
        self.rpc(self.manager, "it.audit", "action_done", [audit.id])
        # a contract written now rests on the completed audit by itself, and can start
        later_id = self._contract_without_audit(partner)
        self.assertEqual(self.env["it.contract"].browse(later_id).audit_id, audit)
        self.assertEqual(contract.audit_id, audit, "the draft written before the audit now rests on it")
        self.rpc(self.manager, "it.contract", "action_confirm", [contract_id])
        contract.invalidate_recordset()
        self.assertEqual(contract.state, "active")
        self.assertRpcRefused("cannot be reopened", self.manager, "it.audit", "action_reopen", [audit.id])
        self.assertRpcRefused("cannot be reopened", self.manager, "it.audit", "write", [audit.id], {"state": "draft"})
        self.assertRpcRefused("Only an IT manager", self.technician, "it.audit", "write", [audit.id],
                              {"state": "draft"})

    def test_contract_moves_only_through_its_actions_over_rpc(self):
        """Its state and confirmation are the actions': a write would start a contract without its service
        project, month or invoice, or confirm one nobody confirmed."""
        partner = self.env["res.partner"].create({"name": "RPC client", "is_company": True})
        self._audit_with(2, partner=partner).action_done()
        contract_id = self._contract_without_audit(partner, "monthly_flat")
        contract = self.env["it.contract"].browse(contract_id)
        for vals in ({"state": "active"}, {"date_confirmed": "2026-01-01"}, {"state": "cancelled"}):
            self.assertRpcRefused("confirmed, started, closed or cancelled with its buttons", self.manager,
                                  "it.contract", "write", [contract_id], vals)
        self.assertRpcRefused("cannot be set by hand", self.manager, "it.contract", "create",
                              [self._contract_vals(partner_id=partner.id, site_ids=[(5, 0, 0)], audit_id=False)],
                              context={"default_state": "active"})
        self.assertRpcRefused("cannot be set by hand", self.manager, "it.contract", "create",
                              [{**self._contract_vals(partner_id=partner.id, site_ids=[(5, 0, 0)], audit_id=False),
                                "date_confirmed": "2026-01-01"}])
        contract.invalidate_recordset()
        self.assertEqual((contract.state, contract.date_confirmed, contract.project_id.id), ("draft", False, False))
        self.assertRpcRefused("not allowed to modify", self.technician, "it.contract", "action_confirm", [contract_id])
        self.rpc(self.manager, "it.contract", "action_confirm", [contract_id])
        contract.invalidate_recordset()
        self.assertEqual(contract.state, "active")
        self.assertTrue(contract.date_confirmed)
        self.assertTrue(contract.project_id, "the service project is set up by the activation")
        self.assertTrue(self.env["it.contract.period"].search_count([("contract_id", "=", contract_id)]),
                        "the current month is opened by the activation")
        self.assertRpcRefused("cannot be set by hand", self.manager, "it.contract", "write", [contract_id],
                              {"state": "closed"})
        self.rpc(self.manager, "it.contract", "action_close", [contract_id])
        contract.invalidate_recordset()
        self.assertEqual(contract.state, "closed")

    def test_renewal_link_over_rpc(self):
        """Which contract renews which decides where an expiring package's unused hours go: a later contract of
        the same client, one per contract, and fixed once the renewal has run."""
        package = self._active_contract()
        other_audit = self._audit_with(1, partner=self.other_client)
        other_audit.action_done()
        foreign = self._active_contract(partner_id=self.other_client.id, site_ids=[(5, 0, 0)], audit_id=other_audit.id)
        draft_id, second_id = self.rpc(self.manager, "it.contract", "create", [
            self._contract_vals(date_start="2026-07-01"), self._contract_vals(date_start="2026-08-01")])
        self.assertRpcRefused("a later contract of the same client", self.manager, "it.contract", "write",
                              [draft_id], {"previous_contract_id": foreign.id})
        self.assertRpcRefused("a later contract of the same client", self.manager, "it.contract", "write",
                              [draft_id], {"previous_contract_id": draft_id})
        self.assertRpcRefused("a later contract of the same client", self.manager, "it.contract", "write",
                              [draft_id], {"previous_contract_id": second_id})
        self.assertRpcRefused("has run", self.manager, "it.contract", "write", [package.id],
                              {"previous_contract_id": draft_id})
        self.rpc(self.manager, "it.contract", "write", [draft_id], {"previous_contract_id": package.id})
        self.assertEqual(package.renewal_ids.ids, [draft_id])
        self.assertRpcRefused("already been renewed", self.manager, "it.contract", "write",
                              [second_id], {"previous_contract_id": package.id})
        self.assertRpcRefused("already been renewed", self.manager, "it.contract", "action_renew", [package.id])
        renewal = self.env["it.contract"].browse(draft_id)
        renewal.action_confirm()
        self.assertRpcRefused("has run", self.manager, "it.contract", "write", [draft_id],
                              {"previous_contract_id": False})

    def test_completed_audit_stays_with_its_client_and_inventory_over_rpc(self):
        """QA's report: a technician moved a completed audit, with its assets, to a client never audited (whose
        contract then rested on it), and added assets to it, which changed its recommendation. Both refused."""
        partner = self.env["res.partner"].create({"name": "Never audited", "is_company": True})
        audit = self._audit_with(3, partner=self.other_client)
        audit.action_done()
        recommended = audit.recommended_type
        ids = self.rpc(self.technician, "it.asset", "search", [("audit_id", "=", audit.id)])
        self.assertEqual(len(ids), 3)
        self.assertRpcRefused("an IT manager reopens it", self.technician, "it.audit", "write", [audit.id], {
            "partner_id": partner.id, "asset_ids": [[1, asset_id, {"partner_id": partner.id}] for asset_id in ids]})
        self.assertRpcRefused("never moves to another client", self.technician, "it.asset", "write", ids,
                              {"partner_id": partner.id})
        self.assertRpcRefused("an IT manager reopens it", self.technician, "it.audit", "write", [audit.id], {
            "asset_ids": [[0, 0, {"category_id": self.server_category.id}] for _i in range(5)]})
        self.assertRpcRefused("an IT manager reopens it", self.technician, "it.asset", "create", [{
            "audit_id": audit.id, "category_id": self.server_category.id}])
        self.env.invalidate_all()
        self.assertEqual((audit.partner_id, audit.asset_ids.ids, audit.recommended_type),
                         (self.other_client, ids, recommended))
        contract_id = self._contract_without_audit(partner)
        self.assertFalse(self.env["it.contract"].browse(contract_id).audit_id)
        self.assertRpcRefused("audit of Never audited is completed", self.manager, "it.contract", "action_confirm",
                              [contract_id])

    def test_technician_records_assets_and_findings_over_rpc(self):
        audit = self._audit_with(1, partner=self.other_client)
        asset_id = self.rpc(self.technician, "it.asset", "create", [{
            "audit_id": audit.id, "category_id": self.server_category.id, "serial": "RPC-1",
        }])[0]
        self.assertEqual(self.env["it.asset"].browse(asset_id).partner_id, self.other_client)
        self.rpc(self.technician, "it.audit.finding", "create", [{
            "audit_id": audit.id, "name": "No UPS", "estimated_hours": 2, "asset_ids": [[6, 0, [asset_id]]],
        }])
        self.assertRpcRefused("already has an asset with this serial", self.technician, "it.asset", "create", [{
            "audit_id": audit.id, "category_id": self.server_category.id, "serial": "RPC-1",
        }])
        self.assertRpcRefused("not allowed", self.technician, "it.asset.category", "write",
                              [self.server_category.id], {"monthly_hours": 0})

    def test_database_constraint_message_reaches_the_user(self):
        """Bad asset dates and negative hours are refused by the database: the user reads the constraint's
        message, in their language in the web client, and nothing is saved."""
        audit = self._audit_with(1, partner=self.other_client)
        asset = audit.asset_ids
        asset.date_in_service = "2026-01-10"
        Asset = self.env["it.asset"]
        count = Asset.search_count([])
        message = (
            r"^The operation cannot be completed: The warranty or licence end cannot be before the purchase date, "
            r"nor the retirement date before the date the asset went into service\.$"
        )
        self.assertRpcRefused(message, self.technician, "it.asset", "create", [{
            "audit_id": audit.id, "category_id": self.server_category.id, "serial": "RPC-DATES",
            "purchase_date": "2026-01-10", "warranty_end": "2026-01-09",
        }])
        self.assertRpcRefused(message, self.technician, "it.asset", "write", [asset.id],
                              {"date_retired": "2026-01-09"})
        self.env.invalidate_all()
        self.assertEqual(Asset.search_count([]), count)
        self.assertFalse(Asset.search_count([("serial", "=", "RPC-DATES")]))
        self.assertFalse(asset.date_retired)

        # a Polish technician in the web client
        self.env["res.lang"]._activate_lang("pl_PL")
        self.env["ir.module.module"]._load_module_terms(["it_service_contracts"], ["pl_PL"], overwrite=True)
        self.technician.lang = "pl_PL"
        finding = self.env["it.audit.finding"].create({"audit_id": audit.id, "name": "No UPS", "estimated_hours": 2})
        self.authenticate(self.technician.login, f"{self.technician.login}_pw")
        error = self.call_kw("it.audit.finding", "write", [finding.id], {"estimated_hours": -1})
        self.assertEqual(error["data"]["name"], "odoo.exceptions.ValidationError")
        self.assertRegex(error["data"]["message"], r": Szacowane godziny nie mogą być ujemne\.$")
        self.env.invalidate_all()
        self.assertEqual(finding.estimated_hours, 2)
