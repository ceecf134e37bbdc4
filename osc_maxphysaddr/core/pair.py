"""The verdict of a flavor+image pair: the one judgement every command shows.

A flavor alone is judged with an empty image. Read in Nova's git tags
29.0.0 (2024.1) to 33.0.0 and the Nova 34.0.0 (2026.2) release the dev
cloud installs, where this code is unchanged:

* ``nova/virt/hardware.py``, ``get_maxphysaddr_mode``: the flavor's
  ``hw:maxphysaddr_mode`` or the image's ``hw_maxphysaddr_mode``;
  ``_get_unique_flavor_image_meta`` raises FlavorImageConflict when both are
  set and differ (compared as stored). It runs in the scheduler
  (``nova/scheduler/utils.py``, ``ResourceRequest``'s
  ``_translate_maxphysaddr_request``, which also requires the mode's trait
  for an image-only mode), so the boot request is accepted and the server
  ends in ERROR.
* ``nova/virt/libvirt/driver.py``, ``_get_guest_cpu_config_maxphysaddr``:
  mode and bits are each the flavor's value, else the image's; they are
  never compared. No mode, no ``<maxphysaddr>`` element.
* ``nova/scheduler/filters/compute_capabilities_filter.py`` turns only the
  flavor's ``hw:maxphysaddr_bits`` into a ``>= <bits>`` host check.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from osc_maxphysaddr.core.diagnosis import Diagnosis
from osc_maxphysaddr.core.diagnosis import diagnose
from osc_maxphysaddr.core.diagnosis import forbidden_traits
from osc_maxphysaddr.core.diagnosis import required_traits
from osc_maxphysaddr.core.findings import ERROR
from osc_maxphysaddr.core.findings import Finding
from osc_maxphysaddr.core.findings import Judged
from osc_maxphysaddr.core.findings import finding
from osc_maxphysaddr.core.guest import DEFAULT_CPU_MODE
from osc_maxphysaddr.core.guest import DEFAULT_VIRT_TYPE
from osc_maxphysaddr.core.guest import GuestContext
from osc_maxphysaddr.core.guest import Platform
from osc_maxphysaddr.core.guest import guest_context
from osc_maxphysaddr.core.guest import guest_width
from osc_maxphysaddr.core.guest import model_findings
from osc_maxphysaddr.core.guest import width_follows_host
from osc_maxphysaddr.core.images import IMAGE_MODE_KEY
from osc_maxphysaddr.core.images import ImageDiagnosis
from osc_maxphysaddr.core.images import diagnose_image
from osc_maxphysaddr.core.nova_platform import image_platform
from osc_maxphysaddr.core.scheduler import HostRequirement
from osc_maxphysaddr.core.specs import EMULATE
from osc_maxphysaddr.core.specs import MODE_KEY
from osc_maxphysaddr.core.specs import MODE_TRAITS
from osc_maxphysaddr.core.specs import MODES
from osc_maxphysaddr.core.specs import PASSTHROUGH
from osc_maxphysaddr.core.specs import capability_for

FLAVOR = 'flavor'
IMAGE = 'image'
#: The finding of an image platform the model does not know.
UNKNOWN_PLATFORM = 'image-platform-unknown'


@dataclasses.dataclass(frozen=True)
class PairVerdict(Judged):
    """What a boot of one flavor with one image gets.

    The one verdict every command shows: a flavor alone is judged with an
    empty image.
    """

    flavor: Diagnosis  # the flavor's keys as Nova reads them
    image: ImageDiagnosis
    mode: str | None  # the mode the guest gets (None: no guest, or none)
    mode_source: str | None  # 'flavor' or 'image'
    bits: int | None  # the width libvirt writes into the guest
    bits_source: str | None
    findings: tuple[Finding, ...]
    configured: bool
    #: the traits Nova requires and the ComputeCapabilitiesFilter value it
    #: applies (``>= <bits>`` whenever the flavor sets bits)
    required_traits: tuple[str, ...]
    capability: str | None
    #: what a host needs to take the guest; None when Nova cannot schedule
    #: the pair as written (an error other than the guest not booting at
    #: its width, which is judged on each host)
    requirement: HostRequirement | None
    #: the guest the model judged: the flavor's on the image's platform
    #: (None: not judged, e.g. an image platform the model does not know)
    context: GuestContext | None = None
    #: the compute nodes' ``[libvirt]cpu_mode`` and ``virt_type``
    cpu_mode: str = DEFAULT_CPU_MODE
    virt_type: str = DEFAULT_VIRT_TYPE

    @property
    def width_follows_host(self) -> bool:
        """Whether the guest gets its host's width instead of its own."""
        return width_follows_host(self.mode, self.cpu_mode, self.virt_type)

    @property
    def unchecked(self) -> bool:
        """Whether the model cannot judge the guest: its image names a
        machine type or firmware the model does not know."""
        return any(f.code == UNKNOWN_PLATFORM for f in self.findings)

    def width_on(self, host_bits: int | None) -> int | None:
        """The width the guest sees on a host that reports ``host_bits``."""
        return guest_width(
            self.mode, self.bits, self.cpu_mode, host_bits, self.virt_type
        )


