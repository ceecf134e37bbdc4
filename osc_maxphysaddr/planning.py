"""``flavor maxphysaddr set --bits auto``: the command side of planning.

The width itself is the core's (:func:`core.auto_width`); this reads the
hosts once for every flavor and says what it picked, or why it refuses,
naming the option.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from osc_maxphysaddr import lazy
from osc_maxphysaddr import options
from osc_maxphysaddr import output

# Loaded on first use: see osc_maxphysaddr.lazy (type checkers read the
# modules themselves).
if TYPE_CHECKING:
    from openstack import connection

    from osc_maxphysaddr import core
    from osc_maxphysaddr import errors
    from osc_maxphysaddr import inventory
else:
    core = lazy.load('osc_maxphysaddr.core')
    errors = lazy.load('osc_maxphysaddr.errors')
    inventory = lazy.load('osc_maxphysaddr.inventory')

#: ``--bits auto``
AUTO = 'auto'


def bits_or_auto(text: str) -> int | str:
    """argparse type for ``--bits``: a width or ``auto``."""
    return AUTO if text.strip() == AUTO else options.bits_argument(text)


def auto_widths(
    conn: connection.Connection,
    flavors: list[tuple[dict[str, object], dict[str, object]]],
    contexts: list[core.GuestContext],
) -> list[int]:
    """Each flavor's ``--bits auto`` width; refuse if one has none."""
    # Not "cannot read the flavors": a 403 or an unreachable compute API
    # here is about the hypervisors.
    with errors.as_command_error('--bits auto cannot read the hypervisors'):
        hosts = inventory.read_inventory(conn)
    if not hosts.traits_known:
        raise core.MaxphysaddrError(
            '--bits auto cannot read which hypervisors have the '
            f'{core.MODE_TRAITS[core.EMULATE]} trait: '
            f'{hosts.placement_error}. Nothing was written.'
        )
    widths, refused = [], []
    for (flavor, _), context in zip(flavors, contexts, strict=True):
        try:
            auto = core.auto_width(hosts.hosts, context)
        except core.NoReportingHost as exc:
            raise core.MaxphysaddrError(
                '--bits auto needs at least one up, enabled hypervisor with '
                f'the {core.MODE_TRAITS[core.EMULATE]} trait that reports its '
                f'address bits; {exc} (see "openstack hypervisor maxphysaddr '
                'list")'
            ) from None
        except core.NoWidthBoots as exc:
            refused.append(
                f'flavor {output.label(flavor)}: --bits auto: {exc}'
            )
            continue
        output.notice(
            f'--bits auto: {auto.bits} bits for flavor '
            f'{output.label(flavor)}; {auto.takers} up, enabled hypervisors '
            'can take it.'
        )
        widths.append(auto.bits)
    if refused:
        raise core.MaxphysaddrError(
            '; '.join(refused) + '. Nothing was written.'
        )
    return widths
