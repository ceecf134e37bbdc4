"""The RAM guard: whether a guest's RAM plus the 4 GiB hole fits its width.

Superseded by :mod:`.address_space`; kept until the commands move to it.
"""

from __future__ import annotations

import dataclasses

from osc_maxphysaddr.core.findings import ERROR
from osc_maxphysaddr.core.findings import WARNING
from osc_maxphysaddr.core.findings import Finding
from osc_maxphysaddr.core.findings import finding
from osc_maxphysaddr.core.specs import MAX_BITS
from osc_maxphysaddr.core.specs import MIN_BITS

MIB = 1 << 20
GIB = 1 << 30
#: The 32-bit PCI hole below 4 GiB: a guest's RAM that would sit there is
#: relocated above 4 GiB, so RAM + 4 GiB must fit inside 2**bits.
PCI_HOLE_BYTES = 4 * GIB


def bytes_needed(ram_mib: int) -> int:
    """The guest-physical span a guest of this RAM needs."""
    return ram_mib * MIB + PCI_HOLE_BYTES


def min_bits_for_ram(ram_mib: int) -> int:
    """The smallest width whose 2**bits is above RAM + 4 GiB."""
    return max(MIN_BITS, bytes_needed(ram_mib).bit_length())


def roomy_bits_for_ram(ram_mib: int) -> int:
    """The smallest width that leaves the PCI window as much as the RAM."""
    return max(MIN_BITS, (2 * bytes_needed(ram_mib) - 1).bit_length())


def format_bytes(size: int) -> str:
    """A power-of-two size the way the guide's table writes it."""
    for unit, shift in (('PiB', 50), ('TiB', 40), ('GiB', 30), ('MiB', 20)):
        if size >= 1 << shift:
            value = size / (1 << shift)
            text = f'{value:.1f}'.rstrip('0').rstrip('.')
            return f'{text} {unit}'
    return f'{size} B'


@dataclasses.dataclass(frozen=True)
class RamCheck:
    """The RAM guard's verdict for one flavor at one width."""

    needed_bits: int
    finding: Finding | None

    @property
    def refuse(self) -> bool:
        return self.finding is not None and self.finding.severity == ERROR

    @property
    def warn(self) -> bool:
        return self.finding is not None and self.finding.severity == WARNING

    @property
    def message(self) -> str | None:
        return None if self.finding is None else self.finding.message


def check_ram(ram_mib: int, bits: int) -> RamCheck:
    """Whether a guest of ``ram_mib`` fits in ``bits`` address bits.

    Refuse when 2**bits <= RAM + 4 GiB: the guest does not boot. Warn when
    2**bits < 2 * (RAM + 4 GiB): it boots, but the 64-bit PCI window for
    device BARs (GPUs) has to share what is left.
    """
    needed = bytes_needed(ram_mib)
    needed_bits = min_bits_for_ram(ram_mib)
    space = 1 << bits
    sizes = {
        'bits': bits,
        'space': format_bytes(space),
        'ram': format_bytes(ram_mib * MIB),
    }
    if space <= needed:
        fix = (
            f'at least {needed_bits} bits'
            if needed_bits <= MAX_BITS
            else f"more than QEMU's {MAX_BITS} bits"
        )
        return RamCheck(
            needed_bits, finding('ram-exceeds-width', fix=fix, **sizes)
        )
    if space < 2 * needed:
        roomy = roomy_bits_for_ram(ram_mib)
        return RamCheck(
            needed_bits,
            finding('ram-crowds-pci-window', roomy=roomy, **sizes),
        )
    return RamCheck(needed_bits, None)
