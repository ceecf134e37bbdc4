"""A guest's machine type and firmware from its image, as Nova takes them.

Read in Nova's git tags 29.0.0 to 33.0.0 and the Nova 34.0.0 release the
dev cloud installs (tests/functional/cloud/constraints.txt):

* ``nova/virt/libvirt/utils.py``, ``get_machine_type``: the image's
  ``hw_machine_type`` when set, else ``[libvirt]hw_machine_type`` for the
  architecture (``get_default_machine_type``), else QEMU's default. The
  libvirt driver records the machine type it used in the instance's image
  metadata, so a server's embedded image (compute 2.98) carries it.
* The firmware: the image's ``hw_firmware_type`` (ImageMetaProps'
  FirmwareType, ``bios`` or ``uefi``); Nova has no configuration option
  for it on x86_64.

The plugin's :class:`.guest.Platform` stands for that configuration; an
image's values win over it. A value the model does not know is never
guessed: :func:`image_platform` returns a warning instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from osc_maxphysaddr.core.findings import Finding
from osc_maxphysaddr.core.findings import finding
from osc_maxphysaddr.core.guest import Platform
from osc_maxphysaddr.core.qemu import FIRMWARES
from osc_maxphysaddr.core.qemu import MACHINE_TYPES
from osc_maxphysaddr.core.qemu import PC
from osc_maxphysaddr.core.qemu import Q35

#: The image properties that set a guest's machine type and firmware.
IMAGE_MACHINE_KEY = 'hw_machine_type'
IMAGE_FIRMWARE_KEY = 'hw_firmware_type'
IMAGE_PLATFORM_KEYS = (IMAGE_MACHINE_KEY, IMAGE_FIRMWARE_KEY)

#: The versioned x86_64 machine types of each family (QEMU's
#: ``pc-i440fx-X.Y`` and ``pc-q35-X.Y``; distributions add their own
#: suffixes, such as ``pc-q35-noble``).
_MACHINE_PREFIXES = {'pc-i440fx-': PC, 'pc-q35-': Q35}


def machine_family(value: str) -> str | None:
    """The model's machine type (pc or q35) of a libvirt machine type.

    ``pc`` and ``q35`` themselves, and the versioned ``pc-i440fx-*`` and
    ``pc-q35-*``; None for anything else (``virt``, ``ubuntu``, ...),
    which the model does not guess.
    """
    if value in MACHINE_TYPES:
        return value
    for prefix, family in _MACHINE_PREFIXES.items():
        if value.startswith(prefix) and len(value) > len(prefix):
            return family
    return None


def image_platform(
    props: Mapping[str, object], platform: Platform
) -> Platform | Finding:
    """The platform of a guest booted from an image with ``props``.

    Nova takes the image's ``hw_machine_type`` over
    ``[libvirt]hw_machine_type`` (``nova/virt/libvirt/utils.py``,
    ``get_machine_type``) and the image's ``hw_firmware_type``
    (``bios``/``uefi``) for the firmware; ``platform`` stands for the
    configuration. Returns the guest's platform, or a warning finding when
    the image names a value the model does not know: the guest is then
    not checked.
    """
    machine, firmware = platform.machine, platform.firmware
    raw = props.get(IMAGE_MACHINE_KEY)
    if raw is not None:
        family = machine_family(str(raw))
        if family is None:
            return _unknown(IMAGE_MACHINE_KEY, raw)
        machine = family
    raw = props.get(IMAGE_FIRMWARE_KEY)
    if raw is not None:
        if raw not in FIRMWARES:
            return _unknown(IMAGE_FIRMWARE_KEY, raw)
        firmware = str(raw)
    if (machine, firmware) == (platform.machine, platform.firmware):
        return platform
    return dataclasses.replace(platform, machine=machine, firmware=firmware)


def _unknown(key: str, value: object) -> Finding:
    return finding('image-platform-unknown', key=key, value=value)
