import math

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_date, format_duration

from .it_money import MONEY_GROUPS
from .it_timesheet_classification import CLASSIFICATION_FIELDS

BILLING_TYPES = [
    ("package", "Hour Package"),
    ("included", "Included Hours"),
    ("overage", "Overage"),
    ("adhoc", "Ad-hoc"),
    ("held", "Awaiting Approval"),
    ("covered", "Covered by the Fee"),
    ("non_billable", "Non-billable"),
]
BILLING_OVERRIDES = [
    ("non_billable", "Non-billable"),
    ("adhoc", "Ad-hoc"),
]
# writing one of these fields puts a line through the classification again
RECLASSIFY_FIELDS = frozenset({"task_id", "project_id", "date", "unit_amount", "it_billing_override"})
# set by the addon only, never by the technician
PROTECTED_FIELDS = frozenset((*CLASSIFICATION_FIELDS, "it_billing_override", "it_invoice_id"))
# a line of time on a service request is one day's work at most
MAX_LINE_HOURS = 24.0
# a package in these states has settled its unused hours: the time drawn from it is locked
PACKAGE_SETTLED_STATES = ("expired", "closed")
# what a locked line may still have written on it
INVOICED_WRITABLE_FIELDS = frozenset({"it_invoice_id", "timesheet_invoice_id"})


