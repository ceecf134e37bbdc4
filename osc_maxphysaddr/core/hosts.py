"""Hypervisors as the planning rules see them, and what they report.

``cpu_info`` is a JSON string before compute microversion 2.28 and an
object from 2.28 to 2.87. Hosts whose libvirt predates maxphysaddr report
no width.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from osc_maxphysaddr.core.specs import DECIMAL

UP = 'up'
ENABLED = 'enabled'


@dataclasses.dataclass(frozen=True)
class Host:
    """What the planning rules need to know of a hypervisor."""

    bits: int | None
    traits: frozenset[str] | None  # None: Placement could not be read
    state: str | None = UP
    status: str | None = ENABLED
    #: the guest CPU vendor of the address-space model (address_space.INTEL
    #: or AMD); None: unknown, judged as the stricter of the two
    vendor: str | None = None

    @property
    def available(self) -> bool:
        """Whether the host can take a new guest now (up and enabled)."""
        return self.state == UP and self.status == ENABLED


def _cpu_info_dict(cpu_info: object) -> dict[str, Any] | None:
    if isinstance(cpu_info, str):
        try:
            cpu_info = json.loads(cpu_info)
        except ValueError:
            return None
    return cpu_info if isinstance(cpu_info, dict) else None


def bits_from_cpu_info(cpu_info: object) -> int | None:
    """The address width a hypervisor reports, or None.

    Anything malformed gives None, never an exception.
    """
    info = _cpu_info_dict(cpu_info)
    if info is None:
        return None
    maxphysaddr = info.get('maxphysaddr')
    if not isinstance(maxphysaddr, dict):
        return None
    bits = maxphysaddr.get('bits')
    if isinstance(bits, bool):
        return None
    if isinstance(bits, int):
        return bits
    if isinstance(bits, str) and DECIMAL.fullmatch(bits.strip()):
        return int(bits.strip())
    return None


def cpu_vendor_model(cpu_info: object) -> tuple[str | None, str | None]:
    """The CPU vendor and model a hypervisor reports (None when absent)."""
    info = _cpu_info_dict(cpu_info) or {}
    vendor, model = info.get('vendor'), info.get('model')
    return (
        vendor if isinstance(vendor, str) else None,
        model if isinstance(model, str) else None,
    )
