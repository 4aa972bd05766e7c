"""Run Odoo's own test suites of the given modules in a registry where it_service_contracts is loaded.

Odoo runs a module's at_install tests while it loads that module, before the modules that depend on it: on a
database where the addon is installed, `--test-tags /project` would exercise project.task without the addon's
code. This wrapper moves those modules' at_install tests to the post_install run, after the whole registry
(the addon included) is loaded, then starts the server as `python -m odoo` would with the remaining arguments:

    python tools/odoo_suites.py project,hr_timesheet -c odoo.conf -d DB --test-enable --stop-after-init ...
"""
import sys

from odoo.cli.command import main as odoo_main
from odoo.tests import loader

modules = set(sys.argv.pop(1).split(","))
make_suite = loader.make_suite


def make_suite_after_loading(module_names, position="at_install"):
    """At install: nothing of these modules. Post install: their at_install and post_install tests."""
    others = [name for name in module_names if name not in modules]
    ours = [name for name in module_names if name in modules]
    if position == "at_install":
        return make_suite(others, position)
    tests = list(make_suite(module_names, "post_install"))
    if ours:
        tests += list(make_suite(ours, "at_install"))
    return loader.OdooSuite(sorted(tests, key=lambda test: getattr(test, "test_sequence", 0)))


loader.make_suite = make_suite_after_loading
sys.argv[0] = "odoo"
odoo_main()
