"""Run inside `odoo shell` (stdin) by `tools/itsc upgrade-test`; ``env`` is the shell's environment.

ITSC_UPGRADE_STEP=record (with the released code, no demo data): record a month of a firm's work (contracts of
both types, requests, classified timesheet lines, contract months, SLA deadlines) and write every figure the
database holds to ITSC_UPGRADE_FILE. ITSC_UPGRADE_STEP=compare (after `-u` with the current code): read them
again and list every figure that changed; exit code 1 when one did.
"""
import json
import os
import sys
from datetime import date, timedelta

# the stored figures of each model that a firm's work depends on; a field missing after the upgrade is a loss
FIGURES = {
    "it.contract": [
        "name", "partner_id", "contract_type", "state", "date_start", "date_end", "date_confirmed", "hourly_rate",
        "hours_total", "hours_used", "package_price", "monthly_fee", "monthly_hours", "hours_rolled_over",
        "hours_carried_over", "hours_forfeited", "usage_warning_sent", "depleted_warning_sent",
        "expiry_warning_sent", "audit_id", "project_id", "analytic_account_id",
    ],
    "it.contract.period": ["contract_id", "date_start", "date_end", "hours_included", "hours_used", "hours_overage"],
    "account.analytic.line": [
        "task_id", "date", "unit_amount", "it_contract_id", "it_billing_type", "it_period_id", "it_billable_hours",
        "it_billing_override",
    ],
    # what a category costs: one value for every company before 19.0.2.4.0, each company's own since (the upgrade
    # gives each company the value it had); its service: services_by_company()
    "it.asset.category": ["name", "monthly_hours", "monthly_asset_price"],
    "project.task": [
        "it_is_service_request", "it_contract_id", "it_site_id", "it_service_product_id", "it_is_adhoc",
        "it_reported_date", "sla_response_deadline", "sla_resolution_deadline", "first_response_date",
        "sla_resolution_date", "sla_paused_hours", "sla_state",
    ],
}
DOMAINS = {
    "account.analytic.line": [("task_id", "!=", False)],
    "project.task": [("it_is_service_request", "=", True)],
}


def a_month_of_work(env):
    """A firm's month with the released code: two clients, a package and a flat contract with response times,
    requests under them and an ad-hoc one, and time logged on every working day of last month (and the month
    before for the flat contract) by two technicians."""
    today = date.today()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    month_before = (last_month - timedelta(days=1)).replace(day=1)
    company = env.company
    company.write({"it_adhoc_hourly_rate": 200.0, "it_package_hourly_rate": 160.0, "it_flat_hourly_rate": 130.0})
    support, servers, design = env["product.product"].create([
        {"name": "Workstation support", "type": "service"},
        {"name": "Server administration", "type": "service"},
        {"name": "Website design", "type": "service"},
    ])
    technicians = env["hr.employee"].create([{"name": "Anna Technik"}, {"name": "Piotr Serwisant"}])
    care = env["product.product"].create({"name": "Workstation care", "type": "service", "company_id": company.id})
    env.ref("it_service_contracts.asset_category_server").write(
        {"monthly_asset_price": 300.0, "service_product_id": servers.id})
    env.ref("it_service_contracts.asset_category_workstation").write(
        {"monthly_asset_price": 45.0, "service_product_id": care.id})
    # another firm of the database, whose own service the printers' category names
    second = env["res.company"].create({"name": "Druga firma IT"})
    theirs = env["product.product"].create({"name": "Printer care", "type": "service", "company_id": second.id})
    env.ref("it_service_contracts.asset_category_printer").write(
        {"monthly_asset_price": 20.0, "service_product_id": theirs.id})
    contracts = env["it.contract"]
    for name, contract_type, start in (("Kancelaria Nowak", "hour_package", last_month),
                                       ("Logistyka Wiśniewski", "monthly_flat", month_before)):
        client = env["res.partner"].create({"name": name, "is_company": True})
        sites = env["res.partner"].create([
            {"name": f"{name} HQ", "type": "other", "parent_id": client.id},
            {"name": f"{name} Branch", "type": "other", "parent_id": client.id},
        ])
        audit = env["it.audit"].create({
            "partner_id": client.id, "date": start - timedelta(days=10), "estimated_monthly_hours": 18.5,
            "recommended_type": contract_type,
            # an audit is completed with the client's inventory (19.0.2.0.0)
            "asset_ids": [(0, 0, {"category_id": env.ref("it_service_contracts.asset_category_server").id})],
        })
        audit.action_done()
        values = {
            "partner_id": client.id, "contract_type": contract_type, "date_start": start, "audit_id": audit.id,
            "service_product_ids": [(6, 0, (support | servers).ids)], "site_ids": [(6, 0, sites.ids)],
            "sla_line_ids": [(0, 0, {"priority": "0", "response_hours": 8.0, "resolution_hours": 24.0}),
                             (0, 0, {"priority": "1", "response_hours": 2.0, "resolution_hours": 8.0})],
        }
        if contract_type == "hour_package":
            values.update(validity_months=6, hours_total=40.0)
        else:
            values.update(monthly_fee=3000.0, monthly_hours=20.0, out_of_hours_response_hours=2.0)
        contract = env["it.contract"].create(values)
        contract.action_activate()
        contracts |= contract
    for contract in contracts:
        requests = env["project.task"].create([{
            "name": f"{contract.partner_id.name}: request {index}", "project_id": contract.project_id.id,
            "partner_id": contract.partner_id.id, "priority": str(index % 2),
        } for index in range(3)])
        requests.write({"it_contract_id": contract.id, "it_service_product_id": support.id,
                        "it_site_id": contract.site_ids[:1].id})
        adhoc = env["project.task"].create({
            "name": f"{contract.partner_id.name}: website", "project_id": contract.project_id.id,
            "partner_id": contract.partner_id.id,
        })
        adhoc.write({"it_service_product_id": design.id})
        day, index = contract.date_start, 0
        while day < today.replace(day=1):
            if day.weekday() < 5:
                request = (requests | adhoc)[index % 4]
                env["account.analytic.line"].create({
                    "name": "Support", "task_id": request.id, "project_id": request.project_id.id,
                    "employee_id": technicians[index % 2].id, "unit_amount": 0.75 + (index % 3) * 0.5, "date": day,
                })
                index += 1
            day += timedelta(days=1)
    env.flush_all()


