"""The address-space model, rule by rule (core/address_space.py).

The expected addresses come from the real binaries, not from the model:
the highest guest address is what QEMU 7.2 printed in "Address space limit
0x... < 0x<max used> phys-bits too low" (``phys-bits=33``, the guest's RAM
from ``-object memory-backend-ram,size=...``), the window bases are where
Debian 12's OVMF (edk2 2022.11) put an ivshmem BAR (tests/realqemu does
both again on every run where the binaries are installed).
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from osc_maxphysaddr.core import address_space as a
from osc_maxphysaddr.core.specs import MAX_BITS
from osc_maxphysaddr.core.specs import MIN_BITS
from osc_maxphysaddr.core.specs import MaxphysaddrError
from tests import facts

MIB = 1 << 20
GIB = 1 << 30
TIB = 1 << 40
G = 1024  # MiB per GiB, for RAM sizes


# --- QEMU's layout ---

#: (machine, vendor, RAM in MiB, max used address QEMU 7.2 printed)
QEMU_MAX_USED = [
    (a.Q35, a.INTEL, 512, 0x8_FFFF_FFFF),
    (a.Q35, a.AMD, 512, 0x8_FFFF_FFFF),
    (a.Q35, a.INTEL, 2 * G, 0x8_FFFF_FFFF),
    # q35 keeps up to 2.75 GiB below 4 GiB, then only 2 GiB
    (a.Q35, a.INTEL, 2815, 0x8_FFFF_FFFF),
    (a.Q35, a.INTEL, 2816, 0x9_3FFF_FFFF),
    (a.Q35, a.INTEL, 3583, 0x9_7FFF_FFFF),
    (a.Q35, a.INTEL, 4 * G, 0x9_7FFF_FFFF),
    # the AMD HyperTransport hole: q35's 32 GiB hole reaches it sooner
    (a.Q35, a.INTEL, 979 * G, 0xFD_3FFF_FFFF),
    (a.Q35, a.AMD, 979 * G, 0x1FC_3FFF_FFFF),
    (a.Q35, a.INTEL, 980 * G, 0xFD_7FFF_FFFF),
    (a.Q35, a.AMD, 980 * G, 0x1FC_7FFF_FFFF),
    (a.Q35, a.INTEL, 1009 * G, 0x104_BFFF_FFFF),
    (a.Q35, a.AMD, 1009 * G, 0x203_BFFF_FFFF),
    (a.Q35, a.INTEL, 4 * 1024 * G, 0x408_7FFF_FFFF),
    (a.Q35, a.AMD, 4 * 1024 * G, 0x507_7FFF_FFFF),
    # pc: 2 GiB hole; RAM split at 3 GiB once there are 3.5 GiB
    (a.PC, a.INTEL, 979 * G, 0xF5_7FFF_FFFF),
    (a.PC, a.INTEL, 980 * G, 0xF5_BFFF_FFFF),
    (a.PC, a.AMD, 980 * G, 0xF5_BFFF_FFFF),
    (a.PC, a.AMD, 1009 * G, 0xFC_FFFF_FFFF),
    (a.PC, a.INTEL, 1010 * G, 0xFD_3FFF_FFFF),
    (a.PC, a.AMD, 1010 * G, 0x1FC_3FFF_FFFF),
    (a.PC, a.INTEL, 1011 * G, 0xFD_7FFF_FFFF),
    (a.PC, a.AMD, 1011 * G, 0x1FC_7FFF_FFFF),
    (a.PC, a.AMD, 1012 * G, 0x1FC_BFFF_FFFF),
    (a.PC, a.INTEL, 4 * 1024 * G, 0x400_BFFF_FFFF),
    (a.PC, a.AMD, 4 * 1024 * G, 0x4FF_BFFF_FFFF),
]


@pytest.mark.parametrize(
    ('machine', 'vendor', 'ram_mib', 'max_used'), QEMU_MAX_USED
)
def test_max_used_gpa_is_what_qemu_printed(machine, vendor, ram_mib, max_used):
    layout = a.qemu_layout(ram_mib, machine, vendor)
    assert layout.max_used_gpa == max_used


#: (machine, RAM in MiB, RAM below 4 GiB in MiB): pc_piix.c / pc_q35.c
RAM_SPLIT = [
    (a.PC, 512, 512),
    (a.PC, 3 * G, 3 * G),  # below 3.5 GiB nothing is split
    (a.PC, 3583, 3583),
    (a.PC, 3584, 3 * G),  # from 3.5 GiB: split at 3 GiB (gigabyte_align)
    (a.PC, 64 * G, 3 * G),
    (a.Q35, 512, 512),
    (a.Q35, 2815, 2815),
    (a.Q35, 2816, 2 * G),  # from 2.75 GiB: split at 2 GiB
    (a.Q35, 64 * G, 2 * G),
]


@pytest.mark.parametrize(('machine', 'ram_mib', 'below_mib'), RAM_SPLIT)
def test_ram_split(machine, ram_mib, below_mib):
    layout = a.qemu_layout(ram_mib, machine, a.INTEL)
    assert layout.below_4g == below_mib * MIB
    assert layout.above_4g == (ram_mib - below_mib) * MIB
    assert layout.above_4g_start == 4 * GIB


def test_amd_relocation_starts_where_the_layout_reaches_the_ht_hole():
    # The last RAM size whose layout stays below 1012 GiB, and the next
    # gibibyte, which moves RAM above 4 GiB to 1 TiB (pc: 2 GiB hole).
    stays = a.qemu_layout(1009 * G, a.PC, a.AMD)
    moves = a.qemu_layout(1010 * G, a.PC, a.AMD)
    assert stays.above_4g_start == 4 * GIB
    assert stays.max_used_gpa == a.AMD_HT_START - 1
    assert moves.above_4g_start == TIB
    assert moves.hole64_start == TIB + moves.above_4g
    # Intel never moves
    assert a.qemu_layout(1010 * G, a.PC, a.INTEL).above_4g_start == 4 * GIB


@pytest.mark.parametrize(
    ('machine', 'vendor', 'ram_mib', 'needs'),
    [
        # the measured facts (tests/facts.py)
        (a.Q35, a.INTEL, facts.SMALL_RAM_MIB, facts.SMALL_Q35_NEEDS),
        (a.PC, a.INTEL, facts.SMALL_RAM_MIB, facts.SMALL_PC_NEEDS),
        (a.PC, a.INTEL, facts.AMD_HOLE_RAM_MIB, facts.AMD_HOLE_INTEL_NEEDS),
        (a.PC, a.AMD, facts.AMD_HOLE_RAM_MIB, facts.AMD_HOLE_AMD_NEEDS),
        (a.Q35, a.INTEL, 4 * 1024 * G, 43),
    ],
)
def test_qemu_starts_from_the_smallest_width_above_its_layout(
    machine, vendor, ram_mib, needs
):
    layout = a.qemu_layout(ram_mib, machine, vendor)
    assert not a.qemu_starts(layout, needs - 1)
    assert a.qemu_starts(layout, needs)
    guest = a.Guest(ram_mib, machine, vendor)
    assert a.min_bits(guest) == needs


def test_the_facts_are_points_realqemu_measures():
    # tests/facts.py says where each fact was measured: keep it true.
    from tests.realqemu import test_ovmf_bars
    from tests.realqemu import test_qemu_start

    def measured(ram_mib, machine, vendor):
        # a grid point whose highest address (what decides) is the same
        top = a.qemu_layout(ram_mib, machine, vendor).max_used_gpa
        return any(
            a.qemu_layout(ram, machine, vendor).max_used_gpa == top
            for ram in test_qemu_start.RAM_MIB
        )

    assert measured(facts.SMALL_RAM_MIB, a.Q35, a.INTEL)
    assert measured(facts.SMALL_RAM_MIB, a.PC, a.INTEL)
    assert facts.AMD_HOLE_RAM_MIB in test_qemu_start.RAM_MIB
    gpu = (
        facts.GPU_RAM_MIB,
        (facts.H100_BAR,) * facts.GPU_COUNT,
    )
    cases = {
        c.bits: c for c in test_ovmf_bars.CASES if (c.ram_mib, c.bars) == gpu
    }
    assert set(cases) >= {facts.GPU_FAILS, facts.GPU_NEEDS}
    assert facts.GPU_FAILS == facts.GPU_NEEDS - 1


def test_32_bits_is_a_width_like_any_other():
    # QEMU 7.1-8.1 skip the check at 32 bits; QEMU 8.2+ and the model
    # do not: a 64-bit guest always has its hole above 4 GiB.
    for machine in a.MACHINE_TYPES:
        layout = a.qemu_layout(512, machine, a.INTEL)
        assert layout.max_used_gpa >= 1 << 32
        assert not a.qemu_starts(layout, 32)


def test_qemu_starts_is_exactly_below_two_to_the_bits():
    layout = a.qemu_layout(2 * G, a.Q35, a.INTEL)
    top = layout.max_used_gpa + 1
    assert top == 36 * GIB
    bits = (top - 1).bit_length()
    assert a.qemu_starts(layout, bits)
    assert not a.qemu_starts(layout, bits - 1)


# --- OVMF ---


@pytest.mark.parametrize('bits', range(MIN_BITS, MAX_BITS + 1))
def test_ovmf_trusts(bits):
    # PlatformAddressWidthFromCpuid with QemuQuirk
    assert a.ovmf_trusts(bits, a.INTEL) is (bits >= 41 or bits in (36, 39))
    assert a.ovmf_trusts(bits, a.AMD) is (bits >= 41 or bits == 40)


#: (RAM in MiB, machine, vendor, bits, window base, window size, dynamic)
WINDOWS = [
    # measured: a 64 GiB BAR at 1792 GiB with 41 bits on Intel
    (2 * G, a.Q35, a.INTEL, 41, 1792 * GIB, 256 * GIB, True),
    # measured: 128 GiB BARs from 3.5 TiB with 42 bits and 512 GiB RAM
    (512 * G, a.Q35, a.INTEL, 42, 3584 * GIB, 512 * GIB, True),
    # 40 bits on Intel: not trusted, the classic window above RAM
    (2 * G, a.Q35, a.INTEL, 40, 32 * GIB, 32 * GIB, False),
    (64 * G, a.PC, a.INTEL, 40, 96 * GIB, 32 * GIB, False),
    # 40 bits on AMD is trusted
    (2 * G, a.Q35, a.AMD, 40, 896 * GIB, 128 * GIB, True),
    # 39 on Intel is trusted and an eighth (64 GiB) beats 32 GiB
    (2 * G, a.Q35, a.INTEL, 39, 448 * GIB, 64 * GIB, True),
    # 38: an eighth (32 GiB) is not larger than the classic window
    (2 * G, a.Q35, a.INTEL, 38, 32 * GIB, 32 * GIB, False),
    # RAM up to 1600 GiB: classic base 1632 GiB + 256 GiB < 2 TiB
    (1600 * G, a.Q35, a.INTEL, 41, 1792 * GIB, 256 * GIB, True),
    # 1800 GiB: the window would overlap RAM, classic at 1824 GiB
    (1800 * G, a.Q35, a.INTEL, 41, 1824 * GIB, 32 * GIB, False),
    # the cap: 46 bits and up give the same 8 TiB window below 64 TiB
    (2 * G, a.Q35, a.INTEL, 46, 56 * TIB, 8 * TIB, True),
    (2 * G, a.Q35, a.INTEL, 52, 56 * TIB, 8 * TIB, True),
    # 40 bits on AMD: the window reaches the HyperTransport hole; current
    # edk2 moves it below (768 GiB), over RAM from 802 GiB up: classic
    (700 * G, a.Q35, a.AMD, 40, 896 * GIB, 128 * GIB, True),
    (766 * G, a.Q35, a.AMD, 40, 896 * GIB, 128 * GIB, True),
    (767 * G, a.Q35, a.AMD, 40, 800 * GIB, 32 * GIB, False),
    (800 * G, a.Q35, a.AMD, 40, 832 * GIB, 32 * GIB, False),
    # ... which Intel, whose RAM never moves, does not care about
    (800 * G, a.Q35, a.INTEL, 41, 1792 * GIB, 256 * GIB, True),
    # AMD RAM moved to 1 TiB: the classic window follows it
    (1010 * G, a.PC, a.AMD, 40, 2048 * GIB, 32 * GIB, False),
]


@pytest.mark.parametrize(
    ('ram_mib', 'machine', 'vendor', 'bits', 'base', 'size', 'dynamic'),
    WINDOWS,
)
def test_ovmf_window(ram_mib, machine, vendor, bits, base, size, dynamic):
    layout = a.qemu_layout(ram_mib, machine, vendor)
    window = a.ovmf_window(layout, bits, vendor)
    assert (window.base, window.size, window.dynamic) == (base, size, dynamic)
    assert window.end == base + size


@pytest.mark.parametrize(
    ('size', 'footprint'),
    [
        (1, 1),
        (2, 2),
        (3, 4),
        (GIB, GIB),
        (GIB + 1, 2 * GIB),
        (48 * GIB, 64 * GIB),
    ],
)
def test_bar_size_rounds_up_to_a_power_of_two(size, footprint):
    assert a.bar_size(size) == footprint


def test_bars_must_leave_room_in_the_window():
    window = a.Window(0, 512 * GIB, True)
    assert a.bars_fit([128 * GIB] * 3, window)
    # exactly full: the guest's own 64-bit BARs have no room
    assert not a.bars_fit([128 * GIB] * 4, window)
    assert not a.bars_fit([256 * GIB, 256 * GIB], window)
    assert a.bars_fit([256 * GIB, 128 * GIB, 64 * GIB], window)
    # rounding up: three 100 GiB BARs take 384 GiB, four take 512
    assert a.bars_fit([100 * GIB] * 3, window)
    assert not a.bars_fit([100 * GIB] * 4, window)
    assert a.bars_fit([], window)


# --- the verdict ---

H100 = 128 * GIB


@pytest.mark.parametrize(
    ('guest', 'needs'),
    [
        # the "done when" cases
        (
            a.Guest(
                facts.GPU_RAM_MIB,
                a.Q35,
                a.INTEL,
                a.UEFI,
                (facts.H100_BAR,) * facts.GPU_COUNT,
            ),
            facts.GPU_NEEDS,
        ),
        (a.Guest(512 * G, a.Q35, a.INTEL, a.UEFI, (H100,) * 3), 42),
        (a.Guest(2 * G, a.Q35), 36),
        (a.Guest(2 * G, a.PC), 33),
        # one 64 GiB BAR: 40 on Intel is not trusted, 41 is
        (a.Guest(2 * G, a.Q35, a.INTEL, a.UEFI, (64 * GIB,)), 41),
        # ... but 40 on AMD is
        (a.Guest(2 * G, a.Q35, a.AMD, a.UEFI, (64 * GIB,)), 40),
        # RAM crowding the window out: 1800 GiB needs one more bit
        (a.Guest(1600 * G, a.Q35, a.INTEL, a.UEFI, (64 * GIB,)), 41),
        (a.Guest(1800 * G, a.Q35, a.INTEL, a.UEFI, (64 * GIB,)), 42),
        # bios: BARs are not modelled, only QEMU decides
        (a.Guest(2 * G, a.Q35, a.INTEL, a.BIOS, (H100,) * 4), 36),
    ],
)
def test_min_bits(guest, needs):
    assert a.min_bits(guest) == needs
    assert a.verdict(guest, needs).boots
    assert not a.verdict(guest, needs - 1).boots


def test_verdict_names_the_numbers():
    refused = a.verdict(a.Guest(2 * G, a.Q35), 35)
    assert (refused.starts, refused.devices, refused.boots) == (
        False,
        None,
        False,
    )
    assert '36 GiB' in refused.reason
    assert '2^35 = 32 GiB' in refused.reason
    gpus = a.Guest(512 * G, a.Q35, a.INTEL, a.UEFI, (H100,) * 4)
    lost = a.verdict(gpus, 42)
    assert (lost.starts, lost.devices, lost.boots) == (True, False, False)
    assert '4 BARs of 512 GiB do not fit' in lost.reason
    assert '512 GiB dynamic' in lost.reason
    untrusted = a.verdict(
        a.Guest(2 * G, a.Q35, a.INTEL, a.UEFI, (64 * GIB,)), 40
    )
    assert 'does not fit' in untrusted.reason
    assert 'does not trust 40 bits' in untrusted.reason
    bios = a.verdict(a.Guest(2 * G, a.Q35), 36)
    assert (bios.starts, bios.devices, bios.boots) == (True, None, True)


def test_no_width_fits_returns_none():
    # a 16 TiB BAR never fits the capped 8 TiB window
    guest = a.Guest(2 * G, a.Q35, a.INTEL, a.UEFI, (16 * TIB,))
    assert a.min_bits(guest) is None


@pytest.mark.parametrize(
    ('field', 'value'),
    [('machine', 'i440fx'), ('vendor', 'GenuineIntel'), ('firmware', 'efi')],
)
def test_guest_refuses_unknown_choices(field, value):
    with pytest.raises(MaxphysaddrError, match=repr(value)):
        a.Guest(2 * G, **{field: value})


# --- properties ---

guests = st.builds(
    a.Guest,
    ram_mib=st.integers(1, 8 * 1024 * G),
    machine=st.sampled_from(a.MACHINE_TYPES),
    vendor=st.sampled_from(a.VENDORS),
    firmware=st.sampled_from(a.FIRMWARES),
    bars=st.lists(
        st.integers(1, 4 * TIB).map(lambda n: n * MIB // 1024), max_size=8
    ).map(tuple),
)


@given(guests)
def test_min_bits_is_the_smallest_width_that_boots(guest):
    needs = a.min_bits(guest)
    widths = range(MIN_BITS, MAX_BITS + 1)
    if needs is None:
        assert not any(a.verdict(guest, b).boots for b in widths)
        return
    assert a.verdict(guest, needs).boots
    assert not any(a.verdict(guest, b).boots for b in range(MIN_BITS, needs))


@given(guests, st.integers(MIN_BITS, MAX_BITS))
def test_min_bits_from_a_start(guest, start):
    needs = a.min_bits(guest, start)
    if needs is not None:
        assert needs >= start
        assert a.verdict(guest, needs).boots
        assert not any(a.verdict(guest, b).boots for b in range(start, needs))


@given(guests, st.integers(MIN_BITS, MAX_BITS - 1))
def test_qemu_start_is_monotonic_in_width(guest, bits):
    if a.verdict(guest, bits).starts:
        assert a.verdict(guest, bits + 1).starts


@given(guests, st.integers(41, MAX_BITS - 1))
def test_from_41_bits_more_width_never_loses_a_device(guest, bits):
    # Below 41 it can: 39 bits on Intel give a 64 GiB window, 40 bits
    # (not trusted) only the classic 32 GiB one.
    if a.verdict(guest, bits).boots:
        assert a.verdict(guest, bits + 1).boots


def test_more_width_can_lose_a_device_below_41_on_intel():
    guest = a.Guest(2 * G, a.Q35, a.INTEL, a.UEFI, (32 * GIB,))
    assert a.verdict(guest, 39).boots
    assert not a.verdict(guest, 40).boots
    assert a.min_bits(guest) == 39


@given(guests, st.integers(MIN_BITS, MAX_BITS))
def test_the_window_is_above_ram_and_below_the_top(guest, bits):
    layout = a.qemu_layout(guest.ram_mib, guest.machine, guest.vendor)
    window = a.ovmf_window(layout, bits, guest.vendor)
    assert window.base >= layout.above_4g_end
    assert window.base % window.size == 0
    if window.dynamic:
        assert window.end == 1 << min(bits, a.OVMF_MAX_BITS)


# --- sizes ---


@pytest.mark.parametrize(
    ('text', 'size'),
    [
        ('64GiB', 64 * GIB),
        ('128G', 128 * GIB),
        ('512MiB', 512 * MIB),
        ('512M', 512 * MIB),
        ('1T', TIB),
        ('2TiB', 2 * TIB),
        ('4K', 4096),
        ('4096', 4096),
        ('4096B', 4096),
        (' 64 GiB ', 64 * GIB),
        ('64gib', 64 * GIB),
    ],
)
def test_parse_size_accepts(text, size):
    assert a.parse_size(text) == size


@pytest.mark.parametrize(
    'text',
    ['', 'G', 'GiB', '1.5G', '-1G', '0G', '0', '64GB', '64 G B', '64X', '²G'],
)
def test_parse_size_refuses(text):
    with pytest.raises(MaxphysaddrError, match='size'):
        a.parse_size(text)


@given(
    st.integers(1, 1 << 20),
    st.sampled_from(['K', 'KiB', 'M', 'MiB', 'G', 'GiB', 'T', 'TiB']),
)
def test_parse_size_scales(number, unit):
    shift = {'K': 10, 'M': 20, 'G': 30, 'T': 40}[unit[0]]
    assert a.parse_size(f'{number}{unit}') == number << shift


@given(st.text(max_size=12))
def test_parse_size_never_crashes(text):
    try:
        size = a.parse_size(text)
    except MaxphysaddrError:
        return
    assert size > 0


@pytest.mark.parametrize(
    ('size', 'text'),
    [
        (512 * MIB, '512 MiB'),
        (64 * GIB, '64 GiB'),
        (1536 * MIB, '1.5 GiB'),
        (TIB, '1 TiB'),
        (8 * TIB, '8 TiB'),
        (1 << 50, '1 PiB'),
        (100, '100 B'),
    ],
)
def test_format_bytes(size, text):
    assert a.format_bytes(size) == text


@given(st.integers(0, 52))
def test_format_bytes_parses_back_for_powers_of_two(shift):
    text = a.format_bytes(1 << shift).replace(' ', '')
    if text.endswith('PiB'):
        return  # parse_size stops at TiB
    assert a.parse_size(text) == 1 << shift