def mode_conflict(
    flavor_specs: Mapping[str, str], image_props: Mapping[str, Any]
) -> tuple[str, str] | None:
    """The (flavor, image) modes when Nova raises FlavorImageConflict."""
    flavor_mode = flavor_specs.get(MODE_KEY)
    image_mode = image_props.get(IMAGE_MODE_KEY)
    if flavor_mode and image_mode and flavor_mode != image_mode:
        return flavor_mode, image_mode
    return None


# Flavor findings that the image's own mode or width answers.
_ANSWERED_BY_IMAGE_MODE = ('bits-without-mode', 'keys-without-mode')
_ANSWERED_BY_IMAGE_BITS = ('emulate-without-bits',)
# Image findings that the flavor's own mode or width answers.
_ANSWERED_BY_FLAVOR_MODE = ('image-bits-without-mode',)
_ANSWERED_BY_FLAVOR_BITS = ('image-bits',)


def diagnose_pair(
    flavor_specs: Mapping[str, str],
    image_props: Mapping[str, Any] | None = None,
    context: GuestContext | None = None,
    cpu_mode: str | None = None,
    virt_type: str | None = None,
) -> PairVerdict:
    """The verdict of booting a flavor with an image (None: with none).

    Mode and width are the flavor's, else the image's, as the libvirt
    driver takes them; the scheduler requires the mode's trait whichever
    side sets it, and checks only the flavor's width. With the flavor's
    guest (``context``) an emulated width, whichever side gives it, is
    checked by the address-space model: see :func:`.guest.model_findings`.
    The image's ``hw_machine_type`` and ``hw_firmware_type`` win over the
    context's platform, as in Nova (:func:`.nova_platform.image_platform`).
    The CPU mode is the context's platform's (``cpu_mode`` without one).
    """
    image_props = image_props or {}
    model_errors: list[Finding] = []
    if context is not None:
        cpu_mode = context.platform.cpu_mode
        virt_type = context.platform.virt_type
    cpu_mode = cpu_mode or DEFAULT_CPU_MODE
    virt_type = virt_type or DEFAULT_VIRT_TYPE
    flavor = diagnose(flavor_specs)
    image = diagnose_image(image_props)
    flavor_mode = flavor.mode if flavor.mode in MODES else None
    flavor_bits = flavor.bits if isinstance(flavor.bits, int) else None

    # The image's own warning about a missing width is answered here,
    # with the pair's width.
    drop: set[str] = {'image-emulate-without-bits'}
    if image.valid_mode and flavor.mode is None:
        drop.update(_ANSWERED_BY_IMAGE_MODE)
    if image.valid_bits is not None:
        drop.update(_ANSWERED_BY_IMAGE_BITS)
    if flavor_mode:
        drop.update(_ANSWERED_BY_FLAVOR_MODE)
    if flavor_bits is not None:
        drop.update(_ANSWERED_BY_FLAVOR_BITS)
    kept = [f for f in flavor.findings + image.findings if f.code not in drop]

    errors = [f for f in kept if f.severity == ERROR]
    warnings = [f for f in kept if f.severity != ERROR]
    conflict = mode_conflict(flavor_specs, image_props)
    if conflict is not None:
        errors.insert(
            0,
            finding(
                'flavor-image-mode-conflict',
                flavor=conflict[0],
                image=conflict[1],
            ),
        )

    mode, mode_source = _first(flavor_mode, image.valid_mode)
    bits, bits_source = _first(flavor_bits, image.valid_bits)
    codes = {f.code for f in kept}
    unreadable = flavor.bits is not None or image.bits is not None
    if conflict is None and mode == EMULATE and bits is None:
        # A width that is there but unreadable is reported as such.
        if 'emulate-without-bits' not in codes and not unreadable:
            errors.append(finding('pair-emulate-without-bits'))
    if conflict is None and mode == PASSTHROUGH and bits is not None:
        own = {'passthrough-with-bits', 'image-passthrough-with-bits'}
        if not codes & own:
            errors.append(finding('pair-passthrough-with-bits', bits=bits))
    if (
        flavor_bits is not None
        and image.valid_bits is not None
        and flavor_bits != image.valid_bits
    ):
        warnings.append(
            finding(
                'image-bits-ignored',
                flavor=flavor_bits,
                image=image.valid_bits,
            )
        )

    if conflict is not None:
        # No guest: the scheduler fails the boot before libvirt sees it.
        mode = mode_source = bits = bits_source = None
    elif context is not None and mode is not None:
        platform = image_platform(image_props, context.platform)
        if isinstance(platform, Finding):
            context = None
            warnings.append(platform)
        else:
            context = dataclasses.replace(context, platform=platform)
            # libvirt's width: the flavor's, else the image's.
            model_errors, model_warnings = model_findings(context, mode, bits)
            warnings += model_warnings
    else:
        context = None  # no guest, or no <maxphysaddr>: nothing judged
    scheduling_errors = list(errors)
    errors += model_errors
    if not mode:
        bits = bits_source = None
    traits = _required_traits(flavor_specs, mode)
    capability = flavor.capability
    if flavor_bits is not None:
        capability = capability_for(flavor_bits)
    requirement = None
    if not scheduling_errors:
        requirement = HostRequirement(
            frozenset(traits),
            frozenset(forbidden_traits(flavor_specs)),
            capability,
            mode,
            bits,
            context,
            cpu_mode,
            virt_type,
        )
    return PairVerdict(
        flavor=flavor,
        image=image,
        mode=mode,
        mode_source=mode_source,
        bits=bits,
        bits_source=bits_source,
        findings=tuple(errors + warnings),
        configured=flavor.configured or image.configured,
        required_traits=traits,
        capability=capability,
        requirement=requirement,
        context=context,
        cpu_mode=cpu_mode,
        virt_type=virt_type,
    )


