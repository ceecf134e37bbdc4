"""The diagnosis: what Nova and libvirt will really do with a flavor's specs.

* Each key is read as Nova reads it (see :func:`diagnose`).
* libvirt refuses ``bits`` with ``passthrough``; ``emulate`` without bits
  is refused before libvirt 9.2.0 and gets QEMU's default width after.
* A ``capabilities:`` value Nova cannot parse as ``<operator> <operand>``
  matches no host, or breaks the filter (see :mod:`.extra_specs_ops`).
* Numbered request groups and ``hw:pmem`` are reported as not judged.

Whether the guest boots at its width is judged with its image
(:func:`.pair.diagnose_pair`, an absent image being an empty one), the
one verdict every command shows.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from osc_maxphysaddr.core.extra_specs_ops import BREAKS_FILTER
from osc_maxphysaddr.core.extra_specs_ops import MATCHES_NOTHING
from osc_maxphysaddr.core.extra_specs_ops import check_requirement
from osc_maxphysaddr.core.findings import Finding
from osc_maxphysaddr.core.findings import Judged
from osc_maxphysaddr.core.findings import finding
from osc_maxphysaddr.core.specs import BITS_KEY
from osc_maxphysaddr.core.specs import CAPABILITY_KEY
from osc_maxphysaddr.core.specs import EMULATE
from osc_maxphysaddr.core.specs import FORBIDDEN
from osc_maxphysaddr.core.specs import MANAGED_KEYS
from osc_maxphysaddr.core.specs import MAX_BITS
from osc_maxphysaddr.core.specs import MIN_BITS
from osc_maxphysaddr.core.specs import MODE_KEY
from osc_maxphysaddr.core.specs import MODE_TRAITS
from osc_maxphysaddr.core.specs import MODES
from osc_maxphysaddr.core.specs import PASSTHROUGH
from osc_maxphysaddr.core.specs import REQUIRED
from osc_maxphysaddr.core.specs import TRAIT_KEYS
from osc_maxphysaddr.core.specs import capability_for

#: Nova's numbered and named request groups (nova/scheduler/utils.py
#: ResourceRequest: ``resources<suffix>:`` and ``trait<suffix>:``).
_GROUP_KEY = re.compile(r'(resources|trait)([1-9][0-9]*|_[A-Za-z0-9_-]+):')
#: The flavor extra spec of virtual persistent memory.
PMEM_KEY = 'hw:pmem'


@dataclasses.dataclass(frozen=True)
class Diagnosis(Judged):
    """What Nova will do with a flavor's maxphysaddr specs."""

    mode: str | None
    bits: int | str | None
    required_traits: tuple[str, ...]
    capability: str | None
    findings: tuple[Finding, ...]
    configured: bool


def nova_bits(raw: str | None) -> int | None:
    """A stored width as Nova reads it, or None when Nova cannot use it.

    The libvirt driver takes ``int(bits)``
    (``_get_guest_cpu_config_maxphysaddr``) and ComputeCapabilitiesFilter
    ``float('>= ' + bits split on whitespace)``, so whatever ``int()``
    accepts (surrounding whitespace, a sign, underscores) works in both.
    QEMU takes 32 to 52.
    """
    if raw is None:
        return None
    try:
        bits = int(raw)
    except ValueError:
        return None
    return bits if MIN_BITS <= bits <= MAX_BITS else None


def _bits_value(raw: str | None) -> int | str | None:
    """A stored width as an int when Nova reads it as one, else the text."""
    bits = nova_bits(raw)
    return raw if bits is None else bits


def _trait_findings(
    specs: Mapping[str, str], mode: str | None
) -> tuple[list[Finding], list[Finding]]:
    """The errors and warnings of the ``trait:`` keys, as Nova reads them.

    ``RequestGroup.add_trait`` (nova/objects/request_spec.py) honours
    exactly ``required`` and ``forbidden`` and ignores any other value
    with a warning in Nova's log. Nova then requires the mode's own trait
    itself (nova/scheduler/utils.py ``_translate_maxphysaddr_request``),
    and the libvirt driver reports both ``COMPUTE_ADDRESS_SPACE_*`` traits
    from one libvirt version check (nova/virt/libvirt/driver.py,
    ``supports_address_space_*``), so a host that supports one mode holds
    both traits.
    """
    errors: list[Finding] = []
    warnings: list[Finding] = []
    for key_mode in MODES:
        key = TRAIT_KEYS[key_mode]
        if key not in specs:
            continue
        value = specs[key]
        if value not in (REQUIRED, FORBIDDEN):
            warnings.append(
                finding('trait-value-ignored', key=key, value=value)
            )
        elif mode is None:
            continue  # reported as keys-without-mode
        elif value == FORBIDDEN:
            code = (
                'mode-trait-forbidden'
                if key_mode == mode
                else 'other-mode-trait-forbidden'
            )
            errors.append(finding(code, key=key, mode=mode))
        elif key_mode != mode:
            warnings.append(finding('other-mode-trait', key=key))
    return errors, warnings


