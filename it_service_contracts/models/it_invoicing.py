import calendar
from collections import defaultdict
from datetime import datetime, time, timedelta

import pytz

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date

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
    _description = "IT Services Invoicing"

    # ------------------------------------------------------------------ what is due

    @api.model
    def _it_flat_due_months(self, today, where):
        """SQL of ``(contract id, month)``: every month a flat contract ran that the run of ``today`` bills and no
        issued invoice bills yet (design rule 10). The months run from the contract's first to the one the run
        bills (this month when invoiced in advance, the last one in arrears, from the invoicing day on); earlier
        months are caught up at once, however late the contract was activated and whatever runs were missed."""
        month = today.replace(day=1)
        return SQL(
            """SELECT x.id, billed.start FROM it_contract x
               CROSS JOIN LATERAL (SELECT CASE WHEN x.invoice_timing = 'arrears'
                                               THEN (%(month)s::date - INTERVAL '1 month')::date
                                               ELSE %(month)s::date END AS last) AS run
               CROSS JOIN LATERAL (SELECT generate_series(date_trunc('month', x.date_start), run.last,
                                                          INTERVAL '1 month')::date AS start) AS billed
                WHERE x.contract_type = 'monthly_flat' AND %(where)s
                  AND (x.state = 'active' OR (x.state IN ('expired', 'closed') AND x.date_end >= billed.start))
                  AND (billed.start < run.last OR %(today)s::date
                       >= %(month)s::date + (LEAST(GREATEST(COALESCE(x.invoice_day, 1), 1), 28) - 1))
                  AND x.date_start <= LEAST(%(today)s::date, (billed.start + INTERVAL '1 month - 1 day')::date)
                  AND (x.date_end IS NULL OR x.date_end >= billed.start)
                  AND NOT EXISTS (SELECT 1 FROM account_move
                                   WHERE it_period_id IN (
                                       SELECT p.id FROM it_contract_period p
                                        WHERE p.contract_id = x.id AND p.date_start = billed.start)
                                     AND %(issued)s)""",
            where=where, month=month, today=today, issued=ISSUED,
        )

    @api.model
    def _it_billed_months(self, contracts, today):
        """``{contract: first day of the earliest month the run of today bills}`` of these flat contracts."""
        if not contracts:
            return {}
        self.env.flush_all()
        rows = self.env.execute_query(SQL(
            "SELECT id, MIN(start) FROM (%s) AS due GROUP BY id",
            self._it_flat_due_months(today, SQL("x.id IN %s", tuple(contracts.ids))),
        ))
        return {contracts.browse(contract_id): month for contract_id, month in rows}

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
                """SELECT x.id FROM it_contract x
                    WHERE x.contract_type = 'hour_package' AND x.state = 'active' AND %(where)s
                      AND NOT EXISTS (SELECT 1 FROM account_move
                                       WHERE it_contract_id = x.id AND it_invoice_kind = 'package' AND %(issued)s)""",
                where=where, issued=ISSUED,
            )
        elif kind == "flat":
            query = SQL("SELECT DISTINCT x.id FROM (%s) AS x(id, start)", self._it_flat_due_months(today, where))
        else:
            query = SQL(
                """SELECT x.id FROM project_task x
                     LEFT JOIN project_task_type s ON s.id = x.stage_id
                    WHERE x.it_is_adhoc AND %(where)s
                      AND (x.state = '1_done' OR (s.fold AND x.state != '1_canceled'))
                      AND ((x.it_price_agreement = 'fixed' AND x.it_fixed_price > 0)
                           OR (x.it_price_agreement IS DISTINCT FROM 'fixed' AND EXISTS (
                               SELECT 1 FROM account_analytic_line l
                                WHERE l.task_id = x.id AND l.it_billing_type = 'adhoc' AND l.it_invoice_id IS NULL
                                  AND l.it_billable_hours > 0)))
                      AND NOT EXISTS (SELECT 1 FROM account_move WHERE it_task_id = x.id AND %(issued)s)""",
                where=where, issued=ISSUED,
            )
        if limit:
            query = SQL("%s ORDER BY x.id LIMIT %s", query, limit)
        self.env.flush_all()
        return [row[0] for row in self.env.execute_query(query)]

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
        for kind, ids in by_kind.items():
            due = self._it_model(kind).sudo().browse(self._it_due_ids(kind, today, ids=ids))
            while due:
                plans = getattr(self, f"_it_plan_{kind}")(due, today)
                moves |= self._it_create_invoices(plans)
                # a flat contract has one invoice a month: the months still due (caught up) come next
                due = due.browse(self._it_due_ids(kind, today, ids=due.ids)) if kind == "flat" else None
        return moves

    @api.model
    def _it_invoice_now(self, records):
        """Invoice these now; one that cannot be invoiced gets an activity for the accountant, the rest go on.
        Return the invoices created."""
        moves = self.env["account.move"]
        if not records:
            return moves

        def process(batch):
            nonlocal moves
            moves |= self._it_invoice(batch)

        self.env["it.cron.batch"]._it_process_batch(records, process, self._it_responsible, self.env._("Invoicing"))
        return moves.exists()

    @api.model
    def _it_responsible(self, record):
        company = record.company_id
        return company.it_invoice_user_id or (record.user_id if record._name == "it.contract" else record.user_ids[:1])

    @api.model
    def _cron_invoice(self, batch_size=500):
        """Scheduled action: the completed ad-hoc jobs, the packages and the monthly fees that are due."""
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

    # ------------------------------------------------------------------ what each invoice bills

    @api.model
    def _it_plan(self, record, contract, partner, company, analytic, lines, **extra):
        return {
            "record": record, "contract": contract, "partner": partner, "company": company,
            "analytic": analytic, "lines": lines, "timesheets": extra.pop("timesheets", None),
            "credited_tasks": extra.pop("credited_tasks", None), "period": extra.pop("period", None),
            "links": extra,
        }

    @api.model
    def _it_plan_package(self, packages, today):
        plans = []
        for package in packages:
            env = self.with_context(lang=package.partner_id.lang or self.env.lang).env  # the client's language
            hours = package.hours_total - package.hours_rolled_over
            if hours <= 0 and not package.package_price_agreed:
                raise UserError(self.env._(
                    "Hour package %(name)s cannot be invoiced: it has no hours bought (%(hours)s h).",
                    name=package.name, hours=round(hours, 2),
                ))
            name = env._(
                "Hour package %(name)s: %(hours)s h, valid %(start)s to %(end)s",
                name=package.name, hours=round(hours, 2), start=format_date(env, package.date_start),
                end=format_date(env, package.date_end),
            )
            if package.hours_rolled_over:
                name += "\n" + env._(
                    "%(hours)s h carried over from %(previous)s are included and not billed again.",
                    hours=round(package.hours_rolled_over, 2), previous=package.previous_contract_id.name,
                )
            if package.package_price_agreed:
                line = {"quantity": 1.0, "price_unit": package.package_price_agreed}
            else:
                line = {"quantity": hours, "price_unit": package.hourly_rate}
            plans.append(self._it_plan(
                package, package, package.partner_id, package.company_id, package.analytic_account_id,
                [dict(line, product=package.fee_product_id, name=name)],
                it_contract_id=package.id, it_invoice_kind="package",
            ))
        return plans

    @api.model
    def _it_plan_adhoc(self, tasks, today):
        Line = self.env["account.analytic.line"].sudo()
        timesheets = Line.search([
            ("task_id", "in", tasks.ids), ("it_billing_type", "=", "adhoc"), ("it_invoice_id", "=", False),
        ], order="date, id")
        by_task = timesheets.grouped("task_id")
        default_product = self.env.ref("it_service_contracts.product_it_adhoc")
        plans = []
        for task in tasks:
            env = self.with_context(lang=task.partner_id.lang or self.env.lang).env
            task_lines = by_task.get(task, Line)
            product = task.it_service_product_id or default_product
            if task.it_price_agreement == "fixed":
                lines = [{"product": product, "quantity": 1.0, "price_unit": task.it_fixed_price,
                          "name": env._("%(job)s (quoted fixed price)", job=task.name)}]
            else:
                detail = "\n".join(
                    f"{format_date(env, line.date)}  {line.employee_id.name or line.user_id.name}  "
                    f"{line.it_billable_hours:.2f} h" for line in task_lines
                )
                lines = [{"product": product, "quantity": sum(task_lines.mapped("it_billable_hours")),
                          "price_unit": task.company_id.it_adhoc_hourly_rate,
                          "name": f"{task.name}: {product.name}\n{detail}"}]
            plans.append(self._it_plan(
                task, task.it_contract_id, task.partner_id.commercial_partner_id, task.company_id,
                task.project_id.account_id, lines, timesheets=task_lines,
                it_task_id=task.id, it_invoice_kind="adhoc",
            ))
        return plans

    @api.model
    def _it_plan_flat(self, contracts, today):
        """The month's fee (prorated by days), the recurring services, the overage hours of the months that
        have ended, and the service credits of their breached response times."""
        run_month = today.replace(day=1)
        billed = self._it_billed_months(contracts, today)
        contracts = contracts.filtered(lambda contract: contract in billed)
        Period = self.env["it.contract.period"].sudo()
        Period._it_ensure_periods({(contract.id, month) for contract, month in billed.items()})
        periods = {
            (period.contract_id.id, period.date_start): period
            for period in Period.search([
                ("contract_id", "in", contracts.ids), ("date_start", "in", list(set(billed.values()))),
            ])
        }
        timesheets = self.env["account.analytic.line"].sudo().search([
            ("it_contract_id", "in", contracts.ids), ("it_billing_type", "in", ("included", "overage")),
            ("it_invoice_id", "=", False), ("date", "<", run_month),
        ], order="date, id")
        timesheets_by_contract = timesheets.grouped("it_contract_id")
        breaches = self._it_breached_requests(contracts.filtered("service_credit_percent"), run_month)
        # the terms each day of the billed months was under, for contracts amended since (one query)
        timelines = self.env["it.contract"]._it_amendment_timeline(contracts.ids, min(billed.values()))
        overage_product = self.env.ref("it_service_contracts.product_it_overage")
        credit_product = self.env.ref("it_service_contracts.product_it_service_credit")
        plans = []
        for contract in contracts:
            month = billed[contract]
            if contract.monthly_fee and not contract.fee_product_id:
                raise UserError(self.env._(
                    "Contract %s cannot be invoiced: it has a monthly fee but no fee product.", contract.name,
                ))
            env = self.with_context(lang=contract.partner_id.lang or self.env.lang).env
            days = calendar.monthrange(month.year, month.month)[1]
            first = max(contract.date_start, month)
            last = min(contract.date_end or month.replace(day=days), month.replace(day=days))
            covered = (last - first).days + 1
            label = format_date(env, month, date_format="LLLL y")
            lines = []
            timeline = timelines.get(contract.id)
            for start, end, fee in self.env["it.contract"]._it_fee_segments(contract, first, last, timeline):
                if not fee:
                    continue
                part = (end - start).days + 1
                name = env._("Monthly fee %(contract)s, %(month)s", contract=contract.name, month=label)
                if part < days:
                    name += " " + env._("(%(covered)s of %(days)s days)", covered=part, days=days)
                    if start != first or end != last:
                        name += " " + env._("from %(start)s to %(end)s", start=format_date(env, start),
                                            end=format_date(env, end))
                lines.append({"product": contract.fee_product_id, "name": name, "quantity": 1.0,
                              "price_unit": contract.currency_id.round(fee * part / days)})
            for service in contract.line_ids:
                quantity = service._it_monthly_quantity(month)
                if quantity:
                    lines.append({
                        "product": service.product_id, "name": f"{service.name} ({label})", "quantity": quantity,
                        "price_unit": contract.currency_id.round(service.price_unit * covered / days),
                    })
            contract_lines = timesheets_by_contract.get(contract, self.env["account.analytic.line"])
            overage = contract_lines.filtered(lambda line: line.it_billing_type == "overage")
            def rate_on(line, timeline=timeline, contract=contract):
                terms = self.env["it.contract"]._it_terms_at(None, timeline, line.date)
                return terms["hourly_rate"] if terms else contract.hourly_rate

            by_month_and_rate = overage.grouped(lambda line: (line.it_period_id, rate_on(line)))
            for (period, rate), period_lines in by_month_and_rate.items():
                hours = sum(period_lines.mapped("it_billable_hours"))
                detail = "\n".join(
                    f"{format_date(env, line.date)}  {line.employee_id.name or line.user_id.name}  "
                    f"{line.task_id.name or ''}  {line.it_billable_hours:.2f} h" for line in period_lines
                )
                lines.append({
                    "product": overage_product, "quantity": hours, "price_unit": rate,
                    "it_period_id": period.id,
                    "name": env._(
                        "Hours beyond the %(included)s h included in %(month)s (%(contract)s)",
                        included=round(period.hours_included, 2), contract=contract.name,
                        month=format_date(env, period.date_start, date_format="LLLL y"),
                    ) + "\n" + detail,
                })
            credited = self.env["project.task"]
            for breach_month, tasks in sorted(breaches.get(contract.id, {}).items()):
                share = len(tasks) * contract.service_credit_percent
                if contract.service_credit_cap_percent:
                    share = min(share, contract.service_credit_cap_percent)
                lines.append({
                    "product": credit_product, "quantity": 1.0,
                    "price_unit": -contract.currency_id.round(contract.monthly_fee * share / 100.0),
                    "name": env._(
                        "Service credit for %(month)s: response time breached on %(requests)s",
                        month=format_date(env, breach_month, date_format="LLLL y"),
                        requests=", ".join(tasks.mapped("display_name")),
                    ),
                })
                credited |= tasks
            plans.append(self._it_plan(
                contract, contract, contract.partner_id, contract.company_id, contract.analytic_account_id, lines,
                timesheets=contract_lines, credited_tasks=credited, period=periods[contract.id, month],
                it_contract_id=contract.id, it_period_id=periods[contract.id, month].id, it_invoice_kind="flat",
            ))
        return plans

    @api.model
    def _it_breached_requests(self, contracts, before):
        """{contract id: {month: requests}}: requests whose response time was breached in a month before
        ``before`` and not credited yet (the clock's ``_it_response_breached`` decides among those whose response
        deadline fell before). The month is the one of the contract's service calendar's time zone, as the
        client counts it."""
        if not contracts:
            return {}
        # a day more than the month's end in UTC: every time zone's month is among the candidates
        limit = datetime.combine(before, time.min) + timedelta(days=1)
        rows = self.env.execute_query(SQL(
            """SELECT t.id
                 FROM project_task t JOIN it_contract c ON c.id = t.it_contract_id
                WHERE t.it_contract_id IN %s AND t.it_credit_move_id IS NULL AND t.active
                  AND t.sla_response_deadline < %s AND t.sla_response_deadline >= c.date_start""",
            tuple(contracts.ids), limit,
        ))
        tasks = self.env["project.task"].sudo().browse(task_id for (task_id,) in rows)
        tasks.fetch(["it_contract_id", "sla_response_deadline", "first_response_date", "sla_resolution_date"])
        zones = {
            contract.id: pytz.timezone(contract.service_calendar_id.tz or contract.company_id.resource_calendar_id.tz
                                       or "UTC")
            for contract in contracts.sudo()
        }
        now = fields.Datetime.now()
        result = defaultdict(lambda: defaultdict(lambda: self.env["project.task"]))
        for task in tasks:
            zone = zones[task.it_contract_id.id]
            month = pytz.utc.localize(task.sla_response_deadline).astimezone(zone).date().replace(day=1)
            if month < before and task._it_response_breached(now):
                result[task.it_contract_id.id][month] |= task.with_env(self.env)
        return result

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
        Move = self.env["account.move"].sudo()._it_addon_env()
        moves = self.env["account.move"]
        by_company = defaultdict(list)
        for plan in plans:
            self._it_check_plan(plan)
            by_company[plan["company"]].append(plan)
        for company, company_plans in by_company.items():
            journal = company.it_invoice_journal_id or self.env["account.journal"].search([
                *self.env["account.journal"]._check_company_domain(company), ("type", "=", "sale"),
            ], limit=1)
            vals_list = []
            for plan in company_plans:
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
            # the invoice is linked to its contract, month or request: no "created" note in the chatter each time
            created = Move.with_company(company).with_context(
                default_move_type="out_invoice", mail_create_nolog=True, mail_create_nosubscribe=True,
            ).create(vals_list).with_env(self.env)
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
