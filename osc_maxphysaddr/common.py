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

# Help text of the commands that count a server's targets (RST).
TARGETS_NOTE = """
**Targets** counts the other hypervisors, up and enabled, that could take
the guest now:

* emulate: the host holds ``COMPUTE_ADDRESS_SPACE_EMULATED``, reports at
  least the guest's bits, and the guest's RAM and address layout fit those
  bits on the host's CPU vendor;
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


def bits_argument(text: str) -> int:
    """argparse type for a width QEMU accepts."""
    try:
        return core.parse_bits(text)
    except core.MaxphysaddrError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def label(resource: dict) -> str:
    """``name (id)`` of a flavor, server or image, for messages."""
    return f'{resource["name"]} ({resource["id"]})'


def eligible(inventory, specs, diagnosis) -> list[dict] | None:
    """The hypervisors that can take a flavor now; None if unknowable."""
    if not diagnosis.configured or diagnosis.is_error:
        return None
    found = core.takers(core.host_requirement(specs), inventory.hosts())
    if found is None:
        return None
    return [inventory.hypervisors[i] for i in found]


def warn_placement(inventory) -> None:
    """Say on stderr why the hosts are unknown, if they are."""
    if not inventory.traits_known:
        LOG.warning(
            'Hosts are unknown: %s', inventory.placement_error or 'no traits'
        )


class PlacedServer:
    """A configured server, where it runs, and where it could go."""

    __slots__ = ('server', 'config', 'position', 'bits', 'reach')

    def __init__(self, server, config, position, bits, reach):
        self.server = server
        self.config = config
        self.position = position  # of its hypervisor in the inventory
        self.bits = bits
        self.reach = reach  # core.Reach, or None when unknowable

    @property
    def targets(self) -> int | None:
        return None if self.reach is None else self.reach.count


def placed_servers(inventory, servers) -> list[PlacedServer]:
    """The servers that carry a maxphysaddr configuration, with targets.

    Servers are matched to hypervisors by hypervisor hostname; the targets
    follow ``core.Finder``'s rules over the whole inventory.
    """
    hosts = inventory.hosts()
    cpus = [
        core.Cpu(*core.cpu_vendor_model(h.get('cpu_info')))
        for h in inventory.hypervisors
    ]
    finder = core.Finder(hosts, cpus)
    positions = {
        h.get('hypervisor_hostname'): i
        for i, h in enumerate(inventory.hypervisors)
    }
    placed = []
    # Servers share a few flavors: diagnosing each distinct configuration
    # once saved 1.7 s of 50,000 diagnoses (a loaded 2-core machine).
    configs: dict[tuple, object] = {}
    for server in servers:
        image = server['image_properties'] or {}
        key = (
            tuple(sorted(server['extra_specs'].items())),
            tuple(sorted((k, str(v)) for k, v in image.items())),
            server['ram'],
        )
        config = configs.get(key)
        if config is None:
            config = configs[key] = core.configuration(
                server['extra_specs'], image, server['ram']
            )
        if not config.configured:
            continue
        position = positions.get(server['node'])
        current_bits = None if position is None else hosts[position].bits
        placed.append(
            PlacedServer(
                server,
                config,
                position,
                core.guest_bits(config, current_bits),
                finder.reach(
                    config,
                    server['ram'],
                    position,
                    elsewhere=server['node'] is not None,
                ),
            )
        )
    return placed
