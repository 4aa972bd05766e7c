import base64
import binascii

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_datetime
from odoo.tools.image import base64_to_image
from odoo.tools.safe_eval import safe_eval
from odoo.tools.safe_eval import time as safe_eval_time

from .it_portal_text import PORTAL_LINE_CHARS, check_portal_text

ACCEPTANCE_STATES = [
    ("to_send", "To Send"),
    ("sent", "Sent to the Client"),
    ("accepted", "Accepted"),
    ("refused", "Refused"),
]

# written by the addon alone, when the document is sent and when the client's contact accepts or refuses it
ACCEPTANCE_FIELDS = frozenset({
    "acceptance_state", "sent_date", "accepted_partner_id", "accepted_by_name", "accepted_signature",
    "accepted_date", "refused_partner_id", "refused_date", "refusal_comment", "signed_document_id",
})


class ItAcceptanceMixin(models.AbstractModel):
    """The client's acceptance of a document the firm sends (a contract, later its amendments).

    A model using it has a ``partner_id`` (the client), a chatter, lists ``ACCEPTANCE_FIELDS`` in its
    ``_it_protected_fields``, names the report of its document in ``_it_acceptance_report`` and may refuse an
    acceptance in ``_it_acceptance_check_open``. The client's contact accepts with a typed name and a drawn
    signature, or refuses with a comment (the portal calls :meth:`_it_accept` and :meth:`_it_refuse`); the
    document signed is rendered and kept as an attachment.
    """

    _name = "it.acceptance.mixin"
    _description = "Client's Acceptance of a Document"
    _inherit = ["it.protected.fields.mixin"]
    _it_protected_fields = ACCEPTANCE_FIELDS
    _it_acceptance_report = None  # xml id of the ir.actions.report of the document

    acceptance_state = fields.Selection(
        ACCEPTANCE_STATES, string="Client's Acceptance", default="to_send", required=True, readonly=True,
        copy=False, tracking=True, index=True,
        help="To send: the client has not received the document yet; sent: it waits for the client's contact to "
        "accept or refuse it in the portal.",
    )
    sent_date = fields.Datetime(string="Sent On", readonly=True, copy=False)
    accepted_partner_id = fields.Many2one(
        "res.partner", string="Accepted By", readonly=True, copy=False, index="btree_not_null",
        help="The client's contact who accepted the document in the portal.",
    )
    accepted_by_name = fields.Char(
        string="Signed As", readonly=True, copy=False, help="The name the contact typed when signing.",
    )
    accepted_signature = fields.Binary(string="Signature", readonly=True, copy=False, attachment=True)
    accepted_date = fields.Datetime(string="Accepted On", readonly=True, copy=False)
    refused_partner_id = fields.Many2one("res.partner", string="Refused By", readonly=True, copy=False)
    refused_date = fields.Datetime(string="Refused On", readonly=True, copy=False)
    refusal_comment = fields.Text(string="Reason for Refusal", readonly=True, copy=False)
    signed_document_id = fields.Many2one(
        "ir.attachment", string="Signed Document", readonly=True, copy=False,
        help="The document as the client signed it, kept as it was.",
    )

    # ------------------------------------------------------------------ hooks

    def _it_acceptance_client(self):
        """The client whose contacts may accept or refuse the document."""
        self.ensure_one()
        return self.partner_id.commercial_partner_id

    def _it_document_recipient(self):
        """Who receives the document: a contact person of the client with an email (the one who will sign it in
        the portal), else the client itself. They sign when the document is answered through the mailed link."""
        self.ensure_one()
        return self._it_acceptance_client()._it_contact_person()

    def _it_acceptance_check_open(self):
        """Raise a UserError if the document can no longer be accepted or refused (a model adds its own rule)."""
        self.ensure_one()

    def _it_acceptance_document_name(self):
        self.ensure_one()
        return self.display_name

    def _it_after_answer(self):
        """Called once the client's contact has accepted or refused the document (a model tells its people)."""

    # ------------------------------------------------------------------ sending, accepting, refusing

    def _it_send_document_action(self, template_xmlid, title):
        """The mail composer with the document's template (its PDF attached, in the client's language); sending
        it marks the document as sent (see mail.compose.message)."""
        self.ensure_one()
        self.check_access("write")
        self._portal_ensure_token()
        template = self.env.ref(template_xmlid, raise_if_not_found=False)
        return {
            "name": title, "type": "ir.actions.act_window", "res_model": "mail.compose.message",
            "view_mode": "form", "views": [(False, "form")], "target": "new",
            "context": {
                "default_model": self._name, "default_res_ids": self.ids,
                "default_template_id": template.id if template else False, "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_layout_with_responsible_signature",
                "email_notification_allow_footer": True, "force_email": True,
            },
        }

    def _it_mark_sent(self):
        """The document went to the client: it now waits for their acceptance (unless already accepted)."""
        now = fields.Datetime.now()
        for record in self:
            if record.acceptance_state == "accepted":
                continue
            record._it_addon_write({"acceptance_state": "sent", "sent_date": now})
        return True

    def _it_check_acceptance_request(self, partner, expected_states):
        """The partner is a contact of the document's client and the document waits for the answer."""
        self.ensure_one()
        if not partner or partner.commercial_partner_id != self._it_acceptance_client():
            raise AccessError(self.env._(
                "%(document)s is not addressed to your company: only a contact of %(client)s can accept or refuse "
                "it.", document=self._it_acceptance_document_name(), client=self._it_acceptance_client().display_name,
            ))
        if self.acceptance_state == "accepted":
            raise UserError(self.env._(
                "%(document)s was already accepted by %(name)s on %(date)s.",
                document=self._it_acceptance_document_name(), name=self.accepted_by_name,
                date=format_datetime(self.env, self.accepted_date),
            ))
        if self.acceptance_state == "refused":
            raise UserError(self.env._(
                "%(document)s was refused on %(date)s; wait for the new version we will send you.",
                document=self._it_acceptance_document_name(), date=format_datetime(self.env, self.refused_date),
            ))
        if self.acceptance_state not in expected_states:
            raise UserError(self.env._(
                "%(document)s has not been sent to you for acceptance yet.",
                document=self._it_acceptance_document_name(),
            ))
        self._it_acceptance_check_open()

    def _it_accept(self, partner, name, signature):
        """The client's contact ``partner`` accepts the document, signing as ``name`` with ``signature`` (a
        base64 image). Records who, when and the signature, keeps the signed document and posts it."""
        self.ensure_one()
        self._it_check_acceptance_request(partner, ("sent",))
        name = (name or "").strip()
        if not name:
            raise UserError(self.env._("Type your full name to sign the document."))
        check_portal_text(self.env, name, self.env._("Your name"), PORTAL_LINE_CHARS)
        if not signature:
            raise UserError(self.env._("Draw your signature to accept the document."))
        try:
            if isinstance(signature, str):
                signature = signature.encode()
            base64.b64decode(signature, validate=True)
            base64_to_image(signature)
        except (binascii.Error, ValueError, UserError) as error:
            raise UserError(self.env._("The signature is not a valid image.")) from error
        self._it_addon_write({
            "acceptance_state": "accepted",
            "accepted_partner_id": partner.id,
            "accepted_by_name": name,
            "accepted_signature": signature,
            "accepted_date": fields.Datetime.now(),
        })
        message = self.sudo().message_post(
            body=self.env._(
                "%(document)s accepted and signed by %(name)s (%(contact)s).",
                document=self._it_acceptance_document_name(), name=name, contact=partner.display_name,
            ),
            author_id=partner.id, attachments=[self._it_render_signed_document()],
            message_type="comment", subtype_xmlid="mail.mt_note",
        )
        self._it_addon_write({"signed_document_id": message.attachment_ids[:1].id})
        self._it_after_answer()
        return True

    def _it_refuse(self, partner, comment):
        """The client's contact ``partner`` refuses the document, saying why in ``comment``."""
        self.ensure_one()
        self._it_check_acceptance_request(partner, ("sent",))
        comment = (comment or "").strip()
        if not comment:
            raise UserError(self.env._("Tell us why you refuse the document, so that we can send a better one."))
        check_portal_text(self.env, comment, self.env._("Your reason"))
        self._it_addon_write({
            "acceptance_state": "refused",
            "refused_partner_id": partner.id,
            "refused_date": fields.Datetime.now(),
            "refusal_comment": comment,
        })
        self.sudo().message_post(
            body=self.env._(
                "%(document)s refused by %(contact)s: %(comment)s",
                document=self._it_acceptance_document_name(), contact=partner.display_name, comment=comment,
            ),
            author_id=partner.id, message_type="comment", subtype_xmlid="mail.mt_note",
        )
        self._it_after_answer()
        return True

    def _it_render_signed_document(self):
        """The document rendered with its signature: ``(file name, content)``."""
        self.ensure_one()
        self.env.flush_all()  # the report reads the signature just written
        report = self.env["ir.actions.report"].sudo()
        content, _type = report.with_company(self.company_id)._render_qweb_pdf(self._it_acceptance_report, self.ids)
        action = report._get_report(self._it_acceptance_report)
        base_name = self._it_report_name(action) if action.print_report_name else self._it_acceptance_document_name()
        return self.env._("%s (signed).pdf", base_name), content

    def _it_report_name(self, action):
        return safe_eval(action.print_report_name, {"object": self, "time": safe_eval_time})

    @api.ondelete(at_uninstall=False)
    def _unlink_except_signed(self):
        """A document the client has signed is evidence: it is not deleted."""
        if any(record.acceptance_state == "accepted" for record in self):
            raise UserError(self.env._("A document the client has accepted and signed cannot be deleted."))
