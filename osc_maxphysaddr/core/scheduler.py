"""Which hosts Nova's scheduler admits for a flavor, and capacity planning.

The scheduler checks the flavor's required and forbidden traits in
Placement and, through ComputeCapabilitiesFilter, its width requirement
against each host's reported bits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence

from osc_maxphysaddr.core.diagnosis import diagnose
from osc_maxphysaddr.core.diagnosis import forbidden_traits
from osc_maxphysaddr.core.diagnosis import required_traits
from osc_maxphysaddr.core.extra_specs_ops import capability_matches
from osc_maxphysaddr.core.hosts import Host
from osc_maxphysaddr.core.specs import EMULATE
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


def takers(
    requirement: HostRequirement, hosts: Sequence[Host]
) -> list[int] | None:
    """The positions of the hosts that can take a flavor now.

    A host qualifies when it is available and meets the requirement. None
    when the traits of the hosts are unknown.
    """
    if any(host.traits is None for host in hosts):
        return None
    return [
        i
        for i, host in enumerate(hosts)
        if host.available and requirement.admits(host.bits, host.traits or ())
    ]


def auto_pool(hosts: Iterable[Host]) -> list[Host]:
    """The hosts ``--bits auto`` chooses for: available, EMULATED, a width."""
    trait = MODE_TRAITS[EMULATE]
    return [
        h
        for h in hosts
        if h.available
        and h.traits is not None
        and trait in h.traits
        and h.bits is not None
    ]


def auto_bits(hosts: Iterable[Host]) -> int:
    """The widest emulate width every host of :func:`auto_pool` can give.

    The lowest width any of them reports keeps all of them schedulable, so
    guests can live-migrate among them.
    """
    widths = [h.bits for h in auto_pool(hosts) if h.bits is not None]
    if not widths:
        raise MaxphysaddrError(
            '--bits auto needs at least one up, enabled hypervisor with '
            f'the {MODE_TRAITS[EMULATE]} trait that reports its address '
            'bits; none does (see "openstack hypervisor maxphysaddr list")'
        )
    return max(MIN_BITS, min(widths))
