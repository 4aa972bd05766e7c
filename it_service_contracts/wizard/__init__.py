from . import it_timesheet_reclassify
