"""The options several commands share, their help, and clouds.yaml.

Imported by the command modules on every ``openstack`` call (through
cliff), so it reaches the domain core lazily. What a guest's platform is
(machine type, firmware, CPU mode, device BARs) is Nova configuration the
API does not show: it comes from the ``maxphysaddr:`` section of the
cloud's entry in ``clouds.yaml``, overridden by these options.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any

from osc_maxphysaddr import lazy

# Loaded on first use: see osc_maxphysaddr.lazy (type checkers read the
# modules themselves).
if TYPE_CHECKING:
    from osc_maxphysaddr import core
else:
    core = lazy.load('osc_maxphysaddr.core')

#: The ``clouds.yaml`` section of a cloud that holds the Nova
#: configuration the API does not show.
CONFIG_SECTION = 'maxphysaddr'
#: Its keys.
CONFIG_KEYS = (
    'machine_type',
    'firmware',
    'cpu_mode',
    'virt_type',
    'device_bars',
    'seabios_version',
)

# Help text of the commands that count a server's targets (RST).
TARGETS_NOTE = """
**Targets** counts the other hypervisors, up and enabled, that could take
the guest now, by the same rules as a flavor's Hosts:

* emulate: the host holds ``COMPUTE_ADDRESS_SPACE_EMULATED``, reports at
  least the guest's bits, and the guest boots there on the host's CPU
  vendor at the width it gets there (its own; the host's with
  ``cpu_mode = host-passthrough``): QEMU starts and the firmware (SeaBIOS
  or OVMF) places the BARs of its passed-through devices below 2^bits
  (its flavor's RAM and ``pci_passthrough:alias``, on the guest platform
  below);
