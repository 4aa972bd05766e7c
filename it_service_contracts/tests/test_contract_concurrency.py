import psycopg2

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged
from odoo.tools import mute_logger

from .committed_common import CONTEXT, CommittedCase


@tagged("post_install", "-at_install")
class TestFlatContractConcurrency(CommittedCase):
    """Two managers activate two flat contracts of one client at the same moment: each one's check sees no other
    active flat contract in its own snapshot, and the database refuses the second."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            client, audit, service, first = self._running_flat_contract(env, "Concurrent Flat Client")
            # both drafts, as the contract screens leave them before activation
            cr.execute("UPDATE it_contract SET state = 'draft' WHERE id = %s", [first.id])
            first.invalidate_recordset(["state"])
            second = first.copy({"date_start": first.date_start})
            # and another client's, activated at the same moment by another manager
            other_client, other_audit, other_service, other = self._running_flat_contract(env, "Concurrent Other")
            cr.execute("UPDATE it_contract SET state = 'draft' WHERE id = %s", [other.id])
            self.ids = {"clients": (client | other_client).ids, "audits": (audit | other_audit).ids,
                        "services": (service | other_service).ids, "contracts": (first | second).ids,
                        "other": other.id}
        self.addCleanup(self._remove_committed_data)

    def _remove_committed_data(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            ids = self.ids
            contracts = env["it.contract"].browse([*ids["contracts"], ids["other"]])
            self._remove_each(cr, [
                lambda: contracts._it_addon_write({"state": "cancelled"}),
                lambda: contracts.unlink(),
                lambda: env["it.audit"].browse(ids["audits"]).action_reopen(),
                lambda: env["it.asset"].search([("partner_id", "in", ids["clients"])]).unlink(),
                lambda: env["it.audit"].browse(ids["audits"]).unlink(),
                lambda: env["product.product"].browse(ids["services"]).unlink(),
                lambda: env["res.partner"].browse(ids["clients"]).unlink(),
            ])

    @mute_logger("odoo.sql_db")  # the refused UPDATE
    def test_second_flat_contract_activated_at_once_is_refused_by_the_database(self):
        first_id, second_id = self.ids["contracts"]
        with self.registry.cursor() as cr2:
            env2 = api.Environment(cr2, SUPERUSER_ID, CONTEXT)
            # the second manager's transaction has begun (its snapshot is taken) when the first one commits
            self.assertEqual(env2["it.contract"].browse(second_id).state, "draft")
            with self.registry.cursor() as cr1:
                env1 = api.Environment(cr1, SUPERUSER_ID, CONTEXT)
                env1["it.contract"].browse(first_id).action_activate()
            with self.assertRaises(psycopg2.errors.ExclusionViolation) as caught, cr2.savepoint():
                env2["it.contract"].browse(second_id).action_activate()
                env2.flush_all()
            self.assertEqual(
                env2["it.contract"]._sql_error_to_message(caught.exception),
                "The client already has an active flat monthly contract for these dates.",
                "the user reads the rule, not the database's words",
            )
            cr2.rollback()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            states = env["it.contract"].browse(self.ids["contracts"]).mapped("state")
            self.assertEqual(sorted(states), ["active", "draft"])

    def test_contracts_of_two_clients_activated_at_once_do_not_conflict(self):
        """Each activation gives its contract a project with the shared service stages: the stages' rows are not
        written, so neither manager's transaction fails on the other's (nor a server's scheduled action)."""
        first_id, _second_id = self.ids["contracts"]
        with self.registry.cursor() as cr2:
            env2 = api.Environment(cr2, SUPERUSER_ID, CONTEXT)
            self.assertEqual(env2["it.contract"].browse(self.ids["other"]).state, "draft")
            with self.registry.cursor() as cr1:
                api.Environment(cr1, SUPERUSER_ID, CONTEXT)["it.contract"].browse(first_id).action_activate()
            env2["it.contract"].browse(self.ids["other"]).action_activate()
            env2.flush_all()  # before: could not serialize access due to concurrent update (project_task_type)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            contracts = env["it.contract"].browse([first_id, self.ids["other"]])
            self.assertEqual(contracts.mapped("state"), ["active", "active"])
            first_project, other_project = contracts.project_id
            self.assertTrue(first_project.type_ids)
            self.assertEqual(other_project.type_ids, first_project.type_ids, "both get the service stages")


@tagged("post_install", "-at_install")
class TestRenewalConcurrency(CommittedCase):
    """Two IT managers renew the same contract at the same moment: each one's check sees no other renewal in its
    own snapshot, and the database refuses the second (the renewal decides where a package's unused hours go)."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            client, audit, service, contract = self._running_flat_contract(env, "Concurrent Renewal Client")
            managers = env["res.users"].create([{
                "name": f"Renewing Manager {n}", "login": f"renewing_manager_{n}",
                "group_ids": [(6, 0, env.ref("it_service_contracts.group_it_manager").ids)],
            } for n in range(2)])
            self.ids = {"client": client.id, "audit": audit.id, "service": service.id, "contract": contract.id,
                        "managers": managers.ids}
        self.addCleanup(self._remove_committed_data)

    def _remove_committed_data(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            ids = self.ids
            contracts = env["it.contract"].search([("partner_id", "=", ids["client"])])
            managers = env["res.users"].browse(ids["managers"])
            partners = managers.partner_id
            self._remove_each(cr, [
                lambda: contracts._it_addon_write({"state": "cancelled"}),
                lambda: contracts.sorted("id", reverse=True).unlink(),
                lambda: env["it.audit"].browse(ids["audit"]).action_reopen(),
                lambda: env["it.asset"].search([("partner_id", "=", ids["client"])]).unlink(),
                lambda: env["it.audit"].browse(ids["audit"]).unlink(),
                lambda: env["product.product"].browse(ids["service"]).unlink(),
                lambda: env["res.partner"].browse(ids["client"]).unlink(),
                lambda: managers.unlink(),
                lambda: partners.unlink(),
            ])

    @mute_logger("odoo.sql_db")  # the refused INSERT
    def test_second_renewal_made_at_once_is_refused_by_the_database(self):
        contract_id = self.ids["contract"]
        first, second = self.ids["managers"]
        with self.registry.cursor() as cr2:
            env2 = api.Environment(cr2, second, CONTEXT)
            # the second manager's transaction has begun (its snapshot is taken) when the first one commits
            self.assertFalse(env2["it.contract"].browse(contract_id).renewal_id)
            with self.registry.cursor() as cr1:
                env1 = api.Environment(cr1, first, CONTEXT)
                env1["it.contract"].browse(contract_id).action_renew()
            with self.assertRaises(psycopg2.errors.UniqueViolation) as caught, cr2.savepoint():
                env2["it.contract"].browse(contract_id).action_renew()
                env2.flush_all()
            self.assertEqual(
                env2["it.contract"]._sql_error_to_message(caught.exception),
                "This contract has already been renewed.",
                "the user reads the rule, not the database's words",
            )
            cr2.rollback()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            contract = env["it.contract"].browse(contract_id)
            self.assertEqual(len(contract.renewal_ids), 1)
            self.assertEqual(contract.renewal_id.create_uid.id, first)
