from . import res_company
from . import res_config_settings
from . import res_partner
from . import it_audit
from . import it_contract
from . import it_contract_sla
from . import it_contract_line
from . import account_move
