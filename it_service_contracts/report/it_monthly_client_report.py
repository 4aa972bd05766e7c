from datetime import datetime, time, timedelta

from odoo import api, models

# warranty and licence ends shown ahead of the month's end
WARRANTY_HORIZON = timedelta(days=90)


class ItMonthlyClientReport(models.AbstractModel):
    """What the monthly client report shows of a contract month.

    Whoever prints it must be able to read the month itself (an internal user of its company, or the
    client's portal contact through the portal rule); what the month is made of (requests, time, assets, the
    audit) is then read for that client and company only.
    """

    _name = "report.it_service_contracts.report_it_monthly_client"
    _description = "IT Monthly Client Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        periods = self.env["it.contract.period"].browse(docids)
        periods.check_access("read")
        return {
            "doc_ids": periods.ids,
            "doc_model": "it.contract.period",
            "docs": periods.sudo(),
            "figures": {period.id: self._it_period_figures(period.sudo()) for period in periods},
        }

    @api.model
    def _it_period_figures(self, period):
        client, company = period.partner_id, period.company_id
        start = datetime.combine(period.date_start, time.min)
        end = datetime.combine(period.date_end, time.max)
        requests = self.env["project.task"].sudo().search([
            ("it_client_id", "=", client.id), ("company_id", "=", company.id), ("it_is_service_request", "=", True),
            ("it_reported_date", ">=", start), ("it_reported_date", "<=", end),
        ], order="it_reported_date, id")
        settled = requests.filtered(lambda task: task.sla_state in ("met", "breached"))
        met = settled.filtered(lambda task: task.sla_state == "met")
        assets = self.env["it.asset"].sudo().search([("partner_id", "=", client.id), ("company_id", "=", company.id)])
        in_month = period.date_start, period.date_end
        audit = period.contract_id.audit_id
        findings = audit.finding_ids.filtered(
            lambda finding: finding.recommendation and not (finding.task_id and finding.task_id._it_is_closed())
        )
        lines = period.timesheet_ids
        return {
            "hours_worked": sum(lines.mapped("unit_amount")),
            "requests": requests,
            "sla_settled": len(settled),
            "sla_met": len(met),
            "sla_compliance": round(100.0 * len(met) / len(settled)) if settled else None,
            "assets_added": assets.filtered(
                lambda a: a.date_in_service and in_month[0] <= a.date_in_service <= in_month[1]),
            "assets_retired": assets.filtered(
                lambda a: a.date_retired and in_month[0] <= a.date_retired <= in_month[1]),
            "assets_attention": assets.filtered(lambda a: not a.date_retired and a.state in ("attention", "critical")),
            "warranty_ends": assets.filtered(
                lambda a: not a.date_retired and a.warranty_end
                and in_month[0] <= a.warranty_end <= in_month[1] + WARRANTY_HORIZON,
            ).sorted("warranty_end"),
            "visits": period.contract_id._it_visits_in_month(period.date_start),
            "audit": audit,
            "findings": findings.sorted(lambda f: (-int(f.severity), f.sequence, f.id)),
            "stages": audit.stage_ids.sorted(lambda s: (s.sequence, s.id)),
        }
