"""The diagnosis: what Nova and libvirt will really do with a flavor's specs.

* libvirt needs ``bits`` with ``emulate`` and refuses them with
  ``passthrough``.
* A ``capabilities:`` value Nova cannot parse as ``<operator> <operand>``
  matches no host (see :mod:`.extra_specs_ops`).
* With the flavor's guest (:class:`.guest.GuestContext`), an emulated
  width must let QEMU start and the firmware place every device BAR
  (:mod:`.address_space`), for Intel and AMD guest CPUs alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from osc_maxphysaddr.core.extra_specs_ops import capability_can_match
from osc_maxphysaddr.core.findings import ERROR
from osc_maxphysaddr.core.findings import NOT_CONFIGURED
from osc_maxphysaddr.core.findings import OK
from osc_maxphysaddr.core.findings import Finding
from osc_maxphysaddr.core.findings import finding
from osc_maxphysaddr.core.guest import GuestContext
from osc_maxphysaddr.core.guest import Platform
from osc_maxphysaddr.core.guest import device_findings
from osc_maxphysaddr.core.guest import guest_context
from osc_maxphysaddr.core.guest import width_finding
from osc_maxphysaddr.core.specs import BITS_KEY
from osc_maxphysaddr.core.specs import CAPABILITY_KEY
from osc_maxphysaddr.core.specs import DECIMAL
from osc_maxphysaddr.core.specs import EMULATE
from osc_maxphysaddr.core.specs import MANAGED_KEYS
from osc_maxphysaddr.core.specs import MODE_KEY
from osc_maxphysaddr.core.specs import MODE_TRAITS
from osc_maxphysaddr.core.specs import MODES
from osc_maxphysaddr.core.specs import PASSTHROUGH
from osc_maxphysaddr.core.specs import REQUIRED
from osc_maxphysaddr.core.specs import TRAIT_KEYS
from osc_maxphysaddr.core.specs import MaxphysaddrError
from osc_maxphysaddr.core.specs import capability_for
from osc_maxphysaddr.core.specs import other_mode
from osc_maxphysaddr.core.specs import parse_bits


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """What Nova will do with a flavor's maxphysaddr specs."""

    mode: str | None
    bits: int | str | None
    required_traits: tuple[str, ...]
    capability: str | None
    findings: tuple[Finding, ...]
    configured: bool

    @property
    def status(self) -> str:
        if not self.configured:
            return NOT_CONFIGURED
        if not self.findings:
            return OK
        return '; '.join(str(f) for f in self.findings)

    @property
    def is_error(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)


def _bits_value(raw: str | None) -> int | str | None:
    """A stored width as an int when it is one, else the raw text."""
    if raw is None:
        return None
    stripped = raw.strip()
    return int(stripped) if DECIMAL.fullmatch(stripped) else raw


def diagnose(
    specs: Mapping[str, str],
    ram_mib: int | None = None,
    context: GuestContext | None = None,
) -> Diagnosis:
    """Read a flavor's extra specs back into a maxphysaddr diagnosis.

    With the flavor's guest (``context``; or its RAM alone, on Nova's
    default platform) an emulated width is also checked by the
    address-space model: see :func:`.guest.width_finding`.
    """
    if context is None and ram_mib is not None:
        context = guest_context(ram_mib, specs, Platform())
    present = [k for k in MANAGED_KEYS if k in specs]
    mode = specs.get(MODE_KEY)
    raw_bits = specs.get(BITS_KEY)
    bits = _bits_value(raw_bits)
    capability = specs.get(CAPABILITY_KEY)
    required = tuple(
        MODE_TRAITS[m]
        for m in MODES
        if specs.get(TRAIT_KEYS[m], '').strip() == REQUIRED
    )
    errors: list[Finding] = []
    warnings: list[Finding] = []
    valid_bits: int | None = None
    if raw_bits is not None:
        try:
            valid_bits = parse_bits(raw_bits)
        except MaxphysaddrError:
            errors.append(finding('invalid-bits', value=raw_bits))

    if mode is None:
        if raw_bits is not None:
            errors.insert(0, finding('bits-without-mode'))
        elif present:
            errors.append(
                finding('keys-without-mode', keys=', '.join(present))
            )
    elif mode.strip() not in MODES:
        errors.insert(0, finding('invalid-mode', value=mode))
    else:
        mode = mode.strip()
        if mode == EMULATE and raw_bits is None:
            errors.append(finding('emulate-without-bits'))
        if mode == PASSTHROUGH and raw_bits is not None:
            errors.append(finding('passthrough-with-bits'))
        own_key = TRAIT_KEYS[mode]
        if own_key in specs and specs[own_key].strip() != REQUIRED:
            errors.append(
                finding(
                    'trait-not-required',
                    key=own_key,
                    value=specs[own_key],
                    mode=mode,
                )
            )
        other_key = TRAIT_KEYS[other_mode(mode)]
        if other_key in specs:
            warnings.append(
                finding(
                    'other-mode-trait', key=other_key, value=specs[other_key]
                )
            )

    if capability is not None:
        if valid_bits is not None:
            effective = capability_for(valid_bits)
            if capability.split() != effective.split():
                warnings.append(
                    finding(
                        'capability-differs',
                        value=capability,
                        effective=effective,
                    )
                )
        elif raw_bits is None:
            if not capability_can_match(capability):
                errors.append(
                    finding('capability-matches-nothing', value=capability)
                )
            elif mode is not None and mode.strip() == PASSTHROUGH:
                warnings.append(finding('capability-on-passthrough'))

    if context is not None and mode in MODES:
        if mode == EMULATE and valid_bits is not None:
            too_few = width_finding(context, valid_bits)
            if too_few is not None:
                errors.append(too_few)
        warnings.extend(device_findings(context))

    return Diagnosis(
        mode=mode,
        bits=bits,
        required_traits=required,
        capability=capability,
        findings=tuple(errors + warnings),
        configured=bool(present),
    )
