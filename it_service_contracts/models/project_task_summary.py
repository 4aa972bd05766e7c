from odoo import models


class ItRequestSummary(models.AbstractModel):
    """Which form a service request opens in. Odoo's task form needs Project rights (it reads the project's
    roles and collaborators); who follows a link to a request without them, as the accountant from an invoice,
    the package ledger or an audit finding, gets the request's summary instead: what it was, under which
    contract, its SLA and the time logged on it, read-only. Mixed into ``project.task`` ahead of it."""

    _name = "it.request.summary"
    _description = "Summary of a Service Request"

    def get_formview_id(self, access_uid=None):
        user = self.env["res.users"].browse(access_uid) if access_uid else self.env.user
        if not user.has_group("project.group_project_user"):
            return self.env.ref("it_service_contracts.project_task_view_form_summary").id
        return super().get_formview_id(access_uid=access_uid)


class ProjectTask(models.Model):
    _name = "project.task"
    _inherit = ["it.request.summary", "project.task"]
