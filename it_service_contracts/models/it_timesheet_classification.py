"""How a timesheet line on a service request is billed (design rule 4): what covers it, what it draws, and
how it gives that back when it changes.

Each billable line draws, in this order, from this month's included hours of the client's flat contract, then
from the client's hour package that expires first, then becomes overage (flat contract) or ad-hoc work; time on a
maintenance visit whose plan the monthly fee covers is billed as covered and draws nothing. Where the
contract asks for the client's approval of paid work, that extra time is held until the client decides. What a
package or a month has used is the sum of its lines; the draw itself goes through ``it.hours.pool``, so that two
technicians logging the last hours at the same moment never push a package below zero, and no technician waits for
another's transaction.
"""
from collections import defaultdict
from contextlib import contextmanager

from odoo import models
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools import SQL, float_compare, float_round, format_date, format_duration

from .project_task_client import EXTRA_COST_TYPES

# hours are kept to the second; every stored figure is rounded to this many decimals
HOURS_DIGITS = 6
# set by the addon only, never by the technician
CLASSIFICATION_FIELDS = ("it_billing_type", "it_contract_id", "it_period_id", "it_billable_hours")


def _hours(value):
    return float_round(value or 0.0, precision_digits=HOURS_DIGITS)


def _cmp(value1, value2):
    return float_compare(value1, value2, precision_digits=HOURS_DIGITS)


