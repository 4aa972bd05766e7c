"""Audit: the recommendation and the report of an audit with a large inventory.

For an audit of 5,000 assets (by default; 4,000 workstations, 600 laptops, 200 servers, 200 network devices),
200 findings and 3 stages it measures, on the same data:

* the recommendation: the hours from the effort norms and the monthly cost of every form, computed again from
  scratch (cache cleared) as a change of a norm or of the inventory triggers it;
* the audit report rendered (HTML, which is what the PDF is printed from; the PDF itself when wkhtmltopdf is
  installed);
* a baseline: the same on an audit of 50 assets, and the ratio per asset.

Target: recommendation + report under 2 s for 5,000 assets on 2 cores.
"""
import time

from odoo import SUPERUSER_ID, api


def add_arguments(parser):
    parser.add_argument("--audit-assets", type=int, default=5000, help="assets in the large audit")
    parser.add_argument("--audit-repeat", type=int, default=3, help="repetitions of each measure (best kept)")


def _audit(env, size, name):
    client = env["res.partner"].create({"name": name, "is_company": True})
    sites = env["res.partner"].create([
        {"name": f"{name} site {i}", "type": "other", "parent_id": client.id} for i in range(4)
    ])
    categories = [env.ref(f"it_service_contracts.asset_category_{code}")
                  for code in ("workstation", "laptop", "server", "network")]
    shares = (0.80, 0.12, 0.04, 0.04)
    audit = env["it.audit"].create({"partner_id": client.id, "date": "2026-01-15"})
    values, index = [], 0
    for category, share in zip(categories, shares, strict=True):
        for _i in range(max(1, round(size * share))):
            values.append({
                "audit_id": audit.id, "category_id": category.id, "site_id": sites[index % 4].id,
                "make": "Bench", "model": f"Model {index % 17}", "serial": f"{name}-{index:06d}",
                "purchase_date": "2023-01-01", "warranty_end": "2027-01-01",
                "state": ("ok", "attention", "critical", "end_of_life")[index % 4],
            })
            index += 1
    env["it.asset"].create(values[:size])
    stages = env["it.audit.stage"].create([
        {"audit_id": audit.id, "name": stage, "sequence": seq}
        for seq, stage in enumerate(("Urgent security", "Within 6 months", "Within 12 months"))
    ])
    env["it.audit.finding"].create([{
        "audit_id": audit.id, "name": f"Finding {i}", "severity": str(i % 4), "estimated_hours": 1 + i % 5,
        "recommendation": "Replace or update.", "stage_id": stages[i % 3].id,
    } for i in range(max(1, size // 25))])
    audit.action_done()
    return audit


def _best(function, repeat):
    times = []
    for _i in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def _measure(env, audit, repeat, pdf):
    report = env["ir.actions.report"]

    def recommend():
        env.invalidate_all()
        audit._compute_recommendation()

    def render():
        env.invalidate_all()
        report._render_qweb_html("it_service_contracts.action_report_it_audit", audit.ids)

    def render_pdf():
        env.invalidate_all()
        report._render_qweb_pdf("it_service_contracts.action_report_it_audit", audit.ids)

    return (_best(recommend, repeat), _best(render, repeat), _best(render_pdf, 1) if pdf else None)


def run(registry, args):
    from odoo.tools.misc import find_in_path

    try:
        pdf = bool(find_in_path("wkhtmltopdf"))
    except OSError:
        pdf = False
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        started = time.perf_counter()
        small = _audit(env, 50, "Bench small")
        large = _audit(env, args.audit_assets, "Bench large")
        print(f"inventories created in {time.perf_counter() - started:.1f} s "
              f"({len(small.asset_ids)} and {len(large.asset_ids)} assets)")
        results = {}
        for label, audit in (("baseline", small), ("large", large)):
            results[label] = _measure(env, audit, args.audit_repeat, pdf)
        print(f"{'audit':>10} {'assets':>7} {'recommendation':>15} {'report (HTML)':>14} {'report (PDF)':>13} "
              f"{'total':>8}")
        for label, audit in (("baseline", small), ("large", large)):
            recommend, render, render_pdf = results[label]
            pdf_text = f"{render_pdf:12.3f}s" if render_pdf is not None else f"{'n/a':>13}"
            print(f"{label:>10} {len(audit.asset_ids):7d} {recommend:14.3f}s {render:13.3f}s {pdf_text} "
                  f"{recommend + render:7.3f}s")
        small_total = sum(results["baseline"][:2])
        large_total = sum(results["large"][:2])
        ratio = large_total / small_total if small_total else float("inf")
        size_ratio = len(large.asset_ids) / len(small.asset_ids)
        print(f"x{size_ratio:.0f} assets costs x{ratio:.1f} time; "
              f"recommendation {large.recommended_type}, {large.estimated_monthly_hours:.1f} h/month")
        verdict = "meets" if large_total < 2.0 else "misses"
        print(f"recommendation + report for {len(large.asset_ids)} assets: {large_total:.3f} s "
              f"({verdict} the 2 s target)")
        cr.rollback()
