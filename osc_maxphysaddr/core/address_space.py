"""The guest address-space model: does QEMU start, does every BAR get a home.

Two independent checks decide whether a guest with ``bits`` address bits
boots and sees its devices:

1. **QEMU's start check** (``pc_memory_init`` in ``hw/i386/pc.c``, QEMU
   7.1 and later): the highest guest-physical address QEMU lays out (RAM
   above 4 GiB, rounded up to 1 GiB, plus the 64-bit PCI hole) must be
   below ``2**bits``, or QEMU exits with "phys-bits too low".
2. **The UEFI firmware's 64-bit PCI window** (OVMF, edk2
   ``OvmfPkg/Library/PlatformInitLib/MemDetect.c``): every 64-bit BAR of a
   passed-through device must fit in it. SeaBIOS (``bios``) placement is
   not modelled.

Every constant names the function it comes from. The model is checked
against the real ``qemu-system-x86_64`` and OVMF of Debian 12 (QEMU 7.2,
edk2 2022.11) by ``tests/realqemu``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from osc_maxphysaddr.core.specs import MAX_BITS
from osc_maxphysaddr.core.specs import MIN_BITS
from osc_maxphysaddr.core.specs import MaxphysaddrError

KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30
TIB = 1 << 40

PC = 'pc'
Q35 = 'q35'
MACHINE_TYPES = (PC, Q35)
BIOS = 'bios'
UEFI = 'uefi'
FIRMWARES = (BIOS, UEFI)
INTEL = 'intel'
AMD = 'amd'
VENDORS = (INTEL, AMD)

#: Nova's defaults on x86_64: ``[libvirt]hw_machine_type`` unset gives
#: libvirt's ``pc``; no ``hw_firmware_type`` gives BIOS.
DEFAULT_MACHINE_TYPE = PC
DEFAULT_FIRMWARE = BIOS

# --- QEMU ---

#: hw/i386/pc_piix.c, pc_init1: RAM from 3.5 GiB (max-ram-below-4g's
#: default 0xe0000000) up is split, and gigabyte_align lowers the split
#: to 3 GiB.
PC_LOWMEM_LIMIT = 0xE0000000
PC_LOWMEM_SPLIT = 3 * GIB
#: hw/i386/pc_q35.c, pc_q35_init: below 4 GiB the q35 guest keeps at most
#: 2 GiB when it has 2.75 GiB (0xb0000000) or more, else up to 2.75 GiB.
Q35_LOWMEM_THRESHOLD = 0xB0000000
Q35_LOWMEM_SMALL = 0xB0000000
Q35_LOWMEM_LARGE = 2 * GIB
#: The default ``pci-hole64-size``: i440FX-pcihost's
#: I440FX_HOST_PROP_PCI_HOLE64_SIZE default (2 GiB), and q35's
#: Q35_PCI_HOST_HOLE64_SIZE_DEFAULT (32 GiB).
PCI_HOLE64_SIZE = {PC: 2 * GIB, Q35: 32 * GIB}
#: hw/i386/pc.c: the AMD HyperTransport hole (AMD_HT_START, 1012 GiB) and
#: where RAM above 4 GiB moves when the layout reaches it
#: (AMD_ABOVE_1TB_START, enforce_amd_1tb_hole).
AMD_HT_START = 0xFD_0000_0000
AMD_ABOVE_1TB_START = 1 * TIB
FOUR_GIB = 4 * GIB


def _round_up(value: int, align: int) -> int:
    return -(-value // align) * align


@dataclasses.dataclass(frozen=True)
class QemuLayout:
    """Where QEMU puts a guest's RAM and 64-bit PCI hole."""

    below_4g: int
    above_4g: int
    above_4g_start: int
    hole64_start: int
    hole64_size: int

    @property
    def max_used_gpa(self) -> int:
        """pc_max_used_gpa: the highest guest-physical address in use."""
        return self.hole64_start + self.hole64_size - 1

    @property
    def above_4g_end(self) -> int:
        return self.above_4g_start + self.above_4g


