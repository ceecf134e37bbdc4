"""QEMU's start check, real binary against the model.

A grid of machine type x guest CPU vendor x RAM (512 MiB to 4 TiB) x width,
the width taken on each side of the model's boundary: the model's smallest
width, which must start, and the one below, which QEMU must refuse. Each
point starts ``qemu-system-x86_64 -S`` under TCG (about 0.1 s, 1 s for
4 TiB); a pool of four runs the grid in about 10 s. Where QEMU refuses,
the addresses it prints must be the model's; where it starts, the RAM
layout it reports (``info mtree``) must be the model's, AMD's move to
1 TiB included.
"""

import concurrent.futures
import re

import pytest

from osc_maxphysaddr.core import address_space as a
from osc_maxphysaddr.core import qemu as q
from osc_maxphysaddr.core.qemu import MACHINE_TYPES
from osc_maxphysaddr.core.qemu import VENDORS
from osc_maxphysaddr.core.specs import MAX_BITS
from osc_maxphysaddr.core.specs import MIN_BITS
from tests.realqemu import machine
from tests.realqemu.conftest import require

G = 1024  # MiB per GiB

#: Around each rule of the layout: the pc and q35 RAM splits, the AMD
#: HyperTransport hole (1012 GiB) as q35's 32 GiB and pc's 2 GiB holes
#: reach it, powers of two of the address space, and the 4 TiB top.
RAM_MIB = [
    512,
    2815,
    2816,
    3583,
    3584,
    4 * G,
    30 * G,
    62 * G,
    979 * G,
    980 * G,
    1009 * G,
    1010 * G,
    1012 * G,
    2013 * G,
    2014 * G,
    4 * 1024 * G,
]


def min_bits(guest):
    """The smallest width at which the model boots ``guest``."""
    widths = range(MIN_BITS, MAX_BITS + 1)
    return next((b for b in widths if a.boot(guest, b).boots), None)


def _grid():
    points = []
    for machine_type in MACHINE_TYPES:
        for vendor in VENDORS:
            for ram in RAM_MIB:
                needs = min_bits(a.Guest(ram, machine_type, vendor))
                assert needs is not None
                for bits in (needs - 1, needs):
                    points.append((machine_type, vendor, ram, bits))
    return points


GRID = _grid()


def _version():
    text = machine.qemu_version()
    found = re.search(r'version (\d+)\.(\d+)', text)
    assert found, text
    return int(found.group(1)), int(found.group(2))


@pytest.fixture(scope='module')
def qemu():
    """Every grid point's result, started four at a time."""
    require(firmware=False)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = {
            (m, v, r, b): pool.submit(machine.qemu_starts, m, v, b, r)
            for m, v, r, b in GRID
        }
        results = {p: f.result() for p, f in futures.items()}
    return _version(), results


def _id(point):
    machine_type, vendor, ram, bits = point
    return f'{machine_type}-{vendor}-{ram}M-{bits}bits'


@pytest.mark.parametrize('point', GRID, ids=[_id(p) for p in GRID])
def test_model_and_qemu_agree(qemu, point):
    version, results = qemu
    machine_type, vendor, ram, bits = point
    start = results[point]
    guest = a.Guest(ram, machine_type, vendor)
    layout = q.qemu_layout(ram, machine_type, vendor)
    expected = a.boot(guest, bits).starts
    assert start.returncode in (0, 1), start.message
    if bits == 32 and version < (8, 2):
        # QEMU 7.1-8.1 skip the check at phys-bits <= 32 (pc_max_used_gpa
        # returned 2**bits - 1 there); 8.2+ and the model do not. The model
        # is the stricter of the two: it refuses what 7.2 starts.
        assert start.started, start.message
        assert not expected
        return
    assert start.started is expected, start.message
    if not start.started:
        refusal = start.refusal()
        assert refusal is not None, start.message
        assert refusal == ((1 << bits) - 1, layout.max_used_gpa)
        return
    assert start.ram['ram-below-4g'] == (0, layout.below_4g - 1)
    if layout.above_4g:
        assert start.ram['ram-above-4g'] == (
            layout.above_4g_start,
            layout.above_4g_end - 1,
        )
    else:
        assert 'ram-above-4g' not in start.ram


def test_the_grid_covers_every_rule():
    """Each rule of the layout is on some grid point's boundary."""
    layouts = [q.qemu_layout(r, m, v) for m, v, r, _ in GRID]
    assert any(x.above_4g_start == q.AMD_ABOVE_1TB_START for x in layouts)
    assert any(
        x.above_4g == 0 and x.below_4g > q.Q35_LOWMEM_LARGE for x in layouts
    )
    assert {bits for *_, bits in GRID} >= {32, 33, 36, 40, 41, 42, 43}
