from odoo import api, fields, models


class ProjectProject(models.Model):
    _name = "project.project"
    _inherit = ["project.project", "it.protected.fields.mixin"]

    it_service_desk = fields.Boolean(
        string="Service Desk",
        help="Shared project receiving ad-hoc requests and incoming email; its tasks are service requests.",
    )
    it_contract_ids = fields.One2many("it.contract", "project_id", string="IT Contracts", readonly=True)
    it_is_service_project = fields.Boolean(
        string="IT Service Project", compute="_compute_it_is_service_project", store=True,
        help="Tasks of the service desk and of contract projects are service requests with an SLA clock.",
    )

    @api.depends("it_service_desk", "it_contract_ids")
    def _compute_it_is_service_project(self):
        for project in self:
            project.it_is_service_project = project.it_service_desk or bool(project.it_contract_ids)

    def _it_add_default_service_stages(self):
        """Give these projects the service stages. The stages are shared by every contract's project: linking one
        makes Odoo recompute each stage's owner (none, for a stage of projects); read beforehand, the owner is
        found unchanged and the stages' rows are not written, so contracts activated at the same moment by two
        managers or two servers do not conflict on them."""
        stages = self.env["project.task.type"].sudo().search_fetch([("it_service_default", "=", True)], ["user_id"])
        for project in self.filtered(lambda p: not p.type_ids):
            project.sudo().type_ids = [(6, 0, stages.ids)]

