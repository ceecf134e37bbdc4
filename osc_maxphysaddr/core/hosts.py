"""Hypervisors as the rules see them, and what they report.

``cpu_info`` is a JSON string before compute microversion 2.28 and an
object from 2.28 to 2.87. Hosts whose libvirt predates maxphysaddr report
no width; so do Nova 28.0.0 computes, which already report both
``COMPUTE_ADDRESS_SPACE_*`` traits (see :attr:`Host.applies_no_width`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from osc_maxphysaddr.core.qemu import AMD
from osc_maxphysaddr.core.qemu import INTEL
from osc_maxphysaddr.core.specs import DECIMAL
from osc_maxphysaddr.core.specs import MODE_TRAITS

UP = 'up'
ENABLED = 'enabled'

#: cpu_info vendor as libvirt reports it (its cpu_map vendor names), and
#: the CPUID vendor strings, to the model's vendors.
_VENDOR_NAMES = {
    'intel': INTEL,
    'genuineintel': INTEL,
    'amd': AMD,
    'authenticamd': AMD,
}


def vendor_from_cpu_info(name: object) -> str | None:
    """The model's vendor for a hypervisor's ``cpu_info`` vendor, or None.

    None (unknown or absent) means "the stricter of Intel and AMD".
    """
    if not isinstance(name, str):
        return None
    return _VENDOR_NAMES.get(name.strip().lower())


@dataclasses.dataclass(frozen=True, eq=False)
class Host:
    """A hypervisor as the rules see it.

    Compared by identity: two hypervisors that report the same are still
    two hosts.
    """

    bits: int | None
    traits: frozenset[str] | None  # None: Placement could not be read
    state: str | None = UP
    status: str | None = ENABLED
    #: the guest CPU vendor of the address-space model (address_space.INTEL
    #: or AMD); None: unknown, judged as the stricter of the two
    vendor: str | None = None
    #: the CPU vendor and model as ``cpu_info`` reports them
    cpu_vendor: str | None = None
    cpu_model: str | None = None
    #: the hypervisor's ID (an integer before compute 2.53) and hostname
    id: str | int | None = None
    hostname: str | None = None

    @property
    def available(self) -> bool:
        """Whether the host can take a new guest now (up and enabled)."""
        return self.state == UP and self.status == ENABLED

    @property
    def cpu(self) -> tuple[str | None, str | None]:
        """(vendor, model) as ``cpu_info`` reports them."""
        return self.cpu_vendor, self.cpu_model

    @property
    def applies_no_width(self) -> bool:
        """Whether the host holds both mode traits but reports no width.

        Nova 28.0.0 computes do (they report the traits but not
        ``cpu_info`` ``maxphysaddr``, and write no ``<maxphysaddr>``): Nova
        schedules a passthrough guest there by the trait alone, and the
        guest silently gets QEMU's default width.
        """
        return (
            self.bits is None
            and self.traits is not None
            and all(t in self.traits for t in MODE_TRAITS.values())
        )


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


def host_from(
    hypervisor: Mapping[str, Any], traits: frozenset[str] | None
) -> Host:
    """The host of a hypervisor's detail view and its Placement traits."""
    cpu_info = hypervisor.get('cpu_info')
    vendor, model = cpu_vendor_model(cpu_info)
    return Host(
        bits_from_cpu_info(cpu_info),
        traits,
        hypervisor.get('state'),
        hypervisor.get('status'),
        vendor_from_cpu_info(vendor),
        vendor,
        model,
        hypervisor.get('id'),
        hypervisor.get('hypervisor_hostname'),
    )


def without_width(hosts: Iterable[Host]) -> list[Host]:
    """The hosts that hold both mode traits and report no width."""
    return [h for h in hosts if h.applies_no_width]
