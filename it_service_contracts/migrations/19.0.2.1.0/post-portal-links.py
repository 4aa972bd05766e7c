"""The contract and amendment documents mailed by 19.0.2.0.0 linked to their portal page without its token, which
the contact the document is sent to needs when they have no portal login: the link of the two templates now
carries it. Mail templates are not updated over a user's changes; only the link's expression is replaced."""

from odoo import SUPERUSER_ID, api

OLD_LINK = "object.get_base_url() + object.access_url"
NEW_LINK = "object.get_base_url() + object.get_portal_url()"


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    for xmlid in ("mail_template_it_contract_document", "mail_template_it_amendment_document"):
        template = env.ref(f"it_service_contracts.{xmlid}", raise_if_not_found=False)
        if template:
            # body_html holds a text per language
            cr.execute(
                "UPDATE mail_template SET body_html = replace(body_html::text, %s, %s)::jsonb WHERE id = %s",
                [OLD_LINK, NEW_LINK, template.id],
            )
