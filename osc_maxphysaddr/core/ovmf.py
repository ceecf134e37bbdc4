"""OVMF's 64-bit PCI window: where the UEFI firmware puts 64-bit BARs.

edk2 ``OvmfPkg/Library/PlatformInitLib/MemDetect.c`` sizes and places the
window from the phys-bits it trusts; every 64-bit BAR of a passed-through
device must fit in it. Checked against Debian 12's OVMF (edk2 2022.11) by
``tests/realqemu``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from osc_maxphysaddr.core.qemu import AMD
from osc_maxphysaddr.core.qemu import AMD_ABOVE_1TB_START
from osc_maxphysaddr.core.qemu import AMD_HT_START
from osc_maxphysaddr.core.qemu import FOUR_GIB
from osc_maxphysaddr.core.qemu import GIB
from osc_maxphysaddr.core.qemu import INTEL
from osc_maxphysaddr.core.qemu import QemuLayout
from osc_maxphysaddr.core.qemu import round_up

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
        round_up(round_up(ram_end, GIB), OVMF_CLASSIC_WINDOW),
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
        if round_up(ram_end, GIB) > moved:
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
