from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, format_date

from .it_money import MONEY_GROUPS


class ItContractPeriod(models.Model):
    """One month of a flat contract: the included hours, how many were used, and the overage.

    Periods are created by themselves (by a daily scheduled action and whenever time is first logged in a
    month); the hours used and the overage are the sums of their timesheet lines (drawn through
    ``it.hours.pool``).
    """

    _name = "it.contract.period"
    _inherit = ["it.protected.fields.mixin"]
    _description = "IT Contract Month"
    _order = "date_start desc, contract_id"
    _check_company_auto = True
    _it_protected_fields = frozenset({
        "contract_id", "date_start", "date_end", "hours_included", "hours_used", "hours_overage",
    })

    contract_id = fields.Many2one(
        "it.contract", string="Contract", required=True, readonly=True, index=True, ondelete="cascade",
        domain="[('contract_type', '=', 'monthly_flat')]",
    )
    partner_id = fields.Many2one(related="contract_id.partner_id", store=True, string="Client")
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    date_start = fields.Date(string="Month", required=True, readonly=True)
    date_end = fields.Date(string="Last Day", required=True, readonly=True)
    month_name = fields.Char(compute="_compute_month_name", string="Month Name")
    hours_included = fields.Float(string="Included Hours", readonly=True)
    hours_used = fields.Float(
        string="Included Hours Used", compute="_compute_hours", help="Billable time drawn from this month's included "
        "hours.",
    )
    hours_remaining = fields.Float(string="Included Hours Left", compute="_compute_hours_remaining")
    hours_overage = fields.Float(
        string="Overage Hours", compute="_compute_hours", search="_search_hours_overage",
        help="Billable time beyond the included hours (and any hour package), billed at the contract rate.",
    )
    invoice_id = fields.Many2one(
        "account.move", string="Invoice", readonly=True, copy=False, index="btree_not_null", ondelete="set null",
        groups=MONEY_GROUPS,
    )
    timesheet_ids = fields.One2many("account.analytic.line", "it_period_id", string="Timesheets", readonly=True)
    is_current = fields.Boolean(compute="_compute_is_current", search="_search_is_current", string="Current Month")

    _contract_month_uniq = models.Constraint(
        "UNIQUE(contract_id, date_start)", "A flat contract has one period per month.",
    )
    _check_dates = models.Constraint(
        "CHECK(date_end >= date_start AND hours_included >= 0)",
        "A contract month ends after it starts and includes no fewer than zero hours.",
    )

    def _it_protected_message(self, names):
        return self.env._(
            "The months of a flat contract and their hours (%(fields)s) are kept by the contract and its timesheets.",
            fields=", ".join(names),
        )

    @api.depends("contract_id.name", "date_start")
    def _compute_display_name(self):
        for period in self:
            period.display_name = (
                f"{period.contract_id.name} {period.date_start:%Y-%m}" if period.date_start else period.contract_id.name
            )

    @api.depends("date_start")
    @api.depends_context("lang")
    def _compute_month_name(self):
        """The month as a heading reads it in the reader's language ("grudzień 2026", "December 2026")."""
        for period in self:
            period.month_name = period.date_start and format_date(self.env, period.date_start, date_format="LLLL y")

    def _get_report_base_filename(self):
        """The file name of the month's client report (the portal's download link)."""
        self.ensure_one()
        return self.display_name

    @api.depends("timesheet_ids.it_billable_hours", "timesheet_ids.it_billing_type")
    def _compute_hours(self):
        """The sums of the month's lines, as this transaction sees them (one query for all the months)."""
        sums = {
            (period.id, billing_type): hours for period, billing_type, hours in
            self.env["account.analytic.line"].sudo()._read_group(
                [("it_period_id", "in", self._origin.ids), ("it_billing_type", "in", ("included", "overage"))],
                ["it_period_id", "it_billing_type"], ["it_billable_hours:sum"],
            )
        }
        for period in self:
            period.hours_used = sums.get((period._origin.id, "included"), 0.0)
            period.hours_overage = sums.get((period._origin.id, "overage"), 0.0)

    def _search_hours_overage(self, operator, value):
        """Months by their overage: compared on the sums of their overage lines (a month without any has none)."""
        if operator not in ("=", "!=", ">", ">=", "<", "<=") or not isinstance(value, (int, float)):
            return NotImplemented
        sql_operator = SQL({"=": "=", "!=": "<>", ">": ">", ">=": ">=", "<": "<", "<=": "<="}[operator])
        return Domain("id", "in", SQL(
            """SELECT p.id FROM it_contract_period p
                WHERE COALESCE((SELECT SUM(l.it_billable_hours) FROM account_analytic_line l
                                 WHERE l.it_period_id = p.id AND l.it_billing_type = 'overage'), 0) %s %s""",
            sql_operator, value,
        ))

    @api.depends("hours_included", "hours_used")
    def _compute_hours_remaining(self):
        for period in self:
            period.hours_remaining = max(period.hours_included - period.hours_used, 0.0)

    def _compute_is_current(self):
        today = fields.Date.context_today(self)
        for period in self:
            period.is_current = period.date_start <= today <= period.date_end

    def _search_is_current(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            return NotImplemented
        today = fields.Date.context_today(self)
        domain = Domain("date_start", "<=", today) & Domain("date_end", ">=", today)
        return domain if (operator == "=") == value else ~domain

    @api.readonly
    def action_view_timesheets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hr_timesheet.timesheet_action_all")
        action.update(domain=[("it_period_id", "=", self.id)], context={"create": False})
        return action

    # ------------------------------------------------------------------ maintenance by the timesheets

    @api.model
    def _it_month(self, day):
        start = day.replace(day=1)
        return start, start + relativedelta(months=1, days=-1)

    @api.model
    def _it_ensure_periods(self, keys):
        """Create the missing periods for (contract id, first day of month) keys; safe under concurrency.

        ``INSERT .. ON CONFLICT DO NOTHING`` waits for a concurrent transaction creating the same month and,
        if it committed, fails with a serialization error that makes Odoo retry, instead of a duplicate.
        """
        if not keys:
            return
        self.flush_model()
        rows = [SQL("(%s, %s::date, %s::date)", contract_id, start, self._it_month(start)[1])
                for contract_id, start in sorted(keys)]
        self.env.cr.execute(SQL(
            """INSERT INTO it_contract_period (contract_id, partner_id, company_id, date_start, date_end,
                                              hours_included, create_uid, write_uid, create_date, write_date)
               SELECT c.id, c.partner_id, c.company_id, v.date_start, v.date_end,
                      COALESCE(c.monthly_hours, 0),
                      %(uid)s, %(uid)s, NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
                 FROM (VALUES %(rows)s) AS v(contract_id, date_start, date_end)
                 JOIN it_contract c ON c.id = v.contract_id
                ORDER BY c.id, v.date_start
               ON CONFLICT (contract_id, date_start) DO NOTHING
               RETURNING id""",
            uid=self.env.uid, rows=SQL(", ").join(rows),
        ))
        # a month made after an amendment changed the hours (a backdated contract, a late run) has those in force
        # in it, not today's
        self.browse(row[0] for row in self.env.cr.fetchall())._it_set_included_hours()

    @api.model
    def _it_update_included_hours(self, contract, effective_date):
        """The months of ``contract`` from ``effective_date`` on get the included hours of the terms in force
        then (:meth:`_it_set_included_hours`)."""
        self.search([("contract_id", "=", contract.id), ("date_end", ">=", effective_date)])._it_set_included_hours()

    def _it_set_included_hours(self):
        """These months get the included hours of the terms in force in them; a month an amendment cuts in two
        keeps the larger of both (each line draws up to the hours of its own day, see the timesheet
        classification). One query for the amendments of all their contracts."""
        if not self:
            return
        Contract = self.env["it.contract"]
        timelines = Contract._it_amendment_timeline(self.contract_id.ids, min(self.mapped("date_start")))
        for period in self:
            contract = period.contract_id
            included = max(
                terms["monthly_hours"] if terms else contract.monthly_hours
                for _start, _end, terms in Contract._it_month_segments(
                    period.date_start, period.date_end, timelines.get(contract.id))
            )
            if included != period.hours_included:
                period._it_addon_write({"hours_included": included})

    @api.model
    def _it_periods(self, keys, known=None):
        """The periods of (contract id, first day of month) keys, created when missing.

        :param known: the periods of these keys that exist, read already (``{key: {"id", "hours_included"}}``,
            every existing one of ``keys`` among them); read here when not given
        :return: {key: {"id", "hours_included"}}
        """
        if not keys:
            return {}
        found = self._it_read_periods(keys) if known is None else {key: known[key] for key in keys if key in known}
        missing = set(keys) - set(found)
        if missing:
            self._it_ensure_periods(missing)
            found.update(self._it_read_periods(missing))
        return found

    @api.model
    def _it_read_periods(self, keys):
        self.flush_model(["contract_id", "date_start", "hours_included"])
        rows = self.env.execute_query_dict(SQL(
            """SELECT id, contract_id, date_start, COALESCE(hours_included, 0) AS hours_included
                 FROM it_contract_period WHERE (contract_id, date_start) IN %s""",
            tuple(sorted(keys)),
        ))
        return {(row.pop("contract_id"), row.pop("date_start")): row for row in rows}

    # ------------------------------------------------------------------ cron

    @api.model
    def _cron_create_periods(self, batch_size=500):
        """Open this month's period of every running flat contract (idempotent, batched)."""
        today = fields.Date.context_today(self)
        start, _end = self._it_month(today)
        Contract = self.env["it.contract"]
        domain = Domain("contract_type", "=", "monthly_flat") & Contract._it_running_condition(start, today) & Domain(
            "period_ids", "not any", [("date_start", "=", start)])
        self.env["it.cron.batch"]._it_run(
            lambda limit, exclude: Contract.search(domain & Domain("id", "not in", list(exclude)), limit=limit,
                                                   order="id"),
            lambda contracts: self._it_ensure_periods({(contract.id, start) for contract in contracts}),
            batch_size=batch_size, responsible=lambda contract: contract.user_id, label=self.env._("Contract months"),
            remaining=lambda exclude: Contract.search_count(domain & Domain("id", "not in", list(exclude))),
        )