def services_by_company(env, expected=False):
    """Each category's support service as each company reads it. Before 19.0.2.4.0 one service for all: what a
    company should read after the upgrade (``expected``) is that service where the company may sell it."""
    result = {}
    for category in env["it.asset.category"].with_context(active_test=False).search([], order="id"):
        for company in env["res.company"].search([], order="id"):
            service = category.with_company(company).service_product_id
            if expected and service.company_id not in (company, env["res.company"]):
                service = service.browse()
            result[f"{category.id}/{company.id}"] = service.id
    return result


def figures(env):
    result = {}
    for model, names in FIGURES.items():
        records = env[model].with_context(active_test=False).search(DOMAINS.get(model, []), order="id")
        present = [name for name in names if name in records._fields]
        rows = {}
        for values in records.read(present, load=None):
            rows[str(values.pop("id"))] = values
        result[model] = {"fields": present, "rows": rows}
    audits = env["it.audit"].search([], order="id")
    result["it.audit"] = {str(audit.id): {
        "estimated_monthly_hours": audit.estimated_monthly_hours,
        # before the inventory the form was typed by hand; since then it is the one the audit stands for
        "form": audit.contract_type if "contract_type" in audit._fields else audit.recommended_type,
    } for audit in audits}
    return result


def compare(before, after):
    changes = []
    for model, old in before.items():
        if model == "services by company":
            changes += [f"category/company {key}: service {value!r} expected, {after[model].get(key)!r} read"
                        for key, value in old.items() if after[model].get(key) != value]
            continue
        if model == "it.audit":
            for audit_id, values in old.items():
                new = after[model].get(audit_id)
                if new is None:
                    changes.append(f"it.audit {audit_id} is gone")
                    continue
                for key, value in values.items():
                    if (round(new[key], 4) if isinstance(value, float) else new[key]) != (
                            round(value, 4) if isinstance(value, float) else value):
                        changes.append(f"it.audit {audit_id} {key}: {value!r} -> {new[key]!r}")
            continue
        missing = [name for name in old["fields"] if name not in after[model]["fields"]]
        if missing:
            changes.append(f"{model}: fields lost {missing}")
        for record_id, values in old["rows"].items():
            new = after[model]["rows"].get(record_id)
            if new is None:
                changes.append(f"{model} {record_id} is gone")
                continue
            for key, value in values.items():
                if key in new and json.dumps(new[key], default=str) != json.dumps(value, default=str):
                    changes.append(f"{model} {record_id} {key}: {value!r} -> {new[key]!r}")
    return changes


def main(env):
    step, path = os.environ["ITSC_UPGRADE_STEP"], os.environ["ITSC_UPGRADE_FILE"]
    if step == "record":
        a_month_of_work(env)
        data = figures(env)
        data["services by company"] = services_by_company(env, expected=True)
        env.cr.commit()
        with open(path, "w", encoding="utf-8") as file:
            json.dump(data, file, default=str)
        counts = {model: len(values.get("rows", values)) for model, values in data.items()}
        print(f"[upgrade] recorded {counts}", file=sys.stderr)
        return 0
    with open(path, encoding="utf-8") as file:
        before = json.load(file)
    after = json.loads(json.dumps(figures(env), default=str))
    after["services by company"] = services_by_company(env)
    changes = compare(before, after)
    for change in changes[:50]:
        print(f"[upgrade] changed: {change}", file=sys.stderr)
    total = sum(len(values.get("rows", values)) for values in before.values())
    print(f"[upgrade] {total} records compared, {len(changes)} figures changed", file=sys.stderr)
    return 1 if changes else 0


sys.exit(main(env))  # noqa: F821 - `env` is given by odoo shell
