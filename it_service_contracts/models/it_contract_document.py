"""The contract as a document: its PDF sent to the client, the client's online acceptance, every change of its
terms tracked, and the history of its versions."""
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date, format_datetime

# the terms the client accepts: a change of one of them on a contract sent or accepted asks for a new acceptance
TERM_FIELDS = frozenset({
    "contract_type", "partner_id", "date_start", "date_end", "validity_months", "service_product_ids", "site_ids",
    "remote_service", "service_calendar_id", "out_of_hours_response_hours", "hourly_rate", "hours_total",
    "package_price_agreed", "monthly_fee", "monthly_hours", "billing_increment", "onsite_minimum_hours",
    "rollover_allowed", "rollover_cap_hours", "invoice_day", "invoice_timing", "service_credit_percent",
    "service_credit_cap_percent", "note",
})


class ItContractDocument(models.AbstractModel):
    """The document side of :class:`it.contract`; the acceptance itself is :class:`it.acceptance.mixin`'s."""

    _name = "it.contract.document"
    _description = "IT Contract Document"


    acceptance_required = fields.Boolean(
        string="Online Acceptance Required", compute="_compute_acceptance_required", store=True, readonly=False,
        precompute=True, tracking=True,
        help="The contract starts only once the client's contact has accepted and signed it in the portal. "
        "Defaults from the company's setting.",
    )
    progress_state = fields.Selection(
        [
            ("draft", "Draft"),
            ("sent", "Sent"),
            ("accepted", "Agreed"),
            ("active", "Running"),
            ("expired", "Expired"),
            ("closed", "Closed"),
            ("cancelled", "Cancelled"),
        ],
        string="Progress", compute="_compute_progress_state",
        help="The contract's way to the client: drafted, sent, agreed (accepted online or confirmed by the "
        "account manager), running.",
    )
    version_history = fields.Html(
        string="Versions", compute="_compute_version_history", sanitize=False,
        help="The original terms, then each amendment, in order, with its state.",
    )


    # ------------------------------------------------------------------ compute

    @api.depends("company_id")
    def _compute_acceptance_required(self):
        for contract in self:
            contract.acceptance_required = (contract.company_id or self.env.company).it_contract_acceptance_required

    @api.depends("state", "acceptance_state", "date_confirmed")
    def _compute_progress_state(self):
        for contract in self:
            if contract.state != "draft":
                contract.progress_state = contract.state
            elif contract.date_confirmed or contract.acceptance_state == "accepted":
                contract.progress_state = "accepted"
            elif contract.acceptance_state == "sent":
                contract.progress_state = "sent"
            else:
                contract.progress_state = "draft"

    @api.depends("create_date", "date_start", "acceptance_state", "sent_date", "accepted_date", "refused_date")
    @api.depends_context("uid")  # the changes of money are shown to who sees money only
    def _compute_version_history(self):
        headers = (self.env._("Version"), self.env._("Valid From"), self.env._("State"), self.env._("Details"))
        for contract in self:
            rows = Markup().join(
                Markup("<tr>%s</tr>") % Markup().join(Markup("<td>%s</td>") % (cell or "") for cell in row)
                for row in contract._it_version_history()
            )
            contract.version_history = Markup(
                '<table class="table table-sm o_it_version_history"><thead><tr>%s</tr></thead><tbody>%s</tbody></table>'
            ) % (Markup().join(Markup("<th>%s</th>") % header for header in headers), rows)

    def _it_version_history(self):
        """The versions of the contract's terms, in order: ``[(version, valid from, state, details)]``. First the
        original terms (created, sent, accepted or refused by the client); the amendments (it.contract.amendment)
        add their rows after them by extending this method."""
        self.ensure_one()
        states = dict(self._fields["acceptance_state"]._description_selection(self.env))
        details = [self.env._("created on %(date)s by %(user)s", date=format_datetime(self.env, self.create_date),
                              user=self.create_uid.name)] if self.create_date else []
        if self.sent_date:
            details.append(self.env._("sent on %s", format_datetime(self.env, self.sent_date)))
        if self.acceptance_state == "accepted":
            details.append(self.env._("accepted by %(name)s on %(date)s", name=self.accepted_by_name,
                                      date=format_datetime(self.env, self.accepted_date)))
        elif self.refused_date:
            details.append(self.env._("refused by %(name)s on %(date)s: %(comment)s",
                                      name=self.refused_partner_id.name,
                                      date=format_datetime(self.env, self.refused_date),
                                      comment=self.refusal_comment))
        return [(self.env._("Original terms"), format_date(self.env, self.date_start),
                 states.get(self.acceptance_state, ""), "; ".join(details))]

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for contract in self:
            contract.access_url = f"/my/it/contracts/{contract.id}"
        return result

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Contract %s", self.name)


    def write(self, vals):
        terms = TERM_FIELDS & vals.keys()
        if terms and not self._it_is_addon_write() and (
            self.env.context.get("tracking_disable") or self.env.context.get("mail_notrack")
        ):
            # the chatter tracks every change of a term, whatever the context says
            self = self.with_context(tracking_disable=False, mail_notrack=False)
        # a change of the terms by hand asks for a new acceptance; the addon's own changes (hours carried over
        # into a renewal, by the rollover terms the client accepted) do not
        before = {}
        if terms and not self._it_is_addon_write():
            pending = self.filtered(lambda c: c.state == "draft" and c.acceptance_state in ("sent", "accepted"))
            before = {contract: {name: contract[name] for name in terms} for contract in pending}
        # Odoo does not track HTML fields: the further terms are posted when they change
        notes = {contract: contract.note for contract in self} if "note" in vals else {}
        clients = {contract: contract.partner_id for contract in self} if "partner_id" in vals else {}
        result = super().write(vals)
        # a link mailed to the former client no longer opens a contract that went to another client
        self.browse([c.id for c, client in clients.items() if c.partner_id != client]).access_token = False
        for contract, old_note in notes.items():
            if (old_note or "") != (contract.note or ""):
                contract.message_post(
                    body=Markup("%s<br/>%s") % (self.env._("Further terms changed:"), contract.note or ""),
                    subtype_xmlid="mail.mt_note",
                )
        if before:
            self.browse([
                c.id for c, values in before.items() if any(c[n] != v for n, v in values.items())
            ])._it_terms_changed_after_sending()
        return result

    # ------------------------------------------------------------------ acceptance

    def _it_check_accepted(self):
        """A contract that requires the client's online acceptance starts only once accepted."""
        self.ensure_one()
        if self.acceptance_required and self.acceptance_state != "accepted":
            raise ValidationError(self.env._(
                "Contract %(name)s cannot start before the client accepts it online: send it to %(client)s and "
                "wait until their contact accepts and signs it in the portal (now: %(state)s).",
                name=self.name, client=self.partner_id.display_name,
                state=dict(self._fields["acceptance_state"]._description_selection(self.env))[self.acceptance_state],
            ))

    def _it_acceptance_document_name(self):
        self.ensure_one()
        return self.env._("Contract %s", self.name)

    def _it_mark_sent(self):
        """Only a draft waits for the client's acceptance; a running contract's document is sent for the record."""
        drafts = self.filtered(lambda c: c.state == "draft")
        drafts._it_check_offer_complete()
        return super(ItContractDocument, drafts)._it_mark_sent()

    def _it_check_offer_complete(self):
        """A draft goes to the client with every term it needs to start: what the client accepts can run."""
        for contract in self:
            missing = contract._it_missing_terms()
            if missing:
                raise UserError(self.env._(
                    "Contract %(name)s cannot be sent to the client without %(missing)s.",
                    name=contract.name, missing=", ".join(missing),
                ))

    def _it_acceptance_check_open(self):
        """Only a contract that has not started is accepted or refused; a running one changes by amendment."""
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._(
                "Contract %(name)s is no longer waiting for your acceptance (it is %(state)s).",
                name=self.name, state=dict(self._fields["state"]._description_selection(self.env))[self.state],
            ))

    def _it_after_answer(self):
        """The account manager is given a to-do: activate the accepted contract, or answer the refusal."""
        for contract in self:
            if contract.acceptance_state == "accepted":
                summary = self.env._("Contract %s accepted by the client: confirm it", contract.name)
            else:
                summary = self.env._("Contract %s refused by the client: see their comment", contract.name)
            contract.sudo().activity_schedule(
                "mail.mail_activity_data_todo", summary=summary,
                user_id=contract.user_id.id or contract.create_uid.id or self.env.uid,
            )

    def _it_terms_changed_after_sending(self):
        """The terms of these drafts changed after they were sent (or accepted): what the client saw or signed
        no longer holds, so the contract goes back to be sent and accepted again. The signed document stays in
        the chatter."""
        pending = self.filtered(lambda c: c.state == "draft" and c.acceptance_state in ("sent", "accepted"))
        if not pending:
            return
        for contract in pending:
            contract.message_post(body=self.env._(
                "The terms changed after the contract was sent to the client: send it again for acceptance.",
            ), subtype_xmlid="mail.mt_note")
        pending._it_addon_write({
            "acceptance_state": "to_send", "accepted_partner_id": False, "accepted_by_name": False,
            "accepted_signature": False, "accepted_date": False, "signed_document_id": False,
        })

    def _it_service_hours_rows(self):
        """The service hours of the contract's calendar, day by day: ``[(day, "08:00-16:00"), ...]``, in the
        language of the environment."""
        self.ensure_one()
        days = {
            "0": self.env._("Monday"), "1": self.env._("Tuesday"), "2": self.env._("Wednesday"),
            "3": self.env._("Thursday"), "4": self.env._("Friday"), "5": self.env._("Saturday"),
            "6": self.env._("Sunday"),
        }
        by_day = {}
        for attendance in self.service_calendar_id.attendance_ids.filtered(lambda a: a.day_period != "lunch"):
            if attendance.display_type:
                continue
            by_day.setdefault(attendance.dayofweek, []).append((attendance.hour_from, attendance.hour_to))

        def hhmm(value):
            hours, minutes = divmod(round(value * 60), 60)
            return f"{hours:02d}:{minutes:02d}"

        rows = []
        for day in sorted(by_day, key=int):
            intervals = sorted(set(by_day[day]))
            merged = []
            for start, end in intervals:
                if merged and start <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], end))
                else:
                    merged.append((start, end))
            rows.append((days.get(day, day), ", ".join(f"{hhmm(start)}-{hhmm(end)}" for start, end in merged)))
        return rows

    def action_it_send_document(self):
        """Send the contract document to the client's contact for acceptance."""
        self.ensure_one()
        if self.state in ("closed", "cancelled"):
            raise UserError(self.env._("Contract %s is closed or cancelled: there is nothing to send.", self.name))
        self.filtered(lambda c: c.state == "draft")._it_check_offer_complete()
        return self._it_send_document_action(
            "it_service_contracts.mail_template_it_contract_document", self.env._("Send the Contract"))

    def _it_post_term_lines(self, title, lines, tracking_values=()):
        """Post in the chatter what changed in a list of terms (response times, additional services), which
        Odoo's field tracking does not show line by line; as every change of a term, whatever the context says.
        ``tracking_values`` go with the post (of one contract): Odoo shows each only to who may read its field."""
        self.browse([contract.id for contract, texts in lines.items() if texts])._it_terms_changed_after_sending()
        for contract, texts in lines.items():
            if texts:
                contract.sudo()._message_log(
                    body=Markup("%s<ul>%s</ul>") % (title, Markup().join(Markup("<li>%s</li>") % t for t in texts)),
                    tracking_value_ids=[Command.create(values) for values in tracking_values],
                )
