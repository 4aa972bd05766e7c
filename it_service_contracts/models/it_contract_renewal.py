"""Renewing a contract: the next contract with the terms in force at the end, and advice on the form that
would have served the client best, from what they really used."""
from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_amount, format_duration

from .it_forms import COOPERATION_FORMS
from .it_money import MONEY_GROUPS


class ItContractRenewal(models.AbstractModel):
    """The renewal side of :class:`it.contract` (its fields live on the contract's table)."""

    _name = "it.contract.renewal"
    _description = "Renewal of an IT Contract"

    # the advice compares what each form would cost: computed as the system, its text shown to who sees money
    renewal_actual_monthly_hours = fields.Float(
        string="Actual Hours per Month", compute="_compute_renewal_advice", compute_sudo=True,
        help="The client's billable and covered hours of the last 12 months, per month.",
    )
    renewal_recommended_type = fields.Selection(
        COOPERATION_FORMS, string="Best Form on Actual Use",
        compute="_compute_renewal_advice", compute_sudo=True,
    )
    renewal_advice = fields.Text(compute="_compute_renewal_advice", compute_sudo=True, groups=MONEY_GROUPS)
    previous_contract_id = fields.Many2one(
        "it.contract", string="Renewal Of", readonly=True, copy=False, check_company=True,
        help="The contract this one renews: an expiring package carries its unused hours into it.",
    )
    renewal_ids = fields.One2many("it.contract", "previous_contract_id", string="Renewals", readonly=True)
    renewal_id = fields.Many2one(
        "it.contract", string="Renewed By", compute="_compute_renewal_id",
        help="The contract that renews this one (a cancelled renewal does not count).",
    )
    renewal_changes_html = fields.Html(
        string="Changes from the Previous Contract", compute="_compute_renewal_changes_html", sanitize=False,
        groups=MONEY_GROUPS,
    )

    def _compute_renewal_advice(self):
        """The audit's comparison run again on what the client really used in the last 12 months."""
        today = fields.Date.context_today(self)
        since = today - relativedelta(months=12)
        hours_by_client = {}
        for contract, total in self.env["account.analytic.line"].sudo()._read_group(
            [("it_contract_id.partner_id", "in", self.partner_id.ids), ("date", ">=", since), ("date", "<=", today),
             ("it_billing_type", "!=", "non_billable")],
            ["it_contract_id"], ["unit_amount:sum"],
        ):
            hours_by_client[contract.partner_id] = hours_by_client.get(contract.partner_id, 0.0) + total
        labels = dict(self._fields["renewal_recommended_type"]._description_selection(self.env))
        for contract in self:
            if contract.state not in ("active", "expired") or contract.date_start > today:
                contract.update({"renewal_actual_monthly_hours": 0.0, "renewal_recommended_type": False,
                                 "renewal_advice": False})
                continue
            months = min(12, max(1, (today.year - contract.date_start.year) * 12
                                 + today.month - contract.date_start.month + 1))
            monthly = hours_by_client.get(contract.partner_id, 0.0) / months
            result = self.env["it.form.comparison"]._it_compare(
                contract.company_id, monthly,
                needs_response=bool(contract.audit_id.asset_ids.category_id.filtered("requires_response")),
            )
            advice = self.env._(
                "Over the last %(months)s months the client used %(hours)s hours a month; as %(current)s that costs "
                "about %(cost)s a month.", months=months, hours=format_duration(monthly),
                current=labels[contract.contract_type],
                cost=format_amount(self.env, result["costs"][contract.contract_type], contract.currency_id),
            )
            if result["recommended"] != contract.contract_type:
                advice += "\n" + self.env._(
                    "Suggestion: renew as %(form)s, about %(cost)s a month.",
                    form=labels[result["recommended"]],
                    cost=format_amount(self.env, result["costs"][result["recommended"]], contract.currency_id),
                )
            contract.update({
                "renewal_actual_monthly_hours": monthly,
                "renewal_recommended_type": result["recommended"],
                "renewal_advice": advice,
            })


    @api.depends("previous_contract_id", "hourly_rate", "monthly_fee", "monthly_hours", "hours_total",
                 "service_product_ids", "site_ids", "remote_service", "out_of_hours_response_hours",
                 "sla_line_ids.response_hours", "sla_line_ids.resolution_hours")
    def _compute_renewal_changes_html(self):
        for contract in self:
            previous = contract.previous_contract_id
            contract.renewal_changes_html = contract._it_changes_html(contract._it_terms_changes(
                previous._it_terms_snapshot(), contract._it_terms_snapshot())) if previous else False

    # the renewal link decides where an expiring package's unused hours go: one renewal per contract, also when two
    # managers renew it at the same moment (each one's check sees no other in its own snapshot)
    _one_renewal_per_contract = models.UniqueIndex(
        "(previous_contract_id) WHERE previous_contract_id IS NOT NULL AND state != 'cancelled'",
        "This contract has already been renewed.",
    )

    def _it_live_renewals(self):
        """The contracts renewing this one: a cancelled renewal does not count."""
        return self.renewal_ids.filtered(lambda c: c.state != "cancelled")

    @api.depends("renewal_ids.state")
    def _compute_renewal_id(self):
        for contract in self:
            contract.renewal_id = contract._it_live_renewals()[:1]

    @api.constrains("previous_contract_id", "partner_id", "date_start", "state")
    def _check_renewal_of(self):
        """A contract renews an earlier contract of the same client, and a contract is renewed once: the hours an
        expiring package carries over go to its client's one renewal, however the link was written."""
        for contract in self.filtered("previous_contract_id"):
            previous = contract.previous_contract_id
            if previous == contract or previous.partner_id != contract.partner_id \
                    or contract.date_start < previous.date_start:
                raise ValidationError(self.env._(
                    "Contract %(name)s cannot renew %(previous)s: a renewal is a later contract of the same client.",
                    name=contract.name, previous=previous.name,
                ))
            if len(previous._it_live_renewals()) > 1:
                raise ValidationError(self.env._("Contract %s has already been renewed.", previous.name))

    def _it_renewal_terms(self):
        """The terms a renewal starts from: those in force at the end, amendments agreed to take effect by then
        included."""
        self.ensure_one()
        agreed = self.amendment_ids.filtered(lambda a: a.state == "confirmed" and (
            not self.date_end or a.effective_date <= self.date_end)).sorted("effective_date")[-1:]
        if not agreed:
            return {"service_product_ids": self.service_product_ids.ids, "site_ids": self.site_ids.ids}
        values = agreed._it_contract_values()
        values["sla_line_ids"] = [Command.create({
            "priority": line.priority, "response_hours": line.response_hours, "resolution_hours": line.resolution_hours,
        }) for line in agreed.sla_line_ids]
        return values

    def action_renew(self):
        """Create the next contract with the same terms, starting the day after this one ends."""
        self.ensure_one()
        if self.state not in ("active", "expired", "closed"):
            raise UserError(self.env._("Only a contract that has run can be renewed."))
        start = max(
            self.date_end + relativedelta(days=1) if self.date_end else fields.Date.context_today(self),
            fields.Date.context_today(self),
        )
        default = {"date_start": start, "previous_contract_id": self.id, **self._it_renewal_terms()}
        if self.contract_type == "monthly_flat" and self.date_end:
            default["date_end"] = start + (self.date_end - self.date_start)
        # the database holds one renewal per contract on the renewals' states: a renewal cancelled earlier in this
        # transaction must be cancelled there before the new one is inserted
        self.flush_model(["state", "previous_contract_id"])
        renewal = self.copy(default)
        self._it_after_renew(renewal)
        self.message_post(body=self.env._("Renewed by %s.", renewal._get_html_link()))
        return renewal._get_records_action(name=self.env._("Renewal"))

