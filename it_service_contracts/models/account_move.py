from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    it_contract_id = fields.Many2one(
        "it.contract", string="IT Contract", index="btree_not_null", copy=False, check_company=True,
        readonly=True, help="The IT service contract this invoice was issued for.",
    )
