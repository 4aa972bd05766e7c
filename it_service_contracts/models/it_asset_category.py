from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .it_money import MONEY_GROUPS


class ItAssetCategory(models.Model):
    """A kind of asset with its effort norm: the support hours one such asset needs in a month."""

    _name = "it.asset.category"
    _description = "IT Asset Category"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    asset_type = fields.Selection(
        [("hardware", "Hardware"), ("software", "Software")], required=True, default="hardware",
    )
    monthly_hours = fields.Float(
        string="Effort Norm (h/month)", digits=(16, 2),
        help="Expected support hours per month for one asset of this category.",
    )
    requires_response = fields.Boolean(
        string="Needs Guaranteed Response",
        help="A failure of such an asset stops the client's business (a server, the network core): "
        "ad-hoc help, with no guaranteed response time, is ruled out.",
    )
    # the categories are shared by the companies of the database; what a firm charges for one and the service it
    # sells for it are each company's own (in its currency, among its products)
    monthly_asset_price = fields.Float(
        string="Price per Asset (month)", digits="Product Price", groups=MONEY_GROUPS, company_dependent=True,
        help="Monthly price of managing one asset of this category under per-asset pricing, in this company; "
        "leave empty when the category is not priced per asset.",
    )
    service_product_id = fields.Many2one(
        "product.product", string="Support Service", company_dependent=True,
        domain="[('type', '=', 'service'), ('company_id', 'in', [False, current_company_id])]",
        help="The service this company sells for this kind of asset; it joins the scope of a contract created "
        "from an audit.",
    )

    _check_norms = models.Constraint("CHECK(monthly_hours >= 0)", "The effort norm cannot be negative.")

    @api.constrains("monthly_asset_price")
    def _check_monthly_asset_price(self):
        if any(category.monthly_asset_price < 0 for category in self):
            raise ValidationError(self.env._("The price per asset cannot be negative."))
