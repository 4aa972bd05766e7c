from odoo import fields, models


class ProjectTaskType(models.Model):
    _inherit = "project.task.type"

    it_waiting_customer = fields.Boolean(
        string="Waiting for Customer",
        help="The SLA clock of service requests stops while they are in this stage and resumes when they leave it.",
    )
    it_service_default = fields.Boolean(
        string="Default Service Stage",
        help="Given to new service desk and contract projects.",
    )
