from markupsafe import Markup, escape

from odoo import api, models
from odoo.exceptions import AccessError, ValidationError

# what a client may attach to a request from the portal
PORTAL_MAX_ATTACHMENTS = 10
PORTAL_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class ProjectTask(models.Model):
    """Service requests as the client sees them in the portal: reported there, followed and answered there."""

    _inherit = "project.task"

    def _compute_access_url(self):
        super()._compute_access_url()
        for task in self.filtered("it_is_service_request"):
            task.access_url = f"/my/it/requests/{task.id}"

    @api.model
    def _it_portal_domain(self, partner):
        """The requests a contact of a client sees in the portal: all of their client's."""
        return [("it_is_service_request", "=", True), ("it_client_id", "=", partner.commercial_partner_id.id)]

    @api.model
    def _it_portal_report(self, partner, values, attachments=()):
        """Create the request a client's contact reported in the portal, after checking every value against
        their own client: the site, the asset, the contract, the priority. Returns the request (as the system).

        ``values``: ``name``, ``description``, ``priority``, and optional ``site_id``, ``asset_id``,
        ``contract_id`` as the form posted them (strings); ``attachments``: ``(filename, content bytes)``.
        """
        client = partner.commercial_partner_id
        description = (values.get("description") or "").strip()
        if not description:
            raise ValidationError(self.env._("Describe the problem: the description cannot be empty."))
        name = (values.get("name") or "").strip() or description.splitlines()[0][:80]
        priorities = dict(self._fields["priority"]._description_selection(self.env))
        priority = values.get("priority") or "0"
        if priority not in priorities:
            raise ValidationError(self.env._(
                "Unknown priority %(priority)s: choose one of %(choices)s.",
                priority=priority, choices=", ".join(priorities.values()),
            ))
        site = self._it_portal_record("res.partner", values.get("site_id"), self.env._("site"))
        if site and site.commercial_partner_id != client:
            raise ValidationError(self.env._("The site you chose is not one of %s's addresses.", client.name))
        asset = self._it_portal_record("it.asset", values.get("asset_id"), self.env._("asset"))
        if asset and asset.partner_id != client:
            raise ValidationError(self.env._("The asset you chose is not in %s's inventory.", client.name))
        contract = self._it_portal_record("it.contract", values.get("contract_id"), self.env._("contract"))
        if contract and (contract.partner_id != client or contract.state != "active"):
            raise ValidationError(self.env._("The contract you chose is not a running contract of %s.", client.name))
        if len(attachments) > PORTAL_MAX_ATTACHMENTS:
            raise ValidationError(self.env._("Attach at most %s files to a request.", PORTAL_MAX_ATTACHMENTS))
        for filename, content in attachments:
            if len(content) > PORTAL_MAX_ATTACHMENT_BYTES:
                raise ValidationError(self.env._(
                    "The file %(file)s is larger than %(size)s MB.",
                    file=filename, size=PORTAL_MAX_ATTACHMENT_BYTES // (1024 * 1024),
                ))
        vals = {
            "name": name,
            "description": Markup("<p>%s</p>") % Markup("<br/>").join(escape(x) for x in description.splitlines()),
            "priority": priority,
            "partner_id": partner.id,
            "it_site_id": site.id,
            "it_asset_id": asset.id,
        }
        if contract:
            vals.update(it_contract_id=contract.id, company_id=contract.company_id.id)
        # as the system, with the contact's user as author: a portal user may not create tasks, and every value
        # was checked above against their client
        Task = self.env["project.task"].sudo().with_context(it_service_request=True, mail_create_nolog=True)
        task = Task.create(vals)
        if attachments:
            self.env["ir.attachment"].sudo().create([{
                "name": filename, "raw": content, "res_model": "project.task", "res_id": task.id,
            } for filename, content in attachments])
        task._it_acknowledge()
        return task

    def _it_portal_record(self, model, value, label):
        """The record a portal form posted by id, or an empty recordset; a forged or unknown id is refused."""
        if not value:
            return self.env[model].sudo()
        try:
            record = self.env[model].sudo().browse(int(value)).exists()
        except (TypeError, ValueError):
            record = None
        if not record:
            raise ValidationError(self.env._("The %(what)s you chose does not exist (%(value)s).",
                                             what=label, value=value))
        return record

    def _it_acknowledge(self):
        """Mail the client that their request is registered, with its response deadline."""
        for task in self.sudo().filtered(lambda t: t.partner_id.email):
            task._portal_ensure_token()
            task.message_post_with_source(
                "it_service_contracts.mail_template_it_request_received",
                subtype_xmlid="mail.mt_comment",
                partner_ids=task.partner_id.ids,
            )

    def _it_portal_check_client(self, partner):
        """Refuse a portal action on a request that is not of the contact's client."""
        self.ensure_one()
        if not self.sudo().it_is_service_request or self.sudo().it_client_id != partner.commercial_partner_id:
            raise AccessError(self.env._("This request is not one of your company's requests."))
