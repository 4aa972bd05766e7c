"""The terms of a contract in force on a day, once amendments have changed them from an effective date.

The contract holds the terms in force now; each amendment in force keeps the terms it replaced. The terms on a
day are therefore those kept by the first amendment in force after that day, or the contract's own: one
look-up on the indexed effective dates (:meth:`_it_amendment_timeline`), never a replay of the history.
"""
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .it_contract_amendment import SCALAR_TERMS, SET_TERMS

AMENDMENT_GROUPS = "it_service_contracts.group_it_manager,account.group_account_invoice"


class ItContract(models.Model):
    _inherit = "it.contract"

    amendment_ids = fields.One2many(
        "it.contract.amendment", "contract_id", string="Amendments", readonly=True, groups=AMENDMENT_GROUPS,
    )
    amendment_count = fields.Integer(compute="_compute_amendment_count", groups=AMENDMENT_GROUPS)

    @api.depends("amendment_ids")
    def _compute_amendment_count(self):
        counts = dict(self.env["it.contract.amendment"].sudo()._read_group(
            [("contract_id", "in", self.ids)], ["contract_id"], ["__count"]))
        for contract in self:
            contract.amendment_count = counts.get(contract, 0)

    def action_new_amendment(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "res_model": "it.contract.amendment", "view_mode": "form",
            "name": self.env._("Amendment"), "context": {"default_contract_id": self.id},
        }

    def action_view_amendments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("it_service_contracts.it_contract_amendment_action")
        action.update(domain=[("contract_id", "=", self.id)], context={"default_contract_id": self.id})
        return action

    def _it_terms_snapshot(self, source=None):
        """The terms of this contract (or of ``source``, an amendment) as a plain dict, as amendments keep them."""
        self.ensure_one()
        record = (source or self).sudo()
        terms = {name: record[name] for name in SCALAR_TERMS}
        terms.update({name: sorted(record[name].ids) for name in SET_TERMS})
        terms["sla"] = {line.priority: [line.response_hours, line.resolution_hours] for line in record.sla_line_ids}
        return terms

    @api.model
    def _it_amendment_timeline(self, contract_ids, date_from):
        """``{contract id: [(effective date, terms before), ...]}`` of the amendments in force after
        ``date_from``, in date order: one query on the indexed effective dates."""
        if not contract_ids:
            return {}
        self.env["it.contract.amendment"].flush_model(["contract_id", "effective_date", "state", "terms_before"])
        rows = self.env.execute_query(SQL(
            """SELECT contract_id, effective_date, terms_before FROM it_contract_amendment
                WHERE contract_id IN %s AND state = 'in_force' AND effective_date > %s
                ORDER BY contract_id, effective_date""",
            tuple(contract_ids), date_from,
        ))
        timeline = {}
        for contract_id, effective_date, terms in rows:
            timeline.setdefault(contract_id, []).append((effective_date, terms))
        return timeline

    @api.model
    def _it_terms_at(self, current, timeline, day):
        """The terms on ``day``: those kept by the first amendment of ``timeline`` taking effect after it, else
        ``current``."""
        for effective_date, terms in timeline or ():
            if day < effective_date:
                return terms
        return current

    def _it_terms_on(self, day):
        """The terms of this contract in force on ``day`` (a snapshot dict)."""
        self.ensure_one()
        timeline = self._it_amendment_timeline(self.ids, day).get(self.id)
        return self._it_terms_at(None, timeline, day) or self._it_terms_snapshot()

    @api.model
    def _it_row_on(self, row, day):
        """A contract row of :meth:`_it_running_contracts` with the scope, places and included hours of ``day``."""
        terms = self._it_terms_at(None, row["amendments"], day)
        if not terms:
            return row
        return {**row, "product_ids": terms["service_product_ids"], "site_ids": terms["site_ids"],
                "remote_service": terms["remote_service"], "monthly_hours": terms["monthly_hours"]}

    @api.model
    def _it_included_cap(self, row, period, day):
        """The included hours a line of ``day`` draws up to: the month's, or in a month an amendment cuts in two,
        those of the line's own day."""
        month = day.replace(day=1)
        if any(effective.replace(day=1) == month for effective, _terms in row["amendments"]):
            return min(row["monthly_hours"], period["hours_included"])
        return period["hours_included"]

    @api.model
    def _it_month_segments(self, first, last, timeline):
        """The parts of [first, last] under the same terms: ``[(start, end, terms)]``, ``terms`` None where the
        contract's current terms apply."""
        cuts = [effective for effective, _terms in timeline or () if first < effective <= last]
        starts = [first, *cuts]
        ends = [cut - timedelta(days=1) for cut in cuts] + [last]
        return [(start, end, self._it_terms_at(None, timeline, start)) for start, end in zip(starts, ends, strict=True)]

    @api.model
    def _it_fee_segments(self, contract, first, last, timeline):
        """``[(start, end, monthly fee)]`` of [first, last]: one part per fee in force."""
        segments = []
        for start, end, terms in self._it_month_segments(first, last, timeline):
            fee = terms["monthly_fee"] if terms else contract.monthly_fee
            if segments and segments[-1][2] == fee:
                segments[-1] = (segments[-1][0], end, fee)
            else:
                segments.append((start, end, fee))
        return segments
