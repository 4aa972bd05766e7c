import math

from odoo import api, models
from odoo.tools import float_round, format_amount, format_duration


class ItFormComparison(models.AbstractModel):
    """What each form of cooperation would cost a client per month for a given monthly usage.

    The audit's recommendation and the contract's renewal advice both ask this; it is answered here only.
    """

    _name = "it.form.comparison"
    _description = "Comparison of the Forms of Cooperation"

    @api.model
    def _it_compare(self, company, monthly_hours, needs_response=False, per_asset_cost=0.0):
        """Monthly cost of ad-hoc help, the best hour package and a flat fee, the cheapest allowed form, and why."""
        adhoc_rate, flat_rate = company.it_adhoc_hourly_rate, company.it_flat_hourly_rate
        usage = float_round(monthly_hours, precision_digits=2)
        package = min(
            (self._it_package_offer(company, usage, months) for months in range(1, 13)),
            key=lambda offer: (round(offer["monthly_cost"], 2), offer["months"]),
        )
        flat_hours = math.ceil(usage)
        flat_fee = max(company.it_flat_minimum_fee, flat_hours * flat_rate)
        costs = {
            "adhoc": usage * adhoc_rate,
            "hour_package": package["monthly_cost"],
            "monthly_flat": flat_fee,
        }
        allowed = [form for form in costs if not (needs_response and form == "adhoc")]
        recommended = min(allowed, key=lambda form: (round(costs[form], 2), allowed.index(form)))
        labels = dict(self.env["it.audit"]._fields["recommended_type"]._description_selection(self.env))

        def money(amount):
            return format_amount(self.env, amount, company.currency_id)

        reasons = [self.env._(
            "About %(hours)s support hours a month are expected.", hours=format_duration(usage),
        )]
        if needs_response:
            reasons.append(self.env._(
                "Servers or network devices need a guaranteed response time, which ad-hoc help does not give.",
            ))
        cheaper_than = [labels[form] for form in allowed if form != recommended]
        if cheaper_than:
            reasons.append(self.env._(
                "%(form)s costs %(cost)s a month, less than %(others)s.",
                form=labels[recommended], cost=money(costs[recommended]), others=", ".join(
                    f"{labels[form]} ({money(costs[form])})" for form in allowed if form != recommended
                ),
            ))
        if recommended == "hour_package":
            reasons.append(self.env._(
                "Best package: %(hours)s hours valid %(months)s months.", hours=package["hours"],
                months=package["months"],
            ))
        if recommended == "monthly_flat" and flat_fee > flat_hours * flat_rate:
            reasons.append(self.env._("The fee is the company's minimum monthly fee."))
        per_asset_cheaper = bool(per_asset_cost) and per_asset_cost < costs[recommended] and recommended != "adhoc"
        if per_asset_cheaper:
            reasons.append(self.env._(
                "Pricing the managed assets one by one (%(cost)s a month) would cost the client less still.",
                cost=money(per_asset_cost),
            ))
        return {
            "monthly_hours": usage,
            "costs": costs,
            "package_months": package["months"],
            "package_hours": package["hours"],
            "flat_hours": flat_hours,
            "flat_fee": flat_fee,
            "recommended": recommended,
            "per_asset_cost": per_asset_cost,
            "per_asset_cheaper": per_asset_cheaper,
            "reasons": reasons,
        }

    @api.model
    def _it_package_offer(self, company, usage, months):
        """A package lasting ``months`` that covers the usage, never below the smallest package sold."""
        hours = max(company.it_package_minimum_hours, math.ceil(float_round(usage * months, precision_digits=2)))
        return {"months": months, "hours": hours, "monthly_cost": hours * company.it_package_hourly_rate / months}
