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
    whether QEMU starts and the firmware places every BAR at a width, over
    ``qemu`` (QEMU's layout), ``ovmf`` and ``seabios`` (each firmware's
    placement of 64-bit BARs)
``guest``
    a flavor's guest for that model: devices, platform, CPU mode, and the
    width it gets on a host
``hosts``
    hypervisors as the rules see them, read from ``cpu_info``
``scheduler``
    the one host engine (which hosts take a guest), and the auto width
``images``
    the width on Glance images
``pair``
    the verdict of a flavor+image pair: the one judgement every command
    shows (a flavor alone has an empty image)
``migration``
    where a running guest can go: the targets of a move off its host

The names the commands use are re-exported here, so ``core.diagnose``
works without knowing which module holds it.
"""

from osc_maxphysaddr.core.diagnosis import Diagnosis
from osc_maxphysaddr.core.diagnosis import diagnose
from osc_maxphysaddr.core.extra_specs_ops import BREAKS_FILTER
from osc_maxphysaddr.core.extra_specs_ops import CAN_MATCH
from osc_maxphysaddr.core.extra_specs_ops import MATCHES_NOTHING
from osc_maxphysaddr.core.extra_specs_ops import capability_matches
from osc_maxphysaddr.core.extra_specs_ops import check_requirement
from osc_maxphysaddr.core.findings import ERROR
from osc_maxphysaddr.core.findings import NOT_CONFIGURED
from osc_maxphysaddr.core.findings import OK
from osc_maxphysaddr.core.findings import RULES
from osc_maxphysaddr.core.findings import WARNING
from osc_maxphysaddr.core.findings import Finding
from osc_maxphysaddr.core.findings import Rule
from osc_maxphysaddr.core.guest import CPU_MODES
from osc_maxphysaddr.core.guest import CUSTOM
from osc_maxphysaddr.core.guest import DEFAULT_CPU_MODE
from osc_maxphysaddr.core.guest import DEFAULT_VIRT_TYPE
from osc_maxphysaddr.core.guest import DEVICE_FINDINGS
from osc_maxphysaddr.core.guest import HOST_MODEL
from osc_maxphysaddr.core.guest import HOST_PASSTHROUGH
from osc_maxphysaddr.core.guest import KVM
from osc_maxphysaddr.core.guest import PCI_ALIAS_KEY
from osc_maxphysaddr.core.guest import TCG
from osc_maxphysaddr.core.guest import TCG_BITS
from osc_maxphysaddr.core.guest import VIRT_TYPES
from osc_maxphysaddr.core.guest import GuestContext
from osc_maxphysaddr.core.guest import Platform
from osc_maxphysaddr.core.guest import Region
from osc_maxphysaddr.core.guest import device_findings
from osc_maxphysaddr.core.guest import guest_context
from osc_maxphysaddr.core.guest import guest_width
from osc_maxphysaddr.core.guest import layout
from osc_maxphysaddr.core.guest import model_findings
from osc_maxphysaddr.core.guest import parse_aliases
from osc_maxphysaddr.core.guest import width_finding
from osc_maxphysaddr.core.guest import width_follows_host
from osc_maxphysaddr.core.hosts import ENABLED
from osc_maxphysaddr.core.hosts import UP
from osc_maxphysaddr.core.hosts import Host
from osc_maxphysaddr.core.hosts import bits_from_cpu_info
from osc_maxphysaddr.core.hosts import cpu_vendor_model
from osc_maxphysaddr.core.hosts import host_from
from osc_maxphysaddr.core.hosts import vendor_from_cpu_info
from osc_maxphysaddr.core.hosts import without_width
from osc_maxphysaddr.core.images import FILTER_PROPERTIES
from osc_maxphysaddr.core.images import IMAGE_BITS_KEY
from osc_maxphysaddr.core.images import IMAGE_KEYS
from osc_maxphysaddr.core.images import IMAGE_MODE_KEY
from osc_maxphysaddr.core.images import ImageDiagnosis
from osc_maxphysaddr.core.images import ImagePlan
from osc_maxphysaddr.core.images import diagnose_image
from osc_maxphysaddr.core.images import image_plan
from osc_maxphysaddr.core.images import image_properties
from osc_maxphysaddr.core.migration import IMAGE_PROPERTIES
from osc_maxphysaddr.core.migration import SERVER_SPEC_KEYS
from osc_maxphysaddr.core.migration import Finder
from osc_maxphysaddr.core.migration import PlacedServer
from osc_maxphysaddr.core.migration import Reach
from osc_maxphysaddr.core.migration import placed_servers
from osc_maxphysaddr.core.migration import server_verdict
from osc_maxphysaddr.core.nova_platform import IMAGE_PLATFORM_KEYS
from osc_maxphysaddr.core.nova_platform import image_platform
from osc_maxphysaddr.core.pair import PairVerdict
from osc_maxphysaddr.core.pair import diagnose_pair
from osc_maxphysaddr.core.pair import judge
from osc_maxphysaddr.core.pair import mode_conflict
from osc_maxphysaddr.core.qemu import AMD
from osc_maxphysaddr.core.qemu import BIOS
from osc_maxphysaddr.core.qemu import DEFAULT_FIRMWARE
from osc_maxphysaddr.core.qemu import DEFAULT_MACHINE_TYPE
from osc_maxphysaddr.core.qemu import FIRMWARES
from osc_maxphysaddr.core.qemu import GIB
from osc_maxphysaddr.core.qemu import INTEL
from osc_maxphysaddr.core.qemu import MACHINE_TYPES
from osc_maxphysaddr.core.qemu import MIB
from osc_maxphysaddr.core.qemu import PC
from osc_maxphysaddr.core.qemu import Q35
from osc_maxphysaddr.core.qemu import UEFI
from osc_maxphysaddr.core.qemu import format_bytes
from osc_maxphysaddr.core.qemu import parse_size
from osc_maxphysaddr.core.scheduler import AutoWidth
from osc_maxphysaddr.core.scheduler import HostRequirement
from osc_maxphysaddr.core.scheduler import NoReportingHost
from osc_maxphysaddr.core.scheduler import NoWidthBoots
from osc_maxphysaddr.core.scheduler import auto_bits
from osc_maxphysaddr.core.scheduler import auto_pool
from osc_maxphysaddr.core.scheduler import auto_width
from osc_maxphysaddr.core.scheduler import takers
from osc_maxphysaddr.core.seabios import parse_seabios_version
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
from osc_maxphysaddr.core.specs import EmulateNeedsBits
from osc_maxphysaddr.core.specs import MaxphysaddrError
from osc_maxphysaddr.core.specs import PassthroughTakesNoBits
from osc_maxphysaddr.core.specs import SpecPlan
from osc_maxphysaddr.core.specs import capability_for
from osc_maxphysaddr.core.specs import parse_bits
from osc_maxphysaddr.core.specs import plan

__all__ = [
    'AMD',
    'BIOS',
    'DEFAULT_FIRMWARE',
    'DEFAULT_MACHINE_TYPE',
    'FIRMWARES',
    'GIB',
    'INTEL',
    'MACHINE_TYPES',
    'MIB',
    'PC',
    'Q35',
    'UEFI',
    'format_bytes',
    'parse_seabios_version',
    'parse_size',
    'Diagnosis',
    'diagnose',
    'BREAKS_FILTER',
    'CAN_MATCH',
    'MATCHES_NOTHING',
    'capability_matches',
    'check_requirement',
    'ERROR',
    'NOT_CONFIGURED',
    'OK',
    'RULES',
    'WARNING',
    'Finding',
    'Rule',
    'CPU_MODES',
    'CUSTOM',
    'DEFAULT_CPU_MODE',
    'DEFAULT_VIRT_TYPE',
    'DEVICE_FINDINGS',
    'KVM',
    'TCG',
    'TCG_BITS',
    'VIRT_TYPES',
    'HOST_MODEL',
    'HOST_PASSTHROUGH',
    'PCI_ALIAS_KEY',
    'GuestContext',
    'Platform',
    'Region',
    'device_findings',
    'guest_context',
    'guest_width',
    'layout',
    'model_findings',
    'parse_aliases',
    'width_finding',
    'width_follows_host',
    'ENABLED',
    'UP',
    'Host',
    'bits_from_cpu_info',
    'cpu_vendor_model',
    'host_from',
    'vendor_from_cpu_info',
    'without_width',
    'FILTER_PROPERTIES',
    'IMAGE_BITS_KEY',
    'IMAGE_KEYS',
    'IMAGE_MODE_KEY',
    'ImageDiagnosis',
    'ImagePlan',
    'PairVerdict',
    'diagnose_image',
    'diagnose_pair',
    'judge',
    'image_plan',
    'image_properties',
    'mode_conflict',
    'IMAGE_PROPERTIES',
    'SERVER_SPEC_KEYS',
    'Finder',
    'PlacedServer',
    'Reach',
    'placed_servers',
    'server_verdict',
    'IMAGE_PLATFORM_KEYS',
    'image_platform',
    'HostRequirement',
    'NoReportingHost',
    'NoWidthBoots',
    'AutoWidth',
    'auto_bits',
    'auto_width',
    'auto_pool',
    'takers',
    'BITS_KEY',
    'CAPABILITY_KEY',
    'EMULATE',
    'FORBIDDEN',
    'MANAGED_KEYS',
    'MAX_BITS',
    'MIN_BITS',
    'MODE_KEY',
    'MODE_TRAITS',
    'MODES',
    'PASSTHROUGH',
    'REQUIRED',
    'TRAIT_KEYS',
    'Change',
    'Config',
    'EmulateNeedsBits',
    'PassthroughTakesNoBits',
    'MaxphysaddrError',
    'SpecPlan',
    'capability_for',
    'parse_bits',
    'plan',
]
