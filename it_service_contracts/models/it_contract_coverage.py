"""Coverage: which running contracts cover a piece of work, and in which order their hours are drawn.

Design rule 4, decided here only: request routing, the timesheet classification and the client's figures ask
these methods. A contract covers work on a day when it runs that day, the work is at one of its sites (or
remote, if it offers remote support) and its service is in the contract's scope. Hours are drawn from this
month's included hours of a flat contract first, then from the hour package that expires first.
"""
from odoo import api, fields, models
from odoo.fields import Domain


class ItContract(models.Model):
    _inherit = "it.contract"

    @api.model
    def _it_running_domain(self, clients, companies=None, day=None):
        """The contracts of these clients (commercial entities) running on ``day`` (default: any day)."""
        domain = Domain([
            ("partner_id", "in", clients.commercial_partner_id.ids), ("state", "=", "active"),
            ("company_id", "in", (companies or self.env.companies).ids),
        ])
        if day:
            domain &= Domain([("date_start", "<=", day), "|", ("date_end", "=", False), ("date_end", ">=", day)])
        return domain

    @api.model
    def _it_coverage_terms(self, contracts):
        """The terms coverage looks at, as :meth:`_it_running_contracts` returns them for the classification."""
        return [{
            "id": contract.id, "partner_id": contract.partner_id.id, "company_id": contract.company_id.id,
            "contract_type": contract.contract_type, "date_start": contract.date_start,
            "date_end": contract.date_end, "remote_service": contract.remote_service,
            "product_ids": contract.service_product_ids.ids, "site_ids": contract.site_ids.ids,
        } for contract in contracts.sudo()]

    @api.model
    def _it_coverage_gap(self, terms, site, service, day=None):
        """Why a contract with these ``terms`` does not cover work at ``site`` (empty: remote) on ``service``
        on ``day``; an empty string when it does."""
        def name():
            return self.browse(terms["id"]).sudo().name

        if day and (day < terms["date_start"] or (terms["date_end"] and day > terms["date_end"])):
            return self.env._("Contract %(contract)s does not run on %(day)s.", contract=name(), day=day)
        if site and site.id not in terms["site_ids"]:
            return self.env._(
                "Site %(site)s is outside the places of contract %(contract)s.",
                site=site.display_name, contract=name(),
            )
        if not site and not terms["remote_service"]:
            return self.env._("Contract %(contract)s does not cover remote support; choose a site.", contract=name())
        if service and service.id not in terms["product_ids"]:
            return self.env._(
                "Service %(service)s is outside the scope of contract %(contract)s.",
                service=service.display_name, contract=name(),
            )
        return ""

    @api.model
    def _it_draw_order(self, terms_list):
        """Rule 4's order: the flat contract (its month's included hours) first, then the packages that expire
        first."""
        return sorted(terms_list, key=lambda terms: (
            terms["contract_type"] != "monthly_flat", terms["date_end"] or fields.Date.to_date("9999-12-31"),
            terms["id"],
        ))

    @api.model
    def _it_covering(self, client, company, site, service, day=None):
        """The running contracts of ``client`` in ``company`` that cover the work, in rule 4's order: the first
        gives a request its contract and response times, and time is drawn across them in this order."""
        if not client:
            return self.browse()
        day = day or fields.Date.context_today(self)
        contracts = self.sudo().search(self._it_running_domain(client, company, day))
        covering = [
            terms for terms in self._it_coverage_terms(contracts)
            if not self._it_coverage_gap(terms, site, service, day)
        ]
        return self.browse([terms["id"] for terms in self._it_draw_order(covering)])

    def _it_coverage_problem(self, site, service, day=None):
        """Why this contract does not cover the work ('' when it does)."""
        self.ensure_one()
        return self._it_coverage_gap(self._it_coverage_terms(self)[0], site, service, day)
