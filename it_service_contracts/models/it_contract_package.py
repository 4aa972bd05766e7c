"""The hours of an hour package: what it holds, what its time drew, the warnings, expiry and rollover.

The hours used are the sum of the package's timesheet lines; lines draw on it through ``it.hours.pool``, so that
two technicians logging its last hours at once never overdraw it (design rule 4). The counters are kept by the
addon alone; a manager corrects the hours with an adjustment.
"""
from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_compare, format_date, format_duration

from .it_money import MONEY_GROUPS

# counters of the hours: kept by the addon alone (design rule 9); a manager corrects them with an adjustment
COUNTER_FIELDS = frozenset({
    "hours_used", "hours_remaining", "hours_adjusted", "hours_available", "hours_rolled_over", "hours_sold",
    "hours_carried_over", "hours_forfeited", "hours_rollover_available", "usage_warning_sent",
    "depleted_warning_sent", "expiry_warning_sent",
})


class ItContractPackage(models.AbstractModel):
    """The package side of :class:`it.contract` (its fields live on the contract's table)."""

    _name = "it.contract.package"
    _description = "Hours of an Hour Package"

    currency_id = fields.Many2one("res.currency", string="Currency")  # the contract's: its company's
    hours_used = fields.Float(
        compute="_compute_hours_used", help="Billable hours drawn from the package by timesheets.",
    )
    adjustment_ids = fields.One2many("it.contract.adjustment", "contract_id", string="Adjustments", readonly=True)
    hours_adjusted = fields.Float(
        string="Hours Adjusted", compute="_compute_hours_adjusted", store=True,
        help="Hours added (or taken off) by the managers' adjustments.",
    )
    hours_available = fields.Float(
        string="Hours Available", compute="_compute_hours_available", store=True,
        help="Hours bought, carried in and adjusted: what the package's time can draw on.",
    )
    hours_remaining = fields.Float(compute="_compute_hours_remaining")
    ledger_ids = fields.One2many(
        "it.contract.ledger", "contract_id", string="Ledger", readonly=True,
        help="The movements of the package's hours, with the balance after each one.",
    )
    hours_sold = fields.Float(
        string="Hours Sold", compute="_compute_hours_sold", store=True,
        help="The hours the client pays for: bought, less those carried in from the previous package.",
    )
    package_price = fields.Monetary(compute="_compute_package_price", string="Package Price", groups=MONEY_GROUPS)
    usage_warning_percent = fields.Float(
        string="Usage Warning (%)", default=80.0, tracking=True,
        help="The account manager and the client are warned once this share of the package hours is used.",
    )
    expiry_warning_days = fields.Integer(
        string="Expiry Warning (days)", default=14, tracking=True,
        help="The account manager and the client are warned this many days before the package ends.",
    )
    usage_warning_sent = fields.Boolean(readonly=True, copy=False)
    depleted_warning_sent = fields.Boolean(readonly=True, copy=False)
    expiry_warning_sent = fields.Boolean(readonly=True, copy=False)
    rollover_allowed = fields.Boolean(
        string="Roll Over Unused Hours", tracking=True,
        help="Hours left when the package ends are carried into its renewal, up to the cap; otherwise they are "
        "forfeited.",
    )
    rollover_cap_hours = fields.Float(
        string="Rollover Cap (h)", tracking=True, help="Most hours carried into the renewal; 0 carries them all.",
    )
    hours_rolled_over = fields.Float(
        string="Hours Carried In", readonly=True, copy=False,
        help="Unused hours of the previous package included in the hours of this one; they are not billed again.",
    )
    hours_rollover_available = fields.Float(
        string="Hours to Carry Over", readonly=True, copy=False,
        help="Unused hours that will be added to the renewal of this package.",
    )
    hours_carried_over = fields.Float(
        string="Hours Carried Out", readonly=True, copy=False, help="Unused hours moved into the renewal.",
    )
    hours_forfeited = fields.Float(
        readonly=True, copy=False, help="Hours left unused when the package expired and not carried over.",
    )
    _check_hours_available = models.Constraint(
        "CHECK(hours_available IS NULL OR hours_available >= 0)",
        "A package cannot have fewer than zero hours available.",
    )
    # the hours sold are the hours less those carried in: a package never sells fewer than none
    _check_hours_carried_in = models.Constraint(
        "CHECK(COALESCE(hours_total, 0) >= COALESCE(hours_rolled_over, 0))",
        "The hours of a package include the hours carried into it: they cannot be fewer.",
    )

    # ------------------------------------------------------------------ counters

    @api.depends("adjustment_ids.hours")
    def _compute_hours_adjusted(self):
        totals = dict(self.env["it.contract.adjustment"].sudo()._read_group(
            [("contract_id", "in", self.ids)], ["contract_id"], ["hours:sum"],
        ))
        for contract in self:
            contract.hours_adjusted = totals.get(contract.sudo(), 0.0)

    @api.depends("hours_total", "hours_adjusted", "hours_carried_over")
    def _compute_hours_available(self):
        for contract in self:
            # hours carried into a renewal left this package, even if it is reactivated (a renewal withdrawn
            # before it ran gives them back)
            contract.hours_available = contract.hours_total + contract.hours_adjusted - contract.hours_carried_over

    @api.depends("timesheet_ids.it_billable_hours", "timesheet_ids.it_billing_type")
    def _compute_hours_used(self):
        """The sum of the package's lines, as this transaction sees them (one query for all the packages)."""
        used = dict(self.env["account.analytic.line"].sudo()._read_group(
            [("it_contract_id", "in", self.ids), ("it_billing_type", "=", "package")],
            ["it_contract_id"], ["it_billable_hours:sum"],
        ))
        for contract in self:
            contract.hours_used = used.get(contract._origin.sudo(), 0.0) if contract.contract_type == "hour_package" \
                else 0.0

    @api.depends("hours_available", "hours_used")
    def _compute_hours_remaining(self):
        for contract in self:
            contract.hours_remaining = contract.hours_available - contract.hours_used

    @api.depends("hours_total", "hours_rolled_over")
    def _compute_hours_sold(self):
        for contract in self:
            contract.hours_sold = contract.hours_total - contract.hours_rolled_over

    @api.depends("hours_sold", "hourly_rate")
    def _compute_package_price(self):
        for contract in self:
            contract.package_price = contract.hours_sold * contract.hourly_rate


    def write(self, vals):
        self._it_check_hours_bought_change(vals)
        return super().write(vals)

    @api.constrains("hours_total", "hours_carried_over")
    def _check_hours_cover_the_time_drawn(self):
        """Hours bought or carried out never go below what the package's time has drawn (an adjustment checks its
        own hours the same way, see ``it.contract.adjustment``)."""
        for package in self.filtered(lambda c: c.contract_type == "hour_package"):
            if float_compare(package.hours_used, package.hours_available, precision_digits=6) > 0:
                raise ValidationError(self.env._(
                    "Package %(name)s has drawn %(used)s: its hours available cannot go below that (%(available)s).",
                    name=package.name, used=format_duration(package.hours_used),
                    available=format_duration(package.hours_available),
                ))

    def _it_check_hours_bought_change(self, vals):
        """The hours bought are the sale; once a package has started, hours are corrected by an adjustment."""
        if "hours_total" not in vals or self._it_is_addon_write():
            return
        started = self.filtered(lambda c: c.contract_type == "hour_package" and c.state != "draft" and float_compare(
            c.hours_total, vals["hours_total"] or 0.0, precision_digits=6))
        if started:
            raise UserError(self.env._(
                "Package %(name)s has started: its hours bought no longer change. Correct its hours with an "
                "adjustment, which keeps the reason.", name=started[0].name,
            ))


    # ------------------------------------------------------------------ usage warnings of a transaction

    @api.model
    def _it_note_usage_levels(self, states, used_before):
        """Keep what a draw changed, so that the warnings of the levels crossed go out before commit.

        :param states: ``{package id: {"hours_total", "hours_used", "usage_warning_percent"}}`` after the draw
        :param used_before: ``{("package", id): hours used before}``, as :meth:`it.hours.pool._it_draw` yields it
        """
        # the warnings follow what the transaction changed in total: an edit gives its hours back and draws
        # them again, which must not send a warning twice; so the level before the first change is kept
        levels = self.env.cr.precommit.data.setdefault("it_contract.usage_levels", {})
        for pid, state in states.items():
            before = used_before["package", pid]
            if state["hours_used"] == before:
                continue
            if not levels:
                self.env.cr.precommit.add(self._it_warn_usage_levels_crossed)
            first = levels.setdefault(pid, {"state": state, "level": self._it_usage_level(state, before)})
            first["used"] = state["hours_used"]

    @api.model
    def _it_warn_usage_levels_crossed(self):
        """Before commit: the usage warnings of the packages whose level the transaction changed."""
        levels = self.env.cr.precommit.data.pop("it_contract.usage_levels", {})
        crossed = self.sudo().browse(
            pid for pid, first in levels.items()
            if self._it_usage_level(first["state"], first["used"]) != first["level"]
        ).exists()
        crossed._it_check_usage_warnings()
        self.env.flush_all()

    @api.model
    def _it_usage_level(self, state, used):
        """The package's usage level with ``used`` hours drawn: 0 below its warning share, 1 from it, 2 when its
        hours are used up. ``state`` gives ``hours_total`` (the hours available) and ``usage_warning_percent``.
        The one usage rule: the warnings at commit, the warning job and the client's figures all ask it."""
        total = state["hours_total"]
        if total <= 0:
            return 0
        if used >= total:
            return 2
        return 1 if used * 100.0 >= total * state["usage_warning_percent"] else 0

    # ------------------------------------------------------------------ warnings

    def _it_check_usage_warnings(self):
        """Warn once when a package reaches its usage threshold and once when it is used up; re-arm on release."""
        for package in self.filtered(lambda c: c.contract_type == "hour_package" and c.hours_available > 0):
            level = self._it_usage_level(
                {"hours_total": package.hours_available, "usage_warning_percent": package.usage_warning_percent},
                package.hours_used,
            )
            over_threshold, depleted = level >= 1, level == 2
            used_share = package.hours_used * 100.0 / package.hours_available
            if depleted and not package.depleted_warning_sent:
                package._it_addon_write({"depleted_warning_sent": True, "usage_warning_sent": True})
                package._it_warn("it_service_contracts.mail_template_package_depleted", self.env._(
                    "The hours of package %s are used up", package.name))
            elif not depleted and over_threshold and not package.usage_warning_sent:
                package._it_addon_write({"usage_warning_sent": True})
                package._it_warn("it_service_contracts.mail_template_package_usage", self.env._(
                    "%(percent)s%% of package %(name)s is used", percent=round(used_share), name=package.name))
            if not depleted and package.depleted_warning_sent:
                package._it_addon_write({"depleted_warning_sent": False})
            if not over_threshold and package.usage_warning_sent:
                package._it_addon_write({"usage_warning_sent": False})

    def _it_warn(self, template_xmlid, summary, note=None):
        """Email the client contact and the account manager, and give the account manager a to-do."""
        self.ensure_one()
        template = self.env.ref(template_xmlid, raise_if_not_found=False)
        if template:
            self.with_context(mail_notify_force_send=False).message_post_with_source(
                template, subtype_xmlid="mail.mt_comment",
                partner_ids=(self._it_client_contacts() | self.user_id.partner_id).ids,
            )
        self.sudo().activity_schedule(
            "mail.mail_activity_data_todo", summary=summary, note=note,
            user_id=self.user_id.id or self.env.uid,
        )

    def _it_client_contacts(self):
        """Who hears about the client's hours: the client if it has an email, else its contacts with one."""
        self.ensure_one()
        client = self.partner_id
        if client.email:
            return client
        return client.child_ids.filtered(lambda p: p.type == "contact" and p.email)[:1] or client

    @api.model
    def _cron_package_warnings(self, batch_size=200):
        """Send the usage, used-up and expiry warnings that are due (batched, idempotent, multi-worker safe)."""
        today = fields.Date.context_today(self)
        queries = {
            # the packages a warning may still be due for; _it_check_usage_warnings decides by the usage rule
            "usage": lambda limit, exclude: SQL(
                """SELECT id FROM it_contract
                    WHERE state = 'active' AND contract_type = 'hour_package' AND hours_available > 0
                      AND NOT COALESCE(depleted_warning_sent, FALSE)
                      AND EXISTS(SELECT 1 FROM account_analytic_line l
                                  WHERE l.it_contract_id = it_contract.id AND l.it_billing_type = 'package')
                      AND id != ALL(%s)
                    ORDER BY id LIMIT %s""", exclude, limit),
            "expiry": lambda limit, exclude: SQL(
                """SELECT id FROM it_contract
                    WHERE state = 'active' AND contract_type = 'hour_package' AND date_end IS NOT NULL
                      AND NOT COALESCE(expiry_warning_sent, FALSE)
                      AND date_end - COALESCE(expiry_warning_days, 0) <= %s
                      AND id != ALL(%s)
                    ORDER BY id LIMIT %s""", today, exclude, limit),
        }

        for kind, query in queries.items():
            process = (lambda contracts: contracts._it_check_usage_warnings()) if kind == "usage" else (
                lambda contracts: contracts._it_send_expiry_warnings())
            self.env["it.cron.batch"]._it_run(
                self._it_fetch_once(query), process, batch_size=batch_size,
                responsible=lambda contract: contract.user_id, label=self.env._("Package warnings"),
            )

    @api.model
    def _it_fetch_once(self, query):
        """A fetch for it.cron.batch that never hands out a package twice in a run, so that the job cannot spin
        on one it does not flag."""
        done = set()

        def fetch(limit, exclude):
            self.flush_model()
            ids = [row[0] for row in self.env.execute_query(query(limit, list(exclude | done)))]
            done.update(ids)
            return self.browse(ids)

        return fetch

    def _it_send_expiry_warnings(self):
        for package in self.filtered(lambda c: not c.expiry_warning_sent):
            package._it_addon_write({"expiry_warning_sent": True})
            package._it_warn("it_service_contracts.mail_template_package_expiring", self.env._(
                "Package %(name)s ends on %(date)s with %(hours)s left",
                name=package.name, date=format_date(self.env, package.date_end),
                hours=format_duration(package.hours_remaining)))

    # ------------------------------------------------------------------ expiry and rollover

    def _it_on_expiry(self):
        """Record what an expiring package leaves unused, carry it over if allowed, and offer a renewal."""
        for package in self.filtered(lambda c: c.contract_type == "hour_package"):
            left = max(package.hours_available - package.hours_used, 0.0)
            carry = 0.0
            if package.rollover_allowed:
                # the cap bounds all the package carries out in its life: a package that expires again after a
                # reactivation carries only what the cap has left
                room = package.rollover_cap_hours - package.hours_carried_over \
                    if package.rollover_cap_hours > 0 else left
                carry = min(left, max(room, 0.0))
            package._it_addon_write({"hours_forfeited": left - carry, "hours_rollover_available": carry})
            renewal = package.renewal_id.filtered(lambda c: c.state in ("draft", "active"))
            if renewal:
                package._it_carry_over(renewal)
            package.message_post(body=self.env._(
                "Package expired with %(left)s unused: %(forfeited)s forfeited, %(carried)s carried over.",
                left=format_duration(left), forfeited=format_duration(left - carry), carried=format_duration(carry),
            ))
            note = None if renewal else self.env._("Offer the client a renewal (the Renew button on the package).")
            package._it_warn("it_service_contracts.mail_template_package_expired", self.env._(
                "Package %s expired: offer a renewal", package.name), note=note)

    def _it_carry_over(self, renewal):
        """Move the unused hours this package may carry over into its renewal, once it has ended (expired or
        closed)."""
        self.ensure_one()
        carry = self.hours_rollover_available
        if carry <= 0 or self.state not in ("expired", "closed") or renewal.contract_type != "hour_package":
            return
        renewal._it_addon_write({
            "hours_total": renewal.hours_total + carry,
            "hours_rolled_over": renewal.hours_rolled_over + carry,
        })
        self._it_addon_write({"hours_rollover_available": 0.0, "hours_carried_over": self.hours_carried_over + carry})
        renewal.message_post(body=self.env._(
            "%(hours)s unused hours carried over from %(previous)s.", hours=round(carry, 2), previous=self.name,
        ))
        self.message_post(body=self.env._(
            "%(hours)s unused hours carried over into %(renewal)s.", hours=round(carry, 2), renewal=renewal.name,
        ))

    def _it_give_back_carried_in(self):
        """The hours carried into these renewals go back to the packages they came from: a renewal cancelled or
        deleted before it ran never used them. Their package carries them again into its next renewal (or this
        one set back to draft); a package running again has them back."""
        for renewal in self.filtered(lambda c: c.hours_rolled_over > 0 and c.previous_contract_id):
            hours, previous = renewal.hours_rolled_over, renewal.previous_contract_id
            renewal._it_addon_write({"hours_total": renewal.hours_total - hours, "hours_rolled_over": 0.0})
            back = {"hours_carried_over": max(previous.hours_carried_over - hours, 0.0)}
            if previous.state != "active":
                back["hours_rollover_available"] = previous.hours_rollover_available + hours
            previous._it_addon_write(back)
            renewal.message_post(body=self.env._(
                "%(hours)s carried over from %(previous)s went back to it: this renewal was withdrawn before it "
                "ran.", hours=format_duration(hours), previous=previous.name,
            ))
            previous.message_post(body=self.env._(
                "%(hours)s carried into %(renewal)s came back: the renewal was withdrawn before it ran.",
                hours=format_duration(hours), renewal=renewal.name,
            ))

    def _it_take_carry_over(self):
        """These renewals, set back to draft, receive the hours their package may carry over."""
        for renewal in self.filtered("previous_contract_id"):
            renewal.previous_contract_id._it_carry_over(renewal)

    def _it_after_renew(self, renewal):
        """The renewal buys the same hours as this package did; unused hours come on top when allowed."""
        self.ensure_one()
        if self.contract_type != "hour_package":
            return
        renewal.hours_total = self.hours_sold
        self._it_carry_over(renewal)

    def unlink(self):
        self.check_access("unlink")  # before anything moves
        self.filtered(lambda c: c.state == "draft")._it_give_back_carried_in()
        return super().unlink()