class ItTimesheetClassification(models.AbstractModel):
    """The classification side of ``account.analytic.line`` (its fields are the line's)."""

    _name = "it.timesheet.classification"
    _description = "Classification of Timesheet Lines"

    def _it_service_lines(self):
        """The lines of these that are time on service requests, with the client of each."""
        clients = {}
        for line in self:
            task = line.task_id
            if not task:
                continue
            client = task.sudo()._it_timesheet_client()
            if client:
                clients[line] = client
        return clients

    def _it_billable_time(self, on_site, increment, minimum):
        """Time worked rounded up to the contract's increment, at least the on-site minimum."""
        self.ensure_one()
        hours = self.unit_amount
        if increment > 0:
            hours = float_round(hours, precision_rounding=increment, rounding_method="UP")
        if minimum > 0 and on_site:
            hours = max(hours, minimum)
        return _hours(hours)

    def _it_classify(self):
        """Classify lines that hold no entitlement: draw their billable time, split where one runs out."""
        clients = self._it_service_lines()
        if not clients:
            return
        Contract = self.env["it.contract"].sudo()
        HoursPool = self.env["it.hours.pool"]
        lines = self.browse(sorted(line.id for line in clients)).sudo()
        # 1. the running contracts of these clients, with their scope, places, hours and months, in one query that
        # also marks the draw's transaction
        dates = lines.mapped("date")
        token, mark = HoursPool._it_mark()
        candidates = Contract._it_covering_contracts(
            {client.id for client in clients.values()}, min(dates), max(dates), also=mark)
        marked = (token, candidates[0]["it_txid"], candidates[0]["it_mine"]) if candidates else None
        by_id = {row["id"]: row for row in candidates}

        def terms(contract):
            """Start, increment and on-site minimum of a request's contract (read once, from the query if there)."""
            row = by_id.get(contract.id)
            if row:
                return row["date_start"], row["billing_increment"], row["onsite_minimum_hours"]
            return contract.date_start, contract.billing_increment, contract.onsite_minimum_hours

        # 2. bad input, before anything is changed; then what may cover each line
        plans = []  # (line, governing contract id, billable hours, forced type or None, covering rows)
        period_keys = set()
        for line in lines:
            task = line.task_id
            governing = task.it_contract_id
            start, increment, minimum = terms(governing) if governing else (None, 0.0, 0.0)
            if line.it_billing_override != "non_billable" and line.unit_amount <= 0:
                raise ValidationError(self.env._(
                    "The time on %(task)s must be positive to be billed (%(hours)s logged on %(date)s).",
                    task=line.task_id.display_name, hours=format_duration(line.unit_amount),
                    date=format_date(self.env, line.date),
                ))
            if governing and line.date < start:
                raise ValidationError(self.env._(
                    "Time on %(task)s is dated %(date)s, before contract %(contract)s starts (%(start)s). Correct the "
                    "date, or log the time on a request of the contract that was running then.",
                    task=line.task_id.display_name, date=line.date, contract=governing.name, start=start,
                ))
            if line.it_billing_override == "non_billable":
                plans.append((line, governing.id, 0.0, "non_billable", None))
                continue
            product, site = task._it_service_and_site()
            billable = line._it_billable_time(bool(site), increment, minimum)
            if line.it_billing_override == "adhoc" or task.it_is_adhoc:
                plans.append((line, governing.id, billable, "adhoc", None))
                continue
            if task.it_maintenance_plan_id.covered_by_fee:  # a visit the contract's fee pays for: nothing drawn
                plans.append((line, governing.id, billable, "covered", None))
                continue
            client_id, company_id, day = clients[line].id, line.company_id.id, line.date
            covering = Contract._it_draw_order([
                row for row in (
                    Contract._it_row_on(row, day) for row in candidates
                    if row["partner_id"] == client_id and row["company_id"] == company_id
                ) if not Contract._it_coverage_gap(row, site, product, day)
            ])
            if not covering:
                plans.append((line, governing.id, billable, "adhoc", None))
                continue
            flat = next((row for row in covering if row["contract_type"] == "monthly_flat"), None)
            if flat:
                period_keys.add((flat["id"], day.replace(day=1)))
            plans.append((line, governing.id, billable, None, covering))
        # 3. what will be drawn from: the packages, then the months (created when missing)
        package_ids = {
            row["id"] for *_rest, covering in plans if covering
            for row in covering if row["contract_type"] == "hour_package"
        }
        packages = {
            row["id"]: {"hours_total": row["hours_available"], "usage_warning_percent": row["usage_warning_percent"]}
            for row in candidates if row["id"] in package_ids
        }
        periods = self.env["it.contract.period"].sudo()._it_periods(period_keys, known={
            (row["id"], day): period for row in candidates for day, period in row["periods"].items()
        })
        pools = {("package", pid): state for pid, state in packages.items()}
        pools.update({("period", period["id"]): period for period in periods.values()})
        asking = {row["partner_id"] for row in candidates if row["approval_required"]}
        # only the draw holds the pools' locks; storing it is this transaction's work (a failure aborts it, and
        # its reservation with it)
        with HoursPool._it_draw(pools, marked) as used_before:
            pieces_by_line = self._it_draw_pieces(plans, packages, periods, asking, clients)
        extra = self._it_approval_to_ask(pieces_by_line, packages, periods, asking, clients)
        Contract._it_note_usage_levels(packages, used_before)
        self._it_store_classification(pieces_by_line)
        extra._it_ask_approval_if_extra()

    def _it_draw_pieces(self, plans, packages, periods, asking, clients):
        """Draw each line's billable time in the order of rule 4: this month's included hours, the package that
        expires first, overage; what would cost extra on a request whose contract asks for the client's approval is
        held until they approve. Changes the states of ``packages`` and ``periods`` in place.

        :return: ``{line: [(hours, billing type, contract id, period id)]}``, one piece per part of the line
        """
        Contract = self.env["it.contract"]

        def held(line):
            return clients[line].id in asking and line.task_id.it_approval_state != "approved"

        pieces_by_line = {}
        for line, governing_id, billable, forced, covering in plans:
            if forced:
                kind = "held" if forced == "adhoc" and held(line) else forced
                pieces_by_line[line] = [(billable, kind, governing_id, False)]
                continue
            left = billable
            pieces = []
            flat = next((row for row in covering if row["contract_type"] == "monthly_flat"), None)
            period = periods[(flat["id"], line.date.replace(day=1))] if flat else None
            if period:
                take = _hours(min(left, Contract._it_included_cap(flat, period, line.date) - period["hours_used"]))
                if take > 0:
                    period["hours_used"] = _hours(period["hours_used"] + take)
                    pieces.append((take, "included", flat["id"], period["id"]))
                    left = _hours(left - take)
            for row in covering:  # in rule 4's order: the package that expires first comes first
                if _cmp(left, 0.0) <= 0:
                    break
                state = packages.get(row["id"]) if row["contract_type"] == "hour_package" else None
                if not state:
                    continue
                take = _hours(min(left, state["hours_total"] - state["hours_used"]))
                if take > 0:
                    state["hours_used"] = _hours(state["hours_used"] + take) if _cmp(
                        state["hours_used"] + take, state["hours_total"]) < 0 else state["hours_total"]
                    pieces.append((take, "package", row["id"], False))
                    left = _hours(left - take)
            if _cmp(left, 0.0) > 0 or not pieces:
                if held(line):
                    pieces.append((left, "held", flat["id"] if period else governing_id, period and period["id"]))
                elif period:
                    pieces.append((left, "overage", flat["id"], period["id"]))
                else:
                    pieces.append((left, "adhoc", governing_id, False))
            pieces_by_line[line] = pieces
        return pieces_by_line

    def _it_approval_to_ask(self, pieces_by_line, packages, periods, asking, clients):
        """The client's decision on extra work: refused work is refused here; the requests whose next work costs
        extra (a line is extra, or used up what it drew from) are returned, to ask the client."""
        periods_by_id = {period["id"]: period for period in periods.values()}

        def used_up(kind, contract_id, period_id):
            if kind == "package":
                state = packages[contract_id]
                return _cmp(state["hours_used"], state["hours_total"]) >= 0
            if kind == "included":
                period = periods_by_id[period_id]
                return _cmp(period["hours_used"], period["hours_included"]) >= 0
            return kind in EXTRA_COST_TYPES

        extra = self.env["project.task"]
        for line, pieces in pieces_by_line.items():
            approval = line.task_id.it_approval_state
            if approval == "refused":
                line.task_id._it_check_time_allowed({piece[1] for piece in pieces})
            elif not approval and clients[line].id in asking and any(used_up(*piece[1:]) for piece in pieces):
                extra |= line.task_id
        return extra

    def _it_classify_again(self):
        """Classify these lines anew after what decides their billing changed on their request (its contract,
        site, service or client): what they drew is given back and drawn again; invoiced time and time drawn from
        a package that has ended stay as billed (``_it_locked``)."""
        lines = self.sudo().filtered(lambda line: not line.it_invoice_id and line.it_billing_type)
        locked = lines._it_locked()
        lines = lines.filtered(lambda line: line not in locked)
        if lines:
            with lines._it_drawing_again():
                pass

    @contextmanager
    def _it_drawing_again(self, clear=True):
        """Around a change of these lines or of what decides their billing (the one way every caller redraws):
        what they drew is given back before it and drawn again after it (a line deleted meanwhile draws nothing);
        then the time that cost extra because a month or a package they drew from was used up draws again, so
        that hours given back go to the work that paid for lack of them (``_it_redraw_extra``)."""
        freed = self._it_release(clear=clear)
        tasks = self.sudo().task_id
        yield
        self.exists()._it_classify()
        clients = self._it_redraw_extra(freed)
        # a question to the client about paid work that the hours given back now cover is withdrawn
        tasks |= self.env["project.task"].sudo().search(
            [("it_approval_state", "=", "pending"), ("it_client_id", "in", clients.ids)]) if clients else tasks
        tasks.exists()._it_withdraw_needless_approvals()

    def _it_redraw_extra(self, freed):
        """Draw again the uninvoiced overage, ad-hoc and held time (other than these lines) of the clients of the
        months and packages in ``freed`` that have hours left now, dated in that month or in the package's run.

        :param freed: ``{"package": contract ids, "period": period ids}`` that were given hours back
        :return: the clients of those that have hours left now (``res.partner``)
        """
        pools = self.env["it.contract.period"].sudo().browse(freed.get("period", ())).exists()
        packages = self.env["it.contract"].sudo().browse(freed.get("package", ())).exists()
        for pool in (pools, packages):
            pool.invalidate_recordset(["hours_used", "hours_remaining"])
        places = [
            (pool.partner_id, pool.date_start, pool.date_end)
            for pool in (*pools, *packages) if _cmp(pool.hours_remaining, 0.0) > 0
        ]
        if not places:
            return self.env["res.partner"]
        extra = self.sudo().search(Domain.OR(
            Domain([("task_id.it_client_id", "=", client.id), ("date", ">=", start)])
            & (Domain("date", "<=", end) if end else Domain.TRUE)
            for client, start, end in places
        ) & Domain([
            ("it_billing_type", "in", ("overage", "adhoc", "held")), ("it_invoice_id", "=", False),
            ("id", "not in", self.ids),
        ]), order="id")
        extra._it_classify_again()
        return self.env["res.partner"].union(*(client for client, _start, _end in places))

    def _it_store_classification(self, pieces_by_line):
        # written through the cache: a new line's classification goes out with its own first flush
        by_values = defaultdict(list)
        for line, (hours, billing_type, contract_id, period_id) in ((line, pieces[0]) for line, pieces in
                                                                   pieces_by_line.items()):
            by_values[hours, billing_type, contract_id or False, period_id or False].append(line.id)
        for (hours, billing_type, contract_id, period_id), ids in by_values.items():
            self.browse(ids)._it_addon_write({
                "it_billable_hours": hours, "it_billing_type": billing_type,
                "it_contract_id": contract_id, "it_period_id": period_id,
            })
        # a line that crossed the end of an entitlement: the first part keeps the line, the rest gets new lines
        for line, pieces in pieces_by_line.items():
            if len(pieces) < 2:
                continue
            total = sum(hours for hours, *_rest in pieces)
            worked = line.unit_amount
            shares = [_hours(worked * hours / total) for hours, *_rest in pieces[:-1]]
            shares.append(_hours(worked - sum(shares)))
            line._it_addon_write({"unit_amount": shares[0]})
            for share, (hours, billing_type, contract_id, period_id) in zip(shares[1:], pieces[1:], strict=True):
                line._it_addon_env().copy({
                    "unit_amount": share,
                    "date": line.date,
                    "name": line.name,
                    "it_billable_hours": hours,
                    "it_billing_type": billing_type,
                    "it_contract_id": contract_id or False,
                    "it_period_id": period_id or False,
                    "it_billing_override": line.it_billing_override,
                })

    def _it_release(self, clear=True):
        """Give back what these lines drew from packages and months, e.g. before they are edited or deleted;
        callers go through :meth:`_it_drawing_again`.

        :return: ``{"package": contract ids, "period": period ids}`` given hours back
        """
        classified = self.sudo().filtered("it_billing_type")
        if not classified:
            return {}
        package_hours = defaultdict(float)
        included_hours = defaultdict(float)
        for line in classified:
            if line.it_billing_type == "package" and line.it_contract_id:
                package_hours[line.it_contract_id.id] += line.it_billable_hours
            elif line.it_billing_type == "included" and line.it_period_id:
                included_hours[line.it_period_id.id] += line.it_billable_hours
        Contract = self.env["it.contract"].sudo()
        packages = {
            package.id: {"hours_total": package.hours_available, "usage_warning_percent": package.usage_warning_percent}
            for package in Contract.browse(package_hours)
        }
        pools = {("package", pid): state for pid, state in packages.items()}
        pools.update({("period", pid): {} for pid in included_hours})
        with self.env["it.hours.pool"]._it_draw(pools) as used_before:
            for pid, hours in package_hours.items():
                packages[pid]["hours_used"] = max(_hours(packages[pid]["hours_used"] - hours), 0.0)
            for pid, hours in included_hours.items():
                pools["period", pid]["hours_used"] = max(_hours(pools["period", pid]["hours_used"] - hours), 0.0)
        Contract._it_note_usage_levels(packages, used_before)
        if clear:
            self.flush_model(CLASSIFICATION_FIELDS)
            classified.modified(CLASSIFICATION_FIELDS, before=True)  # the months and packages they counted in
            self.env.cr.execute(SQL(
                """UPDATE account_analytic_line
                      SET it_billable_hours = NULL, it_billing_type = NULL, it_contract_id = NULL, it_period_id = NULL
                    WHERE id IN %s""",
                tuple(classified.ids),
            ))
            classified.invalidate_recordset(CLASSIFICATION_FIELDS, flush=False)
            classified.modified(CLASSIFICATION_FIELDS)
        return {"package": set(package_hours), "period": set(included_hours)}
