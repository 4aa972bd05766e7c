import logging
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain

_logger = logging.getLogger(__name__)

try:
    import holidays as holidays_lib
except ImportError:  # pragma: no cover - declared in external_dependencies
    holidays_lib = None


class ResourceCalendarLeaves(models.Model):
    _inherit = "resource.calendar.leaves"

    it_public_holiday = fields.Boolean(
        string="Public Holiday", readonly=True,
        help="Filled from the public holidays of the company's country.",
    )

    # a day off added, moved or removed changes the deadlines of the open requests planned on those calendars

    @api.model_create_multi
    def create(self, vals_list):
        leaves = super().create(vals_list)
        leaves._it_replan_requests()
        return leaves

    def write(self, vals):
        self._it_replan_requests()
        result = super().write(vals)
        self._it_replan_requests()
        return result

    def unlink(self):
        leaves = self.sudo()
        domain = leaves._it_affected_requests_domain()
        result = super().unlink()
        if domain:
            self.env["project.task"]._it_recompute_open_deadlines(domain)
        return result

    def _it_affected_requests_domain(self):
        """The requests served on the calendars these days off apply to: a calendar's own leaves, or every
        calendar of the company for a company-wide one (a public holiday)."""
        leaves = self.filtered(lambda leave: not leave.resource_id)
        calendars, companies = leaves.calendar_id, leaves.filtered(lambda leave: not leave.calendar_id).company_id
        if not calendars and not companies:
            return None
        return Domain.OR([
            Domain("it_contract_id.service_calendar_id", "in", calendars.ids),
            Domain("it_contract_id.company_id", "in", companies.ids),
        ])

    def _it_replan_requests(self):
        domain = self.sudo()._it_affected_requests_domain()
        if domain:
            self.env["project.task"]._it_recompute_open_deadlines(domain)

    @api.model
    def _it_fill_public_holidays(self, company, year):
        """Create the company-wide public holidays of ``company``'s country for ``year``.

        Holidays are global leaves (no resource, no calendar) of the company, so that every
        calendar of the company, and so every service calendar, treats them as days off.
        Days already present are kept; running it twice adds nothing.
        Returns the leaves created.
        """
        if isinstance(company, int):  # called from data files with an id
            company = self.env["res.company"].browse(company)
        company.ensure_one()
        if holidays_lib is None:
            raise UserError(self.env._("The Python library 'holidays' is not installed."))
        country = company.country_id.code
        if not country:
            raise UserError(self.env._(
                "Set the country of %(company)s to fill its public holidays.", company=company.name,
            ))
        if not 1900 < int(year) < 2200:
            raise UserError(self.env._("%(year)s is not a valid year.", year=year))
        try:
            supported = holidays_lib.country_holidays(country).supported_languages
            lang = self.env.lang or "en_US"
            language = next((code for code in (lang, lang.split("_")[0]) if code in supported), None)
            days = holidays_lib.country_holidays(country, years=int(year), language=language or "en_US")
        except NotImplementedError:
            raise UserError(self.env._(
                "No public holidays are known for the country %(country)s.", country=company.country_id.name,
            )) from None
        tz = pytz.timezone(company.resource_calendar_id.tz or company.partner_id.tz or "UTC")
        to_utc = lambda dt: tz.localize(dt).astimezone(pytz.utc).replace(tzinfo=None)  # noqa: E731
        vals_list = []
        for day, name in sorted(days.items()):
            vals_list.append({
                "name": name,
                "date_from": to_utc(datetime.combine(day, time.min)),
                "date_to": to_utc(datetime.combine(day + timedelta(days=1), time.min)) - timedelta(seconds=1),
            })
        if not vals_list:
            return self.browse()
        existing = self.sudo().search([
            ("company_id", "=", company.id),
            ("resource_id", "=", False),
            ("calendar_id", "=", False),
            ("date_from", "in", [vals["date_from"] for vals in vals_list]),
        ])
        known = set(existing.mapped("date_from"))
        new_vals = [
            dict(vals, company_id=company.id, calendar_id=False, time_type="leave", it_public_holiday=True)
            for vals in vals_list if vals["date_from"] not in known
        ]
        leaves = self.sudo().with_company(company).create(new_vals)
        # the company of a leave is computed from its calendar: a global leave belongs to the company given here
        leaves.filtered(lambda leave: leave.company_id != company).write({"company_id": company.id})
        return leaves

    @api.model
    def _cron_it_fill_public_holidays(self):
        """Yearly: fill this year's and next year's public holidays of every company with a country."""
        year = fields.Date.context_today(self).year
        done = set()  # filling changes nothing the search sees: each company once a run

        def fetch(limit, exclude):
            companies = self.env["res.company"].sudo().search([
                ("partner_id.country_id", "!=", False), ("id", "not in", list(exclude | done)),
            ], limit=limit, order="id")
            done.update(companies.ids)
            return companies

        def fill(companies):
            for company in companies:
                for fill_year in (year, year + 1):
                    try:
                        created = self._it_fill_public_holidays(company, fill_year)
                    except UserError as error:  # no holidays known for this country: nothing to fill
                        _logger.info("Public holidays of %s not filled: %s", company.name, error)
                        break
                    _logger.info("Public holidays %s of %s: %s added", fill_year, company.name, len(created))

        self.env["it.cron.batch"]._it_run(fetch, fill, batch_size=20, label=self.env._("Public holidays"))
