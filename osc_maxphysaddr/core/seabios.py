"""SeaBIOS's placement of 64-bit BARs, per version (``--firmware bios``).

SeaBIOS (``src/fw/pciinit.c``, ``pci_bios_map_devices``) must put every
64-bit BAR of a passed-through device below ``2**bits``, by the rule of its
version. SeaBIOS 1.16.2 (Debian 12) is checked by ``tests/realqemu``; the
rules of 1.16.3 and later are read from its source (no build of them is
packaged there).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from osc_maxphysaddr.core.ovmf import bar_size
from osc_maxphysaddr.core.ovmf import ovmf_trusts
from osc_maxphysaddr.core.qemu import AMD
from osc_maxphysaddr.core.qemu import AMD_ABOVE_1TB_START
from osc_maxphysaddr.core.qemu import AMD_HT_START
from osc_maxphysaddr.core.qemu import FOUR_GIB
from osc_maxphysaddr.core.qemu import GIB
from osc_maxphysaddr.core.qemu import KIB
from osc_maxphysaddr.core.qemu import TIB
from osc_maxphysaddr.core.qemu import QemuLayout
from osc_maxphysaddr.core.qemu import round_up
from osc_maxphysaddr.core.specs import MaxphysaddrError

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
        size = round_up(total, SEABIOS_ALIGN)
        if ram_end > FOUR_GIB:
            size = round_up(size, top >> SEABIOS_PAD_SHIFT)
        base = max(base, top - size)
        for start, end in _seabios_reserved(layout, bits, vendor):
            if base < end and start < base + size:
                base -= size
                moved = True
                break
    base = round_up(round_up(base, SEABIOS_ALIGN), largest)
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
