"""SeaBIOS's placement of 64-bit BARs, real firmware against the model.

Each case boots the SeaBIOS QEMU uses by default (Debian 12: 1.16.2,
``bios-256k.bin``) under TCG with ivshmem devices whose BAR2 (64-bit,
prefetchable) is as large as their memory backend, and a virtio-net device
(the guest's own 64-bit BAR), and reads where SeaBIOS mapped each BAR from
its debug log. The model, given the version SeaBIOS printed, must predict
every address, and its verdict must say a device is lost exactly when a
measured BAR, the virtio one included, does not end below ``2**bits``.

The cases are the boundaries of 1.16.2's rule (it ignores phys-bits: the
same BAR at 36, 37 and 38 bits; RAM above 4 GiB; four BARs; pc) and the
inputs the 1.16.3 rule reads (trusted widths, AMD's HyperTransport
reservation). SeaBIOS reaches the end of its PCI setup in well under a
second; the whole file takes a few seconds.
"""

import dataclasses

import pytest

from osc_maxphysaddr.core import address_space as a
from osc_maxphysaddr.core import qemu
from osc_maxphysaddr.core import seabios
from osc_maxphysaddr.core.qemu import AMD
from osc_maxphysaddr.core.qemu import BIOS
from osc_maxphysaddr.core.qemu import INTEL
from osc_maxphysaddr.core.qemu import PC
from osc_maxphysaddr.core.qemu import Q35
from tests.realqemu import machine
from tests.realqemu.conftest import require

G = 1024  # MiB per GiB
GIB = 1 << 30


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    machine: str
    vendor: str
    bits: int
    ram_mib: int
    bars: tuple[int, ...]
    root_ports: bool = False


CASES = [
    # 2 GiB q35: the BAR at 64 GiB whatever the width; wholly outside at
    # 36, ending at 2^37 with the virtio BAR after it at 37, inside at 38
    Case('q35-2G-36', Q35, INTEL, 36, 2 * G, (64 * GIB,)),
    Case('q35-2G-37', Q35, INTEL, 37, 2 * G, (64 * GIB,)),
    Case('q35-2G-38', Q35, INTEL, 38, 2 * G, (64 * GIB,)),
    # a width 1.16.3 trusts, no RAM above 4 GiB, behind a root port
    Case(
        'q35-2G-41-root-port',
        Q35,
        INTEL,
        41,
        2 * G,
        (64 * GIB,),
        True,
    ),
    # RAM above 4 GiB (42 GiB end): still 64 GiB in 1.16.2
    Case('q35-40G-41', Q35, INTEL, 41, 40 * G, (64 * GIB,)),
    # two sizes: largest first, the base aligned to the largest
    Case('q35-2G-1G+4G-40', Q35, INTEL, 40, 2 * G, (GIB, 4 * GIB)),
    # four BARs, one after the other
    Case('q35-2G-4x64G-42', Q35, INTEL, 42, 2 * G, (64 * GIB,) * 4),
    # pc: RAM above 4 GiB from 3.5 GiB up, at 39 (trusted on Intel)
    Case('pc-8G-39', PC, INTEL, 39, 8 * G, (64 * GIB,)),
    # AMD at 40: trusted, and QEMU reserves the HyperTransport hole
    Case('q35-amd-8G-40', Q35, AMD, 40, 8 * G, (64 * GIB,)),
]


@pytest.fixture(scope='module')
def boots():
    require(firmware=False, seabios=True)

    def boot(case):
        return machine.seabios_bars(
            case.machine,
            case.vendor,
            case.bits,
            case.ram_mib,
            list(case.bars),
            root_ports=case.root_ports,
        )

    return machine.in_parallel(boot, CASES, 4)


@pytest.mark.parametrize('case', CASES, ids=[c.name for c in CASES])
def test_model_and_seabios_agree(boots, case):
    boot = boots[case]
    version = seabios.parse_seabios_version(boot.version)
    guest = a.Guest(
        case.ram_mib, case.machine, case.vendor, BIOS, case.bars, version
    )
    verdict = a.boot(guest, case.bits)
    assert verdict.starts, verdict.reason
    layout = qemu.qemu_layout(case.ram_mib, case.machine, case.vendor)
    (rule,) = seabios.seabios_rules(version)
    place = seabios.seabios_placement(
        layout, case.bits, case.vendor, case.bars, rule
    )
    summary = (
        f'SeaBIOS {boot.version}: BAR2 {boot.bars}, virtio {boot.own} in '
        f'{boot.seconds:.1f} s; model: {verdict.reason}'
    )
    assert boot.own is not None, summary
    assert all(bar is not None for bar in boot.bars), summary
    measured = [bar[0] for bar in boot.bars if bar is not None]
    assert tuple(measured) == place.addresses, summary
    # the guest's own 64-bit BAR goes right after the big ones
    assert boot.own[0] == place.end, summary
    assert boot.own[1] <= seabios.SEABIOS_GUEST_BARS, summary
    ends = [addr + size for addr, size in [*boot.bars, boot.own] if addr]
    lost = any(end > 1 << case.bits for end in ends)
    assert verdict.devices is not lost, summary


def test_the_cases_cover_both_answers():
    answers = {
        a.boot(
            a.Guest(c.ram_mib, c.machine, c.vendor, BIOS, c.bars, (1, 16, 2)),
            c.bits,
        ).devices
        for c in CASES
    }
    assert answers == {True, False}


def test_the_log_parser():
    # lines of a real SeaBIOS 1.16.2 log (q35, an ivshmem behind a root
    # port, a virtio-net on the root bus)
    log = (
        'PCI: map device bdf=01:00.0  bar 2, addr 1000000000, size '
        '1000000000 [prefmem]\n'
        'PCI: map device bdf=00:1e.0  bar 4, addr 2000000000, size '
        '00004000 [prefmem]\n'
        'PCI: map device bdf=00:1f.3  bar 4, addr 0000c000, size 00000040 '
        '[io]\n'
    )
    assert machine.mapped_bars(log) == {
        (1, 0, 0, 2): (64 * GIB, 64 * GIB),
        (0, 0x1E, 0, 4): (128 * GIB, 16 << 10),
        (0, 0x1F, 3, 4): (0xC000, 0x40),
    }
