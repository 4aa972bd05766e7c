from odoo import fields, models, tools
from odoo.tools import SQL

MOVEMENT_TYPES = [
    ("purchase", "Purchase"),
    ("rollover_in", "Carried In"),
    ("adjustment", "Adjustment"),
    ("usage", "Usage"),
    ("rollover_out", "Carried Out"),
    ("expiry", "Expiry"),
]


class ItContractLedger(models.Model):
    """The movements of an hour package's hours, with the balance after each one.

    Read from the records that hold the hours, so it never disagrees with them: the hours bought and carried
    in (``hours_total``, ``hours_rolled_over``), the managers' adjustments, the time the package covered
    (``it_billable_hours`` of its ``package`` lines, grouped per request and month: what ``hours_used``
    adds up) and, at the end date, the hours carried into the renewal and those forfeited. The last balance
    is thus ``hours_remaining`` less the hours forfeited at expiry (which a reactivation gives back).

    A row's id is its source record's id times eight plus the kind of movement; a usage row's source is
    the first timesheet line of its request and month. Ids stay the same from one reading to the next.
    """

    _name = "it.contract.ledger"
    _description = "IT Package Ledger"
    _auto = False
    _order = "contract_id, date, sequence, id"
    _rec_name = "contract_id"
    _depends = {
        "it.contract": [
            "contract_type", "state", "partner_id", "company_id", "name", "date_confirmed", "date_start", "date_end",
            "hours_sold", "hours_rolled_over", "hours_carried_over", "hours_forfeited", "previous_contract_id",
        ],
        "it.contract.adjustment": ["contract_id", "date", "hours", "reason"],
        "account.analytic.line": ["it_contract_id", "it_billing_type", "it_billable_hours", "task_id", "date"],
    }

    contract_id = fields.Many2one("it.contract", string="Contract", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Client", readonly=True)
    company_id = fields.Many2one("res.company", string="Company", readonly=True)
    date = fields.Date(readonly=True)
    sequence = fields.Integer(readonly=True, help="Order of the movements of one day.")
    movement_type = fields.Selection(MOVEMENT_TYPES, string="Movement", readonly=True)
    task_id = fields.Many2one("project.task", string="Request", readonly=True)
    description = fields.Char(readonly=True)
    hours = fields.Float(readonly=True, help="Hours added to the package (negative: taken from it).")
    balance = fields.Float(string="Balance", readonly=True, aggregator=None, help="Hours left after the movement.")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        # the balance is partitioned by the contract's client and company too (they follow from the contract):
        # the record rules' conditions on them can then be applied before the running sums are computed
        self.env.cr.execute(SQL(
            """CREATE VIEW %(view)s AS (
                SELECT m.id, m.contract_id, m.partner_id, m.company_id, m.date, m.sequence, m.movement_type,
                       m.task_id, m.description, m.hours,
                       SUM(m.hours) OVER (PARTITION BY m.contract_id, m.partner_id, m.company_id
                                          ORDER BY m.date, m.sequence, m.id ROWS UNBOUNDED PRECEDING) AS balance
                  FROM (%(movements)s) AS m
            )""",
            view=SQL.identifier(self._table), movements=self._it_movements_query(),
        ))

    def _it_movements_query(self):
        packages = SQL("c.contract_type = 'hour_package' AND c.state NOT IN ('draft', 'cancelled')")
        return SQL(
            """
            -- hours bought, on the day the package was confirmed (or started, if earlier)
            SELECT c.id::bigint * 8 AS id, c.id AS contract_id, c.partner_id, c.company_id,
                   LEAST(c.date_confirmed, c.date_start) AS date, 0 AS sequence, 'purchase' AS movement_type,
                   NULL::integer AS task_id, NULL::varchar AS description,
                   COALESCE(c.hours_sold, 0) AS hours
              FROM it_contract c
             WHERE %(packages)s AND COALESCE(c.hours_sold, 0) != 0
            UNION ALL
            -- hours carried in from the previous package
            SELECT c.id::bigint * 8 + 1, c.id, c.partner_id, c.company_id, LEAST(c.date_confirmed, c.date_start), 1,
                   'rollover_in', NULL, p.name, c.hours_rolled_over
              FROM it_contract c
         LEFT JOIN it_contract p ON p.id = c.previous_contract_id
             WHERE %(packages)s AND COALESCE(c.hours_rolled_over, 0) != 0
            UNION ALL
            SELECT a.id::bigint * 8 + 2, c.id, c.partner_id, c.company_id, a.date, 2, 'adjustment', NULL, a.reason,
                   a.hours
              FROM it_contract_adjustment a
              JOIN it_contract c ON c.id = a.contract_id
             WHERE %(packages)s
            UNION ALL
            -- the time covered by the package, per request and month, on the last day time was logged
            SELECT MIN(l.id)::bigint * 8 + 3, c.id, c.partner_id, c.company_id, MAX(l.date), 3, 'usage', l.task_id,
                   NULL, -SUM(l.it_billable_hours)
              FROM account_analytic_line l
              JOIN it_contract c ON c.id = l.it_contract_id
             WHERE l.it_billing_type = 'package' AND %(packages)s
          GROUP BY c.id, l.task_id, date_trunc('month', l.date)
            HAVING SUM(l.it_billable_hours) != 0
            UNION ALL
            -- at the end: the hours carried into the renewal, then those forfeited
            SELECT c.id::bigint * 8 + 4, c.id, c.partner_id, c.company_id, c.date_end, 4, 'rollover_out', NULL,
                   (SELECT r.name FROM it_contract r
                     WHERE r.previous_contract_id = c.id AND r.state != 'cancelled' ORDER BY r.id LIMIT 1),
                   -c.hours_carried_over
              FROM it_contract c
             WHERE %(packages)s AND COALESCE(c.hours_carried_over, 0) != 0
            UNION ALL
            SELECT c.id::bigint * 8 + 5, c.id, c.partner_id, c.company_id, c.date_end, 5, 'expiry', NULL, NULL,
                   -c.hours_forfeited
              FROM it_contract c
             WHERE %(packages)s AND COALESCE(c.hours_forfeited, 0) != 0
            """,
            packages=packages,
        )
