"""The audit's monthly hours and recommendation are now computed from its inventory: keep what was typed by hand."""


def migrate(cr, version):
    cr.execute("""
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'it_audit' AND column_name = 'estimated_monthly_hours'
    """)
    if not cr.fetchone():
        return
    cr.execute("""
        CREATE TABLE IF NOT EXISTS it_audit_pre_audit_figures AS
        SELECT id, estimated_monthly_hours, recommended_type FROM it_audit
    """)
