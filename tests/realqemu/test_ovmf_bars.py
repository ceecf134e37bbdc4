"""OVMF's 64-bit PCI window, real firmware against the model.

Each case boots Debian's OVMF (``OVMF_CODE_4M.fd``) under TCG on ``q35``
with ivshmem devices whose BAR2 (64-bit, prefetchable) is as large as
their memory backend, as a GPU's would be, runs ``pci B D F`` for each from
the UEFI shell's ``startup.nsh`` and powers off. The model's
``boot(...).devices`` must equal what the firmware did: every BAR2
assigned (and inside the model's window), or not (the firmware hangs
before the shell, or leaves a BAR unassigned).

The cases are the boundaries of the window's rules. All boots run at once:
a hung firmware idles (it halts its CPU), so the failing ones cost no CPU
while the others boot. Budget: 2 minutes on a busy 2-core machine (about
75 s measured with a load average of 13; each successful boot uses 7-10 s
of CPU).
"""

import dataclasses

import pytest

from osc_maxphysaddr.core import address_space as a
from osc_maxphysaddr.core import ovmf
from osc_maxphysaddr.core import qemu
from osc_maxphysaddr.core.qemu import AMD
from osc_maxphysaddr.core.qemu import INTEL
from osc_maxphysaddr.core.qemu import Q35
from osc_maxphysaddr.core.qemu import UEFI
from tests.realqemu import machine
from tests.realqemu.conftest import require

G = 1024  # MiB per GiB
GIB = 1 << 30


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    vendor: str
    bits: int
    ram_mib: int
    bars: tuple[int, ...]
    root_ports: bool = False

    @property
    def guest(self):
        return a.Guest(self.ram_mib, Q35, self.vendor, UEFI, self.bars)


CASES = [
    # 40 bits on Intel is not trusted: the classic 32 GiB window
    Case('64G-bar-intel-40', INTEL, 40, 2 * G, (64 * GIB,)),
    Case('64G-bar-intel-41', INTEL, 41, 2 * G, (64 * GIB,)),
    # ... behind a pcie-root-port, as libvirt places devices on q35
    Case('64G-bar-intel-41-root-port', INTEL, 41, 2 * G, (64 * GIB,), True),
    # 40 bits on AMD is trusted: a 128 GiB window
    Case('64G-bar-amd-40', AMD, 40, 2 * G, (64 * GIB,)),
    # a 512 GiB window: three 128 GiB BARs fit, four fill it and fail
    Case('3x128G-bars-42', INTEL, 42, 512 * G, (128 * GIB,) * 3),
    Case('4x128G-bars-42', INTEL, 42, 512 * G, (128 * GIB,) * 4),
    Case('4x128G-bars-43', INTEL, 43, 512 * G, (128 * GIB,) * 4),
    # RAM crowding out the dynamic window at 41 bits
    Case('64G-bar-41-1600G-ram', INTEL, 41, 1600 * G, (64 * GIB,)),
    Case('64G-bar-41-1800G-ram', INTEL, 41, 1800 * G, (64 * GIB,)),
]


@pytest.fixture(scope='module')
def boots():
    require(firmware=True)

    def boot(case):
        return machine.ovmf_bars(
            Q35,
            case.vendor,
            case.bits,
            case.ram_mib,
            list(case.bars),
            root_ports=case.root_ports,
        )

    return machine.in_parallel(boot, CASES, len(CASES))


@pytest.mark.parametrize('case', CASES, ids=[c.name for c in CASES])
def test_model_and_ovmf_agree(boots, case):
    boot = boots[case]
    verdict = a.boot(case.guest, case.bits)
    assert verdict.starts, verdict.reason
    summary = (
        f'{verdict.reason}; OVMF: shell {boot.reached_shell}, BAR2 '
        f'{[hex(b) if b else b for b in boot.bars]} in {boot.seconds:.0f} s'
    )
    assert boot.all_placed is verdict.devices, summary
    if not boot.all_placed:
        return
    layout = qemu.qemu_layout(case.ram_mib, Q35, case.vendor)
    window = ovmf.ovmf_window(layout, case.bits, case.vendor)
    for address, size in zip(boot.bars, case.bars, strict=True):
        assert address is not None
        assert address % ovmf.bar_size(size) == 0, summary
        assert window.base <= address, summary
        assert address + ovmf.bar_size(size) <= window.end, summary


def test_the_cases_cover_both_answers():
    answers = {a.boot(c.guest, c.bits).devices for c in CASES}
    assert answers == {True, False}


def test_the_shell_dump_parser():
    # two lines of a real `pci 00 03 00` dump (ivshmem, BAR2 at 1792 GiB)
    log = (
        '\x1b[1m\x1b[37m\x1b[40m  PCI Segment 00 Bus 00 Device 03 Func 00'
        '\x1b[0m [EFI 0000030000]\r\n'
        '  00000000: F4 1A 10 11 07 00 00 00-01 00 00 05 00 00 00 00  *.*\r\n'
        '  00000010: 00 10 00 C0 00 00 00 00-0C 00 00 00 C0 01 00 00  *.*\r\n'
    )
    spaces = machine._config_spaces(log)
    assert list(spaces) == [(0, 3, 0)]
    assert machine.bar2(spaces[(0, 3, 0)]) == 1792 * GIB
    assert machine.bar2(bytes(32)) is None
