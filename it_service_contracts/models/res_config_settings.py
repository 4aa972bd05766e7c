from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    it_adhoc_hourly_rate = fields.Monetary(related="company_id.it_adhoc_hourly_rate", readonly=False)
    it_package_hourly_rate = fields.Monetary(related="company_id.it_package_hourly_rate", readonly=False)
    it_flat_hourly_rate = fields.Monetary(related="company_id.it_flat_hourly_rate", readonly=False)
