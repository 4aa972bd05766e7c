from contextvars import ContextVar

from odoo import models

# the invoices a "Reverse and Create Invoice" of this process is correcting, in the order Odoo copies them (a Python
# variable, not a context key, which any caller over RPC could set)
_CORRECTED = ContextVar("it_invoices_corrected", default=None)


class AccountMoveReversal(models.TransientModel):
    """Odoo's *Reverse and Create Invoice* credits an invoice in full and drafts a copy to correct: for an invoice of
    the IT services, the copy bills what the credited one billed (its month, package or job, and its time), so that
    the next run does not bill it a second time."""

    _inherit = "account.move.reversal"

    def reverse_moves(self, is_modify=False):
        if not is_modify:
            return super().reverse_moves(is_modify=is_modify)
        billed = {
            move: (
                self.env["account.analytic.line"].sudo().search([("it_invoice_id", "=", move.id)]),
                self.env["project.task"].sudo().search([("it_credit_move_id", "=", move.id)]),
            )
            for move in self.move_ids.sudo().filtered("it_invoice_kind")
        }
        originals = []
        token = _CORRECTED.set(originals)
        try:
            action = super().reverse_moves(is_modify=is_modify)
        finally:
            _CORRECTED.reset(token)
        # Odoo copies the invoices in the order it asked for their defaults, and the copies' ids follow the order
        # they were created in
        copies = self.new_move_ids.sudo().sorted("id")
        if len(copies) == len(originals):
            for original, copy in zip(originals, copies, strict=True):
                if original in billed:
                    copy._it_take_over_billing(original.sudo(), *billed[original])
        return action

    def _modify_default_reverse_values(self, origin_move):
        originals = _CORRECTED.get()
        if originals is not None:
            originals.append(origin_move)
        return super()._modify_default_reverse_values(origin_move)
