"""What each invoice bills (design rule 6): a package up front, a flat contract's month with last month's
overage, recurring services and service credits, an ad-hoc job after completion. Plans only: the invoices are
made from them by ``it.invoicing``."""
import calendar
from collections import defaultdict
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date, format_duration


class ItInvoicePlan(models.AbstractModel):
    """The plans ``it.invoicing`` turns into invoices (inherited by it)."""

    _name = "it.invoice.plan"
    _description = "Plan of an IT Services Invoice"

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
            hours = package.hours_sold
            if hours <= 0 and not package.package_price_agreed:
                raise UserError(self.env._(
                    "Hour package %(name)s cannot be invoiced: it has no hours bought (%(hours)s).",
                    name=package.name, hours=format_duration(hours),
                ))
            name = env._(
                "Hour package %(name)s: %(hours)s hours, valid %(start)s to %(end)s",
                name=package.name, hours=format_duration(hours), start=format_date(env, package.date_start),
                end=format_date(env, package.date_end),
            )
            if package.hours_rolled_over:
                name += "\n" + env._(
                    "%(hours)s hours carried over from %(previous)s are included and not billed again.",
                    hours=format_duration(package.hours_rolled_over), previous=package.previous_contract_id.name,
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
        # a request invoiced before bills its further time on a further invoice
        invoiced = self.env["account.move"].sudo().search([
            ("it_task_id", "in", tasks.ids), ("it_invoice_kind", "=", "adhoc"),
        ])._it_issued().it_task_id
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
                    f"{format_duration(line.it_billable_hours)}" for line in task_lines
                )
                lines = [{"product": product, "quantity": sum(task_lines.mapped("it_billable_hours")),
                          "price_unit": task.company_id.it_adhoc_hourly_rate,
                          "name": f"{task.name}: {product.name}\n{detail}"}]
            plans.append(self._it_plan(
                task, task.it_contract_id, task.partner_id.commercial_partner_id, task.company_id,
                task.project_id.account_id, lines, timesheets=task_lines,
                it_task_id=task.id, it_invoice_kind="adhoc_more" if task in invoiced else "adhoc",
            ))
        return plans

    @api.model
    def _it_plan_flat(self, months, today):
        """The month's fee (prorated by days), the recurring services, the overage hours of the months that
        have ended, and the service credits of their breached response times. ``months``: ``{contract: (month
        billed, last month of the run)}`` as ``it.invoicing._it_billed_months`` gives them; a contract that has
        ended with overage left to bill (month ``None``) gets an invoice of that overage and its credits alone."""
        run_month = today.replace(day=1)
        billed = {contract: month for contract, (month, _last) in months.items()}
        contracts = self.env["it.contract"].sudo().concat(*sorted(billed, key=lambda contract: contract.id))
        Period = self.env["it.contract.period"].sudo()
        Period._it_ensure_periods({(contract.id, month) for contract, month in billed.items() if month})
        periods = {
            (period.contract_id.id, period.date_start): period
            for period in Period.search([
                ("contract_id", "in", contracts.ids), ("date_start", "in", list({m for m in billed.values() if m})),
            ])
        }
        timesheets = self.env["account.analytic.line"].sudo().search([
            ("it_contract_id", "in", contracts.ids), ("it_billing_type", "in", ("included", "overage")),
            ("it_invoice_id", "=", False), ("date", "<", run_month),
        ], order="date, id")
        timesheets_by_contract = timesheets.grouped("it_contract_id")
        breaches = self._it_breached_requests(contracts.filtered("service_credit_percent"), run_month)
        # the terms each day of the billed months and of the time billed was under, for contracts amended since
        # (one query)
        since = min(
            [month for month in billed.values() if month] + [line.date.replace(day=1) for line in timesheets]
            + [month for by_month in breaches.values() for month in by_month],
            default=run_month,
        )
        timelines = self.env["it.contract"]._it_amendment_timeline(contracts.ids, since)
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
            timeline = timelines.get(contract.id)
            lines = self._it_month_lines(contract, month, timeline, env) if month else []
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
                    f"{line.task_id.name or ''}  {format_duration(line.it_billable_hours)}" for line in period_lines
                )
                lines.append({
                    "product": overage_product, "quantity": hours, "price_unit": rate,
                    "it_period_id": period.id,
                    "name": env._(
                        "Hours beyond the %(included)s included in %(month)s (%(contract)s)",
                        included=format_duration(period.hours_included), contract=contract.name,
                        month=format_date(env, period.date_start, date_format="LLLL y"),
                    ) + "\n" + detail,
                })
            credited = self.env["project.task"]
            for breach_month, tasks in sorted(breaches.get(contract.id, {}).items()):
                share = len(tasks) * contract.service_credit_percent
                if contract.service_credit_cap_percent:
                    share = min(share, contract.service_credit_cap_percent)
                # a share of the fee of the month breached (the terms in force on its first day)
                terms = self.env["it.contract"]._it_terms_at(None, timeline, breach_month)
                fee = terms["monthly_fee"] if terms else contract.monthly_fee
                lines.append({
                    "product": credit_product, "quantity": 1.0,
                    "price_unit": -contract.currency_id.round(fee * share / 100.0),
                    "name": env._(
                        "Service credit for %(month)s: response time breached on %(requests)s",
                        month=format_date(env, breach_month, date_format="LLLL y"),
                        requests=", ".join(tasks.mapped("display_name")),
                    ),
                })
                credited |= tasks
            plans.append(self._it_plan(
                contract, contract, contract.partner_id, contract.company_id, contract.analytic_account_id, lines,
                timesheets=contract_lines, credited_tasks=credited, period=periods.get((contract.id, month)),
                it_contract_id=contract.id, it_period_id=periods[contract.id, month].id if month else False,
                it_invoice_kind="flat",
            ))
        return plans

    @api.model
    def _it_month_lines(self, contract, month, timeline, env):
        """The fee of ``month`` (prorated by the days the contract ran, in the segments its amendments cut) and
        its recurring services, as invoice line values."""
        days = calendar.monthrange(month.year, month.month)[1]
        first = max(contract.date_start, month)
        last = min(contract.date_end or month.replace(day=days), month.replace(day=days))
        covered = (last - first).days + 1
        label = format_date(env, month, date_format="LLLL y")
        lines = []
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
        return lines

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
