"""Contracts of 19.0.1.0.0 get the product their invoices bill: the monthly fee, or the hours of a package."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    for contract_type, xmlid in (("monthly_flat", "product_it_flat_fee"), ("hour_package", "product_it_package")):
        product = env.ref(f"it_service_contracts.{xmlid}", raise_if_not_found=False)
        if product:
            cr.execute(
                "UPDATE it_contract SET fee_product_id = %s WHERE fee_product_id IS NULL AND contract_type = %s",
                [product.id, contract_type],
            )
