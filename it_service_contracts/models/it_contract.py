from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain

CONTRACT_TYPES = [
    ("hour_package", "Hour Package"),
    ("monthly_flat", "Flat Monthly Fee"),
]


class ItContract(models.Model):
    _name = "it.contract"
    _description = "IT Service Contract"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/", index="trigram",
    )
    partner_id = fields.Many2one(
        "res.partner", string="Client", required=True, index=True, tracking=True, check_company=True,
        domain="[('parent_id', '=', False)]",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    user_id = fields.Many2one(
        "res.users", string="Account Manager", default=lambda self: self.env.user, tracking=True,
        domain="[('share', '=', False)]",
    )
    contract_type = fields.Selection(
        CONTRACT_TYPES, string="Type", required=True, default="hour_package", tracking=True,
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("active", "Active"),
            ("expired", "Expired"),
            ("closed", "Closed"),
            ("cancelled", "Cancelled"),
        ],
        required=True, default="draft", readonly=True, copy=False, index=True, tracking=True,
    )
    date_confirmed = fields.Date(
        string="Confirmed On", readonly=True, copy=False,
        help="Set when the client has agreed to the contract; a confirmed contract starts by itself on its start date.",
    )
    date_start = fields.Date(
        string="Start Date", required=True, default=fields.Date.context_today, tracking=True,
    )
    date_end = fields.Date(
        string="End Date", compute="_compute_date_end", store=True, readonly=False, precompute=True, copy=False,
        tracking=True,
        help="Hour packages end after their validity; flat contracts may run until closed.",
    )
    validity_months = fields.Integer(
        string="Validity (months)", default=12,
        help="How long the hours of a package can be used: 1 to 12 months.",
    )
    service_product_ids = fields.Many2many(
        "product.product", "it_contract_service_product_rel", "contract_id", "product_id",
        string="Scope", check_company=True, domain="[('type', '=', 'service')]",
        help="The services the contract covers; other work is ad-hoc.",
    )
    site_ids = fields.Many2many(
        "res.partner", "it_contract_site_rel", "contract_id", "partner_id",
        string="Sites", check_company=True,
        domain="[('id', 'child_of', partner_id)]",
        help="The client's addresses where on-site service is covered.",
    )
    remote_service = fields.Boolean(
        string="Remote Support", default=True, help="Remote work is covered as well as work on the sites.",
    )
    sla_line_ids = fields.One2many("it.contract.sla", "contract_id", string="Response Times", copy=True)
    service_calendar_id = fields.Many2one(
        "resource.calendar", string="Service Hours", check_company=True,
        default=lambda self: self.env.company.resource_calendar_id,
        help="Working hours and public holidays on which response times are counted.",
    )
    out_of_hours_response_hours = fields.Float(
        string="Out-of-hours Response (h)",
        help="Guaranteed response time, in clock hours, for failures reported outside service hours.",
    )
    hourly_rate = fields.Monetary(
        compute="_compute_hourly_rate", store=True, readonly=False, precompute=True, tracking=True,
        help="Price of a package hour, or of an hour beyond the included ones on a flat contract.",
    )
    hours_total = fields.Float(string="Hours Bought", tracking=True)
    hours_used = fields.Float(
        readonly=True, copy=False, help="Billable hours drawn from the package by timesheets.",
    )
    hours_remaining = fields.Float(compute="_compute_hours_remaining", store=True)
    package_price = fields.Monetary(compute="_compute_package_price", string="Package Price")
    monthly_fee = fields.Monetary(tracking=True)
    monthly_hours = fields.Float(string="Included Hours per Month", tracking=True)
    line_ids = fields.One2many("it.contract.line", "contract_id", string="Additional Services", copy=False)
    analytic_account_id = fields.Many2one(
        "account.analytic.account", string="Analytic Account", copy=False, check_company=True, index="btree_not_null",
    )
    project_id = fields.Many2one(
        "project.project", string="Service Project", copy=False, check_company=True, index="btree_not_null",
        help="The project whose tasks are this contract's service requests.",
    )
    invoice_ids = fields.One2many("account.move", "it_contract_id", string="Invoices", readonly=True)
    invoice_count = fields.Integer(compute="_compute_invoice_count")
    audit_id = fields.Many2one(
        "it.audit", string="Audit", check_company=True, tracking=True,
        domain="[('partner_id', '=', partner_id), ('state', '=', 'done')]",
        help="The audit of the client's hardware and software this contract is based on.",
    )
    previous_contract_id = fields.Many2one("it.contract", string="Renewal Of", readonly=True, copy=False)
    renewal_ids = fields.One2many("it.contract", "previous_contract_id", string="Renewals", readonly=True)
    note = fields.Html(string="Terms")
    color = fields.Integer()

    _check_validity = models.Constraint(
        "CHECK(contract_type != 'hour_package' OR validity_months BETWEEN 1 AND 12)",
        "An hour package is valid for 1 to 12 months.",
    )
    _check_dates = models.Constraint(
        "CHECK(date_end IS NULL OR date_end >= date_start)",
        "A contract cannot end before it starts.",
    )
    _check_amounts = models.Constraint(
        "CHECK(hourly_rate >= 0 AND hours_total >= 0 AND monthly_fee >= 0 AND monthly_hours >= 0 "
        "AND out_of_hours_response_hours >= 0)",
        "Rates, hours and fees cannot be negative.",
    )
    _partner_state_idx = models.Index("(partner_id, state)")

    # ------------------------------------------------------------------ compute

    @api.depends("contract_type", "date_start", "validity_months")
    def _compute_date_end(self):
        for contract in self:
            if contract.contract_type == "hour_package" and contract.date_start and 1 <= contract.validity_months <= 12:
                contract.date_end = contract._package_end_date()
            elif contract.contract_type == "hour_package":
                contract.date_end = False

    def _package_end_date(self):
        self.ensure_one()
        return self.date_start + relativedelta(months=self.validity_months, days=-1)

    @api.depends("contract_type", "company_id")
    def _compute_hourly_rate(self):
        for contract in self:
            company = contract.company_id or self.env.company
            contract.hourly_rate = (
                company.it_package_hourly_rate if contract.contract_type == "hour_package"
                else company.it_flat_hourly_rate
            )

    @api.depends("hours_total", "hours_used")
    def _compute_hours_remaining(self):
        for contract in self:
            contract.hours_remaining = contract.hours_total - contract.hours_used

    @api.depends("hours_total", "hourly_rate")
    def _compute_package_price(self):
        for contract in self:
            contract.package_price = contract.hours_total * contract.hourly_rate

    def _compute_invoice_count(self):
        counts = dict(self.env["account.move"]._read_group(
            [("it_contract_id", "in", self.ids)], ["it_contract_id"], ["__count"],
        ))
        for contract in self:
            contract.invoice_count = counts.get(contract, 0)

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        if self.partner_id:
            self.site_ids = self.site_ids.filtered(lambda site: site.commercial_partner_id == self.partner_id)
            if not self.audit_id or self.audit_id.partner_id != self.partner_id:
                self.audit_id = self.env["it.audit"].search(
                    [("partner_id", "=", self.partner_id.id), ("state", "=", "done")], order="date desc", limit=1,
                )

    # ------------------------------------------------------------------ constraints

    @api.constrains("contract_type", "validity_months", "date_start", "date_end")
    def _check_package_validity(self):
        for contract in self.filtered(lambda c: c.contract_type == "hour_package"):
            if not 1 <= contract.validity_months <= 12:
                raise ValidationError(self.env._(
                    "An hour package is valid for 1 to 12 months, not %(months)s.", months=contract.validity_months,
                ))
            if contract.date_end != contract._package_end_date():
                raise ValidationError(self.env._(
                    "The end date of hour package %(name)s follows from its start date and validity: %(date)s.",
                    name=contract.name, date=contract._package_end_date(),
                ))

    @api.constrains("date_start", "date_end")
    def _check_dates_order(self):
        for contract in self:
            if contract.date_end and contract.date_end < contract.date_start:
                raise ValidationError(self.env._(
                    "Contract %(name)s cannot end (%(end)s) before it starts (%(start)s).",
                    name=contract.name, end=contract.date_end, start=contract.date_start,
                ))

    @api.constrains("hourly_rate", "hours_total", "monthly_fee", "monthly_hours", "out_of_hours_response_hours")
    def _check_amounts_positive(self):
        for contract in self:
            if min(contract.hourly_rate, contract.hours_total, contract.monthly_fee, contract.monthly_hours,
                   contract.out_of_hours_response_hours) < 0:
                raise ValidationError(self.env._(
                    "Rates, hours and fees of contract %(name)s cannot be negative.", name=contract.name,
                ))

    @api.constrains("hourly_rate", "contract_type", "company_id")
    def _check_hourly_rate(self):
        """Design rule 1: each form of cooperation is cheaper per hour than the looser one."""
        for contract in self:
            company = contract.company_id
            if contract.hourly_rate <= 0:
                raise ValidationError(self.env._("The hourly rate of contract %s must be positive.", contract.name))
            if contract.contract_type == "hour_package" and contract.hourly_rate >= company.it_adhoc_hourly_rate:
                raise ValidationError(self.env._(
                    "The hourly rate of an hour package (%(rate)s) must be lower than the ad-hoc rate (%(adhoc)s).",
                    rate=contract.hourly_rate, adhoc=company.it_adhoc_hourly_rate,
                ))
            if contract.contract_type == "monthly_flat" and contract.hourly_rate >= company.it_package_hourly_rate:
                raise ValidationError(self.env._(
                    "The hourly rate of a flat monthly contract (%(rate)s) must be lower than the standard hour "
                    "package rate (%(package)s).",
                    rate=contract.hourly_rate, package=company.it_package_hourly_rate,
                ))

    @api.constrains("partner_id", "site_ids")
    def _check_sites(self):
        for contract in self:
            foreign = contract.site_ids - contract.site_ids.filtered_domain(
                [("commercial_partner_id", "=", contract.partner_id.id)]
            )
            if foreign:
                raise ValidationError(self.env._(
                    "The sites of a contract must be addresses of its client %(client)s: %(sites)s.",
                    client=contract.partner_id.display_name, sites=", ".join(foreign.mapped("display_name")),
                ))

    @api.constrains("state", "partner_id", "service_product_ids", "site_ids", "remote_service", "audit_id",
                    "hours_total", "monthly_fee", "service_calendar_id")
    def _check_ready_when_active(self):
        """A running contract must say whom, what and where it covers, and rest on a completed audit."""
        for contract in self.filtered(lambda c: c.state == "active"):
            contract._check_can_activate()

    def _check_can_activate(self):
        self.ensure_one()
        problems = []
        if not self.partner_id:
            problems.append(self.env._("a client"))
        if not self.service_product_ids:
            problems.append(self.env._("a scope (at least one service)"))
        if not self.site_ids and not self.remote_service:
            problems.append(self.env._("a place of service (a site or remote support)"))
        if self.contract_type == "hour_package" and self.hours_total <= 0:
            problems.append(self.env._("a number of hours bought"))
        if self.contract_type == "monthly_flat":
            if self.monthly_fee <= 0:
                problems.append(self.env._("a monthly fee"))
            if not self.service_calendar_id:
                problems.append(self.env._("service hours"))
        if problems:
            raise ValidationError(self.env._(
                "Contract %(name)s cannot start without %(missing)s.",
                name=self.name, missing=", ".join(problems),
            ))
        if self.audit_id.state != "done" or self.audit_id.partner_id != self.partner_id:
            raise ValidationError(self.env._(
                "Contract %(name)s cannot start before the hardware and software audit of %(client)s is completed.",
                name=self.name, client=self.partner_id.display_name,
            ))

    @api.constrains("state", "contract_type", "partner_id", "date_start", "date_end")
    def _check_single_flat_contract(self):
        flats = self.filtered(lambda c: c.contract_type == "monthly_flat" and c.state == "active")
        for contract in flats:
            domain = Domain([
                ("id", "!=", contract.id),
                ("partner_id", "=", contract.partner_id.id),
                ("contract_type", "=", "monthly_flat"),
                ("state", "=", "active"),
                "|", ("date_end", "=", False), ("date_end", ">=", contract.date_start),
            ])
            if contract.date_end:
                domain &= Domain("date_start", "<=", contract.date_end)
            if self.search_count(domain, limit=1):
                raise ValidationError(self.env._(
                    "%(client)s already has an active flat monthly contract for these dates.",
                    client=contract.partner_id.display_name,
                ))

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].with_company(vals.get("company_id")).next_by_code(
                    "it.contract", sequence_date=vals.get("date_start"),
                ) or "/"
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if any(contract.state not in ("draft", "cancelled") for contract in self):
            raise UserError(self.env._("Only draft or cancelled contracts can be deleted; close the others instead."))

    # ------------------------------------------------------------------ actions

    def action_confirm(self):
        """The client agreed: check everything is in place and start now or on the start date."""
        for contract in self:
            if contract.state != "draft":
                raise UserError(self.env._("Only a draft contract can be confirmed (%s).", contract.name))
            contract._check_can_activate()
        self.date_confirmed = fields.Date.context_today(self)
        self.filtered(lambda c: c.date_start <= fields.Date.context_today(c)).action_activate()
        return True

    def action_activate(self):
        for contract in self:
            if contract.state not in ("draft", "expired"):
                raise UserError(self.env._("Contract %s cannot be activated from its current state.", contract.name))
        self.write({"state": "active", "date_confirmed": fields.Date.context_today(self)})
        self._ensure_service_project()
        return True

    def action_close(self):
        if any(contract.state not in ("active", "expired") for contract in self):
            raise UserError(self.env._("Only running or expired contracts can be closed."))
        self.state = "closed"
        return True

    def action_cancel(self):
        if any(contract.state != "draft" for contract in self):
            raise UserError(self.env._("Only contracts that have not started can be cancelled; close the others."))
        self.state = "cancelled"
        return True

    def action_reset_to_draft(self):
        if any(contract.state != "cancelled" for contract in self):
            raise UserError(self.env._("Only cancelled contracts can be set back to draft."))
        self.write({"state": "draft", "date_confirmed": False})
        return True

    def action_renew(self):
        """Create the next contract with the same terms, starting the day after this one ends."""
        self.ensure_one()
        if self.state not in ("active", "expired", "closed"):
            raise UserError(self.env._("Only a contract that has run can be renewed."))
        if self.renewal_ids.filtered(lambda c: c.state != "cancelled"):
            raise UserError(self.env._("Contract %s has already been renewed.", self.name))
        start = max(
            self.date_end + relativedelta(days=1) if self.date_end else fields.Date.context_today(self),
            fields.Date.context_today(self),
        )
        default = {
            "date_start": start,
            "previous_contract_id": self.id,
            "service_product_ids": self.service_product_ids.ids,
            "site_ids": self.site_ids.ids,
        }
        if self.contract_type == "monthly_flat" and self.date_end:
            default["date_end"] = start + (self.date_end - self.date_start)
        renewal = self.copy(default)
        self.message_post(body=self.env._("Renewed by %s.", renewal._get_html_link()))
        return renewal._get_records_action(name=self.env._("Renewal"))

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action["domain"] = [("it_contract_id", "=", self.id)]
        action["context"] = {"default_move_type": "out_invoice", "default_partner_id": self.partner_id.id,
                             "default_it_contract_id": self.id}
        return action

    def action_view_project(self):
        self.ensure_one()
        return self.project_id._get_records_action()

    def _ensure_service_project(self):
        """Each running contract gets a project for its requests, with the analytic account its time goes to."""
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

    # ------------------------------------------------------------------ cron

    @api.model
    def _cron_update_states(self, batch_size=500):
        """Start confirmed contracts whose start date has come and expire those whose end date has passed."""
        today = fields.Date.context_today(self)
        to_start = Domain([("state", "=", "draft"), ("date_confirmed", "!=", False), ("date_start", "<=", today)])
        to_expire = Domain([("state", "=", "active"), ("date_end", "<", today)])
        cron = self.env["ir.cron"]
        for domain, method in ((to_start, "action_activate"), (to_expire, "_expire")):
            while True:
                contracts = self.search(domain, limit=batch_size)
                if not contracts:
                    break
                contracts = contracts.try_lock_for_update().filtered_domain(domain)
                if not contracts:  # the others are being handled by another worker
                    break
                getattr(contracts, method)()
                if cron._commit_progress(len(contracts), remaining=self.search_count(domain)) <= 0:
                    return

    def _expire(self):
        self.state = "expired"
