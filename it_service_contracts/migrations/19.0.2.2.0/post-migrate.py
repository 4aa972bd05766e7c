"""Before 19.0.2.2.0 the addon's products had no category of their own and were booked on the chart's default
income account, which on the Polish chart is the sales of goods: they now belong to the IT services category,
booked on the chart's services sales account (later invoices only; posted ones are left as they are). The contract
mail no longer asks to sign online a contract that does not require it; the approval mail greets a person; the
invoice and package mails name the month and show hours as HH:MM."""

from odoo import SUPERUSER_ID, api

PRODUCTS = ("product_it_flat_fee", "product_it_overage", "product_it_package", "product_it_adhoc",
            "product_it_service_credit")


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    category = env.ref("it_service_contracts.product_category_it_services", raise_if_not_found=False)
    if not category:
        return
    products = env["product.product"]
    for xmlid in PRODUCTS:
        products |= env.ref(f"it_service_contracts.{xmlid}", raise_if_not_found=False) or products
    products.product_tmpl_id.write({"categ_id": category.id})
    env["res.company"].search([])._it_set_services_income_account()
    _contract_mail_asks_to_sign_only_when_required(cr)
    _approval_mail_greets_a_person(cr)
    _invoice_mail_shows_hours_as_time(cr)
    _package_mails_show_hours_as_time(cr)


def _contract_mail_asks_to_sign_only_when_required(cr):
    """The contract mail asked the client to accept and sign online even when the contract does not require it."""
    cr.execute(
        """UPDATE mail_template SET body_html = replace(body_html::text, %s, %s)::jsonb
            WHERE id = (SELECT res_id FROM ir_model_data
                         WHERE module = 'it_service_contracts' AND name = 'mail_template_it_contract_document')""",
        ["t-if=\\\"object.state == 'draft'\\\"", "t-if=\\\"object.state == 'draft' and object.acceptance_required\\\""],
    )


def _approval_mail_greets_a_person(cr):
    """The approval mail greeted the request's partner, often a site ("Hello Head office"): it now goes to and
    greets the client's contact person."""
    cr.execute(
        """UPDATE mail_template
              SET body_html = replace(body_html::text, 'object.partner_id.name', %(name)s)::jsonb,
                  partner_to = %(to)s, lang = %(lang)s
            WHERE id = (SELECT res_id FROM ir_model_data
                         WHERE module = 'it_service_contracts' AND name = 'mail_template_it_approval_requested')""",
        {"name": "object._it_approval_recipient().name", "to": "{{ object._it_approval_recipient().id }}",
         "lang": "{{ object._it_approval_recipient().lang }}"},
    )


def _invoice_mail_shows_hours_as_time(cr):
    """The monthly invoice mail showed "10/2026" and "10.00" hours: now the month's name and "10:00"."""
    quote = '\\"'  # a double quote inside the body's JSON text
    replacements = [("period.date_start.strftime('%m/%Y')", "period.month_name")] + [
        (f"{quote}'%.2f' % period.{field}{quote}",
         f"{quote}period.{field}{quote} t-options={quote}{{'widget': 'float_time'}}{quote}")
        for field in ("hours_used", "hours_included", "hours_overage")
    ]
    for old, new in replacements:
        cr.execute(
            """UPDATE mail_template SET body_html = replace(body_html::text, %s, %s)::jsonb
                WHERE id = (SELECT res_id FROM ir_model_data
                             WHERE module = 'it_service_contracts' AND name = 'mail_template_it_monthly_invoice')""",
            [old, new],
        )


def _package_mails_show_hours_as_time(cr):
    """The package mails showed hours as "4.0 h" and dates as "2026-06-30": now "04:00" and the reader's date."""
    pattern, replacement = r"round\((object\.[a-z_ +.]+), 2\)", r"format_duration(\1)"
    cr.execute(
        """UPDATE mail_template
              SET body_html = regexp_replace(body_html::text, %(pattern)s, %(replacement)s, 'g')::jsonb,
                  subject = regexp_replace(subject::text, %(pattern)s, %(replacement)s, 'g')::jsonb
            WHERE id IN (SELECT res_id FROM ir_model_data
                          WHERE module = 'it_service_contracts' AND model = 'mail.template')""",
        {"pattern": pattern, "replacement": replacement},
    )
    cr.execute(
        """UPDATE mail_template
              SET body_html = replace(body_html::text, 'object.date_end or', 'format_date(object.date_end) or')::jsonb,
                  subject = replace(subject::text, '{{ object.date_end }}', '{{ format_date(object.date_end) }}')::jsonb
            WHERE id IN (SELECT res_id FROM ir_model_data
                          WHERE module = 'it_service_contracts' AND model = 'mail.template')""",
    )
