"""The life of a contract: what lets it run (a completed audit, its terms, one flat contract per client and
company), starting, closing and cancelling it, and the nightly start and expiry of contracts."""
import logging
from datetime import date

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import format_date

_logger = logging.getLogger(__name__)


class ItContractLifecycle(models.AbstractModel):
    """The life of :class:`it.contract` (its fields live on the contract's table)."""

    _name = "it.contract.lifecycle"
    _description = "Life of an IT Contract"

    # rule of _check_single_flat_contract, held by the database too: two managers activating two flat contracts
    # of a client at once each pass the check in their own snapshot, the second one's row is refused here
    _one_active_flat_contract = models.Constraint(
        "EXCLUDE USING gist (partner_id WITH =, company_id WITH =, daterange(date_start, date_end, '[]') WITH &&) "
        "WHERE (contract_type = 'monthly_flat' AND state = 'active')",
        "The client already has an active flat monthly contract for these dates.",
    )

    def _auto_init(self):
        # the exclusion constraint above compares the client's id with '=' in a GiST index: PostgreSQL's btree_gist
        # (a trusted extension, which the database's owner may create), before the table's constraints are added;
        # without it the constraint is not added and the Python check alone holds the rule
        self._it_create_btree_gist()
        return super()._auto_init()

    def _it_create_btree_gist(self):
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        except psycopg2.Error as error:
            _logger.warning("btree_gist could not be created, one flat contract per client is checked in Python "
                            "only: %s", error)

    # ------------------------------------------------------------------ the rules of a running contract

    @api.constrains("state", "partner_id", "service_product_ids", "site_ids", "remote_service", "audit_id",
                    "audit_exception_reason",
                    "hours_total", "hours_rolled_over", "monthly_fee", "service_calendar_id", "acceptance_required",
                    "acceptance_state")
    def _check_ready_when_active(self):
        """A running contract must say whom, what and where it covers, and rest on a completed audit."""
        for contract in self.filtered(lambda c: c.state == "active"):
            contract._check_can_activate()

    def _check_can_activate(self):
        self.ensure_one()
        self._it_check_accepted()
        problems = self._it_missing_terms()
        if problems:
            raise ValidationError(self.env._(
                "Contract %(name)s cannot start without %(missing)s.",
                name=self.name, missing=", ".join(problems),
            ))
        if self.audit_id and self.audit_id.partner_id != self.partner_id:
            raise ValidationError(self.env._(
                "Contract %(name)s rests on audit %(audit)s, of another client: choose an audit of %(client)s, or none "
                "with the reason for the exception.",
                name=self.name, audit=self.audit_id.name, client=self.partner_id.display_name,
            ))
        if self.audit_exception_reason:
            return
        if self.audit_id.state != "done":
            raise ValidationError(self.env._(
                "Contract %(name)s cannot start before the hardware and software audit of %(client)s is completed.",
                name=self.name, client=self.partner_id.display_name,
            ))

    def _it_missing_terms(self):
        """What the contract lacks to be offered and to run, as the user reads it (empty when complete)."""
        self.ensure_one()
        problems = []
        if not self.partner_id:
            problems.append(self.env._("a client"))
        if not self.service_product_ids:
            problems.append(self.env._("a scope (at least one service)"))
        if not self.site_ids and not self.remote_service:
            problems.append(self.env._("a place of service (a site or remote support)"))
        # the hours sold: those carried in from the previous package are not bought
        if self.contract_type == "hour_package" and self.hours_sold <= 0:
            problems.append(self.env._("a number of hours bought"))
        if self.contract_type == "monthly_flat":
            if self.monthly_fee <= 0:
                problems.append(self.env._("a monthly fee"))
            if not self.service_calendar_id:
                problems.append(self.env._("service hours"))
        return problems

    @api.constrains("state", "contract_type", "partner_id", "company_id", "date_start", "date_end")
    def _check_single_flat_contract(self):
        """A client has one active flat contract at a time with the firm (each company of the database is a firm
        of its own), whoever activates it: the other contracts are read as the system, in one search. Where
        btree_gist exists, the database's constraint ``_one_active_flat_contract`` refuses the row first (this
        search flushes it); this check holds the rule where the extension could not be created."""
        flats = self.filtered(lambda c: c.contract_type == "monthly_flat" and c.state == "active")
        if not flats:
            return
        Contract = self.sudo()
        # a contract without an end runs from its start on
        others = Contract.search(Domain([
            ("partner_id", "in", flats.partner_id.ids), ("company_id", "in", flats.company_id.ids),
            ("contract_type", "=", "monthly_flat"),
        ]) & self._it_running_condition(min(flats.mapped("date_start")), date.max))
        for contract in flats:
            if (others - contract).filtered_domain(Domain([
                ("partner_id", "=", contract.partner_id.id), ("company_id", "=", contract.company_id.id),
            ]) & self._it_running_condition(contract.date_start, contract.date_end or date.max)):
                raise ValidationError(self.env._(
                    "%(client)s already has an active flat monthly contract for these dates.",
                    client=contract.partner_id.display_name,
                ))

    # ------------------------------------------------------------------ actions

    def action_confirm(self):
        """The client agreed: check everything is in place and start now or on the start date."""
        self.check_access("write")  # before its terms are read: a user who may not confirm is told that
        for contract in self:
            if contract.state != "draft":
                raise UserError(self.env._("Only a draft contract can be confirmed (%s).", contract.name))
            contract._check_can_activate()
        self._it_addon_write({"date_confirmed": fields.Date.context_today(self)})
        self.filtered(lambda c: c.date_start <= fields.Date.context_today(c)).action_activate()
        return True

    def action_activate(self):
        """Start these contracts; an expired one is reactivated: it keeps the date it was confirmed and its
        invoice, and what it forfeited at expiry is available again (the hours it carried into a renewal are not:
        they left it). An expired contract whose end has passed is not: the nightly job would expire it again."""
        self.check_access("write")
        today = fields.Date.context_today(self)
        for contract in self:
            if contract.state not in ("draft", "expired"):
                raise UserError(self.env._("Contract %s cannot be activated from its current state.", contract.name))
            if contract.state == "expired" and contract.date_end and contract.date_end < today:
                raise UserError(self.env._(
                    "Contract %(name)s ended on %(date)s: reactivated, it would expire again the next night. Renew "
                    "it instead (the Renew button), or, for a package, extend its validity first.",
                    name=contract.name, date=format_date(self.env, contract.date_end),
                ))
            contract._it_check_accepted()
        starting = self.filtered(lambda c: c.state == "draft")
        reactivated = self - starting
        if reactivated:
            reactivated._it_addon_write({"hours_forfeited": 0.0, "hours_rollover_available": 0.0})
            for contract in reactivated:
                contract.message_post(body=self.env._("Contract reactivated by %s.", self.env.user.name))
        self._it_addon_write({"state": "active"})
        starting.filtered(lambda c: not c.date_confirmed)._it_addon_write(
            {"date_confirmed": fields.Date.context_today(self)})
        self._ensure_service_project()
        self._it_ensure_current_period()
        self.env["it.invoicing"]._it_invoice_now(starting.filtered(lambda c: c.contract_type == "hour_package"))
        return True

    def action_close(self):
        """Close these contracts. A monthly contract that has started ends today, unless it ended already: its
        months are billed up to its end (without one, the month it was closed in and, in arrears, the month before
        would never be). A package's end follows from its validity."""
        if any(contract.state not in ("active", "expired") for contract in self):
            raise UserError(self.env._("Only running or expired contracts can be closed."))
        today = fields.Date.context_today(self)
        self.filtered(lambda c: c.contract_type == "monthly_flat" and c.date_start <= today
                      and not (c.date_end and c.date_end < today)).write({"date_end": today})
        self._it_addon_write({"state": "closed"})
        return True

    def action_cancel(self):
        if any(contract.state != "draft" for contract in self):
            raise UserError(self.env._("Only contracts that have not started can be cancelled; close the others."))
        self._it_addon_write({"state": "cancelled"})
        self._it_give_back_carried_in()
        return True

    def action_reset_to_draft(self):
        if any(contract.state != "cancelled" for contract in self):
            raise UserError(self.env._("Only cancelled contracts can be set back to draft."))
        # one renewal per contract is held by the database on the renewals' states: another renewal cancelled earlier
        # in this transaction must be cancelled there before this one is a renewal again
        self.flush_model(["state", "previous_contract_id"])
        self._it_addon_write({"state": "draft", "date_confirmed": False})
        self._it_take_carry_over()
        return True

    # ------------------------------------------------------------------ cron

    @api.model
    def _cron_update_states(self, batch_size=500):
        """Start confirmed contracts whose start date has come and expire those whose end date has passed."""
        today = fields.Date.context_today(self)
        to_start = Domain([("state", "=", "draft"), ("date_confirmed", "!=", False), ("date_start", "<=", today)])
        to_expire = Domain([("state", "=", "active"), ("date_end", "<", today)])
        for domain, process, label in (
            (to_start, lambda contracts: contracts.action_activate(), self.env._("Starting contracts")),
            (to_expire, lambda contracts: contracts._expire(), self.env._("Expiring contracts")),
        ):
            self.env["it.cron.batch"]._it_run(
                lambda limit, exclude, domain=domain: self.search(
                    domain & Domain("id", "not in", list(exclude)), limit=limit, order="id"),
                process, batch_size=batch_size, responsible=lambda contract: contract.user_id, label=label,
                remaining=lambda exclude, domain=domain: self.search_count(
                    domain & Domain("id", "not in", list(exclude))),
            )

    def _expire(self):
        self._it_addon_write({"state": "expired"})
        self._it_on_expiry()
