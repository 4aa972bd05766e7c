from odoo import api, models


class AccountMoveSend(models.AbstractModel):
    """A monthly contract invoice is sent with its own mail and with its usage statement and monthly report."""

    _inherit = "account.move.send"

    @api.model
    def _get_default_mail_template_id(self, move):
        if move.it_invoice_kind == "flat" and move.move_type == "out_invoice":
            template = self.env.ref("it_service_contracts.mail_template_it_monthly_invoice", raise_if_not_found=False)
            if template:
                return template
        return super()._get_default_mail_template_id(move)

    @api.model
    def _get_invoice_extra_attachments(self, move):
        return super()._get_invoice_extra_attachments(move) | move._it_report_attachments()
