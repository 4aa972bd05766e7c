
from . import test_it_contract
from . import test_access
from . import test_tour
from . import test_sla_deadlines
from . import test_sla_watch
from . import test_service_request
from . import test_timesheet_classification
from . import test_timesheet_concurrency
from . import test_package_lifecycle
from . import test_contract_period
