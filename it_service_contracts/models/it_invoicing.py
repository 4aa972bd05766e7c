from collections import defaultdict
from contextlib import contextmanager
from functools import partial

import psycopg2

from odoo import Command, api, fields, models
from odoo.exceptions import ConcurrencyError, UserError
from odoo.tools import SQL

from .account_move import ISSUED_INVOICE

# what is invoiced already: an issued invoice (account_move.ISSUED_INVOICE, the unique indexes' condition)
ISSUED = SQL(ISSUED_INVOICE)


class ItInvoicing(models.AbstractModel):
    """Invoicing of the IT services (design rule 6): what is due, and the invoices that bill it.

    One place decides what is due (the scheduled action, the accountant's list and "invoice now" all ask
    here) and one builds the invoices. The database refuses a second issued invoice per contract month,
    package and request (unique indexes on ``account.move``), so that no run, re-run or second worker
    bills anything twice.
    """

    _name = "it.invoicing"
    _inherit = ["it.invoice.plan"]
    _description = "IT Services Invoicing"

    # ------------------------------------------------------------------ what is due

    @api.model
    def _it_invoicing_day_reached(self, today):
        """SQL condition on a flat contract ``x``: the run of ``today`` is on or after the contract's invoicing day
        of this month (1 to 28)."""
        return SQL(
            "%(today)s::date >= %(month)s::date + (LEAST(GREATEST(COALESCE(x.invoice_day, 1), 1), 28) - 1)",
            today=today, month=today.replace(day=1),
        )

    @api.model
    def _it_flat_due_months(self, today, where):
        """SQL of ``(contract id, month)``: every month a flat contract ran that the run of ``today`` bills and no
        issued invoice bills yet (design rule 10). The months run from the contract's first to the one the run
        bills (this month when invoiced in advance, the last one in arrears, from the invoicing day on); earlier
        months are caught up at once, however late the contract was activated and whatever runs were missed."""
        month = today.replace(day=1)
        return SQL(
            """SELECT x.id, billed.start, run.last FROM it_contract x
               CROSS JOIN LATERAL (SELECT CASE WHEN x.invoice_timing = 'arrears'
                                               THEN (%(month)s::date - INTERVAL '1 month')::date
                                               ELSE %(month)s::date END AS last) AS run
               CROSS JOIN LATERAL (SELECT generate_series(date_trunc('month', x.date_start), run.last,
                                                          INTERVAL '1 month')::date AS start) AS billed
                WHERE x.contract_type = 'monthly_flat' AND %(where)s
                  AND (x.state = 'active' OR (x.state IN ('expired', 'closed') AND x.date_end >= billed.start))
                  AND (billed.start < run.last OR %(day_reached)s)
                  AND x.date_start <= LEAST(%(today)s::date, (billed.start + INTERVAL '1 month - 1 day')::date)
                  AND (x.date_end IS NULL OR x.date_end >= billed.start)
                  AND NOT EXISTS (SELECT 1 FROM account_move
                                   -- one month, one period (unique): the issued invoice is then found through
                                   -- its unique partial index, not by reading every issued invoice
                                   WHERE it_period_id = (
                                       SELECT p.id FROM it_contract_period p
                                        WHERE p.contract_id = x.id AND p.date_start = billed.start)
                                     AND %(issued)s)""",
            where=where, month=month, today=today, issued=ISSUED, day_reached=self._it_invoicing_day_reached(today),
        )

    @api.model
    def _it_flat_settlements_due(self, today, where):
        """SQL of the ids of the flat contracts that ended before this month with overage left to bill and no
        month to bill it with: the last month's invoice went out before that time was worked (in advance) or
        logged. One more invoice bills it (and the service credits due), on the invoicing day of a month after
        the end, as the next month's invoice would have."""
        month = today.replace(day=1)
        return SQL(
            """SELECT x.id FROM it_contract x
                WHERE x.contract_type = 'monthly_flat' AND %(where)s
                  AND x.state IN ('active', 'expired', 'closed') AND x.date_end < %(month)s
                  AND %(day_reached)s
                  AND EXISTS (SELECT 1 FROM account_analytic_line l
                               WHERE l.it_contract_id = x.id AND l.it_billing_type = 'overage'
                                 AND l.it_invoice_id IS NULL AND l.date < %(month)s)""",
            where=where, month=month, day_reached=self._it_invoicing_day_reached(today),
        )

    @api.model
    def _it_billed_months(self, contracts, today):
        """``{contract: (first day of the earliest month due, of the last month the run of today bills)}`` of
        these flat contracts, for those with a month due; ``(None, None)`` for those with only their overage left
        to bill since they ended (``_it_flat_settlements_due``)."""
        if not contracts:
            return {}
        self.env.flush_all()
        where = SQL("x.id IN %s", tuple(contracts.ids))
        rows = self._it_query_months_due(SQL(
            "SELECT id, MIN(start), MIN(last) FROM (%s) AS due GROUP BY id", self._it_flat_due_months(today, where),
        ))
        months = {contracts.browse(contract_id): (month, last) for contract_id, month, last in rows}
        for (contract_id,) in self.env.execute_query(self._it_flat_settlements_due(today, where)):
            months.setdefault(contracts.browse(contract_id), (None, None))
        return months

    @api.model
    def _it_due_ids(self, kind, today, limit=None, exclude=(), ids=None):
        """Ids of the contracts (``package``, ``flat``) or requests (``adhoc``) the run of ``today`` invoices."""
        # a company invoices once its accounting is set up (it has a chart of accounts)
        conditions = [SQL("x.company_id IN (SELECT id FROM res_company WHERE chart_template IS NOT NULL)")]
        if exclude:
            conditions.append(SQL("x.id NOT IN %s", tuple(exclude)))
        if ids is not None:
            conditions.append(SQL("x.id IN %s", tuple(ids) or (0,)))
        where = SQL(" AND ").join(conditions)
        if kind == "package":
            query = SQL(
                # a package that has run: one whose invoice was cancelled or credited in full after it ended is
                # invoiced again, as a month or a job is
                """SELECT x.id FROM it_contract x
                    WHERE x.contract_type = 'hour_package' AND x.state IN ('active', 'expired', 'closed')
                      AND %(where)s
                      AND NOT EXISTS (SELECT 1 FROM account_move
                                       WHERE it_contract_id = x.id AND it_invoice_kind = 'package' AND %(issued)s)""",
                where=where, issued=ISSUED,
            )
        elif kind == "flat":
            query = SQL(
                "SELECT x.id FROM (SELECT id FROM (%s) AS due(id, start, last) UNION %s) AS x",
                self._it_flat_due_months(today, where), self._it_flat_settlements_due(today, where),
            )
        else:
            # an ad-hoc job at its quoted price, once; or the unbilled ad-hoc time of any request, at the ad-hoc
            # rate: an ad-hoc job's, time a manager reclassified as ad-hoc, time after the request's contract
            # ended, time logged after the request was invoiced and reopened
            query = SQL(
                """SELECT x.id FROM project_task x
                     LEFT JOIN project_task_type s ON s.id = x.stage_id
                    WHERE x.it_is_service_request AND %(where)s
                      AND (x.state = '1_done' OR (s.fold AND x.state != '1_canceled'))
                      AND ((x.it_is_adhoc AND x.it_price_agreement = 'fixed' AND x.it_fixed_price > 0
                            AND NOT EXISTS (SELECT 1 FROM account_move WHERE it_task_id = x.id AND %(issued)s))
                           OR (x.it_price_agreement IS DISTINCT FROM 'fixed' AND x.id IN (
                               SELECT l.task_id FROM account_analytic_line l
                                WHERE l.it_billing_type = 'adhoc' AND l.it_invoice_id IS NULL
                                  AND l.it_billable_hours > 0)))""",
                where=where, issued=ISSUED,
            )
        if limit:
            query = SQL("%s ORDER BY x.id LIMIT %s", query, limit)
        self.env.flush_all()
        rows = self._it_query_months_due(query) if kind == "flat" else self.env.execute_query(query)
        return [row[0] for row in rows]

    @api.model
    def _it_query_months_due(self, query):
        """Run a query on the flat months due without JIT compilation, for that query only: PostgreSQL guesses
        1,000 months a contract (generate_series) and would compile it, which at 20,000 contracts costs 0.3 s a
        batch, three times the query itself."""
        self.env.cr.execute(SQL("SET LOCAL jit = off"))
        rows = self.env.execute_query(query)
        self.env.cr.execute(SQL("SET LOCAL jit TO DEFAULT"))
        return rows

    @api.model
    def _it_model(self, kind):
        return self.env["project.task" if kind == "adhoc" else "it.contract"]

    @api.model
    def _it_kind(self, record):
        if record._name == "project.task":
            return "adhoc"
        return "package" if record.contract_type == "hour_package" else "flat"

    # ------------------------------------------------------------------ invoicing

    @api.model
    def _it_invoice(self, records, today=None):
        """Invoice what is due of these contracts or requests; return the invoices created."""
        self = self.sudo()
        today = today or fields.Date.context_today(self)
        moves = self.env["account.move"]
        by_kind = defaultdict(list)
        for record in records:
            by_kind[self._it_kind(record)].append(record.id)
        with self._it_invoiced_elsewhere():
            for kind, ids in by_kind.items():
                if kind == "flat":
                    moves |= self._it_invoice_months(self._it_model(kind).sudo().browse(ids), today)
                    continue
                due = self._it_model(kind).sudo().browse(self._it_due_ids(kind, today, ids=ids))
                if due:
                    moves |= self._it_create_invoices(getattr(self, f"_it_plan_{kind}")(due, today))
            self.env.flush_all()
        return moves

    @contextmanager
    def _it_invoiced_elsewhere(self):
        """A second issued invoice refused by the unique indexes of ``account.move`` while invoicing: what is due was
        read in this transaction's snapshot, which shows no issued invoice of it, so another transaction invoiced
        it and committed after that snapshot was taken. That is raised as a ``ConcurrencyError``, not as a bad
        record: Odoo's ``retrying`` runs the request again on a new snapshot, where it is no longer due (a
        scheduled run leaves it for its next run, ``it.cron.batch``)."""
        try:
            yield
        except psycopg2.IntegrityError as error:
            if not self.env["account.move"]._it_is_second_issued_invoice(error):
                raise
            # read by the user only if Odoo's retries are all spent
            raise ConcurrencyError(self.env._(
                "Another user invoiced this at the same moment (%(index)s). Open the list again: it is no longer due.",
                index=error.diag.constraint_name,
            )) from error

    @api.model
    def _it_invoice_months(self, contracts, today):
        """One invoice a month for these flat contracts, the earliest month due first, until the last month the
        run bills (the months a backdated or long unbilled contract ran are caught up)."""
        moves = self.env["account.move"]
        # the amendments whose day has come are in force before their months are billed, whichever scheduled
        # action runs first that day
        self.env["it.contract.amendment"].sudo().search([
            ("contract_id", "in", contracts.ids), ("state", "=", "confirmed"), ("effective_date", "<=", today),
        ], order="effective_date, id")._it_bring_in_force()
        billed = self._it_billed_months(contracts, today)
        while billed:
            moves |= self._it_create_invoices(self._it_plan_flat(billed, today))
            behind = [contract for contract, (month, last) in billed.items() if month and month < last]
            billed = self._it_billed_months(contracts.browse(contract.id for contract in behind), today)
        return moves

    @api.model
    def _it_invoice_now(self, records):
        """Invoice these now (Invoice Now, a request's completion, a package's start); one that cannot be invoiced
        gets an activity for whoever can fix it (``_it_responsible``), the rest go on. Return the invoices created.

        Two users (or a double click) invoicing the same record at once: the records are locked first, and one
        that another transaction holds, or that it invoiced since this transaction's snapshot (a unique index
        refuses the second invoice), raises a ``ConcurrencyError``: Odoo's ``retrying`` runs the request again once
        the other transaction has ended, and it finds nothing due. Never an activity for that.
        """
        moves = self.env["account.move"]
        if not records:
            return moves
        held = records - records.try_lock_for_update(allow_referencing=True)
        if held:
            # read by the user only if Odoo's retries are all spent (the other transaction runs on and on)
            raise ConcurrencyError(self.env._(
                "%(records)s is being invoiced or changed by another user at this moment: try again in a moment.",
                records=", ".join(held.sudo().mapped("display_name")),
            ))

        def process(batch):
            nonlocal moves
            moves |= self._it_invoice(batch)

        self.env["it.cron.batch"]._it_process_batch(
            records, process, partial(self._it_responsible, user=self.env.user), self.env._("Invoicing"))
        return moves.exists()

    @api.model
    def _it_responsible(self, record, user=None):
        """Who gets the activity of a record that cannot be invoiced: someone who can fix what stops it (a client's
        address, a product's income account), never a technician because the request is theirs. The company's
        invoicing user; else ``user``, who asked for the invoice now, if they are a billing user; else the
        contract's account manager (of a request: its contract's, else its project's manager)."""
        record = record.sudo()
        if record.company_id.it_invoice_user_id:
            return record.company_id.it_invoice_user_id
        if user and not user._is_superuser() and user._is_internal() \
                and user.has_group("account.group_account_invoice"):
            return user
        if record._name == "it.contract":
            return record.user_id
        return record.it_contract_id.user_id or record.project_id.user_id

    @api.model
    def _cron_invoice(self, batch_size=500):
        """Scheduled action: the completed ad-hoc jobs (and the ad-hoc time of completed requests), the packages
        and the monthly fees that are due."""
        today = fields.Date.context_today(self)
        batch = self.env["it.cron.batch"]
        for kind in ("adhoc", "package", "flat"):
            model = self._it_model(kind).sudo()
            batch._it_run(
                lambda limit, exclude, kind=kind, model=model: model.browse(
                    self._it_due_ids(kind, today, limit=limit, exclude=exclude)),
                lambda records: self._it_invoice(records, today),
                batch_size=batch_size, responsible=self._it_responsible, label=self.env._("Invoicing"),
            )

    # ------------------------------------------------------------------ the invoices

    @api.model
    def _it_check_plan(self, plan):
        record = plan["record"]
        partner = plan["partner"]
        if not (partner.street and partner.city):
            raise UserError(self.env._(
                "%(record)s cannot be invoiced: the client %(client)s has no address (street and city).",
                record=record.display_name, client=partner.display_name,
            ))
        for line in plan["lines"]:
            if not line["product"].with_company(plan["company"])._get_product_accounts()["income"]:
                raise UserError(self.env._(
                    "%(record)s cannot be invoiced: the product %(product)s has no income account.",
                    record=record.display_name, product=line["product"].display_name,
                ))

    @api.model
    def _it_create_invoices(self, plans):
        moves = self.env["account.move"]
        by_company = defaultdict(list)
        for plan in plans:
            self._it_check_plan(plan)
            by_company[plan["company"]].append(plan)
        for company, company_plans in by_company.items():
            created = self._it_move_model(company).create(
                self._it_invoice_values(company, company_plans)).with_env(self.env)
            for plan, move in zip(company_plans, created, strict=True):
                if plan["timesheets"]:
                    plan["timesheets"]._it_set_invoice(move)
                if plan["credited_tasks"]:
                    plan["credited_tasks"]._it_addon_write({"it_credit_move_id": move.id})
                if plan["period"]:
                    plan["period"].invoice_id = move
            if company.it_invoice_auto_post:
                created.action_post()
            moves |= created
        return moves

    @api.model
    def _it_move_model(self, company):
        """``account.move`` as the run creates the invoices of ``company`` in one batch: linked to their contract,
        month or request, they need no "created" note nor tracking of their first values in the chatter."""
        return self.env["account.move"].sudo()._it_addon_env().with_company(company).with_context(
            default_move_type="out_invoice", mail_create_nolog=True, mail_create_nosubscribe=True,
            tracking_disable=True,
        )

    @api.model
    def _it_invoice_values(self, company, plans):
        """The values of the draft invoices of these plans of ``company``, as ``account.move.create()`` takes them."""
        journal = company.it_invoice_journal_id or self.env["account.journal"].search([
            *self.env["account.journal"]._check_company_domain(company), ("type", "=", "sale"),
        ], limit=1)
        vals_list = []
        for plan in plans:
            distribution = {str(plan["analytic"].id): 100.0} if plan["analytic"] else False
            vals_list.append({
                "move_type": "out_invoice",
                "partner_id": plan["partner"].id,
                "company_id": company.id,
                "invoice_origin": plan["contract"].name or plan["record"].display_name,
                "journal_id": journal.id,
                **plan["links"],
                "invoice_line_ids": [Command.create({
                    "product_id": line["product"].id,
                    "name": line["name"],
                    "quantity": line["quantity"],
                    "price_unit": line["price_unit"],
                    "analytic_distribution": distribution,
                    "it_period_id": line.get("it_period_id", False),
                }) for line in plan["lines"]],
            })
        return vals_list
