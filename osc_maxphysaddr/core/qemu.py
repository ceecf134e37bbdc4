"""QEMU's layout of a guest, and the names the model's inputs take.

**QEMU's start check** (``pc_memory_init`` in ``hw/i386/pc.c``, QEMU 7.1
and later): the highest guest-physical address QEMU lays out
(``pc_max_used_gpa``: RAM above 4 GiB, rounded up to 1 GiB, plus the
64-bit PCI hole) must be below ``2**bits``, or QEMU exits with status 1 and
"Address space limit 0x... < 0x... phys-bits too low (N)". Every constant
names the function it comes from; :mod:`.address_space` combines this with
the firmware's placement of the BARs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

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


def round_up(value: int, align: int) -> int:
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
    check_choice(machine, MACHINE_TYPES, 'machine type')
    check_choice(vendor, VENDORS, 'CPU vendor')
    below, above = _split_ram(ram_mib * MIB, machine)
    hole64 = PCI_HOLE64_SIZE[machine]

    def layout(start: int) -> QemuLayout:
        hole64_start = round_up(start + above, HOLE64_ALIGN)
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


def check_choice(value: str, choices: Sequence[str], what: str) -> None:
    if value not in choices:
        raise MaxphysaddrError(
            f'{what} must be one of {", ".join(choices)}, not {value!r}'
        )
