from odoo import models


class MailComposeMessage(models.TransientModel):
    _inherit = "mail.compose.message"

    def _action_send_mail_comment(self, res_ids):
        """Sending the contract document (its template) to the client marks the contract as sent. Posting on a
        contract needs the right to write it, which the composer has already checked."""
        messages = super()._action_send_mail_comment(res_ids)
        template = self.env.ref("it_service_contracts.mail_template_it_contract_document", raise_if_not_found=False)
        if self.model == "it.contract" and template and self.template_id == template:
            contracts = self.env["it.contract"].browse(res_ids)
            contracts.check_access("write")
            contracts._it_mark_sent()
        return messages