def _split_ram(ram: int, machine: str) -> tuple[int, int]:
    """(below 4 GiB, above 4 GiB) as pc_piix.c / pc_q35.c split RAM."""
    if machine == Q35:
        lowmem = (
            Q35_LOWMEM_LARGE
            if ram >= Q35_LOWMEM_THRESHOLD
            else Q35_LOWMEM_SMALL
        )
        if ram >= lowmem:
            return lowmem, ram - lowmem
        return ram, 0
    if ram >= PC_LOWMEM_LIMIT:
        return PC_LOWMEM_SPLIT, ram - PC_LOWMEM_SPLIT
    return ram, 0


def qemu_layout(ram_mib: int, machine: str, vendor: str) -> QemuLayout:
    """QEMU's layout of a guest (pc_memory_init, pc_pci_hole64_start)."""
    _check_choice(machine, MACHINE_TYPES, 'machine type')
    _check_choice(vendor, VENDORS, 'CPU vendor')
    below, above = _split_ram(ram_mib * MIB, machine)
    hole64 = PCI_HOLE64_SIZE[machine]

    def layout(start: int) -> QemuLayout:
        end = start + above if above else FOUR_GIB
        return QemuLayout(below, above, start, _round_up(end, GIB), hole64)

    plain = layout(FOUR_GIB)
    if vendor == AMD and plain.max_used_gpa >= AMD_HT_START:
        return layout(AMD_ABOVE_1TB_START)
    return plain


def qemu_starts(layout: QemuLayout, bits: int) -> bool:
    """pc_memory_init: QEMU refuses when 2**bits - 1 < max used GPA."""
    return layout.max_used_gpa <= (1 << bits) - 1


# --- OVMF ---

#: PcdPciMmio64Size: the classic 64-bit window above RAM (32 GiB).
OVMF_CLASSIC_WINDOW = 32 * GIB
#: PlatformAddressWidthFromCpuid: the widest width OVMF uses (4-level
#: paging, no sign-extended bit 47 in current edk2; 47 in 2022.11, so 46
#: is the conservative cap).
OVMF_MAX_BITS = 46
#: PlatformAddressWidthFromCpuid under QEMU: widths OVMF trusts.
OVMF_TRUSTED_FROM = 41
OVMF_TRUSTED = {INTEL: frozenset((36, 39)), AMD: frozenset((40,))}
#: PlatformDynamicMmioWindow: the window is one eighth of the space.
OVMF_WINDOW_SHIFT = 3


@dataclasses.dataclass(frozen=True)
class Window:
    """The firmware's 64-bit PCI window."""

    base: int
    size: int
    dynamic: bool  # False: the classic window above RAM

    @property
    def end(self) -> int:
        return self.base + self.size


def ovmf_trusts(bits: int, vendor: str) -> bool:
    """Whether OVMF believes phys-bits (PlatformAddressWidthFromCpuid)."""
    return bits >= OVMF_TRUSTED_FROM or bits in OVMF_TRUSTED[vendor]


def ovmf_window(layout: QemuLayout, bits: int, vendor: str) -> Window:
    """Where OVMF puts the 64-bit PCI window (PlatformDynamicMmioWindow)."""
    ram_end = max(FOUR_GIB, _round_up(layout.above_4g_end, GIB))
    classic = Window(
        _round_up(ram_end, OVMF_CLASSIC_WINDOW), OVMF_CLASSIC_WINDOW, False
    )
    if not ovmf_trusts(bits, vendor):
        return classic
    space = 1 << min(bits, OVMF_MAX_BITS)
    size = space >> OVMF_WINDOW_SHIFT
    if classic.size < size and classic.base + size < space:
        return Window(space - size, size, True)
    return classic


def bar_size(size: int) -> int:
    """A BAR's footprint: its size rounded up to a power of two."""
    return 1 << max(size - 1, 0).bit_length()


def bars_fit(bars: Sequence[int], window: Window) -> bool:
    """Whether the BARs fit the window with room for the guest's own.

    Naturally aligned powers of two placed largest first leave no gaps,
    so they fit when their sum is below the window's size; filling it
    exactly fails, since the guest's virtio devices have 64-bit BARs in
    the same window.
    """
    return sum(bar_size(b) for b in bars) < window.size


