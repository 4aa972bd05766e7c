from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools import format_amount

from .it_money import MONEY_GROUPS

# the sales-of-services account of the charts that keep one apart from their default income account (sales of goods)
SERVICES_INCOME_ACCOUNTS = {"pl": "chart70000300"}


class ResCompany(models.Model):
    _inherit = "res.company"

    it_adhoc_hourly_rate = fields.Monetary(
        string="Ad-hoc Hourly Rate",
        currency_field="currency_id",
        default=200.0,
        groups=MONEY_GROUPS,
        help="Price of one hour of ad-hoc support for clients without a contract.",
    )
    it_package_hourly_rate = fields.Monetary(
        string="Standard Hour Package Rate",
        currency_field="currency_id",
        default=160.0,
        groups=MONEY_GROUPS,
        help="Default hourly rate of new hour packages; it must be lower than the ad-hoc rate.",
    )
    it_flat_hourly_rate = fields.Monetary(
        string="Standard Flat Contract Rate",
        currency_field="currency_id",
        default=130.0,
        groups=MONEY_GROUPS,
        help="Default rate of the hours beyond the included ones on new flat monthly contracts; "
        "it must be lower than the standard package rate.",
    )

    it_package_minimum_hours = fields.Float(
        string="Smallest Hour Package", default=20.0,
        help="The fewest hours a package is sold with; the audit's recommendation never offers less.",
    )
    it_flat_minimum_fee = fields.Monetary(
        string="Lowest Flat Monthly Fee", currency_field="currency_id", default=2500.0, groups=MONEY_GROUPS,
        help="A flat monthly contract never costs less than this, whatever its included hours.",
    )
    it_contract_acceptance_required = fields.Boolean(
        string="Online Acceptance of Contracts",
        help="New contracts start only once the client's contact has accepted and signed them in the portal.",
    )
    it_warranty_horizon_days = fields.Integer(
        string="Warranty Reminder (days)", default=30,
        help="How many days before a warranty or licence ends the account manager gets an activity.",
    )

    _check_it_audit_terms = models.Constraint(
        "CHECK(it_package_minimum_hours >= 0 AND it_flat_minimum_fee >= 0 AND it_warranty_horizon_days >= 0)",
        "The smallest package, the lowest flat fee and the warranty reminder cannot be negative.",
    )

    @api.constrains("it_adhoc_hourly_rate", "it_package_hourly_rate", "it_flat_hourly_rate")
    def _check_it_hourly_rates(self):
        for company in self:
            rates = (company.it_adhoc_hourly_rate, company.it_package_hourly_rate, company.it_flat_hourly_rate)
            if any(rate <= 0 for rate in rates):
                raise ValidationError(self.env._("The IT service hourly rates of %s must be positive.", company.name))
            if not company.it_package_hourly_rate < company._it_rate_ceiling("hour_package"):
                raise ValidationError(self.env._(
                    "The standard hour package rate (%(package)s) must be lower than the ad-hoc rate (%(adhoc)s).",
                    package=company.it_package_hourly_rate, adhoc=company.it_adhoc_hourly_rate,
                ))
            if not company.it_flat_hourly_rate < company._it_rate_ceiling("monthly_flat"):
                raise ValidationError(self.env._(
                    "The standard flat contract rate (%(flat)s) must be lower than the standard hour package rate "
                    "(%(package)s).",
                    flat=company.it_flat_hourly_rate, package=company.it_package_hourly_rate,
                ))
        self._it_check_running_contract_rates()

    def _it_rate_ceiling(self, contract_type):
        """Design rule 1, the one place it is written: an hour of a form of cooperation costs less than an hour
        of the looser form. The rate an hour of ``contract_type`` must stay below: the ad-hoc rate for a package,
        the standard package rate for a flat contract."""
        self.ensure_one()
        return {"hour_package": self.it_adhoc_hourly_rate, "monthly_flat": self.it_package_hourly_rate}[contract_type]

    def _it_check_running_contract_rates(self):
        """New company rates must keep every running contract in rule 1's order (a package below the ad-hoc
        rate, a flat contract below the package rate): a change that would not is refused, naming them."""
        Contract = self.env["it.contract"].sudo()
        for company in self:
            running = Domain("company_id", "=", company.id) & Contract._it_running_condition()
            out_of_order = Contract.search(running & Domain.OR(
                Domain("contract_type", "=", form) & Domain("hourly_rate", ">=", company._it_rate_ceiling(form))
                for form in ("hour_package", "monthly_flat")
            ))
            if out_of_order:
                raise ValidationError(self.env._(
                    "These rates would leave running contracts of %(company)s at or above the rate of the looser "
                    "form of cooperation: %(contracts)s. Keep the ad-hoc rate above every package's rate and the "
                    "package rate above every flat contract's rate, or renegotiate those contracts first.",
                    company=company.name, contracts=", ".join(
                        f"{contract.name} ({format_amount(self.env, contract.hourly_rate, contract.currency_id)})"
                        for contract in out_of_order),
                ))

    # ------------------------------------------------------------------ invoicing

    it_invoice_auto_post = fields.Boolean(
        string="Post IT Invoices",
        help="Invoices generated for contracts, packages and ad-hoc jobs are posted at once; otherwise they stay "
        "drafts for the accountant to check.",
    )
    it_invoice_journal_id = fields.Many2one(
        "account.journal", string="IT Invoices Journal", check_company=True, domain="[('type', '=', 'sale')]",
        help="Sales journal of the generated invoices; empty uses the company's default sales journal.",
    )
    it_invoice_user_id = fields.Many2one(
        "res.users", string="IT Invoicing Accountant", domain="[('share', '=', False)]",
        help="Given an activity on a contract or request that cannot be invoiced; empty: the billing user who invoiced "
        "it at once (Invoice Now), else its account manager.",
    )

    # ------------------------------------------------------------------ service requests and SLA

    it_sla_risk_share = fields.Float(
        string="SLA At-Risk Share (%)", default=75.0,
        help="A service request is at risk once this share of its response or resolution time is used.",
    )
    it_service_desk_lead_id = fields.Many2one(
        "res.users", string="Service Desk Lead", domain="[('share', '=', False)]",
        help="Notified once when a service request becomes at risk or breaches its SLA.",
    )
    it_service_desk_project_id = fields.Many2one(
        "project.project", string="Service Desk Project", check_company=True,
        help="Shared project receiving ad-hoc requests and incoming email.",
    )

    _check_it_sla_risk_share = models.Constraint(
        "CHECK(it_sla_risk_share > 0 AND it_sla_risk_share < 100)",
        "The SLA at-risk share must be more than 0 and less than 100 %.",
    )

    def _it_get_service_desk_project(self):
        """The company's shared service desk project, created on first use."""
        self.ensure_one()
        project = self.sudo().it_service_desk_project_id
        if not project:
            project = self.env["project.project"].sudo().search(
                [("it_service_desk", "=", True), ("company_id", "=", self.id)], limit=1,
            )
        if not project:
            project = self.env["project.project"].sudo().create({
                "name": self.env._("Service Desk"),
                "company_id": self.id,
                "it_service_desk": True,
                "allow_timesheets": True,
                "type_ids": [(6, 0, self.env["project.task.type"].sudo().search(
                    [("it_service_default", "=", True)]).ids)],
            })
        if self.sudo().it_service_desk_project_id != project:
            self.sudo().it_service_desk_project_id = project
        return project

    def _it_set_services_income_account(self):
        """The addon's products (the IT services category) are booked on the services sales account of each
        company's chart, where the chart has one; elsewhere the chart's default income account applies."""
        category = self.env.ref("it_service_contracts.product_category_it_services", raise_if_not_found=False)
        if not category:  # the chart is loaded before the addon's data, which then calls this again
            return
        chart = self.env["account.chart.template"].sudo()
        for company in self.sudo().filtered(lambda company: company.chart_template in SERVICES_INCOME_ACCOUNTS):
            account = chart.with_company(company).ref(
                SERVICES_INCOME_ACCOUNTS[company.chart_template], raise_if_not_found=False,
            )
            if account:
                category.sudo().with_company(company).property_account_income_categ_id = account
