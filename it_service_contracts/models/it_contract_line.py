from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain

from .it_money import MONEY_GROUPS


class ItContractLine(models.Model):
    """A recurring additional service (monitoring, backup, licences): a monthly price invoiced with the fee."""

    _name = "it.contract.line"
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

    # the contract's chatter says what changed in its additional services (a term of the contract)

    def _it_describe(self):
        self.ensure_one()
        text = self.env._(
            "%(service)s: %(quantity)s x %(price)s", service=self.product_id.display_name,
            quantity=self.env._("per asset (%s)", self.asset_category_id.display_name)
            if self.pricing == "per_asset" else f"{self.quantity:g}",
            price=f"{self.price_unit:.2f}",
        )
        if self.date_delivered:
            text += " " + self.env._("from %s", self.date_delivered)
        return text

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        changes = {}
        for line in lines:
            changes.setdefault(line.contract_id, []).append(self.env._("added: %s", line._it_describe()))
        self.env["it.contract"]._it_post_term_lines(self.env._("Additional services changed:"), changes)
        return lines

    def write(self, vals):
        before = {line: line._it_describe() for line in self}
        result = super().write(vals)
        changes = {}
        for line, old in before.items():
            new = line._it_describe()
            if new != old:
                changes.setdefault(line.contract_id, []).append(f"{old} → {new}")
        self.env["it.contract"]._it_post_term_lines(self.env._("Additional services changed:"), changes)
        return result

    def unlink(self):
        removed = {}
        for line in self:
            removed.setdefault(line.contract_id, []).append(self.env._("removed: %s", line._it_describe()))
        result = super().unlink()
        self.env["it.contract"]._it_post_term_lines(
            self.env._("Additional services changed:"), {c: t for c, t in removed.items() if c.exists()})
        return result
