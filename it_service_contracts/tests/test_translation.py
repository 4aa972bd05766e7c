import polib

from odoo.tests import tagged
from odoo.tools.misc import file_path

from .common import ItServiceCommon

PO_FILE = "it_service_contracts/i18n/pl.po"


@tagged("post_install", "-at_install")
class TestTranslation(ItServiceCommon):
    """The Polish translation is complete and is what a Polish user reads."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("pl_PL")
        cls.env["ir.module.module"]._load_module_terms(["it_service_contracts"], ["pl_PL"], overwrite=True)

    def test_po_file_is_complete(self):
        po = polib.pofile(file_path(PO_FILE))
        self.assertEqual(po.metadata.get("Language"), "pl")
        self.assertTrue(po.metadata.get("Plural-Forms", "").startswith("nplurals=3;"))
        self.assertGreater(len(po), 100)
        missing = [entry.msgid for entry in po if not entry.msgstr.strip() or entry.fuzzy or entry.obsolete]
        self.assertFalse(missing, f"untranslated, fuzzy or obsolete entries in {PO_FILE}; translate them")

    def test_ui_terms_in_polish(self):
        Contract = self.env["it.contract"].with_context(lang="pl_PL")
        contract_type = Contract.fields_get(["contract_type"], ["string", "selection"])["contract_type"]
        self.assertEqual(contract_type["string"], "Typ")
        self.assertEqual(dict(contract_type["selection"])["hour_package"], "Pakiet godzin")
        self.assertEqual(dict(contract_type["selection"])["monthly_flat"], "Zryczałtowana opłata miesięczna")
        self.assertEqual(self.env.ref("it_service_contracts.menu_it_root").with_context(lang="pl_PL").name, "Usługi IT")
        self.assertEqual(self.env["ir.model"].with_context(lang="pl_PL")._get("it.contract").name, "Umowa serwisowa IT")

    def test_refusals_in_polish(self):
        self.env = self.env(context=dict(self.env.context, lang="pl_PL"))
        # refused by the database constraint or the Python one, whichever comes first: both speak Polish
        with self.assertRefused(r"^Pakiet godzin jest ważny od 1 do 12 miesięcy"):
            self.env["it.contract"].create(self._contract_vals(validity_months=13))
        contract = self._create_contract().with_env(self.env)
        with self.assertRefused(r"^Pakiet godzin jest ważny od 1 do 12 miesięcy, a nie 13\.$"):
            contract.validity_months = 13
        with self.assertRefused(r"^Umowa \S+ nie może się rozpocząć bez zakresu \(co najmniej jednej usługi\)\.$"):
            contract.write({"service_product_ids": [(5, 0, 0)]})
            contract.action_confirm()