* passthrough: the host holds ``COMPUTE_ADDRESS_SPACE_PASSTHROUGH`` and
  reports exactly the width the guest sees now, with the same CPU vendor
  and model (the guest's CPUID must not change under it).

A server whose configuration has an error has 0 targets; Targets is empty
when Placement cannot be read. A passthrough guest whose host reports no
width or CPU has 0 targets: none can be shown to match.

Forced moves skip the scheduler: ``--force`` with a target host on live
migration or evacuation (compute microversions 2.29/2.30 to 2.67), or a
target host given at an older microversion. Nova checks neither traits nor
bits then, and a guest forced to a host that is not a target may not
start, or may see its width change under it.
"""

PLATFORM_HELP = """
**The guest's platform.** Whether a guest boots at a width depends on its
machine type and firmware, which are Nova configuration the API does not
show, on the BAR sizes of its passed-through devices
(``pci_passthrough:alias``), and on the compute nodes' ``[libvirt]
cpu_mode``: with ``host-passthrough`` an emulate guest gets its host's
width, not its own (measured with libvirt 9.0 and QEMU 7.2; see the
guide). They come from the ``maxphysaddr:`` section of the cloud's entry
in ``clouds.yaml`` (``machine_type``, ``firmware``, ``cpu_mode``,
``virt_type``, ``device_bars: {alias: size}``); ``--machine-type``,
``--firmware``, ``--cpu-mode``, ``--virt-type`` and ``--device-bar``
override it. Without either, Nova's defaults: machine type ``pc``, firmware
``bios``, CPU mode ``host-model``, virt type ``kvm`` (under ``qemu``, TCG,
a passthrough guest gets QEMU's 40 bits). Device BARs are checked for both
firmwares: OVMF's
64-bit window for ``uefi``; for ``bios`` where each SeaBIOS version puts
them (1.16.2 and older, 1.16.3, 1.17.0 and later; all of them unless
``seabios_version`` in ``clouds.yaml`` names the hosts'). With a flavor
judged together with an image (``show --image``, ``list --image``, a
server's own image), the image's ``hw_machine_type`` and
``hw_firmware_type`` win over these, as in Nova.
"""

HOSTS_NOTE = """
**Hosts** counts the hypervisors that can take the flavor now: up, enabled,
holding its mode's trait in Placement, for emulate reporting at least its
bits, and on which the guest boots at the width it gets there (the
flavor's for emulate; the host's for passthrough, and for emulate with
``cpu_mode = host-passthrough``). A passthrough guest is not counted on a
host that holds the traits but reports no width (Nova 28 computes: the
guest would get QEMU's default width there). It is an upper bound:
capacity, host aggregates, other traits and the other scheduler filters
are not looked at. It is empty when the flavor is not configured or has
an error, when Placement cannot be read, and for users who may read
flavors but not hypervisors (admin-only by default).
"""

CHECK_NOTE = """
``--check`` makes the exit status 1 when a flavor shown has an ``error:``
status, and names those flavors on stderr; the output is unchanged. Without
it the exit status is 0 whatever the status, as for any listing. With
``--image`` the status that counts is the pair's.
"""

IMAGE_OPTION_HELP = (
    'Judge the flavor as booted with this image (name or ID): the image '
    'may set hw_maxphysaddr_mode and hw_maxphysaddr_bits too (see '
    '"openstack image maxphysaddr show"). The width libvirt uses, the '
    "flavor's bits else the image's, is checked on the guest platform like "
    "a flavor's, Hosts counts the hosts on which the pair boots, and "
    "--check looks at the pair's status"
)


def bits_argument(text: str) -> int:
    """argparse type for a width QEMU accepts."""
    try:
        return core.parse_bits(text)
    except core.MaxphysaddrError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_mode_option(parser: argparse.ArgumentParser) -> None:
    """``--mode`` of ``flavor maxphysaddr set`` and ``image ... set``."""
    parser.add_argument(
        '--mode',
        metavar='<mode>',
        required=True,
        choices=core.MODES,
        help='Address-width mode: "emulate" gives the guest --bits '
        'address bits (on host-model and custom CPUs; on host-passthrough '
        'CPUs the guest keeps its host\'s width); "passthrough" gives it '
        "the host's width, on every CPU mode",
    )


def config(mode: str, bits: int | None) -> core.Config:
    """The configuration ``--mode`` and ``--bits`` ask for.

    Raises MaxphysaddrError naming the options when the two do not go
    together.
    """
    try:
        return core.Config(mode, bits)
    except core.EmulateNeedsBits:
        raise core.MaxphysaddrError(
            '--bits is required with --mode emulate '
            '(libvirt needs a width to emulate)'
        ) from None
    except core.PassthroughTakesNoBits:
        raise core.MaxphysaddrError(
            '--bits cannot be used with --mode passthrough '
            "(the guest takes the host's width; libvirt refuses bits)"
        ) from None


def add_dry_run(parser: argparse.ArgumentParser, what: str) -> None:
    """``--dry-run`` of the write commands; ``what`` the changes listed."""
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help=f'Show the {what}; write nothing',
    )


def add_check(parser: argparse.ArgumentParser, what: str) -> None:
    """``--check``: exit 1 when ``what`` (see output.Checked)."""
    parser.add_argument(
        '--check',
        action='store_true',
        help=f'Exit with status 1 when {what}, naming them on stderr '
        '(for scripts; the output is unchanged)',
    )


def add_platform_options(parser: argparse.ArgumentParser) -> None:
    """``--machine-type``, ``--firmware``, ``--cpu-mode``, ``--device-bar``."""
    group = parser.add_argument_group(
        'guest platform',
        'Override the maxphysaddr section of the cloud in clouds.yaml',
    )
    group.add_argument(
        '--machine-type',
        metavar='<machine-type>',
        choices=core.MACHINE_TYPES,
        help="The guests' machine type, pc or q35: Nova's "
        '[libvirt]hw_machine_type (default: clouds.yaml, else pc); an '
        "image's hw_machine_type wins over it",
    )
    group.add_argument(
        '--firmware',
        metavar='<firmware>',
        choices=core.FIRMWARES,
        help="The guests' firmware, bios or uefi, where images do not say "
        "(default: clouds.yaml, else bios); an image's hw_firmware_type "
        'wins over it',
    )
    group.add_argument(
        '--cpu-mode',
        metavar='<cpu-mode>',
        choices=core.CPU_MODES,
        help="The compute nodes' [libvirt]cpu_mode: host-passthrough, "
        'host-model or custom (default: clouds.yaml, else host-model, '
        "Nova's default); with host-passthrough an emulate guest gets its "
        "host's width",
    )
    group.add_argument(
        '--virt-type',
        metavar='<virt-type>',
        choices=core.VIRT_TYPES,
        help="The compute nodes' [libvirt]virt_type: kvm or qemu (TCG) "
        "(default: clouds.yaml, else kvm, Nova's default); under qemu a "
        "passthrough guest gets QEMU's 40 bits",
    )
    group.add_argument(
        '--device-bar',
        metavar='<alias=size>',
        action='append',
        default=[],
        help='The 64-bit BAR size of the devices of a PCI alias, such as '
        'h100=128GiB (units: MiB, GiB, TiB or M, G, T); repeat for '
        'several aliases',
    )


def platform(conn: Any, parsed_args: argparse.Namespace) -> core.Platform:
    """The guests' platform: options over clouds.yaml over Nova's defaults.

    openstacksdk keeps the keys of a cloud's entry it does not know in the
    connection's config, so the ``maxphysaddr:`` section is read from
    there; no request is made. Raises MaxphysaddrError for a bad value.
    """
    return platform_from(
        conn.config.config.get(CONFIG_SECTION),
        machine=parsed_args.machine_type,
        firmware=parsed_args.firmware,
        cpu_mode=parsed_args.cpu_mode,
        virt_type=parsed_args.virt_type,
        device_bars=parsed_args.device_bar,
    )


def _where(key: str) -> str:
    return f'maxphysaddr: {key} in clouds.yaml'


def _choice(value: object, choices: Sequence[str], where: str) -> str:
    text = str(value).strip().lower()
    if text not in choices:
        raise core.MaxphysaddrError(
            f'{where} must be one of {", ".join(choices)}, not {value!r}'
        )
    return text


def _given(
    option: str | None,
    section: Mapping[str, object],
    key: str,
    choices: Sequence[str],
) -> str | None:
    """An option's value, else the section's ``key`` (checked), else None."""
    if option is not None or key not in section:
        return option
    return _choice(section[key], choices, _where(key))


def _size(value: object, where: str) -> int:
    try:
        return core.parse_size(str(value))
    except core.MaxphysaddrError as exc:
        raise core.MaxphysaddrError(f'{where}: {exc}') from None


def parse_device_bar(text: str) -> tuple[str, int]:
    """``ALIAS=SIZE`` of ``--device-bar`` as (alias, bytes)."""
    alias, equals, size = text.partition('=')
    if not equals or not alias.strip():
        raise core.MaxphysaddrError(
            f'--device-bar {text!r}: write ALIAS=SIZE, such as h100=128GiB'
        )
    return alias.strip(), _size(size, f'--device-bar {text!r}')


def platform_from(
    section: Mapping[str, object] | None = None,
    machine: str | None = None,
    firmware: str | None = None,
    cpu_mode: str | None = None,
    device_bars: Sequence[str] = (),
    virt_type: str | None = None,
) -> core.Platform:
    """The platform from a ``maxphysaddr:`` config section and options.

    Options win over the section, the section over Nova's defaults. Any
    malformed value raises MaxphysaddrError naming it.
    """
    section = section or {}
    if not isinstance(section, Mapping):
        raise core.MaxphysaddrError(
            'the maxphysaddr section of clouds.yaml must be a mapping'
        )
    unknown = set(section) - set(CONFIG_KEYS)
    if unknown:
        raise core.MaxphysaddrError(
            'the maxphysaddr section of clouds.yaml has unknown keys: '
            + ', '.join(sorted(unknown))
            + f' (known: {", ".join(CONFIG_KEYS)})'
        )
    machine = _given(machine, section, 'machine_type', core.MACHINE_TYPES)
    firmware = _given(firmware, section, 'firmware', core.FIRMWARES)
    cpu_mode = _given(cpu_mode, section, 'cpu_mode', core.CPU_MODES)
    virt_type = _given(virt_type, section, 'virt_type', core.VIRT_TYPES)
    configured = section.get('device_bars') or {}
    if not isinstance(configured, Mapping):
        raise core.MaxphysaddrError(
            f'{_where("device_bars")} must map aliases to sizes'
        )
    bars = {
        str(alias): _size(size, _where(f'device_bars: {alias}'))
        for alias, size in configured.items()
    }
    bars.update(parse_device_bar(text) for text in device_bars)
    seabios = None
    if section.get('seabios_version') is not None:
        try:
            seabios = core.parse_seabios_version(section['seabios_version'])
        except core.MaxphysaddrError as exc:
            raise core.MaxphysaddrError(
                f'{_where("seabios_version")}: {exc}'
            ) from None
    return core.Platform(
        machine=machine or core.DEFAULT_MACHINE_TYPE,
        firmware=firmware or core.DEFAULT_FIRMWARE,
        device_bars=bars,
        cpu_mode=cpu_mode or core.DEFAULT_CPU_MODE,
        virt_type=virt_type or core.DEFAULT_VIRT_TYPE,
        seabios=seabios,
    )
