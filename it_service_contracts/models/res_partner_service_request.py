from odoo import fields, models


class ResPartner(models.Model):
    """Service requests of a client (the other client figures are in res_partner.py)."""

    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    it_request_count = fields.Integer(string="Service Requests", compute="_compute_it_request_count")

    def _compute_it_request_count(self):
        counts = dict(self.env["project.task"]._read_group(
            [("it_client_id", "in", self.commercial_partner_id.ids), ("it_is_service_request", "=", True)],
            ["it_client_id"], ["__count"],
        ))
        for partner in self:
            partner.it_request_count = counts.get(partner.commercial_partner_id, 0)

    def action_view_it_requests(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("it_service_contracts.it_service_request_action")
        action["domain"] = [("it_client_id", "=", self.commercial_partner_id.id), ("it_is_service_request", "=", True)]
        action["context"] = {
            "default_partner_id": self.id,
            "it_service_request": True,
            "search_default_open": 1,
        }
        return action
