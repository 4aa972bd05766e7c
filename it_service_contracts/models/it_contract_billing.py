"""How a contract's work is billed: the project and analytic account its time goes to, the billing terms of
its time, its months, invoices and quotations."""
from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain

from .it_money import MONEY_GROUPS

# who may read the quotations of a contract (the access rights of sale.order)
QUOTATION_GROUPS = "sales_team.group_sale_salesman,account.group_account_invoice,account.group_account_readonly"


class ItContractBilling(models.AbstractModel):
    """The billing side of :class:`it.contract` (its fields live on the contract's table)."""

    _name = "it.contract.billing"
    _description = "Billing Terms of an IT Contract"

    currency_id = fields.Many2one("res.currency", string="Currency")  # the contract's: its company's
    billing_increment = fields.Float(
        string="Billing Increment (h)", default=0.0, tracking=True,
        help="Billable time is rounded up to a multiple of this, e.g. 0.25 for 15 minutes; 0 bills the exact time.",
    )
    onsite_minimum_hours = fields.Float(
        string="On-site Minimum (h)", default=0.0, tracking=True,
        help="Least time billed for one visit on a client's site; 0 for none.",
    )
    period_ids = fields.One2many("it.contract.period", "contract_id", string="Months", readonly=True)
    current_period_id = fields.Many2one(
        "it.contract.period", string="This Month", compute="_compute_current_period",
    )
    current_hours_included = fields.Float(string="Included This Month", compute="_compute_current_period")
    current_hours_used = fields.Float(string="Used This Month", compute="_compute_current_period")
    current_hours_remaining = fields.Float(string="Left This Month", compute="_compute_current_period")
    current_hours_overage = fields.Float(string="Overage This Month", compute="_compute_current_period")
    timesheet_ids = fields.One2many("account.analytic.line", "it_contract_id", string="Timesheets", readonly=True)

    _check_billing_terms = models.Constraint(
        "CHECK(billing_increment >= 0 AND onsite_minimum_hours >= 0 AND rollover_cap_hours >= 0 "
        "AND usage_warning_percent > 0 AND usage_warning_percent <= 100 AND expiry_warning_days >= 0)",
        "Billing increment, on-site minimum and rollover cap cannot be negative; the usage warning is a share "
        "between 0 and 100%, the expiry warning a number of days.",
    )

    fee_product_id = fields.Many2one(
        "product.product", string="Fee Product", check_company=True, domain="[('type', '=', 'service')]",
        compute="_compute_fee_product_id", store=True, readonly=False, precompute=True, tracking=True,
        help="The product of the invoice line: the monthly fee of a flat contract, the hours of a package.",
    )
    invoice_day = fields.Integer(
        string="Invoicing Day", default=1, tracking=True,
        help="Day of the month (1 to 28) from which the monthly invoice of a flat contract is issued.",
    )
    invoice_timing = fields.Selection(
        [("advance", "In Advance"), ("arrears", "In Arrears")], string="Fee Invoiced", default="advance",
        required=True, tracking=True,
        help="In advance: the fee of the current month; in arrears: the fee of the month just ended.",
    )
    package_price_agreed = fields.Monetary(
        string="Negotiated Package Price", tracking=True, groups=MONEY_GROUPS,
        help="The price agreed for the whole package; empty bills the hours bought at the hourly rate.",
    )
    service_credit_percent = fields.Float(
        string="Credit per Breach (%)", tracking=True, groups=MONEY_GROUPS,
        help="Share of the monthly fee credited for each request whose response time was breached in a month.",
    )
    service_credit_cap_percent = fields.Float(
        string="Credit Cap (%)", tracking=True, groups=MONEY_GROUPS,
        help="Most of the monthly fee credited for one month; 0 for no cap.",
    )
    # quotations are Sales documents: for who may read them (a technician opens the contract all the same)
    invoice_ids = fields.One2many(
        "account.move", "it_contract_id", string="Invoices", readonly=True, groups=MONEY_GROUPS,
    )
    invoice_count = fields.Integer(compute="_compute_invoice_count", groups=MONEY_GROUPS)
    sale_order_ids = fields.One2many(
        "sale.order", "it_contract_id", string="Quotations", readonly=True, groups=QUOTATION_GROUPS,
    )
    sale_order_count = fields.Integer(
        compute="_compute_sale_order_count", string="Quotation Count", groups=QUOTATION_GROUPS,
    )
    _check_invoicing_terms = models.Constraint(
        "CHECK(invoice_day BETWEEN 1 AND 28 AND service_credit_percent >= 0 AND service_credit_percent <= 100 "
        "AND service_credit_cap_percent >= 0 AND service_credit_cap_percent <= 100 AND package_price_agreed >= 0)",
        "The invoicing day is between 1 and 28; service credits are shares between 0 and 100%; a negotiated "
        "price cannot be negative.",
    )

    # ------------------------------------------------------------------ compute

    @api.depends("period_ids.hours_used", "period_ids.hours_overage", "period_ids.hours_included",
                 "contract_type", "monthly_hours")
    def _compute_current_period(self):
        today = fields.Date.context_today(self)
        periods = self.env["it.contract.period"].search([
            ("contract_id", "in", self.ids), ("date_start", "<=", today), ("date_end", ">=", today),
        ])
        by_contract = {period.contract_id: period for period in periods}
        for contract in self:
            period = by_contract.get(contract, self.env["it.contract.period"])
            contract.current_period_id = period
            contract.current_hours_included = period.hours_included if period else (
                contract.monthly_hours if contract.contract_type == "monthly_flat" else 0.0)
            contract.current_hours_used = period.hours_used
            contract.current_hours_remaining = period.hours_remaining if period else contract.current_hours_included
            contract.current_hours_overage = period.hours_overage

    @api.depends("contract_type")
    def _compute_fee_product_id(self):
        for contract in self.filtered(lambda c: not c.fee_product_id):
            contract.fee_product_id = self.env.ref(
                "it_service_contracts.product_it_package" if contract.contract_type == "hour_package"
                else "it_service_contracts.product_it_flat_fee", raise_if_not_found=False,
            )

    def _compute_sale_order_count(self):
        counts = dict(self.env["sale.order"]._read_group(
            [("it_contract_id", "in", self.ids)], ["it_contract_id"], ["__count"],
        ))
        for contract in self:
            contract.sale_order_count = counts.get(contract, 0)

    def _compute_invoice_count(self):
        # the invoices the user may open from the contract (the form's button is the accountant's); counted as the
        # system for an IT services manager without the right to read invoices, whose figure the field is too
        Move = self.env["account.move"]
        if not Move.has_access("read"):
            Move = Move.sudo()
        counts = dict(Move._read_group([("it_contract_id", "in", self.ids)], ["it_contract_id"], ["__count"]))
        for contract in self:
            contract.invoice_count = counts.get(contract, 0)


    # ------------------------------------------------------------------ actions

    @api.readonly
    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action["domain"] = [("it_contract_id", "=", self.id)]
        action["context"] = {"default_move_type": "out_invoice", "default_partner_id": self.partner_id.id,
                             "default_it_contract_id": self.id}
        return action

    @api.readonly
    def action_view_sale_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_quotations_with_onboarding")
        action.update(domain=[("it_contract_id", "=", self.id)], context={
            "default_it_contract_id": self.id, "default_partner_id": self.partner_id.id,
            "default_company_id": self.company_id.id,
        })
        return action

    def action_new_quotation(self):
        """Quote extra work under this contract: an ordinary Sales quotation, priced individually."""
        self.ensure_one()
        if self.state not in ("draft", "active"):
            raise UserError(self.env._("Additional services are quoted under a draft or running contract."))
        order = self.env["sale.order"].create({
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "it_contract_id": self.id,
            "origin": self.name,
        })
        return order._get_records_action(name=self.env._("Quotation"))

    @api.readonly
    def action_view_timesheets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hr_timesheet.timesheet_action_all")
        action.update(domain=[("it_contract_id", "=", self.id)], context={"create": False})
        return action

    @api.readonly
    def action_view_periods(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("it_service_contracts.it_contract_period_action")
        action.update(domain=[("contract_id", "=", self.id)], context={"create": False})
        return action

    def _ensure_service_project(self):
        """Each running contract gets a project for its requests, with the analytic account its time goes to
        and the service stages (new, in progress, waiting for the client, done)."""
        without_project = self.filtered(lambda c: not c.project_id)
        if without_project:
            projects = self.env["project.project"].sudo().create([{
                "name": f"{contract.name} - {contract.partner_id.name}",
                "partner_id": contract.partner_id.id,
                "company_id": contract.company_id.id,
                "allow_timesheets": True,
                "account_id": contract.analytic_account_id.id or False,
            } for contract in without_project])
            for contract, project in zip(without_project, projects, strict=True):
                contract.project_id = project
        for contract in self.filtered(lambda c: not c.analytic_account_id):
            contract.analytic_account_id = contract.project_id.account_id
        self.project_id._it_add_default_service_stages()

    def _it_ensure_current_period(self):
        """The month of today of these flat contracts, if they run in it (their hours are drawn there)."""
        today = fields.Date.context_today(self)
        Period = self.env["it.contract.period"].sudo()
        running = self.filtered_domain(
            Domain("contract_type", "=", "monthly_flat") & self._it_running_condition(today.replace(day=1), today))
        Period._it_ensure_periods({(contract.id, today.replace(day=1)) for contract in running})
        self.invalidate_recordset(["period_ids"])
