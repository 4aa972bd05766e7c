"""What a contract that has run keeps, whoever writes and however (design rule 10): what it is, its price but by
an amendment, its end but forward, and every term once it has ended."""
import psycopg2

from odoo import fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date, mute_logger

from .it_contract_document import TERM_FIELDS


class _TermsTried(Exception):
    """The terms tried on a contract passed its checks: the savepoint is rolled back all the same."""


# the fields a contract's end follows from: a flat contract's end date, a package's validity from its start
END_FIELDS = frozenset({"date_end", "validity_months", "date_start"})
# what a contract that has run is: its requests, time, months and invoices rest on it
IDENTITY_FIELDS = (
    "contract_type", "partner_id", "company_id", "date_start", "previous_contract_id", "audit_id",
    "audit_exception_reason",
)
# the price of a contract that has started: a flat contract's rate, fee and included hours change from a date, by
# an amendment the client accepts (its months before keep theirs); the rest does not change (a package's hours
# bought are it.contract.package's own rule)
AMENDED_PRICE_FIELDS = ("hourly_rate", "monthly_fee", "monthly_hours")
PRICE_FIELDS = (*AMENDED_PRICE_FIELDS, "package_price_agreed", "billing_increment", "onsite_minimum_hours")
# the terms of a contract that has ended (expired or closed), every term the client accepted and the approval of paid
# work but its end (a package is extended to be reactivated) and its further terms: its late time is billed on them
ENDED_FIELDS = (TERM_FIELDS | {"approval_required"}) - END_FIELDS - {"note"}


class ItContractHistory(models.AbstractModel):
    """The history side of :class:`it.contract` (its fields live on the contract)."""

    _name = "it.contract.history"
    _description = "What an IT Contract That Ran Keeps"

    def write(self, vals):
        self._it_check_terms_of_a_contract_that_ran(vals)
        ends = {contract: contract.date_end for contract in self.filtered(
            lambda c: c.state in ("active", "expired", "closed"))} if END_FIELDS & vals.keys() else {}
        result = super().write(vals)
        self._it_check_end_change(ends)
        return result

    def _it_check_terms_of_a_contract_that_ran(self, vals):
        """What a contract that has run is (its type, client, company, start, audit and what it renewed) is
        history: its requests, time, months and invoices rest on it; a new contract is made instead. Its price
        (rate, fee, included hours, a package's agreed price, the billing increment and on-site minimum) changes
        only by an amendment in force (the addon's own write), never under the time already worked; once it has
        ended, none of its terms changes: its late time is still billed on them."""
        names = {*IDENTITY_FIELDS, *PRICE_FIELDS, *ENDED_FIELDS} & vals.keys()
        if not names:
            return
        self.check_access("write")  # a user who may not write is told that first, as Odoo does
        for contract in self.sudo().filtered(lambda c: c.state in ("active", "expired", "closed")):
            changed = contract._it_changed_fields(vals, names)
            identity = [name for name in changed if name in IDENTITY_FIELDS]
            ended = contract.state != "active"
            terms = [] if self._it_is_addon_write() else [
                name for name in changed if name in PRICE_FIELDS or (ended and name in ENDED_FIELDS)
            ]
            if not (identity or terms):
                continue
            labels = ", ".join(contract._fields[name]._description_string(self.env) for name in identity or terms)
            if identity:
                raise UserError(self.env._(
                    "Contract %(name)s has run: its %(fields)s can no longer change. Close it and make a new "
                    "contract (Renew prepares one) instead.", name=contract.name, fields=labels,
                ))
            if ended:
                raise UserError(self.env._(
                    "Contract %(name)s has ended: its %(fields)s can no longer change, the time logged under it is "
                    "billed on them. Renew it (the Renew button) for new terms.", name=contract.name, fields=labels,
                ))
            if contract.contract_type == "monthly_flat" and set(terms) <= set(AMENDED_PRICE_FIELDS):
                raise UserError(self.env._(
                    "Contract %(name)s is running: its %(fields)s change from a date, with an amendment the client "
                    "accepts (Amendments, on the contract), so that the months already worked keep their terms.",
                    name=contract.name, fields=labels,
                ))
            raise UserError(self.env._(
                "Contract %(name)s has started: its %(fields)s can no longer change, the time and invoices already "
                "made rest on them. Make a new contract (Renew prepares one) for other terms.",
                name=contract.name, fields=labels,
            ))

    def _it_check_terms(self, values):
        """Refuse ``values`` (terms of this contract, as an amendment gives them) that the contract's own rules
        would refuse: its Python constraints and its database constraints, which are written once, on the contract.

        The contract takes the terms in a savepoint that is rolled back whatever happens; what the transaction
        had written is flushed first, and the trial's values are dropped from the cache after.
        """
        self.ensure_one()
        self.env.flush_all()
        try:
            with self.env.cr.savepoint(flush=False), mute_logger("odoo.sql_db"):
                self.sudo().with_context(tracking_disable=True)._it_addon_write(values)
                self.env.flush_all()  # the database's constraints
                raise _TermsTried
        except _TermsTried:
            pass
        except psycopg2.IntegrityError as error:
            raise ValidationError(self._sql_error_to_message(error)) from None
        finally:
            self.env.clear()

    def _it_check_end_change(self, ends):
        """The end of a contract that has run moves back only to a day still to come: the days before are history,
        time was logged and months billed on them (``action_close`` ends a contract today). A started package's
        end does not move back at all (its client paid for its validity), a flat contract's end no longer moves
        once it expired (its months are billed, and late time covered, up to that end: it is renewed), a closed
        contract's end never. Checked on the end as written, whether given or following from a package's validity.

        :param ends: ``{contract: end before the write}``
        """
        today = fields.Date.context_today(self)
        for contract, before in ends.items():
            after = contract.date_end
            if after == before:
                continue
            if contract.state == "closed":
                raise ValidationError(self.env._(
                    "Contract %(name)s is closed: the day it ended is history. Make a new contract (Renew prepares "
                    "one) to serve the client again.", name=contract.name,
                ))
            if contract.state == "expired" and contract.contract_type == "monthly_flat":
                raise ValidationError(self.env._(
                    "Contract %(name)s expired on %(end)s: its months are billed up to that day, and its end no longer "
                    "moves. Renew it (the Renew button) to serve the client again.",
                    name=contract.name, end=format_date(self.env, before),
                ))
            if after and after < today and (not before or after < before):
                raise ValidationError(self.env._(
                    "Contract %(name)s has run: its end cannot move back to %(end)s, a day already past. Close it to "
                    "end it today.", name=contract.name, end=format_date(self.env, after),
                ))
            if contract.contract_type == "hour_package" and after and before and after < before:
                raise ValidationError(self.env._(
                    "Package %(name)s has started: its client paid for its hours until %(end)s, and its validity can "
                    "be extended, not cut. Close it to end it today.",
                    name=contract.name, end=format_date(self.env, before),
                ))
