"""Coverage and terms: which running contracts cover a piece of work, under the terms in force on its day, and
in which order their hours are drawn.

Design rule 4, decided here only: request routing, the timesheet classification and the client's figures ask
these methods. A contract covers work on a day when it runs that day, the work is at one of its sites (or
remote, if it offers remote support) and its service is in the contract's scope. Hours are drawn from this
month's included hours of a flat contract first, then from the hour package that expires first.

Amendments change a contract's terms from an effective date. The contract holds the terms in force now; each
amendment in force keeps the terms it replaced. The terms on a day are therefore those kept by the first amendment
in force after that day, or the contract's own: one look-up on the indexed effective dates
(:meth:`_it_amendment_timeline`), never a replay of the history.
"""
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, format_amount, format_date, format_duration, formatLang, ormcache

from .it_contract_amendment import SCALAR_TERMS, SET_TERMS
from .it_money import MONEY_GROUPS


class ItContract(models.Model):
    _inherit = "it.contract"

    amendment_ids = fields.One2many(
        "it.contract.amendment", "contract_id", string="Amendments", readonly=True, groups=MONEY_GROUPS,
    )
    amendment_count = fields.Integer(compute="_compute_amendment_count", groups=MONEY_GROUPS)

    @api.depends("amendment_ids")
    def _compute_amendment_count(self):
        counts = dict(self.env["it.contract.amendment"].sudo()._read_group(
            [("contract_id", "in", self.ids)], ["contract_id"], ["__count"]))
        for contract in self:
            contract.amendment_count = counts.get(contract, 0)

    def _it_version_history(self):
        """The original terms, then each amendment in order of its effective date, with its state; the changes
        of the rate and the fee only for who sees money."""
        rows = super()._it_version_history()
        states = dict(self.env["it.contract.amendment"]._fields["state"]._description_selection(self.env))
        money = self.env.su or self.env.user.has_groups(MONEY_GROUPS)
        for amendment in self.sudo().amendment_ids.sorted(lambda a: (a.effective_date, a.id)):
            before, after = amendment.terms_before or self._it_terms_snapshot(), self._it_terms_snapshot(amendment)
            details = "; ".join(
                f"{term}: {old} → {new}" for term, old, new in self._it_terms_changes(before, after, money=money))
            if not details:
                details = self.env._("rates or fees changed") if self._it_terms_changes(before, after) \
                    else self.env._("no term changes")
            rows.append((amendment.name, format_date(self.env, amendment.effective_date),
                         states.get(amendment.state, ""), details))
        return rows

    def action_new_amendment(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "res_model": "it.contract.amendment", "view_mode": "form",
            "name": self.env._("Amendment"), "context": {"default_contract_id": self.id},
        }

    @api.readonly
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

    def _it_terms_changes(self, before, after, money=True):
        """``[(term, before, after)]`` of the terms that differ between two snapshots, as the user reads them;
        without ``money``, those that are money (the rate, the fee: fields with groups) are left out."""
        self.ensure_one()
        skip = {"monthly_fee", "monthly_hours", "out_of_hours_response_hours"} \
            if self.contract_type == "hour_package" else {"hours_total"}
        rows = []
        for name in (*SCALAR_TERMS, *SET_TERMS):
            field = self._fields[name]
            if name in skip or before.get(name) == after.get(name) or (field.groups and not money):
                continue
            values = (before.get(name), after.get(name))
            if name in SET_TERMS:
                model = self.env[field.comodel_name].sudo()
                shown = [", ".join(model.browse(ids or []).mapped("display_name")) or "-" for ids in values]
            elif field.type == "boolean":
                shown = [self.env._("yes") if value else self.env._("no") for value in values]
            elif field.type == "monetary":
                shown = [format_amount(self.env, value or 0.0, self.currency_id) for value in values]
            elif name.endswith("_hours") or name.startswith("hours_"):
                shown = [format_duration(value or 0.0) for value in values]
            else:
                shown = [formatLang(self.env, value or 0.0) for value in values]
            rows.append((field._description_string(self.env), *shown))
        priorities = dict(self.env["it.contract.sla"]._fields["priority"]._description_selection(self.env))
        for priority in sorted(set(before.get("sla", {})) | set(after.get("sla", {}))):
            old, new = before.get("sla", {}).get(priority), after.get("sla", {}).get(priority)
            if old != new:
                rows.append((
                    self.env._("Response / resolution, %s", priorities.get(priority, priority)),
                    " / ".join(map(format_duration, old)) if old else "-",
                    " / ".join(map(format_duration, new)) if new else "-",
                ))
        return rows

    def _it_changes_html(self, rows):
        if not rows:
            return Markup("<p>%s</p>") % self.env._("No term changes.")
        return Markup(
            "<table class='table table-sm o_it_term_changes'><thead><tr><th>%s</th><th>%s</th><th>%s</th></tr>"
            "</thead><tbody>%s</tbody></table>"
        ) % (self.env._("Term"), self.env._("Before"), self.env._("After"),
             Markup("").join(Markup("<tr><td>%s</td><td>%s</td><td>%s</td></tr>") % row for row in rows))

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
        """A contract row of :meth:`_it_covering_contracts` with the scope, places and included hours of ``day``."""
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

    # ------------------------------------------------------------------ coverage

    @api.model
    def _it_running_condition(self, date_from=None, date_to=None):
        """What a running contract is, the one place it is written: active, and valid at some point between
        ``date_from`` and ``date_to`` (on that day when only ``date_from`` is given; any day without dates)."""
        domain = Domain("state", "=", "active")
        if date_from:
            domain &= Domain("date_end", "=", False) | Domain("date_end", ">=", date_from)
        if date_from or date_to:
            domain &= Domain("date_start", "<=", date_to or date_from)
        return domain

    @api.model
    def _it_running_domain(self, clients, companies=None, day=None):
        """The contracts of these clients (commercial entities) running on ``day`` (default: any day), in
        ``companies`` (default: the user's)."""
        return Domain([
            ("partner_id", "in", clients.commercial_partner_id.ids),
            ("company_id", "in", (companies or self.env.companies).ids),
        ]) & self._it_running_condition(day)

    @api.model
    def _it_running_on(self, keys):
        """``{(client, company, day): contracts}``: for each key, the contracts ``_it_running_domain`` gives for
        that client, company and day, found by one search for all the keys (a batch of requests is many clients
        and days), as the system: who works a request does not read contracts."""
        Contract = self.sudo()
        keys = {key for key in keys if key[0]}
        if not keys:
            return {}
        days = [day for _client, _company, day in keys]
        companies = self.env["res.company"].union(*(company or self.env.companies for _client, company, _day in keys))
        candidates = Contract.search(
            self._it_running_domain(self.env["res.partner"].union(*(client for client, _company, _day in keys)),
                                    companies)
            & self._it_running_condition(min(days), max(days))
        ).grouped("partner_id")
        return {
            (client, company, day): candidates.get(client.commercial_partner_id, Contract).filtered_domain(
                self._it_running_domain(client, company, day))
            for client, company, day in keys
        }

    @api.model
    def _it_covering_condition(self, date_from, date_to):
        """The contracts whose terms bill the time worked between the dates: those running then, and a flat
        contract that ran on some of those days and has ended since (expired or closed): time logged or corrected
        late is billed on its months, which are invoiced up to its end, its last overage on a final invoice. Not a
        package that has ended: its unused hours were settled when it did."""
        ended_flat = Domain([
            ("contract_type", "=", "monthly_flat"), ("state", "in", ("expired", "closed")),
            ("date_start", "<=", date_to), ("date_end", ">=", date_from),
        ])
        return self._it_running_condition(date_from, date_to) | ended_flat

    @api.model
    @ormcache("date_from", "date_to")
    def _it_covering_where(self, date_from, date_to):
        """:meth:`_it_covering_condition` between the dates as a WHERE clause on ``it_contract``, compiled by the
        ORM once per pair of dates: compiling the domain costs more than the classification's query that uses it."""
        return self.sudo()._search(self._it_covering_condition(date_from, date_to)).where_clause

    @api.model
    def _it_covering_contracts(self, client_ids, date_from, date_to, also=None):
        """The contracts covering time of these clients between the dates (:meth:`_it_covering_condition`), with
        their scope, places, hours and months (the ``periods`` of flat contracts that exist in those months), read
        in one query for the timesheet classification. Nothing is locked: what a line draws is decided by
        ``it.hours.pool``.

        :param also: ``(WITH item, columns)`` (``SQL``) that ride on the same statement, one round trip fewer;
            their columns come with every row
        """
        if not client_ids:
            return []
        self.flush_model()
        self.env["it.contract.amendment"].flush_model(["contract_id", "effective_date", "state", "terms_before"])
        self.env["it.contract.period"].flush_model(["contract_id", "date_start", "hours_included"])
        with_item, columns = also or (SQL(), SQL())
        first_month = date_from.replace(day=1)
        rows = self.env.execute_query_dict(SQL(
            """%s
               SELECT it_contract.id, it_contract.partner_id, it_contract.company_id, it_contract.contract_type,
                      it_contract.date_start, it_contract.date_end,
                      COALESCE(it_contract.remote_service, FALSE) AS remote_service,
                      COALESCE(it_contract.billing_increment, 0) AS billing_increment,
                      COALESCE(it_contract.onsite_minimum_hours, 0) AS onsite_minimum_hours,
                      COALESCE(it_contract.hours_available, 0) AS hours_available,
                      COALESCE(it_contract.usage_warning_percent, 0) AS usage_warning_percent,
                      ARRAY(SELECT r.product_id FROM it_contract_service_product_rel r
                             WHERE r.contract_id = it_contract.id) AS product_ids,
                      ARRAY(SELECT s.partner_id FROM it_contract_site_rel s
                             WHERE s.contract_id = it_contract.id) AS site_ids,
                      COALESCE(it_contract.monthly_hours, 0) AS monthly_hours,
                      COALESCE(it_contract.approval_required, FALSE) AS approval_required,
                      ARRAY(SELECT jsonb_build_array(a.effective_date, a.terms_before) FROM it_contract_amendment a
                             WHERE a.contract_id = it_contract.id AND a.state = 'in_force' AND a.effective_date > %s
                             ORDER BY a.effective_date) AS amendments,
                      ARRAY(SELECT jsonb_build_array(p.id, p.date_start, COALESCE(p.hours_included, 0))
                              FROM it_contract_period p
                             WHERE p.contract_id = it_contract.id AND p.date_start BETWEEN %s AND %s) AS periods
                      %s
                 FROM it_contract
                WHERE it_contract.partner_id IN %s AND %s
                ORDER BY it_contract.id""",
            with_item,
            # the amendments from the first month of the period on: a month they cut decides each line's hours
            first_month, first_month, date_to, SQL(", %s", columns) if columns else SQL(),
            tuple(client_ids), self._it_covering_where(date_from, date_to),
        ))
        for row in rows:
            row["amendments"] = [(fields.Date.to_date(day), terms) for day, terms in row["amendments"]]
            row["periods"] = {
                fields.Date.to_date(day): {"id": period_id, "hours_included": included}
                for period_id, day, included in row["periods"]
            }
        return rows

    @api.model
    def _it_coverage_terms(self, contracts):
        """The terms coverage looks at, as :meth:`_it_covering_contracts` returns them for the classification."""
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
    def _it_covering(self, client, company, site, service, day=None, running=None):
        """The running contracts of ``client`` in ``company`` that cover the work, in rule 4's order: the first
        gives a request its contract and response times, and time is drawn across them in this order.

        :param running: the client's contracts running that day in that company, when the caller found them
            already (for a batch of requests at once); else they are searched
        """
        if not client:
            return self.browse()
        day = day or fields.Date.context_today(self)
        if running is None:
            running = self.sudo().search(self._it_running_domain(client, company, day))
        covering = [
            terms for terms in self._it_coverage_terms(running)
            if not self._it_coverage_gap(terms, site, service, day)
        ]
        return self.browse([terms["id"] for terms in self._it_draw_order(covering)])

    def _it_coverage_problem(self, site, service, day=None):
        """Why this contract does not cover the work ('' when it does)."""
        self.ensure_one()
        return self._it_coverage_gap(self._it_coverage_terms(self)[0], site, service, day)
