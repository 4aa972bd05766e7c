from odoo import fields, models


class ProjectTask(models.Model):
    """Service requests are project tasks worked under a client's contract, or ad-hoc."""

    _inherit = "project.task"

    it_contract_id = fields.Many2one(
        "it.contract", string="IT Contract", index="btree_not_null", tracking=True, check_company=True,
        domain="[('state', '=', 'active'), ('partner_id', 'parent_of', partner_id)]",
        help="The contract this request is served under; empty for ad-hoc work.",
    )
