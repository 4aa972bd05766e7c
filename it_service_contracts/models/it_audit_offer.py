from odoo import Command, fields, models
from odoo.exceptions import UserError
from odoo.tools import plaintext2html


class ItAuditOffer(models.AbstractModel):
    """What a completed audit leads to, a side of :class:`it.audit`: the work plan of its findings, the
    maintenance plans of its recurring findings, and the contract offered on it (or the drafts written before it
    was completed)."""

    _name = "it.audit.offer"
    _description = "Work and Contracts Offered on an IT Audit"

    def action_create_work_plan(self):
        """One task per finding in the client's work plan project, with the finding's estimate; never twice."""
        for audit in self:
            findings = audit.finding_ids.filtered(lambda f: not f.task_id)
            if not findings:
                continue
            project = audit._it_work_plan_project()
            tasks = self.env["project.task"].create([{
                "name": finding.name,
                "project_id": project.id,
                "partner_id": audit.partner_id.id,
                "allocated_hours": finding.estimated_hours,
                "priority": "1" if finding.severity in ("2", "3") else "0",
                "description": finding.recommendation,
                "date_deadline": finding.stage_id.planned_date,
                "it_asset_id": finding.asset_ids[:1].id,
            } for finding in findings])
            for finding, task in zip(findings, tasks, strict=True):
                finding._it_addon_write({"task_id": task.id})
        return self[:1].project_id._get_records_action() if len(self) == 1 else True

    def action_propose_maintenance_plans(self):
        """A maintenance plan of the client's contract for each recurring finding of the work plan, never twice
        (the IT manager then completes them: technician, checklist, first visit)."""
        plans = self.env["it.maintenance.plan"]
        today = fields.Date.context_today(self)
        for audit in self:
            findings = audit.finding_ids.filtered(lambda f: f.recurring and not f.maintenance_plan_id)
            if not findings:
                continue
            contract = audit.contract_ids.filtered_domain(
                self.env["it.contract"]._it_plannable_condition(today),
            ).sorted(lambda c: (c.state == "active", c.date_start), reverse=True)[:1]
            if not contract:
                raise UserError(self.env._(
                    "Audit %(audit)s has no draft or running contract: a maintenance plan belongs to a contract. "
                    "Create the contract first.", audit=audit.name,
                ))
            created = plans.create([{
                "name": finding.name,
                "contract_id": contract.id,
                "interval_number": finding.recurrence_interval_number,
                "interval_type": finding.recurrence_interval_type,
                "date_start": max(contract.date_start, today),
                "planned_hours": finding.estimated_hours,
                "asset_ids": [Command.set(finding.asset_ids.ids)],
                "checklist": plaintext2html(finding.recommendation or finding.name),
            } for finding in findings])
            for finding, plan in zip(findings, created, strict=True):
                finding._it_addon_write({"maintenance_plan_id": plan.id})
            plans |= created
        if not plans:
            raise UserError(self.env._("No recurring finding is waiting for a maintenance plan."))
        return plans._get_records_action(name=self.env._("Maintenance Plans"))

    def _it_work_plan_project(self):
        self.ensure_one()
        if not self.project_id:
            # technicians plan the work, but only managers create projects (and their analytic accounts)
            project = self.env["project.project"].sudo().create({
                "name": self.env._("Work plan %(audit)s - %(client)s", audit=self.name, client=self.partner_id.name),
                "partner_id": self.partner_id.id,
                "company_id": self.company_id.id,
                "allow_timesheets": True,
            })
            self._it_addon_write({"project_id": project.id})
        return self.project_id

    def action_create_contract(self):
        """A draft contract filled from the audit's recommendation (or the form the manager chose)."""
        self.ensure_one()
        if self.state != "done":
            raise UserError(self.env._("Complete the audit before creating a contract from it."))
        if self.contract_type == "adhoc":
            raise UserError(self.env._(
                "Ad-hoc help needs no contract: the client is served and invoiced job by job.",
            ))
        contract = self.env["it.contract"].create(self._it_contract_values())
        return contract._get_records_action(name=self.env._("Contract"))

    def _it_contract_values(self):
        assets = self.asset_ids.filtered_domain(self.env["it.asset"]._it_in_service_domain(self.date))
        # asset categories are shared by the companies of the database, their support services and prices are each
        # company's: a category brings the audit's company's service into the scope, if that company may sell it
        services = {
            category: category.sudo().with_company(self.company_id).service_product_id.filtered_domain(
                self.env["product.product"]._check_company_domain(self.company_id)).sudo(False)
            for category in assets.category_id
        }
        values = {
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "audit_id": self.id,
            "contract_type": self.contract_type,
            "user_id": self.env.user.id,
            "service_product_ids": [(6, 0, self.env["product.product"].union(*services.values()).ids)],
            "site_ids": [(6, 0, assets.site_id.ids)],
        }
        if self.contract_type == "hour_package":
            values.update(validity_months=self.package_months, hours_total=self.package_hours)
        else:
            values.update(monthly_hours=self.flat_hours, monthly_fee=self.flat_monthly_fee)
        if self.per_asset_cheaper:
            values["line_ids"] = [(0, 0, {
                "product_id": service.id,
                "pricing": "per_asset",
                "asset_category_id": category.id,
                "price_unit": category.with_company(self.company_id).monthly_asset_price,
            }) for category, service in services.items() if service]
        return values

    def _it_attach_to_draft_contracts(self):
        """Draft contracts of the client written before the audit was completed now rest on it."""
        drafts = self.env["it.contract"].search([
            ("partner_id", "in", self.partner_id.ids), ("state", "=", "draft"), ("audit_id", "=", False),
        ])
        audit_of = {audit.partner_id: audit for audit in self}
        for contract in drafts:
            contract.audit_id = audit_of[contract.partner_id]
