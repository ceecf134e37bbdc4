"""The command side of reading hosts: every hypervisor as a core.Host.

One inventory is read per command, in a fixed budget: the compute pages
plus one Placement request per mode trait, however many hypervisors the
cloud has. The commands warn here, in one place, about what they could
not read (Placement, admin-only hypervisors) and about hosts that hold the
traits but apply no width.
"""

from __future__ import annotations

import dataclasses
import logging

from openstack import connection

from osc_maxphysaddr import core
from osc_maxphysaddr import errors
from osc_maxphysaddr.cloud import compute
from osc_maxphysaddr.cloud import http
from osc_maxphysaddr.cloud import placement

LOG = logging.getLogger(__name__)

#: How many hosts a warning names.
NAMED = 5


@dataclasses.dataclass(frozen=True)
class Inventory:
    """Every hypervisor as a host, and why traits are unknown if they are.

    When Placement cannot be read every host's traits are None and
    :attr:`placement_error` says why.
    """

    hosts: list[core.Host]
    placement_error: str | None = None

    @property
    def traits_known(self) -> bool:
        return self.placement_error is None


def read_inventory(conn: connection.Connection) -> Inventory:
    """Read every hypervisor and which of them hold the mode traits.

    Placement is read first: its responses (one provider record for nearly
    every host) are reduced to identities and dropped before the hypervisor
    pages accumulate, so the two peaks of memory do not add up. Placement
    knows a hypervisor by its UUID from compute microversion 2.53, by its
    hostname before.
    """
    microversion = http.negotiate(
        conn.compute, compute.HYPERVISOR_MICROVERSION
    )
    by_uuid = http.version_tuple(microversion) >= compute.HYPERVISOR_ID_IS_UUID
    holders: dict[str, set[str | None]] = {}
    error = None
    try:
        for trait in core.MODE_TRAITS.values():
            holders[trait] = {
                p.uuid if by_uuid else p.name
                for p in placement.providers_with_trait(conn, trait)
            }
    except placement.ServiceUnavailable as exc:
        error = str(exc)
    hypervisors, _ = compute.list_hypervisors(conn)
    hosts = []
    for hypervisor in hypervisors:
        traits = None
        if error is None:
            key = str(
                hypervisor['id']
                if by_uuid
                else hypervisor.get('hypervisor_hostname')
            )
            traits = frozenset(t for t, keys in holders.items() if key in keys)
        hosts.append(core.host_from(hypervisor, traits))
    return Inventory(hosts, error)


def warn_placement(inventory: Inventory) -> None:
    """Say why the hosts' traits are unknown, if they are."""
    if not inventory.traits_known:
        LOG.warning('Hosts are unknown: %s', inventory.placement_error)


def warn_without_width(inventory: Inventory, mode: str | None) -> None:
    """Name the hosts a passthrough guest is not counted on: they hold
    both mode traits but report no width (Nova 28.0.0 computes)."""
    if mode != core.PASSTHROUGH:
        return
    hosts = core.without_width(inventory.hosts)
    if hosts:
        names = ', '.join(str(h.hostname) for h in hosts[:NAMED])
        if len(hosts) > NAMED:
            names += f' and {len(hosts) - NAMED} more'
        LOG.warning(
            'Not counted for passthrough: %d hypervisors (%s) hold both '
            'COMPUTE_ADDRESS_SPACE_* traits but report no width, as Nova '
            '28 computes do: Nova schedules a passthrough guest there by '
            "the trait alone and it gets QEMU's default width",
            len(hosts),
            names,
        )


def read_hosts(conn: connection.Connection) -> Inventory | None:
    """The inventory for a Hosts count, or None when it is admin-only.

    Reading flavor extra specs is open to project readers
    (``os_compute_api:os-flavor-extra-specs:index/show``), hypervisor
    details are not: a member still gets every status, with Hosts empty
    and a warning.
    """
    try:
        inventory = read_inventory(conn)
    except errors.EXPECTED as exc:
        if not errors.is_forbidden(exc):
            raise
        LOG.warning(
            'Hosts are unknown: reading the hypervisors needs admin rights '
            '(HTTP 403)'
        )
        return None
    warn_placement(inventory)
    return inventory


def eligible(
    inventory: Inventory | None, verdict: core.PairVerdict
) -> list[core.Host] | None:
    """The hosts that can take a flavor (and image) now; None if unknowable.

    None when the pair is not configured or has an error, and when the
    hosts or their traits are unknown.
    """
    if inventory is None or not verdict.configured or verdict.is_error:
        return None
    if verdict.requirement is None:
        return None
    return core.takers(verdict.requirement, inventory.hosts)
