import re
from pathlib import Path

from odoo.tests import TransactionCase, tagged

DESIGN = Path(__file__).parent.parent / "readme" / "DESIGN.md"
# `model.name._method()` as the page names the method that holds a rule
METHOD = re.compile(r"`([a-z_]+(?:\.[a-z_]+)+)\.(_?[a-z_]+)\(\)`")


@tagged("post_install", "-at_install")
class TestDesignDoc(TransactionCase):
    def test_every_method_named_exists(self):
        named = METHOD.findall(DESIGN.read_text())
        self.assertGreater(len(named), 30, "the page names the method of every rule")
        missing = [f"{model}.{method}()" for model, method in named
                   if model not in self.env or not callable(getattr(self.env[model], method, None))]
        self.assertFalse(missing, f"{DESIGN.name} names methods that do not exist")
