"""Before 19.0.2.3.0 a package's and a month's hours used were counters every timesheet line rewrote, under a
row lock that made technicians on one contract wait for each other. They are now the sums of the lines (which
the counters always equalled), so the counters, their checks and the package's stored hours remaining go."""

from odoo.tools import SQL

COLUMNS = {
    "it_contract": ("hours_used", "hours_remaining"),
    "it_contract_period": ("hours_used", "hours_overage"),
}
CONSTRAINTS = {"it_contract": "it_contract_check_hours_used", "it_contract_period": "it_contract_period_check_hours"}


def migrate(cr, version):
    for table, constraint in CONSTRAINTS.items():
        cr.execute(SQL("ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", SQL.identifier(table),
                       SQL.identifier(constraint)))
        cr.execute(SQL("DELETE FROM ir_model_constraint WHERE name = %s", constraint))
    for table, columns in COLUMNS.items():
        for column in columns:
            cr.execute(SQL("ALTER TABLE %s DROP COLUMN IF EXISTS %s", SQL.identifier(table), SQL.identifier(column)))
