from . import it_timesheet_reclassify
from . import it_invoice_due
from . import mail_compose_message
from . import account_move_reversal
