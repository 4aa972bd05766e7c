
from . import test_it_contract
from . import test_access
from . import test_tour
from . import test_sla_deadlines
from . import test_sla_watch
from . import test_service_request
