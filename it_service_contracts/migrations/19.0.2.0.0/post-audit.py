"""Audits recorded before the inventory keep their figures: the hours typed by hand become the audit's adjustment
(no asset adds to them) and the form typed by hand becomes the manager's choice, with the reason saying so."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    cr.execute("SELECT to_regclass('it_audit_pre_audit_figures')")
    if not cr.fetchone()[0]:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    cr.execute("SELECT id, estimated_monthly_hours, recommended_type FROM it_audit_pre_audit_figures")
    for audit_id, hours, form in cr.fetchall():
        audit = env["it.audit"].browse(audit_id).exists()
        if not audit:
            continue
        values = {"adjustment_hours": hours or 0.0}
        if form:
            values.update(chosen_type=form, choice_reason=env._("Recorded before the recommendation was computed."))
        audit.write(values)
    cr.execute("DROP TABLE it_audit_pre_audit_figures")
