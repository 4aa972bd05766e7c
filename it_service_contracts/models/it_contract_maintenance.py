"""The maintenance side of a contract (design rule 11): its plans, how their visits went, and the contracts a
plan may go on. The plans themselves are ``models/it_maintenance_plan.py``."""
from collections import defaultdict
from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.fields import Domain


class ItContractMaintenance(models.AbstractModel):
    """The maintenance side of a contract: its plans, their visits and how they went. Mixed into
    ``it.contract`` below."""

    _name = "it.contract.maintenance"
    _description = "Maintenance of an IT Contract"

    maintenance_plan_ids = fields.One2many("it.maintenance.plan", "contract_id", string="Maintenance Plans")
    maintenance_plan_count = fields.Integer(compute="_compute_visit_counts", string="Maintenance")
    visit_done_count = fields.Integer(compute="_compute_visit_counts", string="Visits Done")
    visit_late_count = fields.Integer(compute="_compute_visit_counts", string="Visits Late")
    visit_missed_count = fields.Integer(compute="_compute_visit_counts", string="Visits Missed")

    @api.constrains("contract_type")
    def _check_plans_fit_the_type(self):
        """A draft contract that becomes a package cannot keep a plan its fee was to cover."""
        self.maintenance_plan_ids._check_covered_by_a_fee()

    def _compute_visit_counts(self):
        plans = dict(self.env["it.maintenance.plan"]._read_group(
            [("contract_id", "in", self.ids)], ["contract_id"], ["__count"],
        ))
        visits = defaultdict(int)
        for contract, state, count in self.env["project.task"]._read_group(
            [("it_contract_id", "in", self.ids), ("it_maintenance_plan_id", "!=", False)],
            ["it_contract_id", "it_visit_state"], ["__count"],
        ):
            visits[contract, state] = count
        for contract in self:
            contract.maintenance_plan_count = plans.get(contract, 0)
            contract.visit_done_count = visits[contract, "done"]
            contract.visit_late_count = visits[contract, "late"]
            contract.visit_missed_count = visits[contract, "missed"]

    @api.model
    def _it_plannable_condition(self, today):
        """The contracts a maintenance plan may go on: a draft (sent or agreed included: the manager prepares its
        plans before it starts) or a contract running on a day from ``today`` on (``_it_running_condition()``),
        never one that is over (ended, expired, closed or cancelled)."""
        return Domain("state", "=", "draft") | self._it_running_condition(today, date.max)

    def _it_visits_in_month(self, month):
        """The maintenance visits of this contract planned in the month of ``month`` (any day of it), in date
        order, with their checks (``it_check_ids``): what the monthly client report lists."""
        self.ensure_one()
        first = month.replace(day=1)
        return self.env["project.task"].search(
            Domain([("it_contract_id", "=", self.id), ("it_maintenance_plan_id", "!=", False),
                    ("it_planned_date", ">=", first), ("it_planned_date", "<", first + relativedelta(months=1))]),
            order="it_planned_date, id",
        )

    @api.readonly
    def action_view_maintenance_plans(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("it_service_contracts.it_maintenance_plan_action")
        action["domain"] = [("contract_id", "=", self.id)]
        action["context"] = {"default_contract_id": self.id}
        return action


class ItContract(models.Model):
    _name = "it.contract"
    _inherit = ["it.contract.maintenance", "it.contract"]
