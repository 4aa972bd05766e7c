import logging

from odoo import Command, fields
from odoo.modules.registry import Registry
from odoo.tests.common import BaseCase, get_db_name

_logger = logging.getLogger(__name__)

# what the workers of these tests run with: no chatter, as the scheduled actions
CONTEXT = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}


class CommittedCase(BaseCase):
    """A test of two workers at once: it needs real transactions, so it works on cursors of its own
    (``self.registry.cursor()``), commits, and removes what it created afterwards."""

    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())

    @staticmethod
    def _running_flat_contract(env, name, **client_values):
        """A client with a completed audit and its flat contract running since the first of the month, as the
        contract screens leave them (its project is not what these tests measure): (client, audit, service,
        contract)."""
        company = env.ref("base.main_company")
        client = env["res.partner"].create({"name": name, "is_company": True, **client_values})
        audit = env["it.audit"].create({
            "partner_id": client.id, "company_id": company.id,
            "asset_ids": [Command.create({"category_id": env.ref("it_service_contracts.asset_category_server").id})],
        })
        audit.action_done()
        service = env["product.product"].create({"name": f"{name} support", "type": "service"})
        contract = env["it.contract"].create({
            "partner_id": client.id, "company_id": company.id, "contract_type": "monthly_flat",
            "date_start": fields.Date.today().replace(day=1), "monthly_fee": 2000.0, "monthly_hours": 10.0,
            "hourly_rate": company.it_flat_hourly_rate, "audit_id": audit.id, "remote_service": True,
            "service_product_ids": [Command.set(service.ids)],
            "service_calendar_id": company.resource_calendar_id.id,
        })
        env.flush_all()
        env.cr.execute("UPDATE it_contract SET state = 'active' WHERE id = %s", [contract.id])
        contract.invalidate_recordset(["state"])
        return client, audit, service, contract

    @staticmethod
    def _client_removal_steps(env, client_ids, audit_ids, service_ids):
        """The clean-up steps (for ``_remove_each``) of the clients, audits and services ``_running_flat_contract``
        made, once their contracts are removed."""
        return [
            lambda: env["it.audit"].browse(audit_ids).action_reopen(),
            lambda: env["it.asset"].search([("partner_id", "in", client_ids)]).unlink(),
            lambda: env["it.audit"].browse(audit_ids).unlink(),
            lambda: env["product.product"].browse(service_ids).unlink(),
            lambda: env["res.partner"].browse(client_ids).unlink(),
        ]

    @staticmethod
    def _remove_each(cr, steps):
        """Run each clean-up step in a savepoint of its own: one that fails is logged and the others still run."""
        for step in steps:
            try:
                with cr.savepoint():
                    step()
            except Exception:
                _logger.warning("could not remove test data", exc_info=True)
