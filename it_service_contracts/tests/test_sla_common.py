from contextlib import contextmanager
from datetime import datetime
from unittest.mock import patch

from .common import ItServiceCommon


def utc(*args):
    """A naive UTC datetime, as Odoo stores them."""
    return datetime(*args)


class SlaCommon(ItServiceCommon):
    """A Polish MSP serving Mon-Fri 8:00-16:00 Europe/Warsaw, a flat contract with response times per priority."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.country_id = cls.env.ref("base.pl")
        cls.service_calendar = cls.env["resource.calendar"].create({
            "name": "Service hours Mon-Fri 8-16",
            "company_id": cls.company.id,
            "tz": "Europe/Warsaw",
            "hours_per_day": 8,
            "attendance_ids": [(5, 0, 0)] + [
                (0, 0, {"name": f"Day {day}", "dayofweek": str(day), "hour_from": 8, "hour_to": 16,
                        "day_period": "full_day"})
                for day in range(5)
            ],
        })
        cls.company.resource_calendar_id = cls.service_calendar
        cls.technician = cls.env["res.users"].create({
            "name": "Tom Technician",
            "login": "tom.technician@example.com",
            "email": "tom.technician@example.com",
            "company_id": cls.company.id,
            "company_ids": [(6, 0, cls.company.ids)],
            "group_ids": [(6, 0, [cls.env.ref("it_service_contracts.group_it_technician").id])],
        })
        cls.lead = cls.env["res.users"].create({
            "name": "Lena Lead",
            "login": "lena.lead@example.com",
            "email": "lena.lead@example.com",
            "company_id": cls.company.id,
            "company_ids": [(6, 0, cls.company.ids)],
            "group_ids": [(6, 0, [cls.env.ref("it_service_contracts.group_it_manager").id])],
        })
        cls.company.it_service_desk_lead_id = cls.lead
        # the demo requests' state changes are not the tests' business: take them as notified already
        cls.env.flush_all()
        cls.env.cr.execute(
            "UPDATE project_task SET sla_notified_state = sla_state WHERE sla_state IN ('at_risk', 'breached')"
        )
        cls.env.invalidate_all()
        cls.flat = cls._active_contract(
            "monthly_flat",
            service_calendar_id=cls.service_calendar.id,
            out_of_hours_response_hours=2.0,
            sla_line_ids=[
                (0, 0, {"priority": "0", "response_hours": 4, "resolution_hours": 16}),
                (0, 0, {"priority": "1", "response_hours": 2, "resolution_hours": 8}),
                (0, 0, {"priority": "3", "response_hours": 1, "resolution_hours": 4}),
            ],
        )
        cls.project = cls.flat.project_id
        stages = cls.project.type_ids.sorted("sequence")
        cls.stage_new = cls.env.ref("it_service_contracts.project_stage_service_new")
        cls.stage_progress = cls.env.ref("it_service_contracts.project_stage_service_in_progress")
        cls.stage_waiting = cls.env.ref("it_service_contracts.project_stage_service_waiting")
        cls.stage_done = cls.env.ref("it_service_contracts.project_stage_service_done")
        assert cls.stage_new == stages[:1], "contract projects get the service stages"

    def _request(self, reported, **values):
        vals = {
            "name": "Printer down",
            "partner_id": self.client.id,
            "project_id": self.project.id,
            "it_reported_date": reported,
            "user_ids": [(6, 0, self.technician.ids)],
        }
        vals.update(values)
        return self.env["project.task"].create(vals)

    @contextmanager
    def _cron_commits(self):
        """Let a cron method run in the test transaction: its commits are counted, not done."""
        calls = []

        def commit_progress(model, processed=0, *, remaining=None, deactivate=False):
            calls.append((processed, remaining))
            return float("inf")

        with patch("odoo.addons.base.models.ir_cron.IrCron._commit_progress", commit_progress):
            yield calls
