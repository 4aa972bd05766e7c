import polib
from lxml import etree

from odoo.modules.module import get_manifest
from odoo.tests import tagged
from odoo.tools.misc import file_path
from odoo.tools.translate import TranslationModuleReader

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

    def test_po_file_matches_a_fresh_export(self):
        """Every term the addon shows (fields, views, data, messages in the code) is translated, and the file
        keeps no term the addon no longer has: compared with what Odoo exports from the code now."""
        reader = TranslationModuleReader(self.env.cr, modules=["it_service_contracts"])
        demo = self._demo_xmlids()  # the demo is written in Polish and is not part of the translation
        exported = {
            source for module, _type, _name, res_id, source, _value, _comments in reader
            # a demo product's template has the product's xml id with a suffix
            if module == "it_service_contracts" and source and not str(res_id).startswith(demo)
        }
        self.assertIn("Hour Package", exported)
        po = polib.pofile(file_path(PO_FILE))
        translated = {entry.msgid for entry in po if entry.msgstr.strip() and not entry.fuzzy and not entry.obsolete}
        missing = sorted(exported - translated)
        self.assertFalse(missing, f"terms of the addon missing from {PO_FILE} (run make i18n and translate them)")
        stale = sorted({entry.msgid for entry in po} - exported)
        self.assertFalse(stale, f"terms of {PO_FILE} the addon no longer has (run make i18n)")

    @staticmethod
    def _demo_xmlids():
        """The records the demo creates (a demo file may also set a field of a data record, which stays)."""
        manifest = get_manifest("it_service_contracts")

        def xmlids(kind):
            found = set()
            for path in manifest[kind]:
                if path.endswith(".xml"):
                    tree = etree.parse(file_path(f"it_service_contracts/{path}"))
                    found.update(f"it_service_contracts.{xmlid}" for xmlid in tree.xpath("//record/@id"))
            return found

        return tuple(xmlids("demo") - xmlids("data"))

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
        with self.assertRefused(r"^Pakiet godzin jest ważny od 1 do 12 miesięcy"):
            self.env["it.contract"].create(self._contract_vals(validity_months=13))
        contract = self._create_contract().with_env(self.env)
        with self.assertRefused(r"^Pakiet godzin jest ważny od 1 do 12 miesięcy; jego data końcowa wynika z daty "
                                r"rozpoczęcia i okresu ważności\.$"):
            contract.validity_months = 13
        with self.assertRefused(r"^Umowa \S+ nie może się rozpocząć bez zakresu \(co najmniej jednej usługi\)\.$"):
            contract.write({"service_product_ids": [(5, 0, 0)]})
            contract.action_confirm()
