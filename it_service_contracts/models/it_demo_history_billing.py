"""The demo's year (``it.demo.history``): the clinic's packages and the monthly invoices, sold, started,
renewed, expired, invoiced and posted at their moment."""
from datetime import timedelta

from odoo import Command

# the hour packages of the clinic before its current one: the first, then its renewal with fewer hours (and the
# first one's unused hours carried in), used up before its end: the current package of the demo followed
FIRST_PACKAGE_HOURS = 90
RENEWAL_HOURS = 45



class DemoBilling:
    """The contracts' side of the year: the clinic's earlier packages and the flat client's monthly invoices."""

    def _plan_packages(self):
        """The clinic's packages: its first one a year ago, its renewal, the current package's invoice."""
        first = self.months[0]
        self.at(self._utc(first - timedelta(days=5), 10), self._sell_first_package, first)
        # the current package of the demo started two months ago: its invoice was posted then
        self.at(self._utc(self.package.date_start, 6, 10), self._post, self.package.sudo().invoice_ids)

    def _post(self, moves):
        moves.filtered(lambda move: move.state == "draft").with_env(self.desk).action_post()

    def _invoice_month(self, month):
        """The monthly invoicing run of the flat contract, on its invoicing day; the accountant posts it."""
        self._post(self.env["it.invoicing"]._it_invoice(self.flat, month))

    def _sell_first_package(self, first):
        """The clinic's first package, agreed a few days before it starts; its renewal two weeks before its end."""
        terms = self.package
        package = self.desk["it.contract"].create({
            "partner_id": terms.partner_id.id, "company_id": self.company.id, "user_id": self.desk.uid,
            "contract_type": "hour_package", "audit_id": terms.audit_id.id, "date_start": first,
            "validity_months": 6, "hours_total": FIRST_PACKAGE_HOURS, "hourly_rate": terms.sudo().hourly_rate,
            "service_product_ids": [Command.set(terms.service_product_ids.ids)],
            "site_ids": [Command.set(terms.site_ids.ids)], "service_calendar_id": self.calendar.id,
            "billing_increment": terms.billing_increment, "onsite_minimum_hours": terms.onsite_minimum_hours,
            "rollover_allowed": True, "rollover_cap_hours": terms.rollover_cap_hours,
            "sla_line_ids": [Command.create({
                "priority": line.priority, "response_hours": line.response_hours,
                "resolution_hours": line.resolution_hours,
            }) for line in terms.sla_line_ids],
        })
        package.action_confirm()
        self.at(self._utc(first, 0, 30), self._start_package, package)
        self.at(self._utc(package.date_end - timedelta(days=14), 11), self._renew, package)

    def _start_package(self, package):
        """The contracts' scheduled action starts it on its first day and invoices it up front."""
        package.action_activate()
        self._post(package.sudo().invoice_ids)

    def _renew(self, package):
        action = package.action_renew()
        renewal = self.desk["it.contract"].browse(action["res_id"])
        renewal.hours_total = RENEWAL_HOURS
        renewal.action_confirm()
        expiry = self._utc(package.date_end + timedelta(days=1), 0, 20)
        self.at(expiry, self._expire, package)
        self.at(expiry + timedelta(minutes=10), self._start_package, renewal)
        self.at(self._utc(renewal.date_end + timedelta(days=1), 0, 20), self._expire, renewal)

    def _expire(self, package):
        """The scheduled action expires the package; its warnings were dealt with by the renewal."""
        package._expire()
        package.activity_ids.action_done()
