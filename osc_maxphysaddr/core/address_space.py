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
import re
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


# --- SeaBIOS ---

#: SeaBIOS's rules for the 64-bit BARs (src/fw/pciinit.c, pci_setup and
#: pci_bios_map_devices, the latter the same from rel-1.10.0 to
#: rel-1.16.2) changed twice: in 1.16.3 (commits 90eeb0c8, 96a8d130,
#: bcfed7e2, 1e1da7a9, a6ed6b70: physbits() in src/fw/paravirt.c, a window
#: at the top of the address space, at most 46 bits) and in 1.17.0
#: (ec0bc256, e5f2e4c6, df9dd418: at most 44 bits unless the RAM reaches
#: 1 TiB above 4 GiB). rel-1.17.0 is the newest tag; its pciinit.c and
#: paravirt.c were read.
SEABIOS_TOP_SINCE = (1, 16, 3)
SEABIOS_44_SINCE = (1, 17, 0)
#: pci_setup, 1.16.3: ``if (CPUPhysBits > 46) pci_mem64_top = 1LL << 46``.
SEABIOS_MAX_BITS_1_16_3 = 46
#: pci_setup, 1.17.0: ``if (CPUPhysBits > 44)`` and ``RamSizeOver4G <
#: (1LL << 40)``: ``pci_mem64_top = 1LL << 44``.
SEABIOS_MAX_BITS_1_17 = 44
#: ... where RamSizeOver4G (qemu_early_e820: the end of the RAM above
#: 4 GiB, less 4 GiB) of 1 TiB or more lifts the cap.
SEABIOS_UNCAPPED_RAM = 1 * TIB
#: pci_bios_map_devices: ``ALIGN(..., (1LL<<30)); // 1G hugepage`` for
#: the base and, from 1.16.3, the size (``ALIGN(sum_mem, (1LL<<30)) +
#: ALIGN(sum_pref, (1LL<<30))``; the model's BARs are all prefetchable).
SEABIOS_ALIGN = GIB
#: pci_bios_map_devices, from 1.16.3, with pci_pad_mem64 (RAM above 4 GiB):
#: ``size = ALIGN(size, pci_mem64_top >> 3)``, a multiple of an eighth.
SEABIOS_PAD_SHIFT = 3
#: The guest's own 64-bit BARs, which pci_bios_map_devices moves above
#: 4 GiB with the big ones (pci_region_migrate_64bit_entries takes every
#: 64-bit BAR of the root bus but USB's) and places after them (the list
#: is sorted by alignment): virtio-pci's modern BAR, 16 KiB (measured with
#: SeaBIOS 1.16.2: BAR 4 of a virtio-net-pci). A Nova guest always has
#: some (disk, network, balloon); the model counts one.
SEABIOS_GUEST_BARS = 16 * KIB


@dataclasses.dataclass(frozen=True)
class SeabiosRule:
    """How the SeaBIOS versions from ``since`` place 64-bit BARs."""

    since: tuple[int, ...]
    name: str
    #: pci_mem64_top is set (from CPUPhysBits) and used: 1.16.3 and later
    top: bool
    #: CPUPhysBits above this give pci_mem64_top = 2**max_bits
    max_bits: int | None = None
    #: the cap applies only with less RAM above 4 GiB than this
    uncapped_ram: int | None = None


SEABIOS_RULES = (
    SeabiosRule((0,), '1.16.2 and older', top=False),
    SeabiosRule(
        SEABIOS_TOP_SINCE,
        '1.16.3',
        top=True,
        max_bits=SEABIOS_MAX_BITS_1_16_3,
    ),
    SeabiosRule(
        SEABIOS_44_SINCE,
        '1.17.0 and later',
        top=True,
        max_bits=SEABIOS_MAX_BITS_1_17,
        uncapped_ram=SEABIOS_UNCAPPED_RAM,
    ),
)


def seabios_rule(version: tuple[int, ...]) -> SeabiosRule:
    """The rule of a SeaBIOS version (a version tuple, ``(1, 16, 2)``)."""
    found = SEABIOS_RULES[0]
    for rule in SEABIOS_RULES:
        if version >= rule.since:
            found = rule
    return found


