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