def judge(
    flavor_specs: Mapping[str, str],
    image_props: Mapping[str, Any] | None,
    ram_mib: int | None,
    platform: Platform,
) -> PairVerdict:
    """The verdict of a flavor of ``ram_mib`` (None: unknown, the model
    does not judge it) booted with an image, on the cloud's ``platform``.

    The one way every command judges a flavor, a pair or a server.
    """
    context = None
    if ram_mib is not None:
        context = guest_context(ram_mib, flavor_specs, platform)
    return diagnose_pair(
        flavor_specs,
        image_props,
        context,
        platform.cpu_mode,
        platform.virt_type,
    )


def _first(flavor_value: Any, image_value: Any) -> tuple[Any, str | None]:
    if flavor_value is not None:
        return flavor_value, FLAVOR
    if image_value is not None:
        return image_value, IMAGE
    return None, None


def _required_traits(
    flavor_specs: Mapping[str, str], mode: str | None
) -> tuple[str, ...]:
    """The flavor's required mode traits, plus the trait of the guest's
    mode whichever side sets it (Nova's _translate_maxphysaddr_request)."""
    traits = set(required_traits(flavor_specs))
    if mode is not None:
        traits.add(MODE_TRAITS[mode])
    return tuple(t for t in MODE_TRAITS.values() if t in traits)
