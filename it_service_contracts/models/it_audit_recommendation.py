from odoo import api, models
from odoo.tools import SQL

# the recommendation, priced when the audit is completed: later norms and rates do not change it
RECOMMENDATION_FIELDS = (
    "norm_hours", "estimated_monthly_hours", "adhoc_monthly_cost", "package_monthly_cost", "package_hours",
    "package_months", "flat_monthly_fee", "flat_hours", "per_asset_monthly_cost", "per_asset_cheaper",
    "recommended_type", "recommendation_reasons",
)


class ItAuditRecommendation(models.AbstractModel):
    """The recommendation side of :class:`it.audit` (its fields live on the audit): the cost of each form of
    cooperation for the inventory and the form recommended, priced by today's norms and rates until the audit is
    completed, and kept as it was completed after (``it.form.comparison`` compares the forms)."""

    _name = "it.audit.recommendation"
    _description = "Recommendation of an IT Audit"

    @api.depends(
        "asset_ids.category_id.monthly_hours", "asset_ids.category_id.requires_response",
        "asset_ids.category_id.monthly_asset_price", "asset_ids.date_in_service", "asset_ids.date_retired",
        "adjustment_hours", "date", "company_id.it_adhoc_hourly_rate", "company_id.it_package_hourly_rate",
        "company_id.it_flat_hourly_rate", "company_id.it_package_minimum_hours", "company_id.it_flat_minimum_fee",
        "state",
    )
    def _compute_recommendation(self):
        """The costs of the forms of cooperation for the inventory, by the norms and rates of today; a completed
        audit keeps those it was completed with (its report and the contracts offered on it rest on them)."""
        comparison = self.env["it.form.comparison"]
        kept = self._it_completed_recommendations()
        for audit in self:
            if audit.id in kept:
                audit.update(kept[audit.id])
                continue
            assets = audit.asset_ids.filtered_domain(self.env["it.asset"]._it_in_service_domain(audit.date))
            assets = assets.with_company(audit.company_id)  # its categories' prices are the audit's company's
            categories = assets.category_id
            norm = sum(asset.category_id.monthly_hours for asset in assets)
            priced = all(categories.mapped("monthly_asset_price")) if categories else False
            per_asset = sum(asset.category_id.monthly_asset_price for asset in assets) if priced else 0.0
            result = comparison._it_compare(
                audit.company_id, max(norm + audit.adjustment_hours, 0.0),
                needs_response=any(categories.mapped("requires_response")), per_asset_cost=per_asset,
            )
            audit.update({
                "norm_hours": norm,
                "estimated_monthly_hours": result["monthly_hours"],
                "adhoc_monthly_cost": result["costs"]["adhoc"],
                "package_monthly_cost": result["costs"]["hour_package"],
                "package_hours": result["package_hours"],
                "package_months": result["package_months"],
                "flat_monthly_fee": result["flat_fee"],
                "flat_hours": result["flat_hours"],
                "per_asset_monthly_cost": per_asset,
                "per_asset_cheaper": result["per_asset_cheaper"],
                "recommended_type": result["recommended"],
                "recommendation_reasons": "\n".join(result["reasons"]),
            })

    def _it_completed_recommendations(self):
        """``{audit id: recommendation}`` as stored, of those of these audits that are completed and were priced so:
        ``write`` stores the recommendation, then the state, whenever the state changes (an audit being completed
        is priced then; a reopened one again)."""
        done = [audit.id for audit in self if audit.state == "done" and isinstance(audit.id, int)]
        if not done:
            return {}
        rows = self.env.execute_query_dict(SQL(
            "SELECT id, %s FROM it_audit WHERE id IN %s AND state = 'done' AND recommended_type IS NOT NULL",
            SQL(", ").join(SQL.identifier(name) for name in RECOMMENDATION_FIELDS), tuple(done),
        ))
        return {row.pop("id"): row for row in rows}

    @api.depends("recommended_type", "chosen_type")
    def _compute_contract_type(self):
        for audit in self:
            audit.contract_type = audit.chosen_type or audit.recommended_type
