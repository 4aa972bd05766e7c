from odoo import api, models


class ItAuditPart(models.AbstractModel):
    """A part of an audit's record (its findings, its modernisation stages): made, changed and deleted only while
    the audit is open (``it.audit._it_check_open()``), whoever writes; what the addon maintains on it (the fields
    ``it.protected.fields.mixin`` guards: a finding's work plan task, a stage's totals) follows the audit's life."""

    _name = "it.audit.part"
    _inherit = ["it.protected.fields.mixin"]
    _description = "Part of an IT Audit's Record"

    @api.model_create_multi
    def create(self, vals_list):
        parts = super().create(vals_list)
        parts.audit_id._it_check_open()
        return parts

    def write(self, vals):
        self.check_access("write")  # a user who may not write is told that first, as Odoo does
        if vals.keys() - self._it_guarded_fields():
            (self.audit_id | self.env["it.audit"].browse(vals.get("audit_id") or []))._it_check_open()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_audit_completed(self):
        self.audit_id._it_check_open()
