from odoo import fields, models


class SaleOrder(models.Model):
    """One-off additional services are quoted, delivered and invoiced through Sales, linked to the contract."""

    _inherit = "sale.order"

    it_contract_id = fields.Many2one(
        "it.contract", string="IT Contract", index="btree_not_null", copy=False, check_company=True,
        domain="[('partner_id', '=', partner_id), ('state', 'in', ('draft', 'active'))]",
        help="The service contract these additional services extend.",
    )

    def _prepare_invoice(self):
        vals = super()._prepare_invoice()
        if self.it_contract_id:
            vals["it_contract_id"] = self.it_contract_id.id
        return vals
