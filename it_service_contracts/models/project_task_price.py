from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from .it_money import MONEY_GROUPS


class ItAdhocPrice(models.AbstractModel):
    """What an ad-hoc job costs the client: time and materials at the ad-hoc rate, or a fixed price an IT services
    manager quoted; the job's invoices. Mixed into ``project.task`` ahead of it."""

    _name = "it.adhoc.price"
    _description = "Price of an Ad-hoc Job"

    # the request's company (project.task's field, named here for the currency and the rate below)
    company_id = fields.Many2one("res.company")

    # a copy is a new job: priced at time and materials until a manager quotes it
    it_price_agreement = fields.Selection(
        [("fixed", "Quoted Fixed Price"), ("time_materials", "Time and Materials")],
        string="Price Agreement", compute="_compute_it_price_agreement", store=True, readonly=False, copy=False,
        help="How an ad-hoc job is priced: a quoted fixed price, or the hours worked at the ad-hoc rate.",
    )
    it_currency_id = fields.Many2one(related="company_id.currency_id", string="IT Currency")
    it_fixed_price = fields.Monetary(
        string="Fixed Price", currency_field="it_currency_id", copy=False, groups=MONEY_GROUPS,
    )
    it_invoice_ids = fields.One2many(
        "account.move", "it_task_id", string="Job Invoices", readonly=True, groups=MONEY_GROUPS,
    )
    it_adhoc_hourly_rate = fields.Monetary(
        related="company_id.it_adhoc_hourly_rate", currency_field="it_currency_id", string="Ad-hoc Rate",
        groups=MONEY_GROUPS,
    )

    _check_it_fixed_price = models.Constraint(
        "CHECK(it_fixed_price IS NULL OR it_fixed_price >= 0)", "A fixed price cannot be negative.",
    )

    @api.depends("it_is_adhoc")
    def _compute_it_price_agreement(self):
        for task in self:
            if not task.it_is_adhoc:
                task.it_price_agreement = False
            elif not task.it_price_agreement:
                task.it_price_agreement = "time_materials"

    @api.constrains("it_price_agreement", "it_fixed_price", "it_is_adhoc")
    def _check_it_price_agreement(self):
        for task in self.sudo():  # also when a technician, who may not read the price, writes the request
            if task.it_fixed_price < 0:
                raise ValidationError(self.env._("The fixed price of request %s cannot be negative.", task.name))
            if task.it_is_adhoc and task.it_price_agreement == "fixed" and task.it_fixed_price <= 0:
                raise ValidationError(self.env._(
                    "Ad-hoc request %s is quoted at a fixed price: enter the price.", task.name,
                ))

    @api.model_create_multi
    def create(self, vals_list):
        self._it_check_price_agreement_change(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._it_check_price_agreement_change([vals])
        self._it_check_price_of_an_invoiced_job(vals)
        return super().write(vals)

    def _it_check_price_of_an_invoiced_job(self, vals):
        """The price of a job on an invoice (draft or posted, not cancelled or credited) is what that invoice
        bills: it changes only once the invoice no longer stands, whoever writes."""
        names = {"it_price_agreement", "it_fixed_price"} & vals.keys()
        if not names or self._it_is_addon_write():
            return
        tasks = self.sudo()
        issued = tasks.it_invoice_ids.filtered(lambda move: move.it_invoice_kind == "adhoc")._it_issued()
        for task in tasks:
            invoice = (issued & task.it_invoice_ids)[:1]
            if invoice and task._it_changed_fields(vals, names):
                raise ValidationError(self.env._(
                    "Request %(task)s is billed on invoice %(invoice)s at the price agreed then: its price no longer "
                    "changes. Cancel or credit that invoice first to bill the job at another price.",
                    task=task.name, invoice=invoice.name or invoice.display_name,
                ))

    def _it_check_price_agreement_change(self, vals_list):
        """What an ad-hoc job costs the client is agreed by an IT services manager, not by the technician: a new
        request starts at time and materials, and only a manager sets or changes its agreement or price."""
        if self.env.su or self._it_is_addon_write() or self.env.user.has_group("it_service_contracts.group_it_manager"):
            return
        if self:  # a change of what was agreed, whatever the new value
            changed = any(
                task._it_changed_fields(vals, ("it_price_agreement", "it_fixed_price"))
                for vals in vals_list for task in self.sudo()
            )
        else:
            changed = any(vals.get("it_fixed_price") or vals.get("it_price_agreement") == "fixed" for vals in vals_list)
        if changed:
            raise AccessError(self.env._(
                "Only an IT services manager can quote a fixed price for an ad-hoc job; the technician logs the "
                "time, which is billed at the ad-hoc rate."
            ))


class ProjectTask(models.Model):
    _name = "project.task"
    _inherit = ["it.adhoc.price", "project.task"]
