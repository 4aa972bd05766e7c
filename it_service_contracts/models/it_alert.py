import psycopg2

from odoo import api, fields, models
from odoo.exceptions import ConcurrencyError, ValidationError
from odoo.fields import Domain
from odoo.tools.sql import escape_psql

SEVERITIES = [
    ("critical", "Critical"),
    ("high", "High"),
    ("warning", "Warning"),
    ("info", "Information"),
]
# the request priority each severity gets: the priority chooses the contract's response times (it.contract.sla)
SEVERITY_PRIORITY = {"critical": "3", "high": "2", "warning": "1", "info": "0"}

ALERT_STATUSES = [("problem", "Problem"), ("resolved", "Resolved")]

# what a monitoring system posts: the key in its JSON body, the field it fills and its longest accepted length
ALERT_KEYS = {
    "id": ("external_id", 255),
    "status": ("status", 20),
    "severity": ("severity", 20),
    "serial": ("serial", 255),
    "host": ("host", 255),
    "summary": ("summary", 1024),
    "detail": ("detail", 60000),
}


class ItAlert(models.Model):
    """A problem a monitoring source reported, once per (source, alert id): the first notice of a problem opens a
    service request, later notices of the same id are noted on it, its recovery may close it.

    The unique index on (source, alert id) is what keeps two notices that arrive at the same moment (two workers)
    from opening two requests: the second one waits for the first, then is replayed and finds the alert.
    """

    _name = "it.alert"
    _inherit = ["it.protected.fields.mixin"]
    _description = "Monitoring Alert"
    _order = "received_date desc, id desc"
    _rec_name = "summary"
    _check_company_auto = True

    source_id = fields.Many2one(
        "it.alert.source", string="Source", required=True, readonly=True, index=True, ondelete="cascade",
    )
    company_id = fields.Many2one(related="source_id.company_id", store=True, index=True)
    external_id = fields.Char(string="Alert ID", required=True, readonly=True, help="The alert's id at the source.")
    status = fields.Selection(ALERT_STATUSES, required=True, readonly=True)
    severity = fields.Selection(SEVERITIES, readonly=True)
    serial = fields.Char(string="Serial Reported", readonly=True)
    host = fields.Char(string="Host Reported", readonly=True)
    summary = fields.Char(readonly=True)
    detail = fields.Text(readonly=True)
    received_date = fields.Datetime(string="Received On", required=True, readonly=True, default=fields.Datetime.now)
    last_received_date = fields.Datetime(string="Last Notice", readonly=True)
    resolved_date = fields.Datetime(string="Resolved On", readonly=True)
    notice_count = fields.Integer(string="Notices", readonly=True, default=1)
    asset_id = fields.Many2one("it.asset", string="Asset", readonly=True, index="btree_not_null", check_company=True)
    partner_id = fields.Many2one("res.partner", string="Client", readonly=True, index="btree_not_null")
    task_id = fields.Many2one(
        "project.task", string="Request", readonly=True, index="btree_not_null", ondelete="set null",
        check_company=True, help="The request this alert opened, on which its later notices are noted.",
    )

    _unique_external_id = models.Constraint(
        "UNIQUE(source_id, external_id)", "This monitoring source already reported an alert with this id.",
    )

    # ------------------------------------------------------------------ what a source posts

    @api.model
    def _it_parse_payload(self, payload):
        """The values of a posted alert, checked: text without NUL bytes within its length, a known status and
        severity, and what a problem needs to open a request. Anything else is refused with a message."""
        if not isinstance(payload, dict):
            raise ValidationError(self.env._("The body must be a JSON object."))
        values = {}
        for key, (fname, limit) in ALERT_KEYS.items():
            value = payload.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                raise ValidationError(self.env._("The value of %(key)s must be a text (a JSON string).", key=key))
            if "\x00" in value:
                raise ValidationError(self.env._("The value of %(key)s contains a NUL byte.", key=key))
            value = value.strip()
            if len(value) > limit:
                raise ValidationError(self.env._(
                    "The value of %(key)s is longer than %(limit)s characters.", key=key, limit=limit,
                ))
            if value:
                values[fname] = value
        for fname, selection in (("status", ALERT_STATUSES), ("severity", SEVERITIES)):
            if fname in values:
                values[fname] = values[fname].lower()
                if values[fname] not in dict(selection):
                    raise ValidationError(self.env._(
                        "Unknown %(key)s %(value)s: use one of %(choices)s.",
                        key=fname, value=values[fname], choices=", ".join(dict(selection)),
                    ))
        missing = [key for key in ("id", "status") if ALERT_KEYS[key][0] not in values]
        if values.get("status") == "problem":
            missing += [key for key in ("severity", "summary") if key not in values]
            if not (values.get("serial") or values.get("host")):
                missing.append("serial / host")
        if missing:
            raise ValidationError(self.env._("Missing in the alert: %(keys)s.", keys=", ".join(missing)))
        return values

    @api.model
    def _it_match_asset(self, source, serial, host):
        """The asset an alert is about: the one whose serial, else whose name, is the serial or host reported, among
        the assets in service of the source's client (of any client of its company for a source without one). None
        when no asset or several match."""
        Asset = self.env["it.asset"]
        scope = Domain("company_id", "=", source.company_id.id) & Asset._it_in_service_domain(
            fields.Date.context_today(self))
        if source.partner_id:
            scope &= Domain("partner_id", "=", source.partner_id.commercial_partner_id.id)
        reported = [value for value in (serial, host) if value]
        for fname in ("serial", "name"):
            assets = Asset.search(
                scope & Domain.OR(Domain(fname, "=ilike", escape_psql(value)) for value in reported), limit=2,
            )
            if assets:
                return assets if len(assets) == 1 else Asset
        return Asset

    def _it_severity_label(self, severity=None):
        """The label of ``severity`` (default: this alert's) in the user's language."""
        severity = severity or self.severity
        return dict(self._fields["severity"]._description_selection(self.env)).get(severity) or "-"

    # ------------------------------------------------------------------ receiving

    @api.model
    def _it_receive(self, source, payload):
        """Record what ``source`` posted (as the system, in the source's company); return the alert and whether it
        opened a request. A new problem opens a request; the same id again is noted on it, its recovery may close
        it. A recovery of an id never seen is recorded without opening anything."""
        values = self._it_parse_payload(payload)
        alert = self.search([("source_id", "=", source.id), ("external_id", "=", values["external_id"])], limit=1)
        if alert:
            return alert, alert._it_notice_again(values)
        vals = dict(values, source_id=source.id)
        if values["status"] == "problem":
            asset = self._it_match_asset(source, values.get("serial"), values.get("host"))
            client = asset.partner_id or source.partner_id.commercial_partner_id
            if not client:
                raise ValidationError(self.env._(
                    "No asset in service matches serial %(serial)s or host %(host)s, and monitoring source %(monitor)s "
                    "has no client to open the request for: record the asset or give the source its client.",
                    serial=values.get("serial") or "-", host=values.get("host") or "-", monitor=source.name,
                ))
            vals.update(asset_id=asset.id, partner_id=client.id)
        else:
            vals["resolved_date"] = fields.Datetime.now()
        alert = self._it_claim(vals)
        if alert.status != "problem":
            return alert, False
        alert.task_id = self.env["project.task"]._it_open_alert_request(alert)
        return alert, True

    @api.model
    def _it_claim(self, vals):
        """Create the alert; when another transaction has just created the same one, replay the request (Odoo's
        ``retrying``), which then finds it."""
        try:
            with self.env.cr.savepoint():
                return self.create(vals)
        except psycopg2.errors.UniqueViolation as error:
            raise ConcurrencyError(
                f"alert {vals['external_id']} of source {vals['source_id']} received twice at once") from error

    def _it_notice_again(self, values):
        """A later notice of this alert: counted, and noted on its request (a recovery may close it). A problem back
        after its request was closed with work on it opens a new request: the closed one is history (its time
        billed, its SLA met or breached). Returns whether a request was opened."""
        self.ensure_one()
        now = fields.Datetime.now()
        recovered = values["status"] == "resolved"
        back = not recovered and self.status == "resolved"
        vals = {"status": values["status"], "last_received_date": now, "notice_count": self.notice_count + 1}
        if recovered and self.status != "resolved":
            vals["resolved_date"] = now
        elif back:
            # the problem as it is back: a request it opens now has its severity and summary
            vals.update({key: values[key] for key in ("severity", "summary", "detail") if values.get(key)})
            vals["resolved_date"] = False
        self.write(vals)
        task = self.task_id
        if not task:
            return False
        if recovered:
            task._it_alert_recovered(self)
        elif back and task._it_is_history():
            self.task_id = self.env["project.task"]._it_open_alert_request(self, reported=now)
            task._it_alert_reopened_elsewhere(self)
            return True
        else:
            task._it_alert_repeated(self, values, back)
        return False
