from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestClickEverywhere(HttpCase):
    """Odoo's click bot, in Chromium, as the technician and the IT services manager: every menu of the IT
    services app they see, every view of every action, every filter, on the company of the database's data (the
    demo year where it is loaded). A view that fails to load, a filter that breaks a search or a menu the role
    may open but not read fails the test with the browser's error. (The accountant's two menus in Odoo's
    Invoicing app are gone through in ``test_role_navigation``: the bot would spend a minute on Odoo's own.)"""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.ref("base.user_admin").company_id
        lang = "pl_PL" if cls.env["res.lang"]._lang_get("pl_PL") else "en_US"
        common = {"lang": lang, "tz": "Europe/Warsaw", "company_id": company.id,
                  "company_ids": [Command.set(company.ids)]}
        cls.users = {
            "technician": new_test_user(cls.env, "click_technician",
                                        groups="base.group_user,it_service_contracts.group_it_technician", **common),
            "manager": new_test_user(cls.env, "click_manager", groups=(
                "base.group_user,it_service_contracts.group_it_manager,sales_team.group_sale_salesman"), **common),
        }
        cls.env["hr.employee"].create({
            "name": "Click Technician", "user_id": cls.users["technician"].id, "company_id": company.id,
        })

    def _click_everywhere(self, role, app_xmlid):
        user = self.users[role]
        if "tour_enabled" in user._fields:
            user.tour_enabled = False
        menus = self.env["ir.ui.menu"].with_user(user).load_menus(False)
        self.assertIn(self.env.ref(app_xmlid).id, menus["root"]["children"], f"the {role} sees the app")
        self.browser_js(
            "/odoo",
            "odoo.loader.modules.get('@web/webclient/clickbot/clickbot_loader')"
            f".startClickEverywhere('{app_xmlid}');",
            "odoo.isReady === true", login=user.login, timeout=600, success_signal="clickbot test succeeded",
        )

    def test_technician_it_services(self):
        self._click_everywhere("technician", "it_service_contracts.menu_it_root")

    def test_manager_it_services(self):
        self._click_everywhere("manager", "it_service_contracts.menu_it_root")
