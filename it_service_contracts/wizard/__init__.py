from . import it_timesheet_reclassify
from . import it_invoice_due
