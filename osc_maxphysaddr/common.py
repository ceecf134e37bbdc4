"""Helpers that several command modules share.

Imported by every command module on every ``openstack`` call (through
cliff), so like them it reaches the rest of the plugin lazily.
"""

from __future__ import annotations

import argparse
import logging

from osc_maxphysaddr import lazy

# Loaded on first use: see osc_maxphysaddr.lazy.
core = lazy.load('osc_maxphysaddr.core')

LOG = logging.getLogger(__name__)


def bits_argument(text: str) -> int:
    """argparse type for a width QEMU accepts."""
    try:
        return core.parse_bits(text)
    except core.MaxphysaddrError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def label(resource: dict) -> str:
    """``name (id)`` of a flavor, server or image, for messages."""
    return f'{resource["name"]} ({resource["id"]})'


def eligible(inventory, specs, diagnosis, context=None) -> list[dict] | None:
    """The hypervisors that can take a flavor now; None if unknowable.

    With the flavor's guest (``context``), only those on which it boots:
    at the flavor's width (emulate) or the host's own (passthrough).
    """
    if not diagnosis.configured or diagnosis.is_error:
        return None
    bits = diagnosis.bits if isinstance(diagnosis.bits, int) else None
    found = core.takers(
        core.host_requirement(specs), inventory.hosts(), context, bits
    )
    if found is None:
        return None
    return [inventory.hypervisors[i] for i in found]


#: The ``clouds.yaml`` section of a cloud that holds the Nova
#: configuration the API does not show.
CONFIG_SECTION = 'maxphysaddr'

PLATFORM_HELP = """
**The guest's platform.** Whether a guest boots at a width depends on its
machine type and firmware, which are Nova configuration the API does not
show, and on the BAR sizes of its passed-through devices
(``pci_passthrough:alias``). They come from the ``maxphysaddr:`` section of
the cloud's entry in ``clouds.yaml`` (``machine_type``, ``firmware``,
``device_bars: {alias: size}``); ``--machine-type``, ``--firmware`` and
``--device-bar`` override it. Without either, Nova's defaults: machine type
``pc``, firmware ``bios``. Device BARs are only checked with ``uefi``.
"""


def add_platform_options(parser: argparse.ArgumentParser) -> None:
    """``--machine-type``, ``--firmware`` and ``--device-bar``."""
    group = parser.add_argument_group(
        'guest platform',
        'Override the maxphysaddr section of the cloud in clouds.yaml',
    )
    group.add_argument(
        '--machine-type',
        metavar='<machine-type>',
        choices=core.MACHINE_TYPES,
        help="The guests' machine type, pc or q35 (Nova's "
        '[libvirt]hw_machine_type or image hw_machine_type; default: '
        'clouds.yaml, else pc)',
    )
    group.add_argument(
        '--firmware',
        metavar='<firmware>',
        choices=core.FIRMWARES,
        help="The guests' firmware, bios or uefi (image "
        'hw_firmware_type; default: clouds.yaml, else bios)',
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


def platform(conn, parsed_args):
    """The guests' platform: options over clouds.yaml over Nova's defaults.

    openstacksdk keeps the keys of a cloud's entry it does not know in the
    connection's config, so the ``maxphysaddr:`` section is read from
    there; no request is made. Raises MaxphysaddrError for a bad value.
    """
    section = conn.config.config.get(CONFIG_SECTION)
    return core.platform_from(
        section,
        parsed_args.machine_type,
        parsed_args.firmware,
        parsed_args.device_bar,
    )


def warn_devices(resource: dict, context) -> None:
    """Say on stderr which of a flavor's devices the model cannot check."""
    for found in core.device_findings(context):
        LOG.warning('Flavor %s: %s', label(resource), found.message)


def warn_placement(inventory) -> None:
    """Say on stderr why the hosts are unknown, if they are."""
    if not inventory.traits_known:
        LOG.warning(
            'Hosts are unknown: %s', inventory.placement_error or 'no traits'
        )