def _capability_findings(
    capability: str, mode: str | None
) -> tuple[list[Finding], list[Finding]]:
    """The findings of a capabilities value that Nova applies as written."""
    check = check_requirement(capability)
    if check == BREAKS_FILTER:
        return [finding('capability-breaks-filter', value=capability)], []
    if check == MATCHES_NOTHING:
        return [finding('capability-matches-nothing', value=capability)], []
    if mode == PASSTHROUGH:
        return [], [finding('capability-on-passthrough')]
    return [], []


def required_traits(specs: Mapping[str, str]) -> tuple[str, ...]:
    """The mode traits Nova requires of a host for these specs.

    The mode's own trait (only for a mode Nova accepts as written) and
    every ``trait:`` key whose value is exactly ``required``.
    """
    mode = specs.get(MODE_KEY)
    return tuple(
        MODE_TRAITS[m]
        for m in MODES
        if m == mode or specs.get(TRAIT_KEYS[m]) == REQUIRED
    )


def forbidden_traits(specs: Mapping[str, str]) -> tuple[str, ...]:
    """The mode traits Nova forbids on a host for these specs."""
    return tuple(
        MODE_TRAITS[m] for m in MODES if specs.get(TRAIT_KEYS[m]) == FORBIDDEN
    )


def diagnose(specs: Mapping[str, str]) -> Diagnosis:
    """Read a flavor's extra specs back into a maxphysaddr diagnosis.

    Every key is read as Nova reads it: the mode is compared raw, the bits
    go through ``int()``, a ``trait:`` value counts only when it is exactly
    ``required`` or ``forbidden``. Whether the guest boots at its width is
    :func:`.pair.diagnose_pair`'s part.
    """
    present = [k for k in MANAGED_KEYS if k in specs]
    raw_mode = specs.get(MODE_KEY)
    # hardware._get_unique_flavor_image_meta returns ``flavor_value or
    # image_value``, so an empty mode is no mode at all.
    mode = raw_mode or None
    raw_bits = specs.get(BITS_KEY)
    valid_bits = nova_bits(raw_bits)
    capability = specs.get(CAPABILITY_KEY)
    errors: list[Finding] = []
    warnings: list[Finding] = []
    if raw_bits is not None and valid_bits is None:
        errors.append(finding('invalid-bits', value=raw_bits))

    known_mode = None
    if mode is None:
        if raw_bits is not None:
            errors.insert(0, finding('bits-without-mode'))
        elif present:
            errors.append(
                finding('keys-without-mode', keys=', '.join(present))
            )
    elif mode not in MODES:
        # hardware.get_maxphysaddr_mode: ``mode not in ALL`` raises Invalid.
        errors.insert(0, finding('invalid-mode', value=mode))
    else:
        known_mode = mode
        if mode == EMULATE and raw_bits is None:
            errors.append(finding('emulate-without-bits'))
        if mode == PASSTHROUGH and raw_bits is not None:
            errors.append(finding('passthrough-with-bits'))
    trait_errors, trait_warnings = _trait_findings(specs, known_mode)
    errors += trait_errors
    warnings += trait_warnings

    if capability is not None:
        if raw_bits is not None:
            # ComputeCapabilitiesFilter replaces the key whenever bits is
            # set; invalid bits are reported above.
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
        else:
            cap_errors, cap_warnings = _capability_findings(
                capability, known_mode
            )
            errors += cap_errors
            warnings += cap_warnings

    groups = sorted(k for k in specs if _GROUP_KEY.match(k))
    if groups:
        warnings.append(
            finding('numbered-groups-not-judged', keys=', '.join(groups))
        )
    if PMEM_KEY in specs and known_mode is not None:
        warnings.append(finding('pmem-not-modelled'))

    return Diagnosis(
        mode=raw_mode,
        bits=_bits_value(raw_bits),
        required_traits=required_traits(specs),
        capability=capability,
        findings=tuple(errors + warnings),
        configured=bool(present),
    )
