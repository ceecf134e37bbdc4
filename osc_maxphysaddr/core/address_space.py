"""The guest address-space model: does QEMU start, does every BAR get a home.

Two independent checks decide whether a guest with ``bits`` address bits
boots and sees its devices:

1. **QEMU's start check** (``pc_memory_init`` in ``hw/i386/pc.c``, QEMU
   7.1 and later): the highest guest-physical address QEMU lays out
   (``pc_max_used_gpa``: RAM above 4 GiB, rounded up to 1 GiB, plus the
   64-bit PCI hole) must be below ``2**bits``, or QEMU exits with status 1
   and "Address space limit 0x... < 0x... phys-bits too low (N)".
2. **The firmware's placement of 64-bit BARs**: every 64-bit BAR of a
   passed-through device must land in the guest's address space. For
   ``uefi``, OVMF's 64-bit PCI window (edk2
   ``OvmfPkg/Library/PlatformInitLib/MemDetect.c``) must hold them; for
   ``bios``, SeaBIOS (``src/fw/pciinit.c``, ``pci_bios_map_devices``) must
   put them below ``2**bits``, by the rule of each SeaBIOS version.

Every constant names the function it comes from. Where QEMU or edk2
versions differ, the model takes the stricter rule and says so next to
the constant (the guide lists them). The model is checked against the real
``qemu-system-x86_64``, OVMF and SeaBIOS of Debian 12 (QEMU 7.2, edk2
2022.11, SeaBIOS 1.16.2) by ``tests/realqemu``; the rules of SeaBIOS 1.16.3
and later are read from its source (no build of them is packaged there).

Not modelled: memory hotplug (``maxmem``: a device-memory region before
the 64-bit hole and OVMF's ``etc/reserved-memory-end``), which Nova
configures only for vPMEM flavors (``hw:pmem``, ``_guest_add_vpmems``: the
diagnosis says so, :mod:`.diagnosis`); and, because Nova never configures
them, CXL, SGX EPC, a ``pci-hole64-size`` or ``max-ram-below-4g`` other
than the default, OVMF's ``opt/ovmf/X-PciMmio64Mb`` override.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from osc_maxphysaddr.core.ovmf import bar_size
from osc_maxphysaddr.core.ovmf import bars_fit
from osc_maxphysaddr.core.ovmf import ovmf_trusts
from osc_maxphysaddr.core.ovmf import ovmf_window
from osc_maxphysaddr.core.qemu import BIOS
from osc_maxphysaddr.core.qemu import DEFAULT_FIRMWARE
from osc_maxphysaddr.core.qemu import DEFAULT_MACHINE_TYPE
from osc_maxphysaddr.core.qemu import FIRMWARES
from osc_maxphysaddr.core.qemu import INTEL
from osc_maxphysaddr.core.qemu import MACHINE_TYPES
from osc_maxphysaddr.core.qemu import VENDORS
from osc_maxphysaddr.core.qemu import QemuLayout
from osc_maxphysaddr.core.qemu import check_choice
from osc_maxphysaddr.core.qemu import format_bytes
from osc_maxphysaddr.core.qemu import qemu_layout
from osc_maxphysaddr.core.qemu import qemu_starts
from osc_maxphysaddr.core.seabios import seabios_placement
from osc_maxphysaddr.core.seabios import seabios_rules

# --- whether the guest boots ---


@dataclasses.dataclass(frozen=True)
class Guest:
    """What decides a guest's address space."""

    ram_mib: int
    machine: str = DEFAULT_MACHINE_TYPE
    vendor: str = INTEL
    firmware: str = DEFAULT_FIRMWARE
    bars: tuple[int, ...] = ()  # bytes, one per 64-bit BAR
    #: the SeaBIOS version (``bios``), or None: any (the stricter rule)
    seabios: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        check_choice(self.machine, MACHINE_TYPES, 'machine type')
        check_choice(self.vendor, VENDORS, 'CPU vendor')
        check_choice(self.firmware, FIRMWARES, 'firmware')


