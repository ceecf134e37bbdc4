"""Which hosts Nova's scheduler admits for a flavor, and capacity planning.

The scheduler checks the flavor's required and forbidden traits in
Placement and, through ComputeCapabilitiesFilter, its width requirement
against each host's reported bits. A host admitted that way still only
takes the guest when the guest boots there (:mod:`.address_space`): at the
flavor's width for emulate, at the host's own width for passthrough.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence

from osc_maxphysaddr.core.diagnosis import diagnose
from osc_maxphysaddr.core.diagnosis import forbidden_traits
from osc_maxphysaddr.core.diagnosis import required_traits
from osc_maxphysaddr.core.extra_specs_ops import capability_matches
from osc_maxphysaddr.core.guest import GuestContext
from osc_maxphysaddr.core.hosts import Host
from osc_maxphysaddr.core.specs import EMULATE
from osc_maxphysaddr.core.specs import MAX_BITS
from osc_maxphysaddr.core.specs import MIN_BITS
from osc_maxphysaddr.core.specs import MODE_TRAITS
from osc_maxphysaddr.core.specs import MaxphysaddrError
from osc_maxphysaddr.core.specs import capability_for


@dataclasses.dataclass(frozen=True)
class HostRequirement:
    """What a host needs to take a flavor, as Nova's scheduler checks it."""

    required_traits: frozenset[str]
    forbidden_traits: frozenset[str]
    capability: str | None

    def admits(self, bits: int | None, traits: Iterable[str]) -> bool:
        """Whether a host with this width and these traits qualifies."""
        if self.capability is not None and not capability_matches(
            None if bits is None else str(bits), self.capability
        ):
            return False
        held = set(traits)
        return self.required_traits <= held and not (
            self.forbidden_traits & held
        )


def host_requirement(specs: Mapping[str, str]) -> HostRequirement:
    """The host requirement of a flavor whose diagnosis has no error.

    As Nova's scheduler builds it: the traits of
    :func:`.diagnosis.required_traits` and
    :func:`.diagnosis.forbidden_traits` go to Placement, and the width
    requirement to ComputeCapabilitiesFilter, which replaces the
    capabilities key with ``'>= ' + bits`` whenever bits is set.
    """
    diagnosis = diagnose(specs)
    if diagnosis.is_error:
        raise MaxphysaddrError(
            f'the flavor cannot be scheduled as written: {diagnosis.status}'
        )
    capability = diagnosis.capability
    if isinstance(diagnosis.bits, int):
        capability = capability_for(diagnosis.bits)
    return HostRequirement(
        frozenset(required_traits(specs)),
        frozenset(forbidden_traits(specs)),
        capability,
    )


def boots_on(
    context: GuestContext, bits: int | None
) -> Callable[[Host], bool]:
    """Whether the guest boots on a host, at ``bits`` (None: the host's).

    A passthrough guest takes its host's width; a host that reports none
    cannot be judged and is given the benefit of the doubt. Each (width,
    vendor) is judged once: a judgement costs about 40 µs, and
    ``flavor maxphysaddr list`` asks for every host of every flavor (200
    flavors on 5,000 hosts would spend 40 s judging the same few pairs).
    """
    judged: dict[tuple[int, str | None], bool] = {}

    def boots(host: Host) -> bool:
        width = host.bits if bits is None else bits
        if width is None:
            return True
        key = (width, host.vendor)
        if key not in judged:
            judged[key] = context.boots(width, host.vendor)
        return judged[key]

    return boots


def takers(
    requirement: HostRequirement,
    hosts: Sequence[Host],
    context: GuestContext | None = None,
    bits: int | None = None,
) -> list[int] | None:
    """The positions of the hosts that can take a flavor now.

    A host qualifies when it is available, meets the requirement and,
    given the flavor's guest, the guest boots there (at ``bits`` for an
    emulate flavor, at the host's width for passthrough, ``bits`` None).
    None when the traits of the hosts are unknown.
    """
    if any(host.traits is None for host in hosts):
        return None
    boots = None if context is None else boots_on(context, bits)
    return [
        i
        for i, host in enumerate(hosts)
        if host.available
        and requirement.admits(host.bits, host.traits or ())
        and (boots is None or boots(host))
    ]


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


def auto_bits(
    hosts: Sequence[Host], context: GuestContext | None = None
) -> int:
    """The emulate width ``--bits auto`` picks.

    From the lowest width of :func:`auto_pool` upward, the smallest width
    ``w`` at which the guest boots on every host the scheduler would admit
    at ``w`` (the EMULATED trait and at least ``w`` bits), whatever its
    state, since a host that is down comes back. Without a guest, the
    lowest width: every host of the pool can then take the flavor, so
    guests can live-migrate among them.
    """
    widths = sorted({h.bits for h in auto_pool(hosts) if h.bits is not None})
    if not widths:
        raise MaxphysaddrError(
            '--bits auto needs at least one up, enabled hypervisor with '
            f'the {MODE_TRAITS[EMULATE]} trait that reports its address '
            f'bits ({MIN_BITS} to {MAX_BITS}); none does (see "openstack '
            'hypervisor maxphysaddr list")'
        )
    if context is None:
        return widths[0]
    trait = MODE_TRAITS[EMULATE]
    admitted = [
        (h.bits, h.vendor)
        for h in hosts
        if h.traits is not None and trait in h.traits and h.bits is not None
    ]
    for bits in range(widths[0], widths[-1] + 1):
        vendors = {vendor for width, vendor in admitted if width >= bits}
        if all(context.boots(bits, vendor) for vendor in vendors):
            return bits
    # What the guest needs on the CPUs of the hosts it could land on.
    vendors = {vendor for _, vendor in admitted}
    needed = next(
        (
            bits
            for bits in range(widths[-1] + 1, MAX_BITS + 1)
            if all(context.boots(bits, vendor) for vendor in vendors)
        ),
        None,
    )
    raise MaxphysaddrError(
        '--bits auto: the guest needs '
        + (
            f'{needed} bits'
            if needed is not None
            else f'more than {MAX_BITS} bits'
        )
        + f', and the widest eligible hypervisor reports {widths[-1]}'
    )
