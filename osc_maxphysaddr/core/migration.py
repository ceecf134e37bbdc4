"""Where a running guest can go: the targets of a move off its host.

Nova leaves the migration of maxphysaddr guests to the operator: a
passthrough guest "is not guaranteed" to migrate, and an emulated guest
needs a host with the trait and at least its bits. A host is a **target**
of a guest when it is up, enabled, not the guest's current host, and:

* **emulate**: it holds ``COMPUTE_ADDRESS_SPACE_EMULATED``, reports at
  least the guest's bits, and the guest boots there by the address-space
  rules (:func:`boots_at`);
* **passthrough**: it holds ``COMPUTE_ADDRESS_SPACE_PASSTHROUGH``, reports
  exactly the width the guest sees now (its current host's) and has the
  same CPU vendor and model, so the guest's CPUID does not change under
  it. A guest on no host (shelved) sees no width yet: any host with the
  trait takes it.

A guest whose configuration has an error has no target. Forced moves
(``--force`` below compute microversion 2.68, or a host named below 2.30)
skip the scheduler: these rules are what the guest needs, and Nova does
not check them then.

A guest's configuration comes from its embedded flavor's extra specs and,
from compute microversion 2.98, its image's ``hw_maxphysaddr_mode`` and
``hw_maxphysaddr_bits`` properties. Nova takes each from whichever of the
two sets it and fails with FlavorImageConflict when both set it
differently (``nova.virt.hardware._get_flavor_image_meta``).

:class:`Finder` answers for thousands of guests over thousands of hosts by
computing each distinct requirement's pool of hosts once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence

from osc_maxphysaddr.core import address_space
from osc_maxphysaddr.core.diagnosis import Diagnosis
from osc_maxphysaddr.core.diagnosis import diagnose
from osc_maxphysaddr.core.findings import ERROR
from osc_maxphysaddr.core.hosts import Host
from osc_maxphysaddr.core.specs import BITS_KEY
from osc_maxphysaddr.core.specs import EMULATE
from osc_maxphysaddr.core.specs import MODE_KEY
from osc_maxphysaddr.core.specs import MODE_TRAITS
from osc_maxphysaddr.core.specs import PASSTHROUGH

#: The image properties that carry a maxphysaddr configuration, and the
#: flavor extra spec each one stands for.
IMAGE_PROPERTIES = {
    'hw_maxphysaddr_mode': MODE_KEY,
    'hw_maxphysaddr_bits': BITS_KEY,
}

_VENDORS = {'intel': address_space.INTEL, 'amd': address_space.AMD}


def model_vendor(vendor: str | None) -> str:
    """The address-space model's vendor for a ``cpu_info`` vendor.

    An unknown vendor counts as AMD: its layout (RAM moved above the
    HyperTransport hole) never needs fewer bits than Intel's.
    """
    return _VENDORS.get((vendor or '').strip().lower(), address_space.AMD)


def boots_at(ram_mib: int, bits: int, vendor: str | None) -> bool:
    """Whether a guest of ``ram_mib`` boots with ``bits`` on this vendor.

    The one place the migration rules ask the address-space model; it
    uses Nova's default machine type and firmware for now.
    """
    guest = address_space.Guest(ram_mib, vendor=model_vendor(vendor))
    return address_space.verdict(guest, bits).boots


@dataclasses.dataclass(frozen=True)
class Cpu:
    """The CPU a hypervisor reports in ``cpu_info``."""

    vendor: str | None
    model: str | None


@dataclasses.dataclass(frozen=True)
class Configuration:
    """A server's maxphysaddr configuration and its diagnosis."""

    diagnosis: Diagnosis
    conflict: str | None = None  # flavor and image disagree

    @property
    def configured(self) -> bool:
        return self.diagnosis.configured

    @property
    def is_error(self) -> bool:
        return self.conflict is not None or self.diagnosis.is_error

    @property
    def mode(self) -> str | None:
        return self.diagnosis.mode

    @property
    def status(self) -> str:
        if self.conflict is None:
            return self.diagnosis.status
        if self.diagnosis.findings:
            return f'{ERROR}: {self.conflict}; {self.diagnosis.status}'
        return f'{ERROR}: {self.conflict}'


def configuration(
    flavor_specs: Mapping[str, str],
    image_properties: Mapping[str, object] | None = None,
    ram_mib: int | None = None,
) -> Configuration:
    """A server's configuration from its embedded flavor and image.

    The image's properties fill in what the flavor leaves unset; when both
    set one differently Nova refuses the guest (FlavorImageConflict), an
    error here.
    """
    specs = dict(flavor_specs)
    conflicts = []
    for prop, key in IMAGE_PROPERTIES.items():
        value = (image_properties or {}).get(prop)
        if value is None:
            continue
        value = str(value)
        if key not in specs:
            specs[key] = value
        elif specs[key].strip() != value.strip():
            conflicts.append(
                f'the flavor sets {key}={specs[key]} and the image '
                f'{prop}={value}: Nova refuses the guest '
                '(FlavorImageConflict)'
            )
    return Configuration(
        diagnose(specs, ram_mib), '; '.join(conflicts) or None
    )


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
    bits = config.diagnosis.bits
    return bits if isinstance(bits, int) else None


#: A requirement: (emulate, bits, RAM) or (passthrough, width, CPU); and
#: the hosts that meet it, in order and as a set.
_Key = tuple[object, ...]
_Pool = tuple[tuple[int, ...], frozenset[int]]


class Finder:
    """The targets of guests over one inventory of hosts.

    ``hosts`` and ``cpus`` are parallel: the position of a host is its
    identity. Each distinct requirement (mode, bits, RAM; or width,
    vendor, model) scans the hosts once.
    """

    def __init__(self, hosts: Sequence[Host], cpus: Sequence[Cpu]) -> None:
        if len(hosts) != len(cpus):
            raise ValueError('hosts and cpus must be parallel')
        self.hosts = hosts
        self.cpus = cpus
        self.traits_known = all(h.traits is not None for h in hosts)
        self._pools: dict[_Key, _Pool] = {}
        self._candidates_of: dict[str, list[int]] = {}
        self._boots: dict[tuple[int, int, str], bool] = {}

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

    def _boots_at(self, ram_mib: int, bits: int, vendor: str | None) -> bool:
        key = (ram_mib, bits, model_vendor(vendor))
        if key not in self._boots:
            self._boots[key] = boots_at(ram_mib, bits, vendor)
        return self._boots[key]

    def _pool(self, key: _Key, admits: Callable[[int], bool]) -> _Pool:
        """The candidates of ``key``'s mode that ``admits``, built once."""
        if key not in self._pools:
            found = tuple(
                i for i in self._candidates(str(key[0])) if admits(i)
            )
            self._pools[key] = (found, frozenset(found))
        return self._pools[key]

    def _emulate_pool(self, bits: int, ram_mib: int) -> _Pool:
        def admits(i: int) -> bool:
            width = self.hosts[i].bits
            return (
                width is not None
                and width >= bits
                and self._boots_at(ram_mib, bits, self.cpus[i].vendor)
            )

        return self._pool((EMULATE, bits, ram_mib), admits)

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
        ram_mib: int | None,
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
            bits = guest_bits(config, None)
            if bits is None or ram_mib is None:
                return NO_TARGET
            pool, members = self._emulate_pool(bits, ram_mib)
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
