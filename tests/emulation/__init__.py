"""Local emulation of Keystone v3, Nova, Placement and Glance for tests.

Public API::

    from tests.emulation import CloudState, EmulatedCloud, seed
"""

from tests.emulation import seed
from tests.emulation.server import EmulatedCloud
from tests.emulation.server import RequestLog
from tests.emulation.server import RequestRecord
from tests.emulation.state import CloudState
from tests.emulation.state import Config
from tests.emulation.state import Flavor
from tests.emulation.state import Hypervisor
from tests.emulation.state import Image
from tests.emulation.state import ResourceProvider

__all__ = [
    'CloudState',
    'Config',
    'EmulatedCloud',
    'Flavor',
    'Hypervisor',
    'Image',
    'RequestLog',
    'RequestRecord',
    'ResourceProvider',
    'seed',
]
