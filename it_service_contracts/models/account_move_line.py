from odoo import fields, models


class AccountMoveLine(models.Model):
    _name = "account.move.line"
    _inherit = ["account.move.line", "it.protected.fields.mixin"]
    _it_protected_fields = frozenset({"it_period_id"})

    it_period_id = fields.Many2one(
        "it.contract.period", string="Contract Month", index="btree_not_null", copy=False, readonly=True,
        help="The month whose hours beyond the included ones this line bills.",
    )
