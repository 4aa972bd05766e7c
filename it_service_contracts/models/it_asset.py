from datetime import date, timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL, format_date

from .account_move import ISSUED_INVOICE

# what decides whether an asset counts in a month's per-asset billing
INVENTORY_FIELDS = frozenset({"partner_id", "category_id", "date_in_service", "date_retired"})
# what a completed audit recorded of an asset: that it was in its inventory, of its category, in service on its day
AUDITED_FIELDS = frozenset({"audit_id", "category_id", "date_in_service", "date_retired"})

ASSET_STATES = [
    ("ok", "OK"),
    ("attention", "Needs Attention"),
    ("critical", "Critical"),
    ("end_of_life", "End of Life"),
]


class ItAsset(models.Model):
    """A piece of the client's hardware or software, recorded by an audit and kept as the client's inventory."""

    _name = "it.asset"
    _description = "IT Asset"
    _inherit = ["mail.thread", "mail.activity.mixin", "it.protected.fields.mixin"]
    _it_protected_fields = frozenset({"warranty_activity_date"})
    _order = "partner_id, category_id, name, id"
    _check_company_auto = True

    name = fields.Char(
        compute="_compute_name", store=True, readonly=False, precompute=True, required=True, index="trigram",
    )
    partner_id = fields.Many2one(
        "res.partner", string="Client", required=True, index=True, check_company=True,
        compute="_compute_partner_id", store=True, readonly=False, precompute=True,
        domain="[('parent_id', '=', False)]",
    )
    site_id = fields.Many2one(
        "res.partner", string="Site", index="btree_not_null", check_company=True,
        domain="[('id', 'child_of', partner_id)]",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, compute="_compute_company_id", store=True, readonly=False,
        precompute=True,
    )
    audit_id = fields.Many2one("it.audit", string="Recorded by Audit", index="btree_not_null", check_company=True)
    category_id = fields.Many2one("it.asset.category", string="Category", required=True, index=True, tracking=True)
    asset_type = fields.Selection(
        [("hardware", "Hardware"), ("software", "Software")], string="Type",
        compute="_compute_asset_type", store=True, readonly=False, precompute=True, required=True,
    )
    make = fields.Char(string="Make or Publisher")
    model = fields.Char(string="Model or Product")
    product_version = fields.Char(string="Version")
    serial = fields.Char(string="Serial Number or Licence Key", index="btree_not_null", copy=False)
    purchase_date = fields.Date()
    warranty_end = fields.Date(string="Warranty or Licence End", index="btree_not_null")
    date_in_service = fields.Date(
        string="In Service Since", compute="_compute_date_in_service", store=True, readonly=False, precompute=True,
        tracking=True,
        help="From this date the asset counts in the client's inventory (and in per-asset pricing).",
    )
    date_retired = fields.Date(
        string="Retired On", index="btree_not_null", tracking=True,
        help="From this date the asset no longer counts in the client's inventory.",
    )
    state = fields.Selection(ASSET_STATES, required=True, default="ok", tracking=True)
    note = fields.Text()
    task_ids = fields.One2many("project.task", "it_asset_id", string="Service Requests")
    task_count = fields.Integer(compute="_compute_task_count", string="Requests")
    warranty_activity_date = fields.Date(
        readonly=True, copy=False,
        help="Set once the account manager has been given an activity for the current warranty or licence end.",
    )

    _unique_serial_per_client = models.UniqueIndex(
        "(partner_id, serial) WHERE serial IS NOT NULL AND serial != ''",
        "This client already has an asset with this serial number or licence key.",
    )
    _check_dates = models.Constraint(
        "CHECK((warranty_end IS NULL OR purchase_date IS NULL OR warranty_end >= purchase_date)"
        " AND (date_retired IS NULL OR date_in_service IS NULL OR date_retired >= date_in_service))",
        "The warranty or licence end cannot be before the purchase date, "
        "nor the retirement date before the date the asset went into service.",
    )

    @api.depends("audit_id")
    def _compute_partner_id(self):
        for asset in self:
            asset.partner_id = asset.partner_id or asset.audit_id.partner_id

    @api.depends("audit_id", "partner_id")
    def _compute_company_id(self):
        for asset in self:
            asset.company_id = (
                asset.company_id or asset.audit_id.company_id or asset.partner_id.company_id or self.env.company
            )

    @api.depends("category_id", "make", "model")
    def _compute_name(self):
        for asset in self:
            if not asset.name:
                asset.name = " ".join(filter(None, [asset.make, asset.model])) or asset.category_id.name

    @api.depends("category_id")
    def _compute_asset_type(self):
        for asset in self:
            asset.asset_type = asset.category_id.asset_type or asset.asset_type or "hardware"

    @api.depends("purchase_date")
    def _compute_date_in_service(self):
        for asset in self:
            if not asset.date_in_service:
                asset.date_in_service = asset.purchase_date

    def _compute_task_count(self):
        counts = dict(self.env["project.task"]._read_group(
            [("it_asset_id", "in", self.ids)], ["it_asset_id"], ["__count"],
        ))
        for asset in self:
            asset.task_count = counts.get(asset, 0)

    @api.constrains("partner_id", "site_id")
    def _check_site(self):
        for asset in self:
            if asset.site_id and asset.site_id.commercial_partner_id != asset.partner_id:
                raise ValidationError(self.env._(
                    "The site of %(asset)s must be an address of its client %(client)s.",
                    asset=asset.display_name, client=asset.partner_id.display_name,
                ))

    @api.constrains("audit_id", "partner_id")
    def _check_audit_client(self):
        self.audit_id._check_assets_of_client()

    @api.model_create_multi
    def create(self, vals_list):
        assets = super().create(vals_list)
        assets.audit_id._it_check_open()
        return assets

    def write(self, vals):
        self._it_check_client_kept(vals)
        self._it_check_audit_record(vals)
        self._it_check_billed_inventory(vals)
        if (INVENTORY_FIELDS | {"state"}) & vals.keys():
            # the inventory billed per asset and the assets' state are tracked in the chatter, whatever the context
            self = self.with_context(tracking_disable=False, mail_notrack=False)
        result = super().write(vals)
        if "warranty_end" in vals:
            self._it_addon_write({"warranty_activity_date": False})  # a new end date deserves its own reminder
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_audited(self):
        self.audit_id._it_check_open()

    def _it_check_client_kept(self, vals):
        """An asset is its client's equipment: it never moves to another client (commercial entity), whoever writes;
        the audits, contracts, billing and history of that client rest on it."""
        if "partner_id" not in vals:
            return
        client = self.env["res.partner"].browse(vals["partner_id"]).sudo().commercial_partner_id
        for asset in self.sudo():
            if asset.partner_id.commercial_partner_id != client:
                raise UserError(self.env._(
                    "%(asset)s stays an asset of %(client)s: an asset never moves to another client. Record the "
                    "other client's equipment as a new asset of theirs.",
                    asset=asset.display_name, client=asset.partner_id.display_name,
                ))

    def _it_check_audit_record(self, vals):
        """What a completed audit recorded of its assets is kept (``it.audit._it_check_open()``): none joins or
        leaves its inventory, none changes category, and none that was in service on the audit's day stops being so,
        nor the reverse. The rest is the client's living inventory: state, site, later retirement, warranty, notes."""
        names = AUDITED_FIELDS & vals.keys()
        if not names:
            return
        for asset in self.sudo():
            new = asset._it_written_values(vals, names)
            audit = new.get("audit_id", asset.audit_id)
            if audit != asset.audit_id:
                (audit | asset.audit_id)._it_check_open()
            elif audit.state == "done" and (
                new.get("category_id", asset.category_id) != asset.category_id
                or asset._it_in_service_on(audit.date) != asset._it_in_service_on(audit.date, new)
            ):
                audit._it_check_open()

    def _it_in_service_on(self, day, values=None):
        """Whether this asset, with ``values`` for its dates, counts in the inventory on ``day``."""
        self.ensure_one()
        dates = {name: (values or {}).get(name, self[name]) for name in ("date_in_service", "date_retired")}
        return bool(self.new(dates).filtered_domain(self._it_in_service_domain(day)))

    def _it_check_billed_inventory(self, vals):
        """The inventory of a month billed per asset is history (design rule 10): a change of an asset's client,
        category or service dates that would change the count of a month an issued invoice bills is refused
        (recorded in the chatter otherwise, with who and when)."""
        names = INVENTORY_FIELDS & vals.keys()
        if not names:
            return
        # only clients billed per asset have an inventory to keep: one look for the whole batch
        clients = self.sudo().partner_id | self.env["res.partner"].browse(vals.get("partner_id") or [])
        if not self.env["it.contract.line"].sudo().search_count(
                [("pricing", "=", "per_asset"), ("contract_id.partner_id", "in", clients.ids)], limit=1):
            return
        for asset in self.sudo():
            new = asset._it_written_values(vals, names)
            if all(asset[name] == value for name, value in new.items()):
                continue
            # the first day whose count changes: a moved date's earlier side, else the asset's whole life
            dates = [asset[name] or date.min for name in ("date_in_service",)] if names - {"date_retired"} else []
            if "date_retired" in names:
                dates += [day for day in (asset.date_retired, new["date_retired"]) if day]
            if "date_in_service" in names:
                dates += [new["date_in_service"] or date.min]
            if not dates:
                continue
            clients = asset.partner_id | new.get("partner_id", asset.partner_id)
            categories = asset.category_id | new.get("category_id", asset.category_id)
            self.env["account.move"].flush_model()
            billed = self.env.execute_query(SQL(
                """SELECT p.date_start FROM it_contract_period p
                     JOIN it_contract c ON c.id = p.contract_id
                    WHERE c.partner_id IN %s AND p.date_end >= %s
                      AND EXISTS (SELECT 1 FROM it_contract_line l WHERE l.contract_id = c.id
                                     AND l.pricing = 'per_asset' AND l.asset_category_id IN %s)
                      AND EXISTS (SELECT 1 FROM account_move WHERE it_period_id = p.id AND %s)
                    ORDER BY p.date_start LIMIT 1""",
                tuple(clients.ids), max(min(dates), date(1900, 1, 1)), tuple(categories.ids), SQL(ISSUED_INVOICE),
            ))
            if billed:
                raise ValidationError(self.env._(
                    "%(asset)s counts in the per-asset billing of %(month)s, which is invoiced already: its client, "
                    "category and service dates no longer change for that month. Date the change from this month on.",
                    asset=asset.display_name, month=format_date(self.env, billed[0][0], date_format="LLLL y"),
                ))

    @api.model
    def _it_in_service_domain(self, date):
        """Assets that count in the inventory on ``date``: in service by then and not yet retired."""
        return (Domain("date_in_service", "=", False) | Domain("date_in_service", "<=", date)) & (
            Domain("date_retired", "=", False) | Domain("date_retired", ">", date)
        )

    @api.readonly
    @api.model
    def get_import_templates(self):
        return [{
            "label": self.env._("Import Template for IT Assets"),
            "template": "/it_service_contracts/static/xls/it_asset_import_template.xlsx",
        }]

    @api.readonly
    def action_view_tasks(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("it_service_contracts.it_service_request_action")
        action["domain"] = [("it_asset_id", "=", self.id)]
        action["context"] = {"default_it_asset_id": self.id, "default_partner_id": self.partner_id.id}
        return action

    # ------------------------------------------------------------------ warranty and licence ends

    @api.model
    def _cron_warranty_activities(self):
        """One activity for the account manager per warranty or licence that ends within the company's horizon."""
        today = fields.Date.context_today(self)
        companies = self.env["res.company"].search([])
        due = Domain.OR(
            Domain("company_id", "=", company.id)
            & Domain("warranty_end", "<=", today + timedelta(days=company.it_warranty_horizon_days))
            for company in companies
        ) & Domain([
            ("warranty_end", ">=", today), ("date_retired", "=", False), ("warranty_activity_date", "=", False),
        ])

        def fetch(limit, exclude_ids):
            return self.search(due & Domain("id", "not in", list(exclude_ids)), limit=limit, order="warranty_end, id")

        self.env["it.cron.batch"]._it_run(
            fetch, lambda assets: assets._it_schedule_warranty_activities(), batch_size=200,
            responsible=lambda asset: asset._it_account_manager(), label=self.env._("Warranty and licence ends"),
        )

    def _it_account_manager(self):
        self.ensure_one()
        return self.partner_id.user_id or self.audit_id.user_id or self.env.ref("base.user_admin")

    def _it_schedule_warranty_activities(self):
        todo = self.env.ref("mail.mail_activity_data_todo")
        model = self.env["ir.model"]._get_id(self._name)
        self.env["mail.activity"].create([{
            "res_model_id": model,
            "res_id": asset.id,
            "activity_type_id": todo.id,
            "date_deadline": asset.warranty_end,
            "summary": self.env._("Warranty or licence ends: %(asset)s", asset=asset.display_name),
            "user_id": asset._it_account_manager().id,
        } for asset in self])
        for end, assets in self.grouped("warranty_end").items():
            assets._it_addon_write({"warranty_activity_date": end})
