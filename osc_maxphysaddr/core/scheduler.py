"""Which hosts take a guest: the one host engine, and ``--bits auto``.

A host takes a guest when Nova's scheduler admits it and the guest boots
there. The scheduler checks the required and forbidden traits in
Placement and, through ComputeCapabilitiesFilter, the flavor's width
requirement against the host's reported bits. The guest then boots when
QEMU starts and the firmware places its BARs (:mod:`.address_space`) at the
width it gets on that host (:func:`.guest.guest_width`: its own for
emulate, the host's for passthrough and for emulate on host-passthrough
CPUs).

:class:`HostRequirement` holds both halves; the Hosts count
(:func:`takers`), ``hypervisor maxphysaddr list --flavor`` and the targets
of a move (:mod:`.migration`) all admit hosts through it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from collections.abc import Sequence

from osc_maxphysaddr.core.extra_specs_ops import capability_matches
from osc_maxphysaddr.core.guest import DEFAULT_CPU_MODE
from osc_maxphysaddr.core.guest import DEFAULT_VIRT_TYPE
from osc_maxphysaddr.core.guest import GuestContext
from osc_maxphysaddr.core.guest import guest_width
from osc_maxphysaddr.core.guest import width_follows_host
from osc_maxphysaddr.core.hosts import Host
from osc_maxphysaddr.core.specs import EMULATE
from osc_maxphysaddr.core.specs import MAX_BITS
from osc_maxphysaddr.core.specs import MIN_BITS
from osc_maxphysaddr.core.specs import MODE_TRAITS
from osc_maxphysaddr.core.specs import MaxphysaddrError
from osc_maxphysaddr.core.specs import capability_for


@dataclasses.dataclass(frozen=True, eq=False)
class HostRequirement:
    """What a host needs to take a guest.

    The scheduler's half: ``required_traits``, ``forbidden_traits`` and
    ``capability`` (the ComputeCapabilitiesFilter value, ``>= <bits>``
    whenever the flavor sets bits). The guest's half: its ``mode`` and
    ``bits`` (the width libvirt writes), the CPU mode of the compute nodes,
    and the guest the model judges (``context``; None: not judged).
    """

    required_traits: frozenset[str] = frozenset()
    forbidden_traits: frozenset[str] = frozenset()
    capability: str | None = None
    mode: str | None = None
    bits: int | None = None
    context: GuestContext | None = None
    cpu_mode: str = DEFAULT_CPU_MODE
    virt_type: str = DEFAULT_VIRT_TYPE
    # (width, vendor) -> boots: a judgement costs about 40 µs, and
    # ``flavor maxphysaddr list`` asks for every host of every flavor (200
    # flavors on 5,000 hosts would spend 40 s judging the same few pairs).
    _judged: dict[tuple[int, str | None], bool] = dataclasses.field(
        default_factory=dict, repr=False
    )

    def scheduled(self, host: Host) -> bool:
        """Whether Nova's scheduler admits the host (traits and width)."""
        if host.traits is None:
            return False
        if self.capability is not None and not capability_matches(
            None if host.bits is None else str(host.bits), self.capability
        ):
            return False
        return self.required_traits <= host.traits and not (
            self.forbidden_traits & host.traits
        )

    def width_on(self, host: Host) -> int | None:
        """The width the guest gets on the host (None: unknown)."""
        return guest_width(
            self.mode, self.bits, self.cpu_mode, host.bits, self.virt_type
        )

    def boots(self, host: Host) -> bool:
        """Whether the guest boots on the host at the width it gets there.

        A guest whose width follows its host needs a host that reports
        one: a host with both traits and no width (Nova 28.0.0) applies
        none (:attr:`.hosts.Host.applies_no_width`). A guest the model
        does not judge, or one with no ``<maxphysaddr>``, boots.
        """
        if self.mode is None:
            return True
        follows = width_follows_host(self.mode, self.cpu_mode, self.virt_type)
        if follows and host.bits is None:
            return False
        if self.context is None:
            return True
        width = self.width_on(host)
        if width is None:
            return True
        key = (width, host.vendor)
        if key not in self._judged:
            self._judged[key] = self.context.boots(width, host.vendor)
        return self._judged[key]

    def admits(self, host: Host) -> bool:
        """Whether the host takes the guest, whatever its state."""
        return self.scheduled(host) and self.boots(host)

    def at_bits(self, bits: int) -> HostRequirement:
        """The requirement of the same guest written at emulate ``bits``."""
        return dataclasses.replace(
            self,
            required_traits=frozenset((MODE_TRAITS[EMULATE],)),
            forbidden_traits=frozenset(),
            capability=capability_for(bits),
            mode=EMULATE,
            bits=bits,
            _judged={},
        )

    @property
    def key(self) -> tuple[object, ...]:
        """What decides which hosts the requirement admits."""
        guest = None
        if self.context is not None:
            platform = self.context.platform
            guest = (
                self.context.ram_mib,
                platform.machine,
                platform.firmware,
                platform.seabios,
                self.context.bars,
            )
        return (
            self.required_traits,
            self.forbidden_traits,
            self.capability,
            self.mode,
            self.bits,
            self.cpu_mode,
            self.virt_type,
            guest,
        )


