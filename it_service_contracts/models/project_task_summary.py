from odoo import api, models


class ItRequestSummary(models.AbstractModel):
    """Which form a service request opens in. Odoo's task form needs Project rights (it reads the project's
    roles and collaborators); an internal user without them, as the accountant following a link from an invoice,
    the package ledger or an audit finding, or typing the address of a request, gets the request's summary
    instead: what it was, under which contract, its SLA and the time logged on it, read-only. Portal users keep
    their own forms (project sharing). Mixed into ``project.task`` ahead of it."""

    _name = "it.request.summary"
    _description = "Summary of a Service Request"

    @api.model
    def get_view(self, view_id=None, view_type="form", **options):
        user = self.env.user
        if view_type == "form" and not user.share and not user.has_group("project.group_project_user"):
            view_id = self.env.ref("it_service_contracts.project_task_view_form_summary").id
        return super().get_view(view_id, view_type, **options)


class ProjectTask(models.Model):
    _name = "project.task"
    _inherit = ["it.request.summary", "project.task"]
