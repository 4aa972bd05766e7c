from odoo import api, models
from odoo.exceptions import AccessError

from ..models.it_money import MONEY_GROUPS


class ItMoneyDocumentReport(models.AbstractModel):
    """A document with the prices of a contract (the contract, an amendment): rendered for who sees money, and for
    the client through the portal. Refused to other employees, however it is asked for: Odoo also renders a mail
    template's reports as the system (the mail composer), where the fields' groups do not apply."""

    _name = "it.money.document.report"
    _description = "IT Document with Prices"
    _it_model = None

    @api.model
    def _get_report_values(self, docids, data=None):
        user = self.env.user
        if user._is_internal() and not (user._is_superuser() or user.has_groups(MONEY_GROUPS)):
            raise AccessError(self.env._(
                "%(model)s shows prices: only IT services managers and invoicing users print it.",
                model=self.env[self._it_model]._description,
            ))
        return {"doc_ids": docids, "doc_model": self._it_model, "docs": self.env[self._it_model].browse(docids)}


class ItContractDocumentReport(models.AbstractModel):
    _name = "report.it_service_contracts.report_it_contract_document"
    _inherit = "it.money.document.report"
    _description = "IT Contract Document Report"
    _it_model = "it.contract"


class ItContractAmendmentReport(models.AbstractModel):
    _name = "report.it_service_contracts.report_it_contract_amendment"
    _inherit = "it.money.document.report"
    _description = "IT Contract Amendment Report"
    _it_model = "it.contract.amendment"
