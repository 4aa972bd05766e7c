from contextlib import contextmanager

from odoo.tests import freeze_time, new_test_user

from .common import ItServiceCommon


@freeze_time("2026-01-20")
class ItTimesheetCommon(ItServiceCommon):
    """Service requests under contracts, a technician, and a helper to log time on them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.technician = cls.env["hr.employee"].create({"name": "Tom Technician", "company_id": cls.company.id})
        cls.plain_project = cls.env["project.project"].create({
            "name": "Internal work", "company_id": cls.company.id, "allow_timesheets": True,
            "partner_id": cls.client.id,
        })
        cls.plain_task = cls.env["project.task"].create({
            "name": "Plain task", "project_id": cls.plain_project.id, "partner_id": cls.client.id,
        })

    @classmethod
    def _user(cls, login, role="technician"):
        """A user of the company with the addon's ``role`` (technician, manager)."""
        return new_test_user(
            cls.env, login, groups=f"it_service_contracts.group_it_{role}",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )

    @classmethod
    def _request(cls, contract=None, site=None, service=None, partner=None, name="Printer down"):
        """A service request under ``contract`` (or in the service desk when None); remote unless ``site``."""
        project = contract.project_id if contract else cls.company._it_get_service_desk_project()
        task = cls.env["project.task"].create({
            "name": name,
            "project_id": project.id,
            "partner_id": (partner or (contract.partner_id if contract else cls.client)).id,
        })
        task.write({
            "it_site_id": site.id if site else False,
            "it_service_product_id": (service or cls.service_support).id,
        })
        if contract:
            task.it_contract_id = contract
        return task

    @classmethod
    def _log(cls, task, hours, date="2026-01-15", **values):
        """Log time as a technician's call does: its transaction ends with the warnings it crossed."""
        line = cls.env["account.analytic.line"].create({
            "name": values.pop("name", "Work"),
            "task_id": task.id,
            "project_id": task.project_id.id,
            "employee_id": cls.technician.id,
            "unit_amount": hours,
            "date": date,
            **values,
        })
        cls.env.cr.flush()
        return line

    def assertBilled(self, lines, expected):
        """``expected``: list of (billing type, billable hours, contract) in date/id order."""
        lines = lines.sorted(lambda line: (line.date, line.id))
        self.assertEqual(
            [(line.it_billing_type, round(line.it_billable_hours, 4), line.it_contract_id) for line in lines],
            [(kind, round(hours, 4), contract) for kind, hours, contract in expected],
        )

    @contextmanager
    def assertRefusedWith(self, exception, pattern):
        """The block raises ``exception`` with a message matching ``pattern`` and is rolled back entirely."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertRegex(str(caught.exception), pattern)

    def _trigger_cron(self, xmlid):
        """Run a scheduled action as the scheduler does (in its own transaction), then reread everything."""
        with self.enter_registry_test_mode():
            self.env.ref(xmlid).method_direct_trigger()
        self.env.invalidate_all()