@dataclasses.dataclass(frozen=True)
class Boot:
    """Whether a guest boots at a width and sees every device."""

    bits: int
    starts: bool  # QEMU starts
    devices: bool | None  # every BAR placed; None: QEMU refuses first
    reason: str

    @property
    def boots(self) -> bool:
        return self.starts and self.devices is not False


def boot(guest: Guest, bits: int) -> Boot:
    """The model's answer for ``guest`` at ``bits``, with its reason."""
    layout = qemu_layout(guest.ram_mib, guest.machine, guest.vendor)
    if not qemu_starts(layout, bits):
        return Boot(
            bits,
            False,
            None,
            f'QEMU refuses to start: its highest address '
            f'{format_bytes(layout.max_used_gpa + 1)} (RAM to '
            f'{format_bytes(layout.hole64_start)} plus the '
            f'{format_bytes(layout.hole64_size)} 64-bit PCI hole of '
            f'{guest.machine}) is not below 2^{bits} = '
            f'{format_bytes(1 << bits)}',
        )
    if not guest.bars:
        return Boot(bits, True, True, 'QEMU starts; no 64-bit BARs')
    if guest.firmware == BIOS:
        return _seabios_boot(guest, layout, bits)
    window = ovmf_window(layout, bits, guest.vendor)
    total = sum(bar_size(b) for b in guest.bars)
    fits = bars_fit(guest.bars, window)
    if window.dynamic:
        kind = 'dynamic'
    elif ovmf_trusts(bits, guest.vendor):
        kind = 'classic (a dynamic one would overlap RAM)'
    else:
        kind = f'classic (OVMF does not trust {bits} bits on {guest.vendor})'
    one = len(guest.bars) == 1
    count = f'{len(guest.bars)} BAR' + ('' if one else 's')
    verb = ('fits' if one else 'fit') if fits else 'do not fit'
    if fits is False and one:
        verb = 'does not fit'
    return Boot(
        bits,
        True,
        fits,
        f'{count} of {format_bytes(total)} '
        + verb
        + f" the firmware's {format_bytes(window.size)} {kind} 64-bit "
        "PCI window (it must keep room for the guest's own devices)",
    )


def _bars_text(sizes: Sequence[int]) -> str:
    one = len(sizes) == 1
    count = f'{len(sizes)} BAR' + ('' if one else 's')
    return f'{count} of {format_bytes(sum(sizes))}'


def _seabios_boot(guest: Guest, layout: QemuLayout, bits: int) -> Boot:
    """Whether a BIOS guest boots: every SeaBIOS version the cloud may run
    places the BARs below ``2**bits`` (the first that does not, otherwise).
    """
    placements = [
        seabios_placement(layout, bits, guest.vendor, guest.bars, rule)
        for rule in seabios_rules(guest.seabios)
    ]
    space = f'2^{bits} = {format_bytes(1 << bits)}'
    for place in placements:
        if place.reachable(bits):
            continue
        where = (
            f'SeaBIOS {place.rule.name} puts {_bars_text(place.sizes)} '
            f'at {format_bytes(place.base)} to {format_bytes(place.end)} '
            f'({place.why})'
        )
        if place.base < place.ram_end:
            problem = (
                f'over the guest RAM, which ends at '
                f'{format_bytes(place.ram_end)}'
            )
        else:
            problem = (
                f"not below {space} with room for the guest's own "
                '64-bit BARs after them'
            )
        return Boot(bits, True, False, f'{where}, {problem}')
    each = '; '.join(
        f'SeaBIOS {p.rule.name} at {format_bytes(p.base)} ({p.why})'
        for p in placements
    )
    return Boot(
        bits,
        True,
        True,
        f'{_bars_text(placements[0].sizes)} below {space}: {each}',
    )
