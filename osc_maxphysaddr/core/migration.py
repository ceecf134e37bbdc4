"""Where a running guest can go: the targets of a move off its host.

Nova leaves the migration of maxphysaddr guests to the operator: a
passthrough guest "is not guaranteed" to migrate, and an emulated guest
needs a host with the trait and at least its bits. A host is a **target**
of a guest when it is up, enabled, not the guest's current host, and:

* **emulate**: it holds ``COMPUTE_ADDRESS_SPACE_EMULATED``, reports at
  least the guest's bits, and the guest boots there at those bits on the
  host's CPU vendor (:meth:`.guest.GuestContext.boots`);
* **passthrough**: it holds ``COMPUTE_ADDRESS_SPACE_PASSTHROUGH``, reports
  exactly the width the guest sees now (its current host's) and has the
  same CPU vendor and model, so the guest's CPUID does not change under
  it. A guest on no host (shelved) sees no width yet: any host with the
  trait takes it.

A guest whose configuration has an error has no target. Forced moves
(``--force`` below compute microversion 2.68, or a host named below 2.30)
skip the scheduler: these rules are what the guest needs, and Nova does
not check them then.

A guest's configuration is the verdict of its embedded flavor and, from
compute microversion 2.98, its image's properties, exactly as
``flavor maxphysaddr show FLAVOR --image IMAGE`` gives it for that pair
(:func:`.images.diagnose_pair`: modes compared as stored, the flavor's
bits before the image's). Whether it boots is the address-space model's
answer for its guest (:class:`.guest.GuestContext`: RAM, the BARs of its
``pci_passthrough:alias`` devices, the platform) on each host's vendor.

:class:`Finder` answers for thousands of guests over thousands of hosts by
computing each distinct requirement's pool of hosts once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

from osc_maxphysaddr.core.guest import PCI_ALIAS_KEY
from osc_maxphysaddr.core.guest import GuestContext
from osc_maxphysaddr.core.guest import Platform
from osc_maxphysaddr.core.guest import guest_context
from osc_maxphysaddr.core.hosts import Host
from osc_maxphysaddr.core.images import FILTER_PROPERTIES
from osc_maxphysaddr.core.images import IMAGE_KEYS
from osc_maxphysaddr.core.images import PairVerdict
from osc_maxphysaddr.core.images import diagnose_pair
from osc_maxphysaddr.core.nova_platform import IMAGE_PLATFORM_KEYS
from osc_maxphysaddr.core.scheduler import boots_on
from osc_maxphysaddr.core.specs import EMULATE
from osc_maxphysaddr.core.specs import MANAGED_KEYS
from osc_maxphysaddr.core.specs import MODE_TRAITS
from osc_maxphysaddr.core.specs import PASSTHROUGH

#: The finding of an image platform the model does not know.
UNKNOWN_PLATFORM = 'image-platform-unknown'

#: The embedded flavor's extra specs a server's verdict reads.
SERVER_SPEC_KEYS = (*MANAGED_KEYS, PCI_ALIAS_KEY)
#: The embedded image's properties a server's verdict reads: the width
#: and mode, those that make ImagePropertiesFilter check the width, and
#: the guest's machine type and firmware.
IMAGE_PROPERTIES = (*IMAGE_KEYS, *FILTER_PROPERTIES, *IMAGE_PLATFORM_KEYS)


@dataclasses.dataclass(frozen=True)
class Cpu:
    """The CPU a hypervisor reports in ``cpu_info``."""

    vendor: str | None
    model: str | None


@dataclasses.dataclass(frozen=True)
class Configuration:
    """A server's maxphysaddr configuration: its pair's verdict, its guest."""

    verdict: PairVerdict
    #: the guest of the embedded flavor; None when its RAM is unknown
    context: GuestContext | None = None

    @property
    def configured(self) -> bool:
        return self.verdict.configured

    @property
    def is_error(self) -> bool:
        return self.verdict.is_error

    @property
    def mode(self) -> str | None:
        return self.verdict.mode

    @property
    def bits(self) -> int | None:
        """The width libvirt uses: the flavor's, else the image's."""
        return self.verdict.bits

    @property
    def status(self) -> str:
        return self.verdict.status

    @property
    def unchecked(self) -> bool:
        """Whether the model cannot judge the guest: its image names a
        machine type or firmware the model does not know."""
        return any(f.code == UNKNOWN_PLATFORM for f in self.verdict.findings)


def configuration(
    flavor_specs: Mapping[str, str],
    image_properties: Mapping[str, Any] | None = None,
    ram_mib: int | None = None,
    platform: Platform | None = None,
) -> Configuration:
    """A server's configuration from its embedded flavor and image.

    The verdict of the pair (:func:`.images.diagnose_pair`) on
    ``platform`` (Nova's defaults when None), which the embedded image's
    ``hw_machine_type`` and ``hw_firmware_type`` override.
    """
    context = None
    if ram_mib is not None:
        context = guest_context(ram_mib, flavor_specs, platform or Platform())
    verdict = diagnose_pair(
        flavor_specs, image_properties or {}, context=context
    )
    # The guest as judged: on the image's machine type and firmware.
    return Configuration(verdict, verdict.context)


@dataclasses.dataclass(frozen=True)
class Reach:
    """The targets of one guest: a shared pool minus its current host."""

    pool: tuple[int, ...]
    members: frozenset[int]
    current: int | None

    @property
    def count(self) -> int:
        return len(self.pool) - (self.current in self.members)

    def first(self, limit: int) -> list[int]:
        """Up to ``limit`` targets, in host order."""
        out: list[int] = []
        for position in self.pool:
            if len(out) == limit:
                break
            if position != self.current:
                out.append(position)
        return out


NO_TARGET = Reach((), frozenset(), None)


def guest_bits(config: Configuration, current_bits: int | None) -> int | None:
    """The width a guest sees: its own (emulate) or its host's."""
    if config.mode == PASSTHROUGH:
        return current_bits
    return config.bits


#: A requirement: (emulate, bits, guest) or (passthrough, width, CPU); and
#: the hosts that meet it, in order and as a set.
_Key = tuple[object, ...]
_Pool = tuple[tuple[int, ...], frozenset[int]]


def _guest_key(context: GuestContext) -> tuple[object, ...]:
    """What the model's verdict on a guest depends on, besides width and
    vendor (the devices of unknown size are not checked)."""
    platform = context.platform
    return (context.ram_mib, platform.machine, platform.firmware, context.bars)


class Finder:
    """The targets of guests over one inventory of hosts.

    ``hosts`` and ``cpus`` are parallel: the position of a host is its
    identity. Each distinct requirement (mode, bits and guest; or width,
    vendor and model) scans the hosts once, and judges each vendor once.
    """

    def __init__(self, hosts: Sequence[Host], cpus: Sequence[Cpu]) -> None:
        if len(hosts) != len(cpus):
            raise ValueError('hosts and cpus must be parallel')
        self.hosts = hosts
        self.cpus = cpus
        self.traits_known = all(h.traits is not None for h in hosts)
        self._pools: dict[_Key, _Pool] = {}
        self._candidates_of: dict[str, list[int]] = {}

    def _candidates(self, mode: str) -> list[int]:
        """The available hosts that hold the mode's trait."""
        if mode not in self._candidates_of:
            trait = MODE_TRAITS[mode]
            self._candidates_of[mode] = [
                i
                for i, h in enumerate(self.hosts)
                if h.available and trait in (h.traits or ())
            ]
        return self._candidates_of[mode]

    def _pool(self, key: _Key, admits: Callable[[int], bool]) -> _Pool:
        """The candidates of ``key``'s mode that ``admits``, built once."""
        if key not in self._pools:
            found = tuple(
                i for i in self._candidates(str(key[0])) if admits(i)
            )
            self._pools[key] = (found, frozenset(found))
        return self._pools[key]

    def _emulate_pool(self, bits: int, context: GuestContext | None) -> _Pool:
        """Hosts of at least ``bits`` on which the guest boots (context
        None: not judged by the model)."""
        key = (EMULATE, bits, None if context is None else _guest_key(context))
        if key in self._pools:
            return self._pools[key]
        # judges each vendor once
        boots = None if context is None else boots_on(context, bits)

        def admits(i: int) -> bool:
            host = self.hosts[i]
            return (
                host.bits is not None
                and host.bits >= bits
                and (boots is None or boots(host))
            )

        return self._pool(key, admits)

    def _passthrough_pool(self, bits: int | None, cpu: Cpu | None) -> _Pool:
        """Hosts of exactly this width and CPU; any host when cpu is None."""

        def admits(i: int) -> bool:
            return cpu is None or (
                self.hosts[i].bits == bits and self.cpus[i] == cpu
            )

        return self._pool((PASSTHROUGH, bits, cpu), admits)

    def reach(
        self,
        config: Configuration,
        current: int | None,
        elsewhere: bool = False,
    ) -> Reach | None:
        """The targets of a guest on host position ``current``; None: on
        no host (shelved), or, with ``elsewhere``, on a host missing from
        the inventory (a passthrough guest's width is unknown there).

        None when the traits are unknown (Placement could not be read).
        No target when the configuration has an error or, for
        passthrough, when the current host reports no width or CPU.
        """
        if not config.configured:
            return None
        if config.is_error or config.mode not in (EMULATE, PASSTHROUGH):
            return NO_TARGET
        if not self.traits_known:
            return None
        if config.mode == EMULATE:
            bits = config.bits
            if bits is None or (
                config.context is None and not config.unchecked
            ):
                return NO_TARGET  # no width, or the guest's RAM unknown
            pool, members = self._emulate_pool(bits, config.context)
        elif current is None and elsewhere:
            return NO_TARGET
        elif current is None:
            pool, members = self._passthrough_pool(None, None)
        else:
            bits = self.hosts[current].bits
            cpu = self.cpus[current]
            if bits is None or cpu.vendor is None or cpu.model is None:
                return NO_TARGET
            pool, members = self._passthrough_pool(bits, cpu)
        return Reach(pool, members, current)
