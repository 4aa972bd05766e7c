from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare, format_date, format_duration

# the most hours one adjustment corrects: more than five technicians work in the year a package lasts at most
MAX_ADJUSTMENT_HOURS = 10000

class ItContractAdjustment(models.Model):
    """A manager's correction of a package's hours: dated, signed, with a reason, never edited afterwards.

    The package's balance is ``hours_available - hours_used`` where ``hours_available`` counts the hours bought
    (carried-in hours included) and these adjustments. A wrong adjustment is corrected by another one.
    """

    _name = "it.contract.adjustment"
    _inherit = ["it.protected.fields.mixin"]
    _description = "IT Contract Hours Adjustment"
    _order = "date desc, id desc"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "it.contract", string="Contract", required=True, index=True, ondelete="cascade", check_company=True,
        domain="[('contract_type', '=', 'hour_package'), ('state', '=', 'active')]",
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="contract_id.partner_id", store=True, string="Client")
    date = fields.Date(required=True, default=fields.Date.context_today)
    hours = fields.Float(required=True, help="Hours added to the package (negative: taken off).")
    reason = fields.Text(required=True, help="Why the hours are corrected; kept in the contract's chatter.")
    user_id = fields.Many2one(
        "res.users", string="Adjusted By", required=True, readonly=True, default=lambda self: self.env.user,
    )

    _check_hours_not_zero = models.Constraint("CHECK(hours != 0)", "An adjustment adds or removes some hours.")
    _check_hours_bound = models.Constraint(
        f"CHECK(abs(hours) <= {MAX_ADJUSTMENT_HOURS})",
        f"An adjustment adds or removes {MAX_ADJUSTMENT_HOURS:,} hours at most.",
    )

    @api.depends("contract_id.name", "hours")
    def _compute_display_name(self):
        for adjustment in self:
            adjustment.display_name = f"{adjustment.contract_id.name} {adjustment.hours:+.2f} h"

    @api.model_create_multi
    def create(self, vals_list):
        self._it_check_new(vals_list)
        adjustments = super().create(vals_list)
        for adjustment in adjustments:
            adjustment.contract_id.message_post(body=Markup("<p>%s</p><p>%s</p>") % (
                self.env._(
                    "Hours adjusted by %(hours)s on %(date)s.",
                    hours=("+" if adjustment.hours > 0 else "") + format_duration(adjustment.hours),
                    date=format_date(self.env, adjustment.date),
                ),
                adjustment.reason,
            ))
        return adjustments

    def write(self, vals):
        if vals:
            raise UserError(self.env._(
                "An hours adjustment cannot be changed; record another adjustment to correct it.",
            ))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("An hours adjustment cannot be deleted; record another adjustment to correct it."))

    @api.model
    def _it_check_new(self, vals_list):
        """Running hour packages only, with a reason, never below the hours already used (the database refuses
        an adjustment of no hours).

        The balance is read as :meth:`it.hours.pool._it_draw` reads it, so that time logged meanwhile and this
        check see the same hours.
        """
        today = fields.Date.context_today(self)
        changes = {}
        for vals in vals_list:
            self.env["account.analytic.line"]._it_check_finite_hours(vals.get("hours"))
            vals["user_id"] = self.env.uid
            if not (vals.get("reason") or "").strip():
                raise UserError(self.env._("Give the reason for adjusting the hours; it is kept on the contract."))
            contract = self.env["it.contract"].browse(vals.get("contract_id")).exists()
            if not contract or contract.contract_type != "hour_package" or contract.state != "active":
                raise ValidationError(self.env._(
                    "Hours can be adjusted on a running hour package only; %(contract)s is not one.",
                    contract=contract.name or "-",
                ))
            day = fields.Date.to_date(vals.get("date")) or today
            if day < contract.date_start or (contract.date_end and day > contract.date_end):
                raise ValidationError(self.env._(
                    "The adjustment of %(contract)s is dated %(date)s, outside the package (%(start)s to %(end)s).",
                    contract=contract.name, date=day, start=contract.date_start, end=contract.date_end,
                ))
            changes[contract] = changes.get(contract, 0.0) + (vals.get("hours") or 0.0)
        pools = {("package", contract.id): {"hours_total": contract.sudo().hours_available} for contract in changes}
        with self.env["it.hours.pool"]._it_draw(pools):
            for contract, hours in changes.items():
                state = pools["package", contract.id]
                left = state["hours_total"] - state["hours_used"]
                if float_compare(left + hours, 0.0, precision_digits=6) < 0:
                    raise ValidationError(self.env._(
                        "Package %(contract)s has %(left)s left: it cannot lose more hours than that.",
                        contract=contract.name, left=format_duration(left),
                    ))
                # until this transaction commits, the others' draws count these hours as gone
                state["hours_cut"] = max(-hours, 0.0)
