from markupsafe import Markup, escape

from odoo import SUPERUSER_ID, Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import format_duration

from .it_money import MONEY_GROUPS
from .it_portal_text import PORTAL_LINE_CHARS, check_portal_text
from .it_sla_clock import SLA_BOOKKEEPING_FIELDS

# the client's decision on paid work: recorded by the addon from the client's answer, never set by hand
APPROVAL_FIELDS = frozenset({
    "it_approval_state", "it_approval_rate", "it_approval_reason", "it_approval_requested_date",
    "it_approval_partner_id", "it_approval_date", "it_approval_comment",
})

# the time that costs the client extra: beyond the month's included hours, or outside any entitlement (held while
# the client has not approved it)
EXTRA_COST_TYPES = frozenset({"overage", "adhoc", "held"})

# what a client may attach to a request from the portal
PORTAL_MAX_ATTACHMENTS = 10
PORTAL_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class ProjectTask(models.Model):
    """Service requests as the client sees them: reported, followed and answered in the portal, and the
    client's approval before paid work.

    A request asks for the approval when its client's contract requires it and work on it would cost extra: the
    request is outside every contract's scope or places, or the package or the month's included hours are used
    up. The client approves or refuses in the portal; billable extra time cannot be logged on a refused request.
    """

    _inherit = "project.task"

    _it_protected_fields = SLA_BOOKKEEPING_FIELDS | APPROVAL_FIELDS | {"it_credit_move_id"}

    it_approval_state = fields.Selection(
        [("pending", "Approval Pending"), ("approved", "Approved"), ("refused", "Refused")],
        string="Client Approval", readonly=True, copy=False, tracking=True, index="btree_not_null",
        help="Whether the client approved work that costs extra; empty when no approval is needed.",
    )
    it_approval_rate = fields.Monetary(
        string="Rate to Approve", currency_field="it_currency_id", readonly=True, copy=False, groups=MONEY_GROUPS,
        help="The hourly rate the extra work will be billed at.",
    )
    it_approval_reason = fields.Char(string="Why Approval Is Needed", readonly=True, copy=False)
    it_approval_requested_date = fields.Datetime(string="Approval Requested On", readonly=True, copy=False)
    it_approval_partner_id = fields.Many2one(
        "res.partner", string="Decided By", readonly=True, copy=False,
        help="The client's contact who approved or refused the extra work.",
    )
    it_approval_date = fields.Datetime(string="Decided On", readonly=True, copy=False)
    it_approval_comment = fields.Text(string="Client's Comment", readonly=True, copy=False)

    # ------------------------------------------------------------------ when approval is needed

    def _it_extra_cost(self):
        """Why work on this request would cost the client extra and at which hourly rate, as ``(reason, rate)``,
        or None when it is covered (the caller checked that the client's contract asks for approval)."""
        self.ensure_one()
        task = self.sudo()
        if not task.it_is_service_request or task.sla_resolution_date:
            return None
        adhoc_rate = task.company_id.it_adhoc_hourly_rate
        if task.it_is_adhoc:
            return task.it_adhoc_reason or self.env._("The request is outside your contract."), adhoc_rate
        left = task.it_package_hours_left + task.it_month_hours_left
        planned = max(task.allocated_hours - task.effective_hours, 0.0)
        if left > 0 and planned <= left:
            return None
        covering = self.env["it.contract"]._it_covering(
            task.partner_id, task.company_id, task.it_site_id, task.it_service_product_id, task._it_service_day(),
        )
        flat = covering.filtered(lambda c: c.contract_type == "monthly_flat")[:1]
        rate = flat.hourly_rate if flat else adhoc_rate
        if left > 0:
            return self.env._(
                "The work planned on this request (%(planned)s) exceeds the hours left (%(left)s).",
                planned=format_duration(planned), left=format_duration(left),
            ), rate
        if flat:
            return self.env._("This month's included hours are used up."), rate
        return self.env._("The hours of your package are used up."), rate

    def _it_ask_approval_if_extra(self):
        """Ask the client's approval on the requests whose work would now cost extra (once per request)."""
        requests = self.sudo().filtered(lambda t: t.it_is_service_request and not t.it_approval_state)
        if not requests:
            return
        # one query for the usual case: no running contract of these clients asks for approval
        Contract = self.env["it.contract"].sudo()
        asking = Contract.search_fetch(
            Contract._it_running_domain(requests.it_client_id, requests.company_id)
            & Domain("approval_required", "=", True),
            ["partner_id", "company_id"],
        )
        pairs = {(contract.partner_id, contract.company_id) for contract in asking}
        requests = requests.filtered(lambda t: (t.it_client_id, t.company_id) in pairs)
        if not requests:
            return
        # the hours left are computed, not stored: read anew after the time just logged, for all requests at once
        requests.invalidate_recordset(["it_package_hours_left", "it_month_hours_left"])
        Contract.invalidate_model(["current_period_id", "current_hours_included", "current_hours_remaining"])
        for task in requests:
            # the reason is written for the client: in their language
            extra = task.with_context(lang=task._it_approval_recipient().lang or task.env.lang)._it_extra_cost()
            if extra:
                task._it_ask_approval(*extra)

    def _it_withdraw_needless_approvals(self):
        """The requests among these still waiting for the client's approval of paid work that no longer costs
        extra (hours given back to the package or the month, a change of scope or place): the question is
        withdrawn, with a note, so that the client is not asked to pay for work their contract covers."""
        pending = self.sudo().filtered(lambda t: t.it_approval_state == "pending")
        if not pending:
            return
        held = set(self.env["account.analytic.line"].sudo().search(
            [("task_id", "in", pending.ids), ("it_billing_type", "=", "held")]).task_id.ids)
        pending.invalidate_recordset(["it_package_hours_left", "it_month_hours_left"])
        self.env["it.contract"].invalidate_model(["current_period_id", "current_hours_included",
                                                  "current_hours_remaining"])
        covered = pending.filtered(lambda t: t.id not in held and not t._it_extra_cost())
        if not covered:
            return
        covered._it_addon_write({
            "it_approval_state": False, "it_approval_reason": False, "it_approval_rate": False,
            "it_approval_requested_date": False,
        })
        for task in covered:
            task._message_log(body=self.env._(
                "The client's approval of paid work is no longer needed: the work is covered by the contract "
                "again. The question was withdrawn from the portal."))

    def _it_approval_recipient(self):
        """The client's contact person asked to approve paid work: the request's contact if a person, else the
        client's contact person (a request reported for a site greets a person, not the site); none for no request
        (as when a mail template is checked)."""
        if not self:
            return self.env["res.partner"]
        self.ensure_one()
        return (self.partner_id or self.it_client_id)._it_contact_person()

    def _it_ask_approval(self, reason, rate):
        self.ensure_one()
        self._it_addon_write({
            "it_approval_state": "pending", "it_approval_reason": reason, "it_approval_rate": rate,
            "it_approval_requested_date": fields.Datetime.now(), "it_approval_partner_id": False,
            "it_approval_date": False, "it_approval_comment": False,
        })
        self._portal_ensure_token()
        recipient = self._it_approval_recipient()
        self.message_subscribe(recipient.ids)
        # the rate goes to the client's contact alone, in a notification that is not part of the request's thread
        # (its technicians read the thread, and see no rate); from the company and made as the system, since its
        # author and its creator read a notification, and the technician whose time asked for the approval is
        # neither. The context serves the templates of databases installed before the request held the reason and
        # rate (mail templates are not updated over a user's changes).
        company = self.company_id.partner_id
        template = self.env.ref("it_service_contracts.mail_template_it_approval_requested").with_context(
            reason=reason, rate=rate)
        mail = template._generate_template(self.ids, ("subject", "body_html", "email_from"))[self.id]
        self.with_user(SUPERUSER_ID).message_notify(
            subject=mail["subject"], body=mail["body_html"], email_from=mail["email_from"], author_id=company.id,
            partner_ids=recipient.ids, subtype_xmlid="mail.mt_comment",
        )
        # the thread says that the client was asked, without the rate
        self._message_log(author_id=company.id, body=self.env._(
            "%(contact)s was asked to approve paid work: %(reason)s", contact=recipient.display_name,
            reason=reason,
        ))

    # ------------------------------------------------------------------ the decision

    def _it_decide_approval(self, decision, partner, comment=None):
        """Record the client's decision; ``partner`` is the contact who decided (checked by the caller)."""
        self.ensure_one()
        if decision not in ("approved", "refused"):
            raise UserError(self.env._("A decision on extra work is to approve or to refuse it."))
        task = self.sudo()
        if task.it_approval_state != "pending":
            raise UserError(self.env._(
                "Request %(task)s is not waiting for your approval: %(state)s.", task=task.name,
                state=dict(task._fields["it_approval_state"]._description_selection(self.env)).get(
                    task.it_approval_state, self.env._("no approval is needed")),
            ))
        if partner.commercial_partner_id != task.it_client_id:
            raise AccessError(self.env._("Only a contact of the client decides on extra work for request %s.",
                                         task.name))
        check_portal_text(self.env, comment, self.env._("Your comment"))
        task._it_addon_write({
            "it_approval_state": decision, "it_approval_partner_id": partner.id,
            "it_approval_date": fields.Datetime.now(), "it_approval_comment": comment or False,
        })
        if decision == "approved":
            body = self.env._("%(partner)s approved the extra work.", partner=partner.name)
        else:
            body = self.env._("%(partner)s refused the extra work.", partner=partner.name)
        task.message_post(
            body=Markup("<p>%s</p>") % body + (Markup("<p>%s</p>") % comment if comment else ""),
            author_id=partner.id, message_type="comment", subtype_xmlid="mail.mt_comment",
        )
        task._it_settle_held_time()

    def _it_settle_held_time(self):
        """The client decided: the time held for their approval is billed (approved) or not billed (refused),
        and on a refusal the technicians of the request are told to stop."""
        held = self.env["account.analytic.line"].sudo().search(
            [("task_id", "in", self.ids), ("it_billing_type", "=", "held")])
        approved = held.filtered(lambda line: line.task_id.it_approval_state == "approved")
        approved._it_classify_again()
        refused = held - approved
        if refused:
            with refused._it_drawing_again():
                refused._it_addon_write({"it_billing_override": "non_billable"})
        for task in self.sudo().filtered(lambda t: t.it_approval_state == "refused"):
            technicians = task.user_ids | held.filtered(lambda line, task=task: line.task_id == task).user_id
            for user in technicians.filtered(lambda user: not user.share):
                task.activity_schedule(
                    "mail.mail_activity_data_todo", user_id=user.id,
                    summary=self.env._("The client refused paid work on %s: stop", task.name),
                    note=self.env._("Only non-billable time may still be logged on this request, unless the client "
                                    "is asked again and approves."),
                )

    def _it_protected_message(self, names):
        approval = {self._fields[name]._description_string(self.env) for name in APPROVAL_FIELDS}
        if set(names) <= approval:
            return self.env._(
                "The client's approval (%(fields)s) is recorded from the client's answer in the portal, or by an IT "
                "services manager's button, and cannot be set by hand.", fields=", ".join(names),
            )
        return super()._it_protected_message(names)

    def _it_check_records_approval(self):
        if not self.env.user.has_group("it_service_contracts.group_it_manager"):
            raise AccessError(self.env._(
                "Only an IT services manager records a client's decision given outside the portal."
            ))

    def action_it_approval_approved_by_client(self):
        """A manager records the approval the client gave by phone or mail (the request's contact decided)."""
        self._it_check_records_approval()
        for task in self:
            task._it_decide_approval("approved", task.sudo()._it_approval_recipient())

    def action_it_approval_ask_again(self):
        """A manager asks again after a refusal, e.g. once the client bought more hours."""
        self._it_check_records_approval()
        for task in self.sudo().filtered(lambda t: t.it_approval_state == "refused"):
            task._it_addon_write({"it_approval_state": False})
            task._it_ask_approval_if_extra()

    # ------------------------------------------------------------------ hooks

    @api.model_create_multi
    def create(self, vals_list):
        tasks = super().create(vals_list)
        tasks._it_ask_approval_if_extra()
        return tasks

    def write(self, vals):
        result = super().write(vals)
        if (self._IT_COVERAGE_FIELDS | {"allocated_hours"}) & vals.keys():
            self._it_ask_approval_if_extra()
            self._it_withdraw_needless_approvals()
        return result

    def _it_check_time_allowed(self, billing_types):
        """Billable extra time is refused on a request whose client refused the extra work."""
        refused = self.sudo().filtered(lambda t: t.it_approval_state == "refused")
        if refused and EXTRA_COST_TYPES & set(billing_types):
            raise ValidationError(self.env._(
                "The client refused paid work on request %(task)s (%(reason)s): log this time as non-billable, "
                "or ask the client again.", task=refused[0].name, reason=refused[0].it_approval_reason or "-",
            ))

    # ------------------------------------------------------------------ the portal

    def _compute_access_url(self):
        result = super()._compute_access_url()
        # as the system: a portal user of a shared project may not read the field, yet reads the URL
        requests = set(self.sudo().filtered("it_is_service_request").ids)
        for task in self:
            if task.id in requests:
                task.access_url = f"/my/it/requests/{task.id}"
        return result

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
        check_portal_text(self.env, description, self.env._("The description of what happened"))
        name = (values.get("name") or "").strip()
        check_portal_text(self.env, name, self.env._("The subject"), PORTAL_LINE_CHARS)
        name = name or description.splitlines()[0][:80]
        priorities = dict(self._fields["priority"]._description_selection(self.env))
        priority = values.get("priority") or "0"
        if priority not in priorities:
            raise ValidationError(self.env._(
                "Unknown priority %(priority)s: choose one of %(choices)s.",
                priority=priority, choices=", ".join(priorities.values()),
            ))
        site = self._it_portal_record("res.partner", values.get("site_id"), self.env._("site"))
        if site and site not in self._it_portal_sites(client):
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
            # the firm's service desk takes it (unassigned, for triage), never the client's own portal user
            "user_ids": [Command.clear()],
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

    @api.model
    def _it_portal_sites(self, client):
        """The sites a client's contact may report a request for: the client's addresses other than its own and
        its contact persons' (the form offers these and accepts no other)."""
        return self.env["res.partner"].sudo().search([
            ("commercial_partner_id", "=", client.id), ("type", "!=", "contact"), ("id", "!=", client.id),
        ])

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