def takers(
    requirement: HostRequirement, hosts: Sequence[Host]
) -> list[Host] | None:
    """The hosts that can take the guest now: available and admitted.

    None when the traits of the hosts are unknown.
    """
    if any(host.traits is None for host in hosts):
        return None
    return [h for h in hosts if h.available and requirement.admits(h)]


def auto_pool(hosts: Iterable[Host]) -> list[Host]:
    """The hosts ``--bits auto`` starts from: available, EMULATED, a width.

    Widths outside what QEMU accepts (32 to 52) are left out.
    """
    trait = MODE_TRAITS[EMULATE]
    return [
        h
        for h in hosts
        if h.available
        and h.traits is not None
        and trait in h.traits
        and h.bits is not None
        and MIN_BITS <= h.bits <= MAX_BITS
    ]


class NoReportingHost(MaxphysaddrError):
    """No available host with the EMULATED trait reports a usable width."""

    def __init__(self) -> None:
        super().__init__(
            'no up, enabled hypervisor with the '
            f'{MODE_TRAITS[EMULATE]} trait reports its address bits '
            f'({MIN_BITS} to {MAX_BITS})'
        )


class NoWidthBoots(MaxphysaddrError):
    """No width up to the widest eligible host's lets the guest boot."""

    def __init__(self, needed: int | None, widest: int, follows: bool):
        self.needed = needed
        self.widest = widest
        if follows:
            text = (
                "the guest gets its host's width (cpu_mode "
                'host-passthrough) and does not boot on every hypervisor '
                'that would admit it at any width'
            )
        elif needed is None:
            text = f'the guest needs more than {MAX_BITS} bits'
        else:
            text = f'the guest needs {needed} bits'
        super().__init__(
            f'{text}, and the widest eligible hypervisor reports {widest}'
        )


@dataclasses.dataclass(frozen=True)
class AutoWidth:
    """The width ``--bits auto`` picks, and how many hosts take it now."""

    bits: int
    takers: int


def auto_width(hosts: Sequence[Host], context: GuestContext) -> AutoWidth:
    """:func:`auto_bits` for a flavor's guest, with its takers at that width.

    Raises :class:`NoReportingHost` or :class:`NoWidthBoots`.
    """
    guest = HostRequirement(
        context=context,
        cpu_mode=context.platform.cpu_mode,
        virt_type=context.platform.virt_type,
    )
    bits = auto_bits(hosts, guest)
    return AutoWidth(bits, len(takers(guest.at_bits(bits), hosts) or ()))


def auto_bits(
    hosts: Sequence[Host], requirement: HostRequirement | None = None
) -> int:
    """The emulate width ``--bits auto`` picks.

    From the lowest width of :func:`auto_pool` upward, the smallest width
    ``w`` at which the guest (``requirement``'s, written at ``w``) boots on
    every host the scheduler would admit at ``w``, whatever its state,
    since a host that is down comes back. Without a guest, the lowest
    width: every host of the pool can then take the flavor, so guests can
    live-migrate among them. Raises :class:`NoReportingHost` or
    :class:`NoWidthBoots`.
    """
    widths = sorted({h.bits for h in auto_pool(hosts) if h.bits is not None})
    if not widths:
        raise NoReportingHost()
    if requirement is None:
        return widths[0]
    for bits in range(widths[0], widths[-1] + 1):
        at = requirement.at_bits(bits)
        if all(at.boots(h) for h in hosts if at.scheduled(h)):
            return bits
    follows = width_follows_host(
        EMULATE, requirement.cpu_mode, requirement.virt_type
    )
    needed = None
    if not follows and requirement.context is not None:
        # What the guest needs on the CPUs of the hosts it could land on.
        trait = MODE_TRAITS[EMULATE]
        vendors = {
            h.vendor
            for h in hosts
            if h.traits is not None and trait in h.traits
        }
        context = requirement.context
        needed = next(
            (
                bits
                for bits in range(widths[-1] + 1, MAX_BITS + 1)
                if all(context.boots(bits, vendor) for vendor in vendors)
            ),
            None,
        )
    raise NoWidthBoots(needed, widths[-1], follows)