class AccountAnalyticLine(models.Model):
    """Timesheet lines on service requests are classified by themselves (``it.timesheet.classification``),
    locked once invoiced, and reclassified by a manager with a reason."""

    _name = "account.analytic.line"
    _inherit = ["account.analytic.line", "it.protected.fields.mixin", "it.timesheet.classification"]

    _it_protected_fields = PROTECTED_FIELDS

    it_contract_id = fields.Many2one(
        "it.contract", string="IT Contract", readonly=True, copy=False, index="btree_not_null",
        help="The contract whose hours this line used, or the contract of its request.",
    )
    it_billing_type = fields.Selection(
        BILLING_TYPES, string="Billing", readonly=True, copy=False, index="btree_not_null",
        help="How the time is billed; decided by the contract rules, never chosen by the technician.",
    )
    it_period_id = fields.Many2one(
        "it.contract.period", string="Contract Month", readonly=True, copy=False, index="btree_not_null",
        ondelete="restrict",
    )
    it_billable_hours = fields.Float(
        string="Billable Hours", readonly=True, copy=False,
        help="The time billed for this line: the time worked rounded up to the contract's billing increment, "
        "at least the on-site minimum for a visit on site.",
    )
    it_billing_override = fields.Selection(
        BILLING_OVERRIDES, string="Reclassified As", readonly=True, copy=False,
        help="Set by a manager, with a reason in the request's chatter.",
    )
    it_invoice_id = fields.Many2one(
        "account.move", string="IT Invoice", readonly=True, copy=False, index="btree_not_null", ondelete="set null",
        groups=MONEY_GROUPS, help="The invoice this time was billed on; invoiced time cannot be changed.",
    )

    # what a package or a month has used is summed from its lines (it.hours.pool): read from these indexes alone
    _it_package_usage_idx = models.Index("(it_contract_id, it_billable_hours) WHERE it_billing_type = 'package'")
    _it_period_usage_idx = models.Index(
        "(it_period_id, it_billing_type, it_billable_hours) WHERE it_billing_type IN ('included', 'overage')")

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        self._it_check_time_value(vals_list)
        lines = super().create(vals_list)
        if self._it_is_addon_write():  # the addon's own split pieces, classified already
            return lines
        lines._it_classify()
        # the first time logged on a request is the technician's first response (SLA clock)
        lines.filtered("project_id").task_id._it_record_first_response(fields.Datetime.now())
        return lines

    def write(self, vals):
        self._it_check_time_value([vals])
        self._it_check_not_locked(vals)
        if self._it_is_addon_write() or not RECLASSIFY_FIELDS.intersection(vals):
            return super().write(vals)
        moved = self._it_moved_overrides(vals)
        with self._it_drawing_again():
            result = super().write(vals)
            if moved:
                moved._it_addon_write({"it_billing_override": False})
        return result

    def unlink(self):
        self._it_check_not_locked()
        with self._it_drawing_again(clear=False):
            return super().unlink()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_it_locked(self):
        self._it_check_not_locked()

    def _is_readonly(self):
        return super()._is_readonly() or bool(self._it_locked())

    # ------------------------------------------------------------------ checks

    def _it_check_protected_fields(self, vals_list, create=False):
        """A new line may be marked non-billable by whoever logs it on a request whose client refused paid work:
        the only time that may still be logged there (the client's refusal decides, not the caller)."""
        if create and not self._it_is_addon_write():
            task_ids = {vals.get("task_id") for vals in vals_list if vals.get("it_billing_override") == "non_billable"}
            refused = set(self.env["project.task"].sudo().search([
                ("id", "in", [task_id for task_id in task_ids if task_id]), ("it_approval_state", "=", "refused"),
            ]).ids) if task_ids - {None, False} else set()
            vals_list = [
                {key: value for key, value in vals.items() if key != "it_billing_override"}
                if vals.get("it_billing_override") == "non_billable" and vals.get("task_id") in refused else vals
                for vals in vals_list
            ]
        return super()._it_check_protected_fields(vals_list, create=create)

    def _it_protected_message(self, names):
        return self.env._(
            "The billing of timesheet lines is decided by the contract rules and their invoice link by invoicing "
            "(%(fields)s). A manager can reclassify a line with a reason.",
            fields=", ".join(names),
        )

    def _it_check_time_value(self, vals_list):
        """Time is a number of hours (the API can send infinity or NaN, on which Odoo's cost of the line fails),
        and a line on a service request is one day's work at most. Checked before anything is stored."""
        for vals in vals_list:
            hours = vals.get("unit_amount")
            if not self._it_check_finite_hours(hours) or hours <= MAX_LINE_HOURS:
                continue
            tasks = self.env["project.task"].browse(vals["task_id"]) if vals.get("task_id") else self.task_id
            requests = tasks.sudo().filtered("it_is_service_request")
            if requests:
                raise ValidationError(self.env._(
                    "At most %(most)s can be logged in one line: %(hours)s on %(task)s. Log each day's work on its "
                    "own line.",
                    most=format_duration(MAX_LINE_HOURS), hours=format_duration(hours),
                    task=requests[0].display_name,
                ))

    @api.model
    def _it_check_finite_hours(self, hours):
        """Refuse infinity and NaN as a number of hours (the API can send them; Odoo's sums, rounding and
        formatting of time fail on them): the check of every number of hours the addon is given, timesheet
        lines and adjustments of a package's hours. Returns whether ``hours`` is a number to check further
        (what is not a number at all, Odoo refuses)."""
        if not isinstance(hours, (int, float)) or isinstance(hours, bool):
            return False
        if not math.isfinite(hours):
            raise ValidationError(self.env._("Time must be a number of hours, not %s.", hours))
        return True

    def _it_moved_overrides(self, vals):
        """These lines whose hand-set billing does not follow them to the request ``vals`` moves them to: a
        manager's reclassification is about the time on its request, and time marked non-billable when it was
        logged stays so only on a request whose client refused paid work (as when it is logged there)."""
        if not vals.get("task_id"):
            return self.browse()
        target = self.env["project.task"].sudo().browse(vals["task_id"])
        return self.sudo().filtered(lambda line: line.it_billing_override and line.task_id != target and not (
            line.it_billing_override == "non_billable" and target.it_approval_state == "refused"))

    def _it_locked(self):
        """These lines that can no longer change, and why: ``{line: invoice or package}``. Time billed on an
        issued invoice is locked (a cancelled invoice locks nothing); so is time drawn from a package that has
        ended (expired or closed): its unused hours were settled then, forfeited or carried into its renewal."""
        lines = self.sudo().filtered(lambda line: line.id)
        issued = lines.it_invoice_id._it_issued()
        locked = {line: line.it_invoice_id for line in lines if line.it_invoice_id in issued}
        locked.update({
            line: line.it_contract_id for line in lines
            if line not in locked and line.it_billing_type == "package"
            and line.it_contract_id.state in PACKAGE_SETTLED_STATES
        })
        return locked

    def _it_check_not_locked(self, vals=None):
        """Refuse to change or delete time that is locked (:meth:`_it_locked`)."""
        if vals is not None and not set(vals) - INVOICED_WRITABLE_FIELDS:
            return
        if not any(self._ids):
            return
        locked = self._it_locked()
        if not locked:
            return
        line, by = next(iter(locked.items()))
        values = {
            "employee": line.employee_id.name or line.user_id.name, "date": format_date(self.env, line.date),
            "task": line.task_id.display_name or line.name, "by": by.display_name,
        }
        if by._name == "account.move":
            raise UserError(self.env._(
                "The time logged by %(employee)s on %(date)s (%(task)s) has been invoiced on %(by)s and can no "
                "longer be changed or deleted. Ask your accountant to issue a credit note on that invoice first.",
                **values,
            ))
        raise UserError(self.env._(
            "The time logged by %(employee)s on %(date)s (%(task)s) was drawn from hour package %(by)s, which has "
            "ended: its unused hours were settled then, and its time can no longer be changed or deleted.",
            **values,
        ))

    # ------------------------------------------------------------------ reclassification

    def _it_reclassify(self, mode, reason):
        """A manager decides how these lines are billed; the reason goes to the requests' chatter."""
        if not self.env.user.has_group("it_service_contracts.group_it_manager"):
            raise AccessError(self.env._("Only an IT services manager can reclassify timesheet lines."))
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Give the reason for reclassifying the time; it is kept in the chatter."))
        if mode not in ("auto", "non_billable", "adhoc"):
            raise UserError(self.env._("Unknown billing: %s", mode))
        lines = self.exists()
        if not lines:
            return
        foreign = lines.filtered(lambda line: line not in line._it_service_lines())
        if foreign:
            raise UserError(self.env._(
                "Only time on service requests can be reclassified: %s.",
                ", ".join(foreign.mapped("display_name")),
            ))
        labels = dict(self._fields["it_billing_type"]._description_selection(self.env))
        before = {line: labels.get(line.it_billing_type, "") for line in lines}
        tasks = lines.task_id
        # any technician's time the manager may write (record rules); the addon writes the override
        lines.check_access("write")
        lines._it_check_not_locked()
        with lines._it_drawing_again():
            lines.sudo()._it_addon_write({"it_billing_override": False if mode == "auto" else mode})
        lines = lines.exists()
        for task in tasks:
            task_lines = lines.filtered(lambda line, task=task: line.task_id == task)
            items = Markup("").join(
                Markup("<li>%s</li>") % self.env._(
                    "%(date)s, %(employee)s, %(hours)s: %(old)s → %(new)s",
                    date=format_date(self.env, line.date), employee=line.employee_id.name or "",
                    hours=format_duration(line.unit_amount),
                    old=before.get(line, ""), new=labels.get(line.it_billing_type, ""),
                )
                for line in task_lines
            )
            task.message_post(body=Markup("<p>%s</p><ul>%s</ul>") % (
                self.env._("Time reclassified. Reason: %(reason)s", reason=reason), items,
            ))


    # ------------------------------------------------------------------ invoice link (called by invoicing)

    def _it_set_invoice(self, move):
        """Mark these lines as billed on ``move``: from then on they cannot be changed nor deleted.

        A line already on another invoice that is not cancelled is refused, so time is never invoiced twice.
        """
        move.ensure_one()
        lines = self.sudo()
        taken = lines.filtered(lambda line: line.it_invoice_id not in (move, line.env["account.move"])
                               and line.it_invoice_id.state != "cancel")
        if taken:
            line = taken[0]
            raise UserError(self.env._(
                "The time logged by %(employee)s on %(date)s is already invoiced on %(invoice)s.",
                employee=line.employee_id.name or line.user_id.name, date=line.date,
                invoice=line.it_invoice_id.display_name,
            ))
        foreign = lines.filtered(lambda line: line.company_id != move.company_id)
        if foreign:
            raise UserError(self.env._(
                "Time of company %(company)s cannot be invoiced on %(invoice)s of company %(invoice_company)s.",
                company=foreign[0].company_id.name, invoice=move.display_name, invoice_company=move.company_id.name,
            ))
        lines._it_addon_write({"it_invoice_id": move.id})

    def _it_free_from_invoice(self):
        """Unlink these lines from their invoice once it is cancelled or fully credited, so they can be
        corrected and invoiced again; a live invoice keeps its lines."""
        lines = self.sudo().filtered("it_invoice_id")
        if not lines:
            return
        live = lines.it_invoice_id.filtered(lambda move: move.state != "cancel" and move.payment_state != "reversed")
        if live:
            raise UserError(self.env._(
                "The time invoiced on %(invoice)s stays linked to it: cancel the invoice or credit it in full first.",
                invoice=", ".join(live.mapped("display_name")),
            ))
        lines._it_addon_write({"it_invoice_id": False})

