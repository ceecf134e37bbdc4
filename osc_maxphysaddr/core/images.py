"""The width on Glance images, as Nova reads it.

Read in Nova's git tags 29.0.0 (2024.1) to 33.0.0 and the Nova 34.0.0
(2026.2) release the dev cloud installs, where this code is unchanged:

* ``nova/objects/image_meta.py``: ImageMetaProps 1.36 added
  ``hw_maxphysaddr_mode`` (an enum of ``emulate`` and ``passthrough``) and
  ``hw_maxphysaddr_bits`` (an integer). ``nova.compute.api``'s
  ``_get_image_meta_obj`` turns a value these fields refuse into HTTP 400
  at boot ("Invalid image metadata"). Glance itself accepts any string.
* ``nova/scheduler/filters/image_props_filter.py``: ``_instance_supported``
  returns True before its bits check unless the image names
  ``hw_architecture``, ``img_hv_type`` or ``hw_vm_mode`` (or the legacy
  ``architecture``, ``hypervisor_type``, ``vm_mode``) or
  ``[filter_scheduler] image_properties_default_architecture`` is set.
  When the check is reached, ``_compare_maxphysaddr_bits`` calls ``.get``
  on ``host_state.cpu_info``, which the HostState copies from the compute
  node as a JSON string, and raises AttributeError: scheduling fails.

What a flavor and an image do together is :mod:`.pair`'s.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from osc_maxphysaddr.core.findings import Finding
from osc_maxphysaddr.core.findings import Judged
from osc_maxphysaddr.core.findings import finding
from osc_maxphysaddr.core.specs import EMULATE
from osc_maxphysaddr.core.specs import MAX_BITS
from osc_maxphysaddr.core.specs import MIN_BITS
from osc_maxphysaddr.core.specs import MODES
from osc_maxphysaddr.core.specs import PASSTHROUGH
from osc_maxphysaddr.core.specs import Change
from osc_maxphysaddr.core.specs import Config
from osc_maxphysaddr.core.specs import changes

IMAGE_MODE_KEY = 'hw_maxphysaddr_mode'
IMAGE_BITS_KEY = 'hw_maxphysaddr_bits'
#: The only image properties this plugin ever writes or removes.
IMAGE_KEYS = (IMAGE_MODE_KEY, IMAGE_BITS_KEY)

#: The image properties that make ImagePropertiesFilter reach its bits
#: check, current names first, then the legacy names Nova maps onto them
#: (ImageMetaProps._legacy_property_map).
FILTER_PROPERTIES = (
    'hw_architecture',
    'img_hv_type',
    'hw_vm_mode',
    'architecture',
    'hypervisor_type',
    'vm_mode',
)


def image_properties(config: Config) -> dict[str, str]:
    """The image properties a configuration stands for (Glance: strings)."""
    props = {IMAGE_MODE_KEY: config.mode}
    if config.bits is not None:
        props[IMAGE_BITS_KEY] = str(config.bits)
    return props


@dataclasses.dataclass(frozen=True)
class ImagePlan:
    """The property changes that turn an image's properties into the target."""

    changes: tuple[Change, ...]

    @property
    def is_noop(self) -> bool:
        return not self.changes

    def json_patch(self) -> list[dict[str, str]]:
        """Glance v2 JSON-patch operations for these changes.

        ``add`` for a new property, ``replace`` for one the image has, and
        ``remove``: Glance answers 409 when ``replace`` or ``remove`` finds
        no such property, so a property removed since the command read the
        image is detected; a value changed since then is not (``replace``
        of an existing property, and with v2.1 ``add`` of one, just sets
        it).
        """
        ops = []
        for change in self.changes:
            op = {'add': 'add', 'change': 'replace', 'remove': 'remove'}
            entry = {'op': op[change.action], 'path': '/' + change.key}
            if change.new is not None:
                entry['value'] = change.new
            ops.append(entry)
        return ops


def image_plan(
    current: Mapping[str, Any], target: Mapping[str, str]
) -> ImagePlan:
    """Diff an image's properties against the target maxphysaddr ones.

    Only :data:`IMAGE_KEYS` are compared; every other property is left out
    of the plan.
    """
    text = {
        key: value if isinstance(value, str) else str(value)
        for key, value in current.items()
        if key in IMAGE_KEYS and value is not None
    }
    return ImagePlan(changes(text, target, IMAGE_KEYS))


# --- the image alone ------------------------------------------------------


def nova_bits(raw: Any) -> int | None:
    """The image's width as Nova's IntegerField reads it, or None.

    Nova coerces with ``int()``, which takes surrounding spaces; anything
    ``int()`` refuses fails the boot with HTTP 400.
    """
    if isinstance(raw, bool):
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


@dataclasses.dataclass(frozen=True)
class ImageDiagnosis(Judged):
    """What Nova will do with an image's maxphysaddr properties."""

    mode: str | None
    bits: int | str | None
    filter_properties: tuple[str, ...]
    findings: tuple[Finding, ...]
    configured: bool

    @property
    def valid_mode(self) -> str | None:
        return self.mode if self.mode in MODES else None

    @property
    def valid_bits(self) -> int | None:
        return self.bits if isinstance(self.bits, int) else None


def diagnose_image(props: Mapping[str, Any]) -> ImageDiagnosis:
    """Read an image's properties into a maxphysaddr diagnosis."""
    mode = props.get(IMAGE_MODE_KEY)
    raw_bits = props.get(IMAGE_BITS_KEY)
    # Kept as text unless Nova and QEMU both take it.
    bits: int | str | None = None if raw_bits is None else str(raw_bits)
    named = tuple(p for p in FILTER_PROPERTIES if props.get(p))
    errors: list[Finding] = []
    warnings: list[Finding] = []

    if mode is not None and mode not in MODES:
        errors.append(finding('image-invalid-mode', value=mode))
    if raw_bits is not None:
        parsed = nova_bits(raw_bits)
        if parsed is None:
            errors.append(finding('image-invalid-bits', value=raw_bits))
        elif not MIN_BITS <= parsed <= MAX_BITS:
            errors.append(finding('image-bits-out-of-range', value=parsed))
        else:
            bits = parsed
        if parsed is not None and named:
            errors.append(
                finding(
                    'image-bits-with-filter-properties',
                    properties=', '.join(named),
                )
            )
        elif isinstance(bits, int):
            warnings.append(finding('image-bits'))
        if mode is None:
            errors.append(finding('image-bits-without-mode'))
        elif mode == PASSTHROUGH:
            errors.append(finding('image-passthrough-with-bits'))
    elif mode == EMULATE:
        warnings.append(finding('image-emulate-without-bits'))

    return ImageDiagnosis(
        mode=mode,
        bits=bits,
        filter_properties=named,
        findings=tuple(errors + warnings),
        configured=mode is not None or raw_bits is not None,
    )
