from odoo import api, fields, models
from odoo.tools import SQL

from .it_forms import COOPERATION_FORMS
from .it_money import MONEY_GROUPS


class ItServiceReport(models.Model):
    """The manager's figures per client, contract and month, read from the records that hold them.

    One row per event (hours sold, a timesheet line, a closed request, an invoice line) so that every
    measure adds up in pivot and graph views whatever the grouping; SLA compliance is 100 or 0 on the rows
    of closed requests and empty elsewhere, so its average is the share of requests that met their SLA. A row's
    id is its source record's id times five plus the kind of event, stable from one reading to the next.
    """

    _name = "it.service.report"
    _description = "IT Services Analysis"
    _auto = False
    _order = "date desc, partner_id"
    _rec_name = "partner_id"

    date = fields.Date(string="Month", readonly=True)
    company_id = fields.Many2one("res.company", string="Company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Client", readonly=True)
    contract_id = fields.Many2one("it.contract", string="Contract", readonly=True)
    contract_type = fields.Selection(COOPERATION_FORMS, string="Contract Type", readonly=True)
    hours_sold = fields.Float(string="Hours Sold", readonly=True)
    hours_worked = fields.Float(string="Hours Worked", readonly=True)
    hours_invoiced = fields.Float(string="Hours Invoiced", readonly=True)
    hours_overage = fields.Float(string="Overage Hours", readonly=True)
    request_count = fields.Integer(string="Closed Requests", readonly=True)
    sla_met_count = fields.Integer(string="SLA Met", readonly=True)
    sla_compliance = fields.Float(string="SLA Compliance (%)", readonly=True, aggregator="avg")
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency", readonly=True)
    revenue = fields.Monetary(
        string="Revenue", readonly=True, currency_field="currency_id",
        groups=MONEY_GROUPS,
        help="Invoiced untaxed amount, net of credit notes, in the company's currency.",
    )

    @property
    def _table_query(self):
        return SQL(
            """
            -- hours sold: a package in the month it starts (without the hours carried into it), a flat month
            SELECT c.id * 5 AS id, c.company_id, c.partner_id, c.id AS contract_id, c.contract_type,
                   date_trunc('month', c.date_start)::date AS date,
                   COALESCE(c.hours_sold, 0) AS hours_sold,
                   0.0 AS hours_worked, 0.0 AS hours_invoiced, 0.0 AS hours_overage,
                   0 AS request_count, 0 AS sla_met_count, NULL::float AS sla_compliance, 0.0 AS revenue
              FROM it_contract c
             WHERE c.contract_type = 'hour_package' AND c.state IN ('active', 'expired', 'closed')
            UNION ALL
            SELECT p.id * 5 + 1, p.company_id, p.partner_id, p.contract_id, 'monthly_flat', p.date_start,
                   p.hours_included, 0.0, 0.0, 0.0, 0, 0, NULL, 0.0
              FROM it_contract_period p
            UNION ALL
            -- time on service requests: worked, invoiced (on a posted invoice), overage
            SELECT l.id * 5 + 2, l.company_id, t.it_client_id, l.it_contract_id, COALESCE(c.contract_type, 'adhoc'),
                   date_trunc('month', l.date)::date,
                   0.0, l.unit_amount,
                   CASE WHEN im.state = 'posted' THEN COALESCE(l.it_billable_hours, 0) ELSE 0 END,
                   CASE WHEN l.it_billing_type = 'overage' THEN COALESCE(l.it_billable_hours, 0) ELSE 0 END,
                   0, 0, NULL, 0.0
              FROM account_analytic_line l
              JOIN project_task t ON t.id = l.task_id AND t.it_is_service_request
         LEFT JOIN it_contract c ON c.id = l.it_contract_id
         LEFT JOIN account_move im ON im.id = l.it_invoice_id
             WHERE l.project_id IS NOT NULL
            UNION ALL
            -- requests whose SLA is settled, in the month they were reported
            SELECT t.id * 5 + 3, t.company_id, t.it_client_id, t.it_contract_id, COALESCE(c.contract_type, 'adhoc'),
                   date_trunc('month', COALESCE(t.it_reported_date, t.create_date))::date,
                   0.0, 0.0, 0.0, 0.0, 1, t.sla_met_count, t.sla_compliance, 0.0
              FROM project_task t
         LEFT JOIN it_contract c ON c.id = t.it_contract_id
             WHERE t.it_is_service_request AND t.sla_state IN ('met', 'breached')
            UNION ALL
            -- revenue: the product lines of the posted IT invoices and of their credit notes
            SELECT aml.id * 5 + 4, m.company_id, m.commercial_partner_id, COALESCE(m.it_contract_id, o.it_contract_id),
                   COALESCE(c.contract_type, 'adhoc'), date_trunc('month', m.invoice_date)::date,
                   0.0, 0.0, 0.0, 0.0, 0, 0, NULL, -aml.balance
              FROM account_move_line aml
              JOIN account_move m ON m.id = aml.move_id
         LEFT JOIN account_move o ON o.id = m.reversed_entry_id
         LEFT JOIN it_contract c ON c.id = COALESCE(m.it_contract_id, o.it_contract_id)
             WHERE m.state = 'posted' AND m.move_type IN ('out_invoice', 'out_refund')
               AND aml.display_type = 'product'
               AND (m.it_invoice_kind IS NOT NULL OR o.it_invoice_kind IS NOT NULL)
            """
        )

    @api.model
    def _it_partner_figures(self, partners, date_from):
        """The report's totals per client (its commercial entity) since ``date_from``, for the smart buttons."""
        aggregates = ["hours_sold:sum", "hours_worked:sum", "hours_invoiced:sum", "hours_overage:sum",
                      "sla_compliance:avg"]
        if self.env.user.has_groups(MONEY_GROUPS):
            aggregates.append("revenue:sum")
        groups = self._read_group(
            [("partner_id", "in", partners.commercial_partner_id.ids), ("date", ">=", date_from)],
            ["partner_id"], aggregates,
        )
        return {partner.id: dict(zip(aggregates, values, strict=True)) for partner, *values in groups}