# --- the verdict ---


@dataclasses.dataclass(frozen=True)
class Guest:
    """What decides a guest's address space."""

    ram_mib: int
    machine: str = DEFAULT_MACHINE_TYPE
    vendor: str = INTEL
    firmware: str = DEFAULT_FIRMWARE
    bars: tuple[int, ...] = ()  # bytes, one per 64-bit BAR

    def __post_init__(self) -> None:
        _check_choice(self.machine, MACHINE_TYPES, 'machine type')
        _check_choice(self.vendor, VENDORS, 'CPU vendor')
        _check_choice(self.firmware, FIRMWARES, 'firmware')


@dataclasses.dataclass(frozen=True)
class Verdict:
    """Whether a guest boots at a width and sees every device."""

    bits: int
    starts: bool  # QEMU starts
    devices: bool | None  # every BAR placed; None: not modelled (bios)
    reason: str

    @property
    def boots(self) -> bool:
        return self.starts and self.devices is not False


def verdict(guest: Guest, bits: int) -> Verdict:
    """The model's answer for ``guest`` at ``bits``, with its reason."""
    layout = qemu_layout(guest.ram_mib, guest.machine, guest.vendor)
    if not qemu_starts(layout, bits):
        return Verdict(
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
    if guest.firmware != UEFI:
        return Verdict(bits, True, None, 'QEMU starts')
    if not guest.bars:
        return Verdict(bits, True, True, 'QEMU starts; no 64-bit BARs')
    window = ovmf_window(layout, bits, guest.vendor)
    total = sum(bar_size(b) for b in guest.bars)
    fits = bars_fit(guest.bars, window)
    kind = 'dynamic' if window.dynamic else 'classic'
    return Verdict(
        bits,
        True,
        fits,
        f'{len(guest.bars)} BARs of {format_bytes(total)} '
        + ('fit' if fits else 'do not fit')
        + f" the firmware's {format_bytes(window.size)} {kind} 64-bit "
        "PCI window (it must keep room for the guest's own devices)",
    )


def min_bits(guest: Guest, start: int = MIN_BITS) -> int | None:
    """The smallest width from ``start`` up at which the guest boots."""
    for bits in range(start, MAX_BITS + 1):
        if verdict(guest, bits).boots:
            return bits
    return None


# --- sizes ---

_SIZE_UNITS = {
    '': 1,
    'B': 1,
    'K': KIB,
    'KIB': KIB,
    'M': MIB,
    'MIB': MIB,
    'G': GIB,
    'GIB': GIB,
    'T': TIB,
    'TIB': TIB,
}


def parse_size(text: str) -> int:
    """A BAR size such as ``64GiB``, ``128G`` or ``512MiB``, in bytes."""
    stripped = text.strip()
    number = stripped.rstrip('KkMmGgTtIiBb')
    unit = stripped[len(number) :].strip().upper()
    if not number.strip().isdigit() or unit not in _SIZE_UNITS:
        raise MaxphysaddrError(
            f'{text!r} is not a size: write a whole number and a unit, '
            'such as 64GiB, 128G or 512MiB'
        )
    size = int(number) * _SIZE_UNITS[unit]
    if size <= 0:
        raise MaxphysaddrError(f'{text!r} is not a size above zero')
    return size


def format_bytes(size: int) -> str:
    """A size the way the guide's tables write it (``1.5 TiB``)."""
    for unit, shift in (('PiB', 50), ('TiB', 40), ('GiB', 30), ('MiB', 20)):
        if size >= 1 << shift:
            value = size / (1 << shift)
            text = f'{value:.2f}'.rstrip('0').rstrip('.')
            return f'{text} {unit}'
    return f'{size} B'


def _check_choice(value: str, choices: Sequence[str], what: str) -> None:
    if value not in choices:
        raise MaxphysaddrError(
            f'{what} must be one of {", ".join(choices)}, not {value!r}'
        )
