from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    it_adhoc_hourly_rate = fields.Monetary(
        string="Ad-hoc Hourly Rate",
        currency_field="currency_id",
        default=200.0,
        help="Price of one hour of ad-hoc support for clients without a contract.",
    )
    it_package_hourly_rate = fields.Monetary(
        string="Standard Hour Package Rate",
        currency_field="currency_id",
        default=160.0,
        help="Default hourly rate of new hour packages; it must be lower than the ad-hoc rate.",
    )
    it_flat_hourly_rate = fields.Monetary(
        string="Standard Flat Contract Rate",
        currency_field="currency_id",
        default=130.0,
        help="Default rate of the hours beyond the included ones on new flat monthly contracts; "
        "it must be lower than the standard package rate.",
    )

    @api.constrains("it_adhoc_hourly_rate", "it_package_hourly_rate", "it_flat_hourly_rate")
    def _check_it_hourly_rates(self):
        for company in self:
            rates = (company.it_adhoc_hourly_rate, company.it_package_hourly_rate, company.it_flat_hourly_rate)
            if any(rate <= 0 for rate in rates):
                raise ValidationError(self.env._("The IT service hourly rates of %s must be positive.", company.name))
            if not company.it_package_hourly_rate < company.it_adhoc_hourly_rate:
                raise ValidationError(self.env._(
                    "The standard hour package rate (%(package)s) must be lower than the ad-hoc rate (%(adhoc)s).",
                    package=company.it_package_hourly_rate, adhoc=company.it_adhoc_hourly_rate,
                ))
            if not company.it_flat_hourly_rate < company.it_package_hourly_rate:
                raise ValidationError(self.env._(
                    "The standard flat contract rate (%(flat)s) must be lower than the standard hour package rate "
                    "(%(package)s).",
                    flat=company.it_flat_hourly_rate, package=company.it_package_hourly_rate,
                ))
