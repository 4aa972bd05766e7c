from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.fields import Domain

from .it_forms import COOPERATION_FORMS
from .it_money import MONEY_GROUPS


class ResPartner(models.Model):
    """The client's IT figures: form of cooperation, contracts, hours left and requests."""

    _inherit = "res.partner"

    it_contract_ids = fields.One2many("it.contract", "partner_id", string="IT Contracts")
    it_contract_count = fields.Integer(compute="_compute_it_contract_stats", string="IT Contract Count")
    it_cooperation_form = fields.Selection(
        COOPERATION_FORMS, string="Form of Cooperation", compute="_compute_it_contract_stats",
        help="Ad-hoc unless the client has a running contract; a flat contract comes before packages.",
    )
    it_package_hours_remaining = fields.Float(
        string="Package Hours Left", compute="_compute_it_contract_stats",
        help="Hours left on the client's running hour packages.",
    )
    it_month_hours_included = fields.Float(
        string="Included This Month", compute="_compute_it_month_hours",
        help="Hours included this month by the client's running flat contract.",
    )
    it_month_hours_used = fields.Float(string="Included Hours Used", compute="_compute_it_month_hours")
    it_month_hours_left = fields.Float(string="Included Hours Left", compute="_compute_it_month_hours")
    it_month_hours_overage = fields.Float(string="Overage This Month", compute="_compute_it_month_hours")
    it_asset_count = fields.Integer(string="IT Assets", compute="_compute_it_asset_count")
    it_request_count = fields.Integer(string="Service Requests", compute="_compute_it_request_count")
    # the figures of the IT services analysis over the last twelve months (smart buttons)
    it_report_hours_sold = fields.Float(string="Hours Sold", compute="_compute_it_report_figures")
    it_report_hours_worked = fields.Float(string="Hours Worked", compute="_compute_it_report_figures")
    it_report_hours_invoiced = fields.Float(string="Hours Invoiced", compute="_compute_it_report_figures")
    it_report_hours_overage = fields.Float(string="Overage Hours", compute="_compute_it_report_figures")
    it_report_sla_compliance = fields.Float(string="SLA Compliance (%)", compute="_compute_it_report_figures")
    it_report_revenue = fields.Monetary(
        string="IT Revenue", compute="_compute_it_report_figures", currency_field="it_report_currency_id",
        groups=MONEY_GROUPS,
    )
    it_report_currency_id = fields.Many2one(
        "res.currency", string="IT Revenue Currency", compute="_compute_it_report_figures",
    )

    @api.depends("commercial_partner_id")
    def _compute_it_contract_stats(self):
        commercial = self.commercial_partner_id
        counts = dict(self.env["it.contract"]._read_group(
            [("partner_id", "in", commercial.ids)], ["partner_id"], ["__count"],
        ))
        running = self.env["it.contract"].search(
            Domain("partner_id", "in", commercial.ids) & self.env["it.contract"]._it_running_condition(),
        )
        types = {}
        hours_left = {}
        for contract in running:  # the hours left are sums of lines: read for all the packages at once
            types.setdefault(contract.partner_id, set()).add(contract.contract_type)
            if contract.contract_type == "hour_package":
                hours_left[contract.partner_id] = hours_left.get(contract.partner_id, 0.0) + contract.hours_remaining
        for partner in self:
            client = partner.commercial_partner_id
            running_types = types.get(client, set())
            partner.it_contract_count = counts.get(client, 0)
            partner.it_package_hours_remaining = hours_left.get(client, 0.0)
            partner.it_cooperation_form = (
                "monthly_flat" if "monthly_flat" in running_types
                else "hour_package" if "hour_package" in running_types
                else "adhoc"
            )

    @api.depends("commercial_partner_id")
    def _compute_it_month_hours(self):
        today = fields.Date.context_today(self)
        # a shared client: only the figures of my companies (the running domain keeps to them)
        Contract = self.env["it.contract"]
        flats = Contract.sudo().search(
            Contract._it_running_domain(self, day=today) & Domain("contract_type", "=", "monthly_flat"))
        by_client = {contract.partner_id: contract for contract in flats}
        for partner in self:
            flat = by_client.get(partner.commercial_partner_id)
            partner.it_month_hours_included = flat.current_hours_included if flat else 0.0
            partner.it_month_hours_used = flat.current_hours_used if flat else 0.0
            partner.it_month_hours_left = flat.current_hours_remaining if flat else 0.0
            partner.it_month_hours_overage = flat.current_hours_overage if flat else 0.0

    def _compute_it_request_count(self):
        counts = dict(self.env["project.task"]._read_group(
            [("it_client_id", "in", self.commercial_partner_id.ids), ("it_is_service_request", "=", True)],
            ["it_client_id"], ["__count"],
        ))
        for partner in self:
            partner.it_request_count = counts.get(partner.commercial_partner_id, 0)

    def _compute_it_report_figures(self):
        report = self.env["it.service.report"]
        figures = {}
        if report.has_access("read"):
            since = fields.Date.start_of(fields.Date.context_today(self), "month") - relativedelta(months=11)
            figures = report._it_partner_figures(self, since)
        for partner in self:
            values = figures.get(partner.commercial_partner_id.id, {})
            partner.it_report_hours_sold = values.get("hours_sold:sum") or 0.0
            partner.it_report_hours_worked = values.get("hours_worked:sum") or 0.0
            partner.it_report_hours_invoiced = values.get("hours_invoiced:sum") or 0.0
            partner.it_report_hours_overage = values.get("hours_overage:sum") or 0.0
            partner.it_report_sla_compliance = values.get("sla_compliance:avg") or 0.0
            partner.it_report_revenue = values.get("revenue:sum") or 0.0
            partner.it_report_currency_id = self.env.company.currency_id

    @api.readonly
    def action_view_it_service_report(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("it_service_contracts.it_service_report_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_last_year": 1}
        return action

    @api.readonly
    def action_view_it_contracts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("it_service_contracts.it_contract_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    @api.readonly
    def action_view_it_requests(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("it_service_contracts.it_service_request_action")
        action["domain"] = [("it_client_id", "=", self.commercial_partner_id.id), ("it_is_service_request", "=", True)]
        action["context"] = {
            "default_partner_id": self.id,
            "it_service_request": True,
            "search_default_open": 1,
        }
        return action

    def _compute_it_asset_count(self):
        """Assets of the client, or of the site when the partner is one of its addresses."""
        assets = self.env["it.asset"]
        by_client = dict(assets._read_group([("partner_id", "in", self.ids)], ["partner_id"], ["__count"]))
        by_site = dict(assets._read_group([("site_id", "in", self.ids)], ["site_id"], ["__count"]))
        for partner in self:
            partner.it_asset_count = by_client.get(partner, 0) or by_site.get(partner, 0)

    @api.readonly
    def action_view_it_assets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("it_service_contracts.it_asset_action")
        field = "partner_id" if not self.parent_id else "site_id"
        action["domain"] = [(field, "=", self.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id,
                             "default_site_id": self.id if self.parent_id else False}
        return action

    def _it_contact_person(self):
        """Who a mail about this client's IT is addressed to: this partner if it is a person of the client, else
        a contact person of the client with an email, else the client itself (never a site or an address); none for
        no partner."""
        if not self:
            return self
        self.ensure_one()
        if self.type == "contact" and not self.is_company and self.parent_id:
            return self
        client = self.commercial_partner_id
        return client.child_ids.filtered(lambda p: p.type == "contact" and p.email)[:1] or client
