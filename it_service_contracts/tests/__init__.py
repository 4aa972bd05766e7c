
from . import test_it_contract
