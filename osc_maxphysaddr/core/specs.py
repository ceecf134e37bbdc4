"""The maxphysaddr extra specs: names, a validated request, the write plan.

* ``hw:maxphysaddr_mode`` (``emulate`` or ``passthrough``) makes Nova
  require the matching ``COMPUTE_ADDRESS_SPACE_*`` trait in Placement and
  write ``<maxphysaddr mode=.../>`` into the guest's libvirt XML.
* Whenever ``hw:maxphysaddr_bits`` is set, Nova replaces
  ``capabilities:cpu_info:maxphysaddr:bits`` with ``>= <bits>`` before
  ComputeCapabilitiesFilter runs, mode or no mode.
* QEMU takes 32 to 52 phys-bits on x86_64.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

EMULATE = 'emulate'
PASSTHROUGH = 'passthrough'
MODES = (EMULATE, PASSTHROUGH)

#: QEMU's accepted ``phys-bits`` range on x86_64.
MIN_BITS = 32
MAX_BITS = 52

MODE_KEY = 'hw:maxphysaddr_mode'
BITS_KEY = 'hw:maxphysaddr_bits'
CAPABILITY_KEY = 'capabilities:cpu_info:maxphysaddr:bits'

#: Each mode's Placement trait, as os-traits names it (a unit test keeps
#: these equal to ``os_traits``' constants; importing os-traits costs
#: ~10 ms on every ``openstack`` call, so they are written out).
MODE_TRAITS = {
    EMULATE: 'COMPUTE_ADDRESS_SPACE_EMULATED',
    PASSTHROUGH: 'COMPUTE_ADDRESS_SPACE_PASSTHROUGH',
}
#: Each mode's ``trait:`` extra spec.
TRAIT_KEYS = {mode: 'trait:' + trait for mode, trait in MODE_TRAITS.items()}
#: Every extra spec this plugin owns; ``unset`` removes exactly these.
MANAGED_KEYS = (
    MODE_KEY,
    BITS_KEY,
    TRAIT_KEYS[EMULATE],
    TRAIT_KEYS[PASSTHROUGH],
    CAPABILITY_KEY,
)

REQUIRED = 'required'
FORBIDDEN = 'forbidden'

DECIMAL = re.compile(r'[0-9]+')


class MaxphysaddrError(ValueError):
    """A request the plugin refuses, with a message for the operator."""


class EmulateNeedsBits(MaxphysaddrError):
    """Emulate without a width: libvirt has none to emulate."""

    def __init__(self) -> None:
        super().__init__('emulate needs a width: libvirt has none to emulate')


class PassthroughTakesNoBits(MaxphysaddrError):
    """Passthrough with a width: libvirt refuses it."""

    def __init__(self) -> None:
        super().__init__(
            "passthrough takes no width: the guest takes the host's width "
            'and libvirt refuses bits'
        )


# --- requests ---------------------------------------------------------------


def parse_bits(text: str) -> int:
    """Parse an address width: a plain decimal integer from 32 to 52."""
    stripped = text.strip()
    if not DECIMAL.fullmatch(stripped):
        raise MaxphysaddrError(
            f'bits must be a decimal integer from {MIN_BITS} to {MAX_BITS}, '
            f'not {text!r}'
        )
    bits = int(stripped)
    if not MIN_BITS <= bits <= MAX_BITS:
        raise MaxphysaddrError(
            f'bits must be from {MIN_BITS} to {MAX_BITS} '
            f"(QEMU's range on x86_64), not {bits}"
        )
    return bits


@dataclasses.dataclass(frozen=True)
class Config:
    """A validated maxphysaddr configuration."""

    mode: str
    bits: int | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise MaxphysaddrError(
                f'mode must be one of {", ".join(MODES)}, not {self.mode!r}'
            )
        if self.mode == EMULATE and self.bits is None:
            raise EmulateNeedsBits()
        if self.mode == PASSTHROUGH and self.bits is not None:
            raise PassthroughTakesNoBits()
        if self.bits is not None and not MIN_BITS <= self.bits <= MAX_BITS:
            raise MaxphysaddrError(
                f'bits must be from {MIN_BITS} to {MAX_BITS}, not {self.bits}'
            )

    def extra_specs(self) -> dict[str, str]:
        """The exact maxphysaddr extra specs this configuration stands for."""
        specs = {MODE_KEY: self.mode, TRAIT_KEYS[self.mode]: REQUIRED}
        if self.bits is not None:
            specs[BITS_KEY] = str(self.bits)
            specs[CAPABILITY_KEY] = capability_for(self.bits)
        return specs


def capability_for(bits: int) -> str:
    """The ComputeCapabilitiesFilter value Nova derives from a width."""
    return f'>= {bits}'


# --- diffs -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Change:
    """One extra spec to add, change or remove."""

    key: str
    action: str  # 'add', 'change' or 'remove'
    old: str | None
    new: str | None


@dataclasses.dataclass(frozen=True)
class SpecPlan:
    """The writes that turn a flavor's specs into the target.

    Writes go in this order so that the flavor is never left without its
    new configuration: first one request setting :attr:`to_set`, then one
    delete per key in :attr:`to_delete`.
    """

    changes: tuple[Change, ...]

    @property
    def to_set(self) -> dict[str, str]:
        return {
            c.key: c.new
            for c in self.changes
            if c.action != 'remove' and c.new is not None
        }

    @property
    def to_delete(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.changes if c.action == 'remove')

    @property
    def is_noop(self) -> bool:
        return not self.changes


def plan(current: Mapping[str, str], target: Mapping[str, str]) -> SpecPlan:
    """Diff a flavor's specs against the target maxphysaddr specs.

    Only :data:`MANAGED_KEYS` are ever touched: a managed key missing from
    ``target`` is removed, every other key of the flavor is left alone.
    """
    return SpecPlan(changes(current, target, MANAGED_KEYS))


def changes(
    current: Mapping[str, str],
    target: Mapping[str, str],
    keys: tuple[str, ...],
) -> tuple[Change, ...]:
    """The changes of ``keys`` (only) that turn ``current`` into ``target``.

    A key missing from ``target`` is removed; a target key outside ``keys``
    is refused.
    """
    unknown = set(target) - set(keys)
    if unknown:
        raise MaxphysaddrError(f'not maxphysaddr keys: {sorted(unknown)}')
    found = []
    for key in keys:
        old = current.get(key)
        new = target.get(key)
        if old == new:
            continue
        if new is None:
            found.append(Change(key, 'remove', old, None))
        elif old is None:
            found.append(Change(key, 'add', None, new))
        else:
            found.append(Change(key, 'change', old, new))
    return tuple(found)