def seabios_rules(version: tuple[int, ...] | None) -> tuple[SeabiosRule, ...]:
    """The rules a cloud may run: its version's, or every one (None)."""
    return SEABIOS_RULES if version is None else (seabios_rule(version),)


def seabios_trusts(bits: int, vendor: str) -> bool:
    """Whether SeaBIOS 1.16.3+ believes phys-bits.

    src/fw/paravirt.c, physbits(qemu_quirk=1), called by qemu_detect: with
    PAE, long mode and CPUID 0x80000008 (every x86-64 guest CPU) the width
    is valid from 41 up, and below that only 36 or 39 on GenuineIntel and
    40 on AuthenticAMD: the same test as OVMF's (:func:`ovmf_trusts`).
    Otherwise CPUPhysBits stays 0 and the 1.16.2 rule applies.
    """
    return ovmf_trusts(bits, vendor)


def seabios_top(
    rule: SeabiosRule, bits: int, vendor: str, layout: QemuLayout
) -> int | None:
    """pci_setup's pci_mem64_top: the window's top, or None (not used)."""
    if not rule.top or not seabios_trusts(bits, vendor):
        return None
    used = bits
    over_4g = max(FOUR_GIB, layout.above_4g_end) - FOUR_GIB
    if rule.max_bits is not None and bits > rule.max_bits:
        if rule.uncapped_ram is None or over_4g < rule.uncapped_ram:
            used = rule.max_bits
    return 1 << used


def _seabios_reserved(
    layout: QemuLayout, bits: int, vendor: str
) -> list[tuple[int, int]]:
    """The e820 entries above 4 GiB e820_is_used checks: (start, end).

    RAM above 4 GiB, and the AMD HyperTransport hole, which QEMU's
    pc_memory_init reserves for an AMD guest CPU with 40 or more bits
    (measured: 0xfd00000000-0x10000000000 in SeaBIOS's e820 map at 40
    bits, not at 39).
    """
    found = []
    if layout.above_4g:
        found.append((layout.above_4g_start, layout.above_4g_end))
    if vendor == AMD and bits >= 40:
        found.append((AMD_HT_START, AMD_ABOVE_1TB_START))
    return found


@dataclasses.dataclass(frozen=True)
class Placement:
    """Where one SeaBIOS version puts the 64-bit BARs."""

    rule: SeabiosRule
    #: where the first (largest) BAR goes; the others follow it
    base: int
    #: each BAR's address, in the order given (equal sizes keep it)
    addresses: tuple[int, ...]
    #: the footprint (:func:`bar_size`) of each BAR, in the order given
    sizes: tuple[int, ...]
    top: int | None  # pci_mem64_top; None: placed above RAM
    ram_end: int
    moved: bool  # moved down under an e820 reservation (e820_is_used)
    bits: int
    vendor: str

    @property
    def end(self) -> int:
        """Where the BARs end and the guest's own 64-bit BARs begin."""
        return self.base + sum(self.sizes)

    def reachable(self, bits: int) -> bool:
        """Every BAR, and the guest's own after them, below 2**bits and
        none over RAM (SeaBIOS checks neither)."""
        below = self.end + SEABIOS_GUEST_BARS <= 1 << bits
        return below and self.base >= self.ram_end

    @property
    def why(self) -> str:
        if self.top is None and not self.rule.top:
            where = 'above RAM: it ignores phys-bits'
        elif self.top is None:
            where = (
                f'above RAM: it does not trust {self.bits} bits on '
                f'{self.vendor}'
            )
        else:
            where = f'from the top of 2^{self.top.bit_length() - 1}'
        if self.moved:
            where += ', moved down below an e820 reservation'
        return where


