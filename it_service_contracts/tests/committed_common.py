import logging

from odoo.modules.registry import Registry
from odoo.tests.common import BaseCase, get_db_name

_logger = logging.getLogger(__name__)

# what the workers of these tests run with: no chatter, as the scheduled actions
CONTEXT = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}


class CommittedCase(BaseCase):
    """A test of two workers at once: it needs real transactions, so it works on cursors of its own
    (``self.registry.cursor()``), commits, and removes what it created afterwards."""

    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())

    @staticmethod
    def _remove_each(cr, steps):
        """Run each clean-up step in a savepoint of its own: one that fails is logged and the others still run."""
        for step in steps:
            try:
                with cr.savepoint():
                    step()
            except Exception:
                _logger.warning("could not remove test data", exc_info=True)
