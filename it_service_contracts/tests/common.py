from contextlib import contextmanager

import psycopg2

from odoo.exceptions import UserError
from odoo.tests import TransactionCase
from odoo.tools import mute_logger


class ItServiceCommon(TransactionCase):
    """A company with known rates, a client with two sites, a completed audit and service products."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the tests' users have no time zone (UTC) while the superuser has Odoo's Europe/Brussels: "today" is the
        # same day for all of them only in one zone, so the tests run in UTC (else they fail from 23:00 UTC)
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, mail_create_nolog=True, tz="UTC"))
        cls.company = cls.env["res.company"].create({
            "name": "Test MSP",
            "it_adhoc_hourly_rate": 200.0,
            "it_package_hourly_rate": 160.0,
            "it_flat_hourly_rate": 130.0,
        })
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.company.id]))
        cls.calendar = cls.company.resource_calendar_id
        cls.client = cls.env["res.partner"].create({"name": "Client Ltd", "is_company": True})
        cls.site_a, cls.site_b = cls.env["res.partner"].create([
            {"name": "Head office", "type": "other", "parent_id": cls.client.id},
            {"name": "Warehouse", "type": "other", "parent_id": cls.client.id},
        ])
        cls.other_client = cls.env["res.partner"].create({"name": "Other Client", "is_company": True})
        cls.service_support, cls.service_servers, cls.service_other = cls.env["product.product"].create([
            {"name": "Workstation support", "type": "service", "list_price": 200.0},
            {"name": "Server administration", "type": "service", "list_price": 200.0},
            {"name": "Website design", "type": "service", "list_price": 200.0},
        ])
        cls.workstation_category = cls.env.ref("it_service_contracts.asset_category_workstation")
        cls.audit = cls.env["it.audit"].create({
            "partner_id": cls.client.id,
            "company_id": cls.company.id,
            "asset_ids": [(0, 0, {"category_id": cls.workstation_category.id})],
        })
        cls.audit.action_done()

    @classmethod
    def _it_english_frontend(cls):
        """Portal pages in English for the tests that read them: Odoo shows a page in the user's language only
        if that language is active, and without a language prefix in the URL only if it is the default one
        (a database made with Polish has Polish alone)."""
        cls.env["res.lang"]._activate_lang("en_US")
        cls.env["ir.default"].set("res.partner", "lang", "en_US")

    @classmethod
    def _contract_vals(cls, contract_type="hour_package", **values):
        vals = {
            "partner_id": cls.client.id,
            "company_id": cls.company.id,
            "contract_type": contract_type,
            "date_start": "2026-01-01",
            "audit_id": cls.audit.id,
            "service_product_ids": [(6, 0, (cls.service_support | cls.service_servers).ids)],
            "site_ids": [(6, 0, (cls.site_a | cls.site_b).ids)],
            "service_calendar_id": cls.calendar.id,
        }
        if contract_type == "hour_package":
            vals.update(validity_months=6, hours_total=20.0)
        else:
            vals.update(monthly_fee=3000.0, monthly_hours=20.0, out_of_hours_response_hours=2.0)
        vals.update(values)
        return vals

    @classmethod
    def _routed_request(cls, contract, name, site):
        """A request of the client at ``site`` in ``contract``'s project, which routing gives that contract."""
        request = cls.env["project.task"].create({
            "name": name, "project_id": contract.project_id.id, "partner_id": cls.client.id,
            "it_site_id": site.id, "it_service_product_id": cls.service_support.id,
        })
        assert request.it_contract_id == contract, f"{name} is routed to {request.it_contract_id.name}"
        return request

    @classmethod
    def _create_contract(cls, contract_type="hour_package", **values):
        return cls.env["it.contract"].create(cls._contract_vals(contract_type, **values))

    @classmethod
    def _active_contract(cls, contract_type="hour_package", **values):
        contract = cls._create_contract(contract_type, **values)
        contract.action_activate()
        return contract

    @contextmanager
    def assertRefused(self, pattern, model="it.contract"):
        """The block is refused with a message matching `pattern`, as the user would read it, and is rolled back.

        Python constraints raise a UserError/ValidationError; database constraints raise an IntegrityError that
        Odoo turns into the constraint's message for the user, which is what is checked here.
        """
        with mute_logger("odoo.sql_db"), self.assertRaises(Exception) as caught:
            yield caught
        error = caught.exception
        if isinstance(error, psycopg2.IntegrityError):
            message = self.env[model]._sql_error_to_message(error)
        elif isinstance(error, UserError):
            message = error.args[0]
        else:
            raise error
        self.assertRegex(message, pattern)

    def _run_cron(self, xmlid):
        """Run a scheduled action as the scheduler would, inside the test transaction."""
        with self.enter_registry_test_mode():
            self.env.ref(xmlid).method_direct_trigger()
