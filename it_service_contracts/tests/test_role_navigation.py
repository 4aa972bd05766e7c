from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo import Command, fields
from odoo.exceptions import AccessError, RedirectWarning
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import datetime as safe_datetime
from odoo.tools.safe_eval import safe_eval

from .common import ItServiceCommon


@tagged("post_install", "-at_install")
class TestRoleNavigation(ItServiceCommon):
    """Whatever a role is shown, it can open: from the forms of its daily work, every smart button and every link
    to another record leads to a list and a form that role can read, as the web client reads them (the views the
    role gets, then ``web_search_read`` and ``web_read`` of their fields). The click bot opens menus and lists; this
    follows the forms' buttons and links, two steps deep."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.context_today(cls.env["it.contract"])
        users = {"technician": "it_service_contracts.group_it_technician",
                 # who sells the contracts has the sales rights the contracts' quotations and analytic accounts need
                 "manager": "it_service_contracts.group_it_manager,sales_team.group_sale_salesman",
                 "accountant": "account.group_account_invoice"}
        cls.users = {
            role: new_test_user(cls.env, f"nav_{role}", groups=f"base.group_user,{groups}", company_id=cls.company.id,
                                company_ids=[Command.set(cls.company.ids)])
            for role, groups in users.items()
        }
        cls.env["hr.employee"].create({
            "name": "Nav Technician", "user_id": cls.users["technician"].id, "company_id": cls.company.id,
        })
        cls.package = cls._active_contract(hours_total=10.0, date_start=today, site_ids=[Command.set(cls.site_a.ids)])
        cls.flat = cls._active_contract("monthly_flat", date_start=today, monthly_hours=10.0,
                                        site_ids=[Command.set(cls.site_b.ids)])
        cls.request = cls._routed_request(cls.package, "Printer jammed", cls.site_a)
        cls.env["account.analytic.line"].with_user(cls.users["technician"]).create({
            "name": "Cleared the jam", "task_id": cls.request.id, "unit_amount": 1.0, "date": today,
        })
        cls.plan = cls.env["it.maintenance.plan"].create({
            "name": "Monthly check", "contract_id": cls.flat.id, "date_start": today, "interval_type": "month",
            "user_id": cls.users["technician"].id,
        })
        # invoices of the company, for the accountant's and the invoices button's tests
        cls.env["account.chart.template"].try_loading("generic_coa", company=cls.company, install_demo=False)
        # the categories are shared by the companies of the database; their service, of this company here
        cls.workstation_category.service_product_id = cls.service_support
        cls.asset = cls.audit.asset_ids[:1]
        cls.asset.write({"partner_id": cls.client.id})
        cls.follow_up = cls.env["project.task"].create({
            "name": "Asset follow-up", "project_id": cls.package.project_id.id, "partner_id": cls.client.id,
            "it_asset_id": cls.asset.id,
        })

    def test_invoice_button_counts_what_the_user_may_open(self):
        """The contract's invoices button is the accountant's, and counts what its list shows; the manager who
        sells, who may read their own invoices only (Odoo's salesperson rule), is not shown one that leads to an
        empty list."""
        self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.client.id, "company_id": self.company.id,
            "it_contract_id": self.package.id, "invoice_user_id": self.env.ref("base.user_admin").id,
            "invoice_line_ids": [Command.create({"name": "Hours", "quantity": 1.0, "price_unit": 100.0})],
        })
        accountant = self.users["accountant"]
        contract = self.package.with_user(accountant)
        self.assertEqual(contract.invoice_count, 1)
        self.assertEqual(self.env["account.move"].with_user(accountant).search_count(
            contract.action_view_invoices()["domain"]), 1)
        for role, shown in (("manager", False), ("accountant", True), ("technician", False)):
            with self.subTest(role=role):
                arch = self.env["it.contract"].with_user(self.users[role]).get_views([(False, "form")])
                self.assertEqual("action_view_invoices" in arch["views"]["form"]["arch"], shown)

    # ------------------------------------------------------------------ the web client, as the role

    def _specification(self, views, model, view_type):
        """What the web client reads of ``model`` for a view: the fields of its arch (as the role gets it, without
        what the role's groups hide), the display name of relations."""
        fields_info = views["models"][model]["fields"]
        spec = {}
        for node in etree.fromstring(views["views"][view_type]["arch"]).xpath("//field[@name]"):
            name = node.get("name")
            if node.xpath("ancestor::field") or name not in fields_info:
                continue
            kind = fields_info[name]["type"]
            if kind == "many2one":
                spec[name] = {"fields": {"display_name": {}}}
            elif kind in ("many2many", "one2many"):  # a page of the related records, as the web client asks it
                spec[name] = {"fields": {"display_name": {}}, "limit": 40}
            elif kind != "properties":  # read with its definition by the web client; not a link
                spec[name] = {}
        return spec

    def _open_form(self, user, model, record_id, view_id=False):
        """Open a record's form (``view_id``: the action's) as the role; return the form's arch and the values
        read, or raise."""
        self.env.invalidate_all()  # read from the database, as a new request does
        Model = self.env[model].with_user(user)
        views = Model.get_views([(view_id, "form")])
        values = Model.browse(record_id).web_read(self._specification(views, model, "form"))[0]
        return views["views"]["form"]["arch"], values

    def _open_action(self, user, action, record):
        """Open an action a button gave, as the web client does: its views, the first records of its list, then
        the form of the first (or of the action's record). Returns ``(model, record id, form view)`` of the form
        opened, if any."""
        model = action["res_model"]
        Model = self.env[model].with_user(user)
        modes = [mode for _view_id, mode in action.get("views") or []] or action.get("view_mode", "list").split(",")
        views = [(view_id or False, mode) for view_id, mode in action.get("views") or [(False, m) for m in modes]]
        if "form" not in modes:
            views.append((False, "form"))
        result = Model.get_views(views)
        if action.get("res_id"):
            target = action["res_id"]
        else:
            domain = action.get("domain") or []
            if isinstance(domain, str):
                domain = safe_eval(domain, {
                    "uid": user.id, "active_id": record.id, "active_ids": record.ids,
                    "context_today": fields.Date.today, "allowed_company_ids": self.company.ids,
                })
            first = next(mode for mode in modes if mode != "form") if set(modes) - {"form"} else "form"
            listed = Model.web_search_read(domain, self._specification(result, model, first), limit=3)
            target = listed["records"][0]["id"] if listed["records"] else None
        form_view = {mode: view_id for view_id, mode in views}.get("form", False)
        if target:
            self._open_form(user, model, target, form_view)
        return (model, target, form_view) if target else None

    def _follow(self, user, model, record_id, view_id, way, failures):
        """Open this form as the role, then what its smart buttons and its links lead to; returns the records
        reached (each opened, with the form it opened in), adds what failed to ``failures``, named by the way
        that led to it."""
        try:
            arch, values = self._open_form(user, model, record_id, view_id)
        except AccessError as error:
            failures.append(f"{way}: {str(error).splitlines()[0]}")
            return []
        record = self.env[model].with_user(user).browse(record_id)
        tree = etree.fromstring(arch)
        steps = []
        for button in tree.xpath("//div[@name='button_box']//button[@name]"):
            name, kind = button.get("name"), button.get("type")
            if kind in ("object", "action"):
                steps.append((f"button {name}", kind, name))
        fields_info = self.env[model].fields_get(attributes=["type", "relation"])
        for node in tree.xpath("//field[@name]"):
            if node.xpath("ancestor::field") or "no_open" in (node.get("options") or "") or node.xpath(
                    "ancestor-or-self::*[@invisible='1' or @invisible='True']"):
                continue  # a list inside the form, a relation shown without a link, or not shown
            name = node.get("name")
            if fields_info.get(name, {}).get("type") == "many2one" and values.get(name):
                steps.append((f"link {name}", "link", name))
        reached = []
        for how, kind, name in steps:
            try:
                if kind == "link":  # the web client asks the linked record which form to open
                    relation = self.env[fields_info[name]["relation"]].with_user(user)
                    target = self._open_action(user, relation.browse(values[name]["id"]).get_formview_action(), record)
                else:
                    if kind == "object":
                        action = getattr(record, name)()
                    elif name.isdigit():
                        action = self.env["ir.actions.act_window"].sudo().browse(int(name))._get_action_dict()
                    else:
                        action = self.env["ir.actions.actions"].sudo()._for_xml_id(name)
                    if not (isinstance(action, dict) and action.get("res_model")):
                        continue
                    target = self._open_action(user, action, record)
            except (AccessError, RedirectWarning) as error:
                failures.append(f"{way} > {how}: {str(error).splitlines()[0]}")
                continue
            if target:
                reached.append((f"{way} > {how} > {target[0]},{target[1]}", target))
        return reached

    def _addon_forms(self):
        """The forms the addon makes or adds to: its models, the service requests and the client."""
        return {name for name, model in self.env.registry.items() if name.startswith("it.") and not model._abstract} \
            | {"project.task", "res.partner"}

    def _walk(self, role, starts):
        """Every form two steps from ``starts`` opens for the role."""
        user = self.users[role]
        failures = []
        seen = set()
        queue = [(f"{model},{record_id}", (model, record_id, False)) for model, record_id in starts]
        for _depth in range(2):
            next_queue = []
            for way, (model, record_id, view_id) in queue:
                if (model, record_id) in seen:
                    continue
                seen.add((model, record_id))
                next_queue += self._follow(user, model, record_id, view_id, way, failures)
            # Odoo's own forms are opened (above) but not walked: what they show is Odoo's business
            queue = [(way, target) for way, target in next_queue if target[0] in self._addon_forms()]
        self.assertFalse(failures, f"the {role} is shown what they cannot open:\n" + "\n".join(failures))
        return seen

    # ------------------------------------------------------------------ the roles

    def test_accountant(self):
        """From an invoice and a package's ledger, the accountant reaches the request as its summary (Odoo's
        task form needs Project rights); no button leads them to the service desk's screens."""
        invoice = self.env["account.move"]._it_addon_create([{
            "move_type": "out_invoice", "partner_id": self.client.id, "company_id": self.company.id,
            "it_contract_id": self.package.id, "it_task_id": self.request.id,
            "invoice_line_ids": [Command.create({"name": "Ad-hoc job", "quantity": 1.0, "price_unit": 100.0})],
        }])
        ledger = self.env["it.contract.ledger"].search([
            ("contract_id", "=", self.package.id), ("task_id", "!=", False)])
        self.assertTrue(ledger, "the request's hours are in the package's ledger")
        seen = self._walk("accountant", [
            ("account.move", invoice.id), ("it.contract.ledger", ledger[0].id),
            ("it.contract", self.package.id), ("it.contract", self.flat.id), ("it.asset", self.asset.id),
            ("it.maintenance.plan", self.plan.id), ("it.audit", self.audit.id), ("res.partner", self.client.id),
        ])
        self.assertIn(("project.task", self.request.id), seen)
        # the address of a request typed in the browser: the service desk's action, its form view
        summary = self.env.ref("it_service_contracts.project_task_view_form_summary")
        action = self.env.ref("it_service_contracts.it_service_request_action")._get_action_dict()
        for role, form in (("accountant", summary), ("technician", self.env.ref("project.view_task_form2"))):
            with self.subTest(role=role):
                arch, values = self._open_form(self.users[role], "project.task", self.request.id,
                                               {mode: view for view, mode in action["views"]}["form"])
                self.assertEqual(arch, self.env["project.task"].with_user(self.users[role]).get_view(
                    form.id, "form")["arch"])
                self.assertEqual(values["id"], self.request.id)

    def test_accountant_menus(self):
        """The addon's two menus in the accountant's Invoicing app, as the click bot would go through them: each
        view of the action, then every filter of its search view (Odoo's own menus of the app are Odoo's)."""
        accountant = self.users["accountant"]
        for xmlid in ("it_service_contracts.menu_account_it_invoice_due",
                      "it_service_contracts.menu_account_it_service_report"):
            with self.subTest(menu=xmlid):
                menu = self.env.ref(xmlid).with_user(accountant)
                self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(accountant)._visible_menu_ids())
                action = menu.action.sudo()
                if action._name == "ir.actions.server":
                    action = action.with_user(accountant).with_context(active_model=None).run()
                else:
                    action = action._get_action_dict()
                model = action["res_model"]
                Model = self.env[model].with_user(accountant)
                modes = [mode for _view_id, mode in action["views"]]
                views = Model.get_views([*action["views"], (False, "search")])  # every view of the action
                listed = next(mode for mode in modes if mode in ("list", "kanban"))
                spec = self._specification(views, model, listed)
                Model.web_search_read([], spec, limit=80)
                search = etree.fromstring(views["views"]["search"]["arch"])
                for node in search.xpath("//filter[@domain]"):
                    domain = safe_eval(node.get("domain"), {
                        # what the web client gives a search view's domains
                        "uid": accountant.id, "context_today": fields.Date.today,
                        "datetime": safe_datetime, "relativedelta": relativedelta,
                    })
                    Model.web_search_read(domain, spec, limit=80)

    def test_technician(self):
        seen = self._walk("technician", [
            ("it.contract", self.package.id), ("it.asset", self.asset.id), ("it.maintenance.plan", self.plan.id),
            ("project.task", self.request.id), ("res.partner", self.client.id),
        ])
        self.assertIn(("project.task", self.request.id), seen, "the contract's requests are reached from it")
        # the Requests button counts what it lists: the requests the contract serves, wherever they are filed
        # (the asset's follow-up, in the package's project, is served by the flat contract, which covers it)
        technician = self.users["technician"]
        for contract, served in ((self.package, self.request), (self.flat, self.follow_up)):
            with self.subTest(contract=contract.name):
                contract = contract.with_user(technician)
                listed = self.env["project.task"].with_user(technician).search(
                    contract.action_view_requests()["domain"])
                self.assertEqual(listed, served)
                self.assertEqual(contract.request_count, 1)
        self.assertEqual(self.follow_up.project_id, self.package.project_id)

    def test_manager(self):
        self._walk("manager", [
            ("it.contract", self.package.id), ("it.contract", self.flat.id), ("it.asset", self.asset.id),
            ("it.maintenance.plan", self.plan.id), ("it.audit", self.audit.id), ("project.task", self.request.id),
        ])
