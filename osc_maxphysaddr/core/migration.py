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
  it. A guest on no host (shelved) sees no width yet: any host that takes
  the guest takes it.

Both are the guest's :class:`.scheduler.HostRequirement` (the one host
engine that the Hosts count and ``hypervisor maxphysaddr list --flavor``
use), with the current host left out and, for passthrough, its width and
CPU kept.

A guest whose configuration has an error has no target. Forced moves
(``--force`` below compute microversion 2.68, or a host named below 2.30)
skip the scheduler: these rules are what the guest needs, and Nova does
not check them then.

A guest's configuration is the verdict of its embedded flavor and, from
compute microversion 2.98, its image's properties, exactly as
``flavor maxphysaddr show FLAVOR --image IMAGE`` gives it for that pair
(:func:`.pair.diagnose_pair`: modes compared as stored, the flavor's
bits before the image's). Whether it boots is the address-space model's
answer for its guest (:class:`.guest.GuestContext`: RAM, the BARs of its
``pci_passthrough:alias`` devices, the platform) on each host's vendor.

:class:`Finder` answers for thousands of guests over thousands of hosts by
computing each distinct requirement's pool of hosts once;
:func:`placed_servers` gives each server its host, width and targets.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

from osc_maxphysaddr.core.findings import finding
from osc_maxphysaddr.core.guest import PCI_ALIAS_KEY
from osc_maxphysaddr.core.guest import Platform
from osc_maxphysaddr.core.hosts import Host
from osc_maxphysaddr.core.images import FILTER_PROPERTIES
from osc_maxphysaddr.core.images import IMAGE_KEYS
from osc_maxphysaddr.core.nova_platform import IMAGE_PLATFORM_KEYS
from osc_maxphysaddr.core.pair import PairVerdict
from osc_maxphysaddr.core.pair import judge
from osc_maxphysaddr.core.scheduler import HostRequirement
from osc_maxphysaddr.core.specs import EMULATE
from osc_maxphysaddr.core.specs import MANAGED_KEYS
from osc_maxphysaddr.core.specs import PASSTHROUGH

#: The embedded flavor's extra specs a server's verdict reads.
SERVER_SPEC_KEYS = (*MANAGED_KEYS, PCI_ALIAS_KEY, 'hw:pmem')
#: The embedded image's properties a server's verdict reads: the width
#: and mode, those that make ImagePropertiesFilter check the width, and
#: the guest's machine type and firmware.
IMAGE_PROPERTIES = (*IMAGE_KEYS, *FILTER_PROPERTIES, *IMAGE_PLATFORM_KEYS)


def server_verdict(
    flavor_specs: Mapping[str, str],
    image_properties: Mapping[str, Any] | None = None,
    ram_mib: int | None = None,
    platform: Platform | None = None,
    image_visible: bool = True,
) -> PairVerdict:
    """A server's verdict from its embedded flavor and image.

    The verdict of the pair (:func:`.pair.judge`) on
    ``platform`` (Nova's defaults when None), which the embedded image's
    ``hw_machine_type`` and ``hw_firmware_type`` override. A server that
    boots from a volume (``image_visible`` False) is judged by its flavor,
    with a warning.
    """
    verdict = judge(
        flavor_specs, image_properties, ram_mib, platform or Platform()
    )
    if not image_visible:
        verdict = dataclasses.replace(
            verdict,
            findings=verdict.findings + (finding('image-not-visible'),),
        )
    return verdict


@dataclasses.dataclass(frozen=True)
class Reach:
    """The targets of one guest: a shared pool minus its current host."""

    pool: tuple[Host, ...]
    members: frozenset[Host]
    current: Host | None

    @property
    def count(self) -> int:
        return len(self.pool) - (self.current in self.members)

    def first(self, limit: int) -> list[Host]:
        """Up to ``limit`` targets, in host order."""
        out: list[Host] = []
        for host in self.pool:
            if len(out) == limit:
                break
            if host is not self.current:
                out.append(host)
        return out


NO_TARGET = Reach((), frozenset(), None)

_Pool = tuple[tuple[Host, ...], frozenset[Host]]


class Finder:
    """The targets of guests over one inventory of hosts.

    Each distinct requirement (and, for passthrough, width and CPU) scans
    the hosts once; the requirement judges each vendor and width once.
    """

    def __init__(self, hosts: Sequence[Host]) -> None:
        self.hosts = hosts
        self.traits_known = all(h.traits is not None for h in hosts)
        self._pools: dict[tuple[object, ...], _Pool] = {}
        self._requirements: dict[tuple[object, ...], HostRequirement] = {}

    def _pool(
        self, key: tuple[object, ...], admits: Callable[[Host], bool]
    ) -> _Pool:
        """The available hosts that ``admits``, built once for ``key``."""
        if key not in self._pools:
            found = tuple(h for h in self.hosts if h.available and admits(h))
            self._pools[key] = (found, frozenset(found))
        return self._pools[key]

    def _shared(self, requirement: HostRequirement) -> HostRequirement:
        """One requirement object per key, so its judgements are shared."""
        return self._requirements.setdefault(requirement.key, requirement)

    def reach(
        self,
        verdict: PairVerdict,
        current: Host | None,
        elsewhere: bool = False,
    ) -> Reach | None:
        """The targets of a guest on host ``current``; None: on no host
        (shelved), or, with ``elsewhere``, on a host missing from the
        inventory (a passthrough guest's width is unknown there).

        None when the traits are unknown (Placement could not be read).
        No target when the configuration has an error or, for
        passthrough, when the current host reports no width or CPU.
        """
        if not verdict.configured:
            return None
        requirement = verdict.requirement
        if (
            verdict.is_error
            or requirement is None
            or verdict.mode not in (EMULATE, PASSTHROUGH)
        ):
            return NO_TARGET
        if not self.traits_known:
            return None
        requirement = self._shared(requirement)
        key = requirement.key
        if verdict.mode == EMULATE:
            if verdict.bits is None or (
                verdict.context is None and not verdict.unchecked
            ):
                return NO_TARGET  # no width, or the guest's RAM unknown
            pool, members = self._pool(key, requirement.admits)
        elif current is None and elsewhere:
            return NO_TARGET
        elif current is None:
            pool, members = self._pool(key, requirement.admits)
        else:
            bits, cpu = current.bits, current.cpu
            if bits is None or None in cpu:
                return NO_TARGET

            def same(host: Host) -> bool:
                return (
                    host.bits == bits
                    and host.cpu == cpu
                    and requirement.admits(host)
                )

            pool, members = self._pool((*key, bits, cpu), same)
        return Reach(pool, members, current)


@dataclasses.dataclass(frozen=True)
class PlacedServer:
    """A configured server, where it runs, and where it could go."""

    server: Mapping[str, Any]
    verdict: PairVerdict  # of its embedded flavor and image
    host: Host | None  # its hypervisor; None: shelved, or not in inventory
    bits: int | None  # the width it sees
    reach: Reach | None  # None when unknowable

    @property
    def targets(self) -> int | None:
        return None if self.reach is None else self.reach.count


def placed_servers(
    hosts: Sequence[Host],
    servers: Iterable[Mapping[str, Any]],
    platform: Platform,
) -> list[PlacedServer]:
    """The servers that carry a maxphysaddr configuration, with targets.

    Each server (``extra_specs`` and ``image_properties`` of its embedded
    flavor and image, ``ram``, ``node``, ``volume_backed``) gets the
    verdict of its pair on the guests' ``platform``, as ``flavor
    maxphysaddr show FLAVOR --image IMAGE`` gives it. Servers are matched
    to hosts by hypervisor hostname; the targets follow :class:`Finder`.
    """
    finder = Finder(hosts)
    by_name = {h.hostname: h for h in hosts}
    placed = []
    # Servers share a few flavors: diagnosing each distinct configuration
    # once saved 1.7 s of 50,000 diagnoses (a loaded 2-core machine).
    verdicts: dict[tuple[object, ...], PairVerdict] = {}
    for server in servers:
        image = server.get('image_properties') or {}
        visible = not server.get('volume_backed')
        key = (
            tuple(sorted(server['extra_specs'].items())),
            # repr: Nova's 2.98 properties are typed (bits: 42, not '42')
            tuple(sorted((k, repr(v)) for k, v in image.items())),
            server.get('ram'),
            visible,
        )
        verdict = verdicts.get(key)
        if verdict is None:
            verdict = verdicts[key] = server_verdict(
                server['extra_specs'],
                image,
                server.get('ram'),
                platform,
                visible,
            )
        if not verdict.configured:
            continue
        node = server.get('node')
        host = None if node is None else by_name.get(node)
        placed.append(
            PlacedServer(
                server,
                verdict,
                host,
                verdict.width_on(None if host is None else host.bits),
                finder.reach(verdict, host, elsewhere=node is not None),
            )
        )
    return placed
