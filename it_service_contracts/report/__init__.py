from . import timesheets_analysis_report
from . import it_monthly_client_report
from . import it_contract_document_report
from . import it_usage_statement_report
