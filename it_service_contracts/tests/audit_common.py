from itertools import count

from odoo.tests import new_test_user

from .common import ItServiceCommon


class ItAuditCommon(ItServiceCommon):
    """Rates 200 / 160 / 130, the smallest package 20 h, the lowest flat fee 2,500; norms 0.4 h per workstation and
    4 h per server; a technician and a manager of the company."""

    _batches = count(1)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"it_package_minimum_hours": 20.0, "it_flat_minimum_fee": 2500.0})
        cls.server_category = cls.env.ref("it_service_contracts.asset_category_server")
        cls.workstation_category.write({"monthly_hours": 0.4, "monthly_asset_price": 0.0,
                                        "service_product_id": cls.service_support.id})
        cls.server_category.write({"monthly_hours": 4.0, "requires_response": True, "monthly_asset_price": 0.0,
                                   "service_product_id": cls.service_servers.id})
        cls.technician = new_test_user(
            cls.env, "audit_tech", password="audit_tech_pw", groups="it_service_contracts.group_it_technician",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )
        cls.manager = new_test_user(
            cls.env, "audit_manager", password="audit_manager_pw", groups="it_service_contracts.group_it_manager",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )

    @classmethod
    def _audit_with(cls, workstations, servers=0, partner=None, **values):
        batch = next(cls._batches)
        partner = partner or cls.env["res.partner"].create({"name": "Audited client", "is_company": True})
        assets = [(0, 0, {"category_id": cls.workstation_category.id, "serial": f"WS-{batch}-{i}"})
                  for i in range(workstations)]
        assets += [(0, 0, {"category_id": cls.server_category.id, "serial": f"SRV-{batch}-{i}"})
                   for i in range(servers)]
        return cls.env["it.audit"].create({
            "partner_id": partner.id, "company_id": cls.company.id, "date": "2026-01-10", "asset_ids": assets,
            **values,
        })
