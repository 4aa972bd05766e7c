from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain

from .it_money import MONEY_GROUPS


class ItContractLine(models.Model):
    """A recurring additional service (monitoring, backup, licences): a monthly price invoiced with the fee."""

    _name = "it.contract.line"
    _inherit = ["it.protected.fields.mixin"]
    _description = "IT Contract Additional Service"
    _order = "contract_id, sequence, id"
    _check_company_auto = True

    contract_id = fields.Many2one("it.contract", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    currency_id = fields.Many2one(related="contract_id.currency_id")
    sequence = fields.Integer(default=10)
    product_id = fields.Many2one(
        "product.product", string="Service", required=True, check_company=True, domain="[('type', '=', 'service')]",
    )
    name = fields.Text(
        string="Description", compute="_compute_name", store=True, readonly=False, required=True, precompute=True,
    )
    quantity = fields.Float(default=1.0, digits="Product Unit")
    price_unit = fields.Monetary(
        string="Monthly Price", compute="_compute_price_unit", store=True, readonly=False, precompute=True,
        groups=MONEY_GROUPS,
    )
    price_subtotal = fields.Monetary(
        string="Subtotal", compute="_compute_price_subtotal", store=True, precompute=True, groups=MONEY_GROUPS,
    )
    pricing = fields.Selection(
        [("fixed", "Fixed"), ("per_asset", "Per Asset")], required=True, default="fixed",
        help="Per asset: each month the client's assets of the category in service on the invoice date are counted.",
    )
    asset_category_id = fields.Many2one("it.asset.category", string="Asset Category")
    date_delivered = fields.Date(
        string="Delivered From", help="The first day the service is delivered; it is invoiced from that month on.",
    )

    _check_quantity_price = models.Constraint(
        "CHECK(quantity > 0 AND price_unit >= 0)",
        "An additional service needs a positive quantity and a price that is not negative.",
    )

    @api.constrains("pricing", "asset_category_id")
    def _check_asset_category(self):
        for line in self:
            if line.pricing == "per_asset" and not line.asset_category_id:
                raise ValidationError(self.env._(
                    "The service %(service)s is priced per asset: say which category of assets it counts.",
                    service=line.product_id.display_name,
                ))

    def _it_monthly_quantity(self, date):
        """The quantity to invoice for the month of ``date``: nothing before the month the service is delivered
        from; then the client's assets of the category in service on that date for per-asset pricing, the line's
        quantity otherwise."""
        self.ensure_one()
        if self.date_delivered and self.date_delivered > date.replace(day=1) + relativedelta(months=1, days=-1):
            return 0.0
        if self.pricing != "per_asset":
            return self.quantity
        assets = self.env["it.asset"].sudo()
        return float(assets.search_count(
            assets._it_in_service_domain(date)
            & Domain("partner_id", "=", self.contract_id.partner_id.id)
            & Domain("category_id", "=", self.asset_category_id.id)
        ))

    @api.depends("product_id")
    def _compute_name(self):
        for line in self:
            line.name = line.product_id.get_product_multiline_description_sale() if line.product_id else line.name

    @api.depends("product_id")
    def _compute_price_unit(self):
        for line in self:
            line.price_unit = line.product_id.lst_price

    @api.depends("quantity", "price_unit")
    def _compute_price_subtotal(self):
        for line in self:
            line.price_subtotal = line.quantity * line.price_unit

    # the contract's chatter says what changed in its additional services (a term of the contract); every reader of
    # the contract reads it, so a price goes in as a tracking value of the price field, which Odoo shows only to
    # who may read that field

    def _it_describe(self):
        self.ensure_one()
        if self.pricing == "per_asset":
            text = self.env._("%(service)s, per asset (%(category)s)", service=self.product_id.display_name,
                              category=self.asset_category_id.display_name)
        else:
            text = self.env._("%(service)s, quantity %(quantity)s", service=self.product_id.display_name,
                              quantity=f"{self.quantity:g}")
        if self.date_delivered:
            text += " " + self.env._("from %s", self.date_delivered)
        return text

    def _it_price_tracking(self, old, new):
        self.ensure_one()
        if old == new:
            return []
        return [self.env["mail.tracking.value"]._create_tracking_values(
            old, new, "price_unit", {"type": "monetary", "currency_field": "currency_id"}, self)]

    @api.model
    def _it_post(self, changes):
        """Post ``[(contract, change, tracking values)]``, a message each, so that a price is read with its line."""
        for contract, text, tracking in changes:
            self.env["it.contract"]._it_post_term_lines(
                self.env._("Additional services changed:"), {contract: [text]}, tracking)

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        self._it_post([
            (line.contract_id, self.env._("added: %s", line._it_describe()),
             line._it_price_tracking(0.0, line.sudo().price_unit))
            for line in lines
        ])
        return lines

    def write(self, vals):
        before = {line: (line._it_describe(), line.sudo().price_unit) for line in self}
        result = super().write(vals)
        changes = []
        for line, (old, old_price) in before.items():
            new, price = line._it_describe(), line.sudo().price_unit
            if new != old:
                changes.append((line.contract_id, f"{old} → {new}", line._it_price_tracking(old_price, price)))
            elif price != old_price:
                changes.append((line.contract_id, self.env._("%s: monthly price changed", new),
                                line._it_price_tracking(old_price, price)))
        self._it_post(changes)
        return result

    def unlink(self):
        removed = [
            (line.contract_id, self.env._("removed: %s", line._it_describe()),
             line._it_price_tracking(line.sudo().price_unit, 0.0))
            for line in self
        ]
        result = super().unlink()
        self._it_post([change for change in removed if change[0].exists()])
        return result
