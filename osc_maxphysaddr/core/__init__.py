"""The maxphysaddr domain: pure functions, no I/O, no SDK.

Everything that decides something lives here; the command modules only
parse, call this, call the cloud and format. One module per concern (Nova
2024.1 and later behaviour behind each is described in the module):

``specs``
    the extra-spec keys and traits, a validated request, the write plan
``extra_specs_ops``
    Nova's capabilities operators (ComputeCapabilitiesFilter)
``findings``
    every finding the plugin can report, with its severity and message
``diagnosis``
    what Nova and libvirt will really do with a flavor's specs
``address_space``
    whether the guest fits its address width
``hosts``
    hypervisors as the rules see them, read from ``cpu_info``
``scheduler``
    which hosts admit a flavor, and capacity planning (``--bits auto``)
``migration``
    where a running guest can go: the targets of a move off its host

The names the commands use are re-exported here, so ``core.diagnose``
works without knowing which module holds it.
"""

from osc_maxphysaddr.core.diagnosis import Diagnosis
from osc_maxphysaddr.core.diagnosis import diagnose
from osc_maxphysaddr.core.extra_specs_ops import capability_can_match
from osc_maxphysaddr.core.extra_specs_ops import capability_matches
from osc_maxphysaddr.core.findings import ERROR
from osc_maxphysaddr.core.findings import NOT_CONFIGURED
from osc_maxphysaddr.core.findings import OK
from osc_maxphysaddr.core.findings import RULES
from osc_maxphysaddr.core.findings import WARNING
from osc_maxphysaddr.core.findings import Finding
from osc_maxphysaddr.core.findings import Rule
from osc_maxphysaddr.core.hosts import ENABLED
from osc_maxphysaddr.core.hosts import UP
from osc_maxphysaddr.core.hosts import Host
from osc_maxphysaddr.core.hosts import bits_from_cpu_info
from osc_maxphysaddr.core.hosts import cpu_vendor_model
from osc_maxphysaddr.core.migration import IMAGE_PROPERTIES
from osc_maxphysaddr.core.migration import Configuration
from osc_maxphysaddr.core.migration import Cpu
from osc_maxphysaddr.core.migration import Finder
from osc_maxphysaddr.core.migration import Reach
from osc_maxphysaddr.core.migration import boots_at
from osc_maxphysaddr.core.migration import configuration
from osc_maxphysaddr.core.migration import guest_bits
from osc_maxphysaddr.core.ram_guard import GIB
from osc_maxphysaddr.core.ram_guard import MIB
from osc_maxphysaddr.core.ram_guard import PCI_HOLE_BYTES
from osc_maxphysaddr.core.ram_guard import RamCheck
from osc_maxphysaddr.core.ram_guard import bytes_needed
from osc_maxphysaddr.core.ram_guard import check_ram
from osc_maxphysaddr.core.ram_guard import format_bytes
from osc_maxphysaddr.core.ram_guard import min_bits_for_ram
from osc_maxphysaddr.core.ram_guard import roomy_bits_for_ram
from osc_maxphysaddr.core.scheduler import HostRequirement
from osc_maxphysaddr.core.scheduler import auto_bits
from osc_maxphysaddr.core.scheduler import auto_pool
from osc_maxphysaddr.core.scheduler import host_requirement
from osc_maxphysaddr.core.scheduler import takers
from osc_maxphysaddr.core.specs import BITS_KEY
from osc_maxphysaddr.core.specs import CAPABILITY_KEY
from osc_maxphysaddr.core.specs import EMULATE
from osc_maxphysaddr.core.specs import FORBIDDEN
from osc_maxphysaddr.core.specs import MANAGED_KEYS
from osc_maxphysaddr.core.specs import MAX_BITS
from osc_maxphysaddr.core.specs import MIN_BITS
from osc_maxphysaddr.core.specs import MODE_KEY
from osc_maxphysaddr.core.specs import MODE_TRAITS
from osc_maxphysaddr.core.specs import MODES
from osc_maxphysaddr.core.specs import PASSTHROUGH
from osc_maxphysaddr.core.specs import REQUIRED
from osc_maxphysaddr.core.specs import TRAIT_KEYS
from osc_maxphysaddr.core.specs import Change
from osc_maxphysaddr.core.specs import Config
from osc_maxphysaddr.core.specs import MaxphysaddrError
from osc_maxphysaddr.core.specs import SpecPlan
from osc_maxphysaddr.core.specs import apply
from osc_maxphysaddr.core.specs import capability_for
from osc_maxphysaddr.core.specs import other_mode
from osc_maxphysaddr.core.specs import parse_bits
from osc_maxphysaddr.core.specs import plan

__all__ = [
    'BITS_KEY',
    'CAPABILITY_KEY',
    'EMULATE',
    'ENABLED',
    'ERROR',
    'FORBIDDEN',
    'GIB',
    'IMAGE_PROPERTIES',
    'MANAGED_KEYS',
    'MAX_BITS',
    'MIB',
    'MIN_BITS',
    'MODES',
    'MODE_KEY',
    'MODE_TRAITS',
    'NOT_CONFIGURED',
    'OK',
    'PASSTHROUGH',
    'PCI_HOLE_BYTES',
    'REQUIRED',
    'RULES',
    'TRAIT_KEYS',
    'UP',
    'WARNING',
    'Change',
    'Config',
    'Configuration',
    'Cpu',
    'Diagnosis',
    'Finder',
    'Finding',
    'Host',
    'HostRequirement',
    'MaxphysaddrError',
    'RamCheck',
    'Reach',
    'Rule',
    'SpecPlan',
    'apply',
    'auto_bits',
    'auto_pool',
    'bits_from_cpu_info',
    'boots_at',
    'bytes_needed',
    'capability_can_match',
    'capability_for',
    'capability_matches',
    'check_ram',
    'configuration',
    'cpu_vendor_model',
    'diagnose',
    'format_bytes',
    'guest_bits',
    'host_requirement',
    'min_bits_for_ram',
    'other_mode',
    'parse_bits',
    'plan',
    'roomy_bits_for_ram',
    'takers',
]
