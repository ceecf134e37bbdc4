"""The guest address-space model: does QEMU start, does every BAR get a home.

Two independent checks decide whether a guest with ``bits`` address bits
boots and sees its devices:

1. **QEMU's start check** (``pc_memory_init`` in ``hw/i386/pc.c``, QEMU
   7.1 and later): the highest guest-physical address QEMU lays out
   (``pc_max_used_gpa``: RAM above 4 GiB, rounded up to 1 GiB, plus the
   64-bit PCI hole) must be below ``2**bits``, or QEMU exits with status 1
   and "Address space limit 0x... < 0x... phys-bits too low (N)".
2. **The UEFI firmware's 64-bit PCI window** (OVMF, edk2
   ``OvmfPkg/Library/PlatformInitLib/MemDetect.c``): every 64-bit BAR of a
   passed-through device must fit in it. SeaBIOS (``bios``) placement is
   not modelled.

Every constant names the function it comes from. Where QEMU or edk2
versions differ, the model takes the stricter rule and says so next to
the constant (the guide lists them). The model is checked against the real
``qemu-system-x86_64`` and OVMF of Debian 12 (QEMU 7.2, edk2 2022.11) by
``tests/realqemu``.

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

#: hw/i386/pc_piix.c, pc_init1 (QEMU 7.2; pc_piix.c's ram split since):
#: max-ram-below-4g defaults to 0xe0000000 (3.5 GiB); a guest with at least
#: that much RAM is split, and gigabyte_align lowers the split to
#: 0xc0000000 (3 GiB). A smaller guest keeps all its RAM below 4 GiB.
PC_LOWMEM_LIMIT = 0xE0000000
PC_LOWMEM_SPLIT = 0xC0000000
#: hw/i386/pc_q35.c, pc_q35_init: ``lowmem = 0x80000000`` (2 GiB) when the
#: guest has 0xb0000000 (2.75 GiB) or more, else 0xb0000000; RAM from
#: ``lowmem`` up goes above 4 GiB.
Q35_LOWMEM_THRESHOLD = 0xB0000000
Q35_LOWMEM_SMALL = 0xB0000000
Q35_LOWMEM_LARGE = 0x80000000
#: The default ``pci-hole64-size`` that pc_memory_init's caller passes:
#: hw/pci-host/i440fx.c I440FX_HOST_PROP_PCI_HOLE64_SIZE's default
#: (1 << 31, 2 GiB) for ``pc``, hw/pci-host/q35.c
#: Q35_PCI_HOST_HOLE64_SIZE_DEFAULT (1 << 35, 32 GiB) for ``q35``.
PCI_HOLE64_SIZE = {PC: 2 * GIB, Q35: 32 * GIB}
#: hw/i386/pc.c, pc_pci_hole64_start: ``ROUND_UP(pc_above_4g_end, 1 GiB)``.
HOLE64_ALIGN = GIB
#: hw/i386/pc.c: AMD_HT_START (0xfd00000000, 1012 GiB), the start of the
#: AMD HyperTransport hole; AMD_ABOVE_1TB_START (AMD_HT_END + 1, 1 TiB).
#: pc_memory_init (enforce_amd_1tb_hole, machine types 7.1 and later) moves
#: RAM above 4 GiB to 1 TiB for an AMD guest CPU when pc_max_used_gpa,
#: computed with RAM at 4 GiB, reaches AMD_HT_START.
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
        """pc_above_4g_end: where RAM above 4 GiB ends (4 GiB if none)."""
        return self.above_4g_start + self.above_4g


def _split_ram(ram: int, machine: str) -> tuple[int, int]:
    """(below 4 GiB, above 4 GiB) as pc_piix.c / pc_q35.c split RAM."""
    if machine == Q35:
        lowmem = (
            Q35_LOWMEM_LARGE
            if ram >= Q35_LOWMEM_THRESHOLD
            else Q35_LOWMEM_SMALL
        )
    else:
        lowmem = PC_LOWMEM_SPLIT if ram >= PC_LOWMEM_LIMIT else PC_LOWMEM_LIMIT
    if ram >= lowmem:
        return lowmem, ram - lowmem
    return ram, 0


def qemu_layout(ram_mib: int, machine: str, vendor: str) -> QemuLayout:
    """QEMU's layout of a guest (pc_memory_init, pc_pci_hole64_start)."""
    _check_choice(machine, MACHINE_TYPES, 'machine type')
    _check_choice(vendor, VENDORS, 'CPU vendor')
    below, above = _split_ram(ram_mib * MIB, machine)
    hole64 = PCI_HOLE64_SIZE[machine]

    def layout(start: int) -> QemuLayout:
        hole64_start = _round_up(start + above, HOLE64_ALIGN)
        return QemuLayout(below, above, start, hole64_start, hole64)

    plain = layout(FOUR_GIB)
    if vendor == AMD and plain.max_used_gpa >= AMD_HT_START:
        return layout(AMD_ABOVE_1TB_START)
    return plain


def qemu_starts(layout: QemuLayout, bits: int) -> bool:
    """pc_memory_init: QEMU refuses when 2**bits - 1 < max used GPA.

    QEMU 7.1 to 8.1 skip the check at ``phys-bits`` 32 or below
    (pc_max_used_gpa returned ``2**bits - 1`` there); QEMU 8.2 and later
    check every 64-bit guest CPU (its ``CPUID_EXT2_LM``) against the 64-bit
    hole. The model follows the newer, stricter rule: 32 is a width like
    any other, and a guest with a 64-bit PCI hole never fits 32 bits.
    """
    return layout.max_used_gpa <= (1 << bits) - 1


