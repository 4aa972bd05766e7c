from odoo import models


class AccountChartTemplate(models.AbstractModel):
    _inherit = "account.chart.template"

    def _post_load_data(self, template_code, company, template_data):
        """A company given a chart books the addon's services on that chart's services sales account."""
        result = super()._post_load_data(template_code, company, template_data)
        (company or self.env.company)._it_set_services_income_account()
        return result