def seabios_placement(
    layout: QemuLayout,
    bits: int,
    vendor: str,
    bars: Sequence[int],
    rule: SeabiosRule,
) -> Placement:
    """Where SeaBIOS puts ``bars`` (pci_bios_map_devices).

    Every 64-bit BAR goes above 4 GiB: in every version when they do not
    fit the 32-bit window below 4 GiB (big BARs never do), and from 1.16.3
    always when the guest has RAM above 4 GiB (pci_pad_mem64). The base is
    the end of RAM (``0x100000000LL + RamSizeOver4G``); from 1.16.3, with
    pci_mem64_top known, ``top - size`` if that is higher, where ``size``
    is the BARs' sum (the guest's own included) rounded up to 1 GiB and,
    with RAM above 4 GiB, to an eighth of ``top``; then down by ``size``
    once if that range overlaps an e820 entry (e820_is_used). The base is
    then aligned to 1 GiB and to the largest BAR, and the BARs follow
    each other, largest first (pci_region_create_entry's sort).

    Not modelled: BARs small enough for the 32-bit window (below 4 GiB
    they are always reachable; placed above RAM, as the model does, they
    fit any width QEMU starts with, so the verdict is the same), the
    guest's 64-bit non-prefetchable BARs (r64_mem, before the prefetchable
    ones), the hotplug padding of bridge windows, 1.16.3's lowering of a
    large BAR's alignment behind a hotplug bridge (fixed in 1.17.0,
    e5f2e4c6), ``etc/reserved-memory-end`` (memory hotplug) and
    ``opt/org.seabios/pci64`` (1.17.0), which Nova does not set.
    """
    ram_end = max(FOUR_GIB, layout.above_4g_end)
    sizes = tuple(bar_size(b) for b in bars)
    total = sum(sizes) + SEABIOS_GUEST_BARS
    largest = max(sizes, default=1)
    top = seabios_top(rule, bits, vendor, layout)
    base = ram_end
    moved = False
    if top is not None:
        size = _round_up(total, SEABIOS_ALIGN)
        if ram_end > FOUR_GIB:
            size = _round_up(size, top >> SEABIOS_PAD_SHIFT)
        base = max(base, top - size)
        for start, end in _seabios_reserved(layout, bits, vendor):
            if base < end and start < base + size:
                base -= size
                moved = True
                break
    base = _round_up(_round_up(base, SEABIOS_ALIGN), largest)
    order = sorted(range(len(sizes)), key=lambda i: -sizes[i])
    addresses = [0] * len(sizes)
    address = base
    for i in order:
        addresses[i] = address
        address += sizes[i]
    return Placement(
        rule, base, tuple(addresses), sizes, top, ram_end, moved, bits, vendor
    )


_VERSION = re.compile(r'(?:rel-)?v?(\d+(?:\.\d+)*)')


def parse_seabios_version(value: object) -> tuple[int, int, int]:
    """A SeaBIOS version as a tuple: ``1.16.2``, ``rel-1.16.3``, a
    package's ``1.16.3-1`` or YAML's float ``1.17`` (1.17.0)."""
    found = _VERSION.match(str(value).strip().lower())
    if found is None:
        raise MaxphysaddrError(
            f'{value!r} is not a SeaBIOS version: write one such as 1.16.2'
        )
    parts = [int(p) for p in found.group(1).split('.')][:3]
    major, minor, micro = parts + [0] * (3 - len(parts))
    return major, minor, micro


# --- the verdict ---


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
        _check_choice(self.machine, MACHINE_TYPES, 'machine type')
        _check_choice(self.vendor, VENDORS, 'CPU vendor')
        _check_choice(self.firmware, FIRMWARES, 'firmware')


@dataclasses.dataclass(frozen=True)
class Verdict:
    """Whether a guest boots at a width and sees every device."""

    bits: int
    starts: bool  # QEMU starts
    devices: bool | None  # every BAR placed; None: QEMU refuses first
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
    if not guest.bars:
        return Verdict(bits, True, True, 'QEMU starts; no 64-bit BARs')
    if guest.firmware == BIOS:
        return _seabios_verdict(guest, layout, bits)
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


def _bars_text(sizes: Sequence[int]) -> str:
    one = len(sizes) == 1
    count = f'{len(sizes)} BAR' + ('' if one else 's')
    return f'{count} of {format_bytes(sum(sizes))}'


def _seabios_verdict(guest: Guest, layout: QemuLayout, bits: int) -> Verdict:
    """The BIOS verdict: every SeaBIOS version the cloud may run places
    the BARs below ``2**bits`` (the first that does not, otherwise)."""
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
        return Verdict(bits, True, False, f'{where}, {problem}')
    each = '; '.join(
        f'SeaBIOS {p.rule.name} at {format_bytes(p.base)} ({p.why})'
        for p in placements
    )
    return Verdict(
        bits,
        True,
        True,
        f'{_bars_text(placements[0].sizes)} below {space}: {each}',
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
