from odoo import api, models


class ItUsageStatementReport(models.AbstractModel):
    """The usage statement of an invoice: printed by who may read the invoice (an accountant of its company, the
    client's contact through the portal), never by another employee or for another company's moves, whichever way
    it is asked for (the print menu, /report/ links)."""

    _name = "report.it_service_contracts.report_it_usage_statement"
    _description = "IT Usage Statement Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        moves = self.env["account.move"].browse(docids)
        moves.check_access("read")
        return {"doc_ids": moves.ids, "doc_model": "account.move", "docs": moves}
