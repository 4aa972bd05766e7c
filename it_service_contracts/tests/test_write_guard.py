from xmlrpc.client import Fault

from odoo.tests import tagged

from .test_rpc_roles import RpcRolesCommon

# what a caller sends for a field, by type: the guard refuses the key, whatever its value
PROBES = {
    "boolean": True, "integer": 1, "float": 1.0, "monetary": 1.0, "char": "x", "text": "x", "html": "<p>x</p>",
    "selection": False, "many2one": False, "date": False, "datetime": False,
}


@tagged("post_install", "-at_install")
class TestWriteGuard(RpcRolesCommon):
    """Every field only the addon writes, tried by every role through XML-RPC, on create (as a value and as a
    ``default_*`` context key) and on write: refused with a message, and nothing saved (design rule 9)."""

    def _guarded_records(self):
        line = self.env["account.analytic.line"].browse(self._log_as(self.technician, self.package_request, 1.0))
        period = self.flat.period_ids[:1]
        plan = self.env["it.maintenance.plan"].create({"name": "Server check", "contract_id": self.flat.id})
        source = self.env["it.alert.source"].create({"name": "Zabbix", "partner_id": self.flat.partner_id.id})
        audit = self.env["it.audit"].create({"partner_id": self.client.id, "company_id": self.company.id})
        finding = self.env["it.audit.finding"].create({"audit_id": audit.id, "name": "No UPS"})
        asset = self.env["it.asset"].create({"partner_id": self.client.id, "category_id": self.workstation_category.id})
        sla = self.env["it.contract.sla"].create(
            {"contract_id": self.flat.id, "priority": "3", "response_hours": 1.0, "resolution_hours": 4.0})
        return [self.package_request, line, self.package, period, plan, source, self.audit, finding, asset, sla,
                self.package_request.project_id]

    def test_every_guarded_field_is_refused_to_every_role(self):
        records = self._guarded_records()
        tried = 0
        for record in records:
            guarded = sorted(record._it_guarded_fields())
            self.assertTrue(guarded, f"{record._name} guards its bookkeeping")
            for user in (self.technician, self.manager, self.accountant):
                for name in guarded:
                    field = record._fields[name]
                    if field.type not in PROBES:
                        continue
                    before = record.sudo().read([name])[0][name]
                    with self.subTest(model=record._name, field=name, user=user.login):
                        with self.assertRaises(Fault) as caught:
                            self.rpc(user, record._name, "write", [record.id], {name: PROBES[field.type]})
                        # the guard's message, or the access rights' refusal of a role that may not write at all
                        self.assertRegex(caught.exception.faultString, "cannot be set by hand|kept by|decided by|"
                                         "maintained by|set by the invoicing|recorded when|access|not yours|rights")
                        self.env.invalidate_all()
                        self.assertEqual(record.sudo().read([name])[0][name], before, "nothing is saved")
                    tried += 1
        self.assertGreater(tried, 60)

    def test_guarded_fields_are_refused_on_create_and_in_default_keys(self):
        vals = {"name": "Forged", "project_id": self.package_request.project_id.id,
                "partner_id": self.package_request.partner_id.id}
        Task = self.env["project.task"]
        for name in ("it_is_adhoc", "it_client_id", "sla_state", "first_response_date"):
            value = PROBES[Task._fields[name].type] or self.client.id if name == "it_client_id" else \
                PROBES[Task._fields[name].type]
            for kwargs in ({"vals": {**vals, name: value}}, {"context": {f"default_{name}": value or "x"}}):
                with self.subTest(field=name, way=next(iter(kwargs))):
                    count = Task.search_count([("name", "=", "Forged")])
                    if Task._fields[name].related and "context" in kwargs:
                        # the key of a related field is dropped (a form passes its own on to what is made in it):
                        # the request is made, its client its contact's
                        task_id = self.rpc(self.technician, "project.task", "create", [vals],
                                           context={f"default_{name}": self.other_client.id})[0]
                        client = self.package_request.partner_id.commercial_partner_id
                        self.assertEqual(Task.browse(task_id).it_client_id, client)
                        Task.browse(task_id).unlink()
                        continue
                    with self.assertRaises(Fault):
                        self.rpc(self.technician, "project.task", "create", [kwargs.get("vals", vals)],
                                 context=kwargs.get("context", {}))
                    self.assertEqual(Task.search_count([("name", "=", "Forged")]), count)

    def test_a_request_does_not_move_to_another_client(self):
        """The client of a request follows its contact: writing it directly (it would show the request in
        another client's portal and draw that client's hours) is refused."""
        other = self.env["res.partner"].create({"name": "Other Client", "is_company": True})
        with self.assertRaises(Fault):
            self.rpc(self.technician, "project.task", "write", [self.package_request.id], {"it_client_id": other.id})
        with self.assertRaises(Fault):
            self.rpc(self.technician, "project.task", "write", [self.package_request.id], {"it_is_adhoc": False})
        self.env.invalidate_all()
        self.assertEqual(self.package_request.it_client_id, self.package.partner_id)
