from odoo import models


class MailComposeMessage(models.TransientModel):
    _inherit = "mail.compose.message"

    def _action_send_mail_comment(self, res_ids):
        """Sending a contract or an amendment with its document template to the client marks it as sent. Posting on it
        needs the right to write it, which the composer has already checked."""
        messages = super()._action_send_mail_comment(res_ids)
        documents = {
            "it.contract": "it_service_contracts.mail_template_it_contract_document",
            "it.contract.amendment": "it_service_contracts.mail_template_it_amendment_document",
        }
        template = self.model in documents and self.env.ref(documents[self.model], raise_if_not_found=False)
        if template and self.template_id == template:
            records = self.env[self.model].browse(res_ids)
            records.check_access("write")
            records._it_mark_sent()
        return messages