# --- OVMF ---

#: OvmfPkg/OvmfPkgX64.dsc PcdPciMmio64Size (0x800000000): the classic
#: 64-bit window, placed by PlatformGetFirstNonAddress at the end of RAM
#: (the highest e820 RAM end, at least 4 GiB) rounded up to 1 GiB, then to
#: the window's size.
OVMF_CLASSIC_WINDOW = 32 * GIB
#: PlatformAddressWidthFromCpuid caps the width it uses: at 46 with 4-level
#: paging in current edk2 ("limit PhysBits to 46 (4-level paging)"), at 47
#: in edk2-stable202211 (Debian 12's OVMF). The model uses 46: its window
#: is then never larger, nor placed higher, than either firmware's.
OVMF_MAX_BITS = 46
#: PlatformAddressWidthFromCpuid with QemuQuirk: the CPU's phys-bits are
#: trusted from 41 up, and below that only 36 or 39 on GenuineIntel and 40
#: on AuthenticAMD. 40 on Intel is QEMU's historic default (TCG_PHYS_ADDR_BITS
#: and ``-cpu`` models without host-phys-bits), so OVMF distrusts it. edk2
#: from edk2-stable202408 (603ad2d6ae) also trusts any width when CPUID
#: 0x80000008 EAX[23:16] (GuestPhysBits) is set, which QEMU does under KVM
#: only with a 9.1+ machine type (pc_compat_9_0 sets guest-phys-bits=0) and
#: a kernel whose KVM reports GuestPhysBits (kvm_set_guest_phys_bits); the
#: model does not count on that.
OVMF_TRUSTED_FROM = 41
OVMF_TRUSTED = {INTEL: frozenset((36, 39)), AMD: frozenset((40,))}
#: PlatformDynamicMmioWindow: ``MmioSpace = 1 << (PhysMemAddressWidth -
#: 3)``, one eighth of the address space, at its top: so in every edk2
#: read, edk2-stable202211 to edk2-stable202605 and master of 2026-08-06
#: (c5aa7e7d94; the function last changed in 9ac1704af6, 2025-03-13).
#: edk2 pull request #12997 (opened 2026-08-21, shown merged on GitHub)
#: makes it one quarter; it is in none of those sources, and the model
#: keeps the eighth, which every OVMF gives at least.
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
    """Where OVMF puts the 64-bit PCI window.

    PlatformGetFirstNonAddress places the classic window; when
    PlatformAddressWidthFromCpuid trusts the width, PlatformDynamicMmioWindow
    replaces it with one eighth of the (capped) address space at its top,
    provided that is larger than the classic window and the classic base
    plus the new size stays below the top (the window would overlap RAM).

    Current edk2 then moves a dynamic window that overlaps an e820
    reservation (PlatformReservationConflictCB: AMD's HyperTransport hole,
    which only a 40-bit window reaches) down below it, aligned to its size;
    edk2 2022.11 leaves it in place. The size, which is what the BARs need,
    stays, so the model keeps the 2022.11 base; but where the moved window
    would overlap RAM (which edk2 does not check), the model gives the
    classic window: BARs placed over RAM are lost.
    """
    ram_end = max(FOUR_GIB, layout.above_4g_end)
    classic = Window(
        _round_up(_round_up(ram_end, GIB), OVMF_CLASSIC_WINDOW),
        OVMF_CLASSIC_WINDOW,
        False,
    )
    if not ovmf_trusts(bits, vendor):
        return classic
    space = 1 << min(bits, OVMF_MAX_BITS)
    size = space >> OVMF_WINDOW_SHIFT
    if not (classic.size < size and classic.base + size < space):
        return classic
    window = Window(space - size, size, True)
    in_ht_hole = (
        window.base < AMD_ABOVE_1TB_START and window.end > AMD_HT_START
    )
    if vendor == AMD and in_ht_hole:
        moved = (AMD_HT_START - size) & ~(size - 1)
        if _round_up(ram_end, GIB) > moved:
            return classic
    return window


def bar_size(size: int) -> int:
    """A BAR's footprint: its size rounded up to a power of two."""
    return 1 << max(size - 1, 0).bit_length()


def bars_fit(bars: Sequence[int], window: Window) -> bool:
    """Whether the BARs fit the window with room for the guest's own.

    Naturally aligned powers of two placed largest first (edk2 PciBusDxe)
    leave no gaps, so they fit when their sum is below the window's size.
    Filling it exactly fails: the guest's own devices (virtio) have 64-bit
    BARs in the same window (measured: four 128 GiB BARs in a 512 GiB
    window hang OVMF). The few MiB those need, and the padding OVMF's
    PciHotPlugInitDxe gives each empty hotplug port (the window / 256), are
    not counted: BARs that leave less than that free may still fail.
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
    return Verdict(
        bits,
        True,
        fits,
        f'{count} of {format_bytes(total)} '
        + verb
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
    digits = number.strip()
    if not (digits.isascii() and digits.isdigit()) or unit not in _SIZE_UNITS:
        raise MaxphysaddrError(
            f'{text!r} is not a size: write a whole number and a unit, '
            'such as 64GiB, 128G or 512MiB'
        )
    size = int(digits) * _SIZE_UNITS[unit]
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
