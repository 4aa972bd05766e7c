from markupsafe import Markup, escape

from odoo import Command, api, fields, models

from .it_alert import SEVERITY_PRIORITY


class ItAlertRequest(models.AbstractModel):
    """Service requests opened by monitoring alerts (``it.alert``), mixed into ``project.task``: the request an alert
    opens, the notes of its later notices, its closing on recovery, and the flag of a request whose asset is still
    to be found."""

    _name = "it.alert.request"
    _description = "Service Request Opened by Monitoring"

    it_needs_triage = fields.Boolean(
        string="Needs Triage", compute="_compute_it_needs_triage", store=True, readonly=False, tracking=True,
        help="Opened by a monitoring alert for an asset that is not in the client's inventory: set the asset (or "
        "record it first) and the flag clears itself.",
    )
    it_alert_ids = fields.One2many("it.alert", "task_id", string="Monitoring Alerts", readonly=True)
    it_alert_source_id = fields.Many2one(
        "it.alert.source", string="Reported by Monitoring", compute="_compute_it_alert_source_id", store=True,
        index="btree_not_null",
    )

    @api.depends("it_asset_id")
    def _compute_it_needs_triage(self):
        for task in self:
            task.it_needs_triage = task.it_needs_triage and not task.it_asset_id

    @api.depends("it_alert_ids.source_id")
    def _compute_it_alert_source_id(self):
        # a request stays reported by monitoring when its alert, back after it was closed, opens a new one
        for task in self:
            task.it_alert_source_id = task.it_alert_ids[:1].source_id or task.it_alert_source_id

    @api.model
    def _it_open_alert_request(self, alert, reported=None):
        """Open the request ``alert`` reports, for its client and asset, with the priority of its severity. It is
        routed as any request of the client (its running contract and that contract's response times, or ad-hoc:
        ``_it_route_new_requests``), starts its SLA clock (at ``reported``, by default the alert's first notice),
        and belongs to the service desk: nobody is assigned and no portal user owns it."""
        asset = alert.asset_id
        vals = {
            "name": alert.summary,
            "priority": SEVERITY_PRIORITY[alert.severity],
            "partner_id": alert.partner_id.id,
            "company_id": alert.company_id.id,
            "it_asset_id": asset.id,
            "it_reported_date": reported or alert.received_date,
            "it_needs_triage": not asset,
            "user_ids": [Command.clear()],
        }
        if alert.detail:
            vals["description"] = Markup("<p>%s</p>") % Markup("<br/>").join(
                escape(line) for line in alert.detail.splitlines())
        if asset.site_id:
            vals["it_site_id"] = asset.site_id.id
        task = self.sudo().with_context(
            it_service_request=True, mail_create_nolog=True, mail_create_nosubscribe=True,
        ).create(vals)
        if asset:
            body = self.env._(
                "Opened by monitoring source %(monitor)s (alert %(alert)s, %(severity)s) for %(asset)s.",
                monitor=alert.source_id.name, alert=alert.external_id, severity=alert._it_severity_label(),
                asset=asset.display_name,
            )
        else:
            body = self.env._(
                "Opened by monitoring source %(monitor)s (alert %(alert)s, %(severity)s). No asset of %(client)s in "
                "service matches serial %(serial)s or host %(host)s: find the asset and set it on the request.",
                monitor=alert.source_id.name, alert=alert.external_id, severity=alert._it_severity_label(),
                client=alert.partner_id.display_name, serial=alert.serial or "-", host=alert.host or "-",
            )
        task._message_log(body=body)
        return task

    def _it_alert_repeated(self, alert, values, back):
        """The same problem reported again: noted; ``back`` after its recovery, the request is reopened if closed."""
        self.ensure_one()
        task = self.sudo()
        body = self.env._(
            "Monitoring source %(monitor)s reports alert %(alert)s again (%(severity)s): %(summary)s",
            monitor=alert.source_id.name, alert=alert.external_id,
            severity=alert._it_severity_label(values.get("severity")),
            summary=values.get("summary") or alert.summary or "-",
        )
        if back and task._it_is_closed():
            stage = task.project_id.type_ids.filtered(lambda s: not s.fold).sorted("sequence")[:1]
            task.write({"state": "01_in_progress", **({"stage_id": stage.id} if stage else {})})
            body += " " + self.env._("The problem is back after its recovery: the request is reopened.")
        task._message_log(body=body)

    def _it_is_history(self):
        """A closed request that someone worked on: its time is billed or to be, its SLA met or breached. A problem
        back after it is a new request; a request closed by the alert's recovery alone is reopened instead (a
        flapping check does not open a request at each notice)."""
        self.ensure_one()
        task = self.sudo()
        return task._it_is_closed() and bool(task.timesheet_ids)

    def _it_alert_reopened_elsewhere(self, alert):
        """Noted on the closed request whose problem came back on a new one."""
        self.ensure_one()
        self.sudo()._message_log(body=self.env._(
            "Monitoring source %(monitor)s reports alert %(alert)s again after this request was closed: request "
            "%(request)s was opened for it.", monitor=alert.source_id.name, alert=alert.external_id,
            request=f"{alert.task_id.display_name} (#{alert.task_id.id})",
        ))

    def _it_alert_recovered(self, alert):
        """The monitoring source reports the problem resolved: noted, and the request is closed when nobody has
        logged time on it (closing records the SLA's resolution, as any closing does); with time logged, a
        technician closes it."""
        self.ensure_one()
        task = self.sudo()
        body = self.env._(
            "Monitoring source %(monitor)s reports alert %(alert)s resolved.",
            monitor=alert.source_id.name, alert=alert.external_id,
        )
        if task.timesheet_ids and not task._it_is_closed():
            body += " " + self.env._("Time has been logged on the request: it stays open for its technician to close.")
        elif not task._it_is_closed():
            stage = task.project_id.type_ids.filtered("fold").sorted("sequence")[:1]
            task.write({"state": "1_done", **({"stage_id": stage.id} if stage else {})})
            body += " " + self.env._("Nobody has logged time on the request: it is closed.")
        task._message_log(body=body)


class ProjectTask(models.Model):
    _name = "project.task"
    _inherit = ["project.task", "it.alert.request"]
