"""A flavor's guest for the address-space model: devices, platform, vendor."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from osc_maxphysaddr import core
from tests import facts

GIB = 1 << 30
ALIAS = core.PCI_ALIAS_KEY


@pytest.mark.parametrize(
    'value,pairs',
    [
        ('h100:4', (('h100', 4),)),
        ('h100:4,a100:2', (('h100', 4), ('a100', 2))),
        (' h100 : 1 , nic:2', (('h100', 1), ('nic', 2))),
    ],
)
def test_parse_aliases(value, pairs):
    assert core.parse_aliases(value) == pairs


@pytest.mark.parametrize(
    'value', ['h100', 'h100:', ':4', 'h100:x', 'a:1:2', '']
)
def test_parse_aliases_refuses_what_nova_cannot_read(value):
    with pytest.raises(core.MaxphysaddrError, match='not name:count'):
        core.parse_aliases(value)


@pytest.mark.parametrize(
    'name,vendor',
    [
        ('Intel', core.INTEL),
        ('AMD', core.AMD),
        ('GenuineIntel', core.INTEL),
        ('AuthenticAMD', core.AMD),
        ('Hygon', None),
        (None, None),
        (42, None),
    ],
)
def test_vendor_from_cpu_info(name, vendor):
    assert core.vendor_from_cpu_info(name) == vendor


def test_guest_context_resolves_devices_and_reports_unknown_aliases():
    platform = core.Platform(core.Q35, core.UEFI, {'h100': 128 * GIB})
    context = core.guest_context(
        4096, {ALIAS: 'h100:2,a100:1,a100:1'}, platform
    )
    assert context.devices == (('h100', 128 * GIB), ('h100', 128 * GIB))
    assert context.bars == (128 * GIB, 128 * GIB)
    assert context.unknown_aliases == ('a100',)
    assert context.alias_error is None
    codes = [f.code for f in core.device_findings(context)]
    assert codes == ['device-bar-unknown']
    # BIOS: SeaBIOS's placement is modelled too, so sizes matter there
    bios = core.guest_context(4096, {ALIAS: 'a100:1'}, core.Platform())
    codes = [f.code for f in core.device_findings(bios)]
    assert codes == ['device-bar-unknown']


def test_a_malformed_alias_is_reported_not_raised():
    platform = core.Platform(core.Q35, core.UEFI)
    context = core.guest_context(4096, {ALIAS: 'h100'}, platform)
    assert context.devices == () and 'not name:count' in context.alias_error
    assert [f.code for f in core.device_findings(context)] == [
        'pci-alias-unreadable'
    ]


# The measured facts (tests/facts.py).
GPU = core.guest_context(
    facts.GPU_RAM_MIB,
    {ALIAS: f'h100:{facts.GPU_COUNT}'},
    core.Platform(core.Q35, core.UEFI, {'h100': facts.H100_BAR}),
)


def test_the_four_gpu_guest_needs_43_bits():
    assert not GPU.boots(facts.GPU_FAILS)
    assert GPU.boots(facts.GPU_NEEDS) and GPU.boots(46)
    found = core.width_finding(GPU, facts.GPU_FAILS)
    assert found.code == 'devices-lose-bars'
    assert found.message.endswith(f': use {facts.GPU_NEEDS} bits')
    assert core.width_finding(GPU, facts.GPU_NEEDS) is None


def test_a_small_q35_guest_needs_36_bits_and_pc_35():
    ram, fails = facts.SMALL_RAM_MIB, facts.SMALL_Q35_FAILS
    q35 = core.guest_context(ram, {}, core.Platform(core.Q35))
    pc = core.guest_context(ram, {}, core.Platform())
    found = core.width_finding(q35, fails)
    assert found.code == 'qemu-does-not-start'
    assert found.message.endswith(
        f'so the guest does not boot: use {facts.SMALL_Q35_NEEDS} bits'
    )
    assert core.width_finding(pc, fails) is None


def test_vendor_none_is_the_stricter_of_intel_and_amd():
    intel, amd = facts.AMD_HOLE_INTEL_NEEDS, facts.AMD_HOLE_AMD_NEEDS
    near_1tib = core.guest_context(facts.AMD_HOLE_RAM_MIB, {}, core.Platform())
    assert near_1tib.boots(intel, core.INTEL)
    assert not near_1tib.boots(intel, core.AMD)
    assert not near_1tib.boots(intel)
    vendor, verdict = near_1tib.judge(intel)
    assert vendor == core.AMD and not verdict.starts
    assert near_1tib.min_bits() == amd
    assert near_1tib.min_bits(vendor=core.INTEL) == intel


@given(
    st.integers(256, 8 << 20),
    st.sampled_from(core.MACHINE_TYPES),
    st.sampled_from(core.FIRMWARES),
    st.integers(0, 8),
    st.integers(core.MIN_BITS, core.MAX_BITS),
)
def test_width_finding_agrees_with_the_model(ram, machine, firmware, n, bits):
    platform = core.Platform(machine, firmware, {'gpu': 64 * GIB})
    context = core.guest_context(
        ram, {ALIAS: f'gpu:{n}'} if n else {}, platform
    )
    found = core.width_finding(context, bits)
    assert (found is None) == context.boots(bits)
    assert context.boots(bits) == all(
        context.boots(bits, v) for v in (core.INTEL, core.AMD)
    )
    if found is not None and found.message.endswith(' bits'):
        named = int(found.message.rsplit('use ', 1)[1].split()[0])
        assert context.boots(named) and named > bits


def test_layout_lists_every_region():
    vendor, verdict, regions = core.layout(GPU, 42)
    names = [r.region for r in regions]
    assert names[:3] == [
        'RAM below 4 GiB',
        'RAM above 4 GiB',
        '64-bit PCI hole (q35)',
    ]
    assert names[3].startswith('firmware 64-bit PCI window')
    assert names[4:8] == ['BAR of h100'] * 4
    assert names[8] == 'address space (2^42)' and regions[8].size == 1 << 42
    assert not verdict.boots
    assert sum(r.size for r in regions[:2]) == 512 * GIB  # the RAM
    bios = core.guest_context(2048, {}, core.Platform())
    _, _, plain = core.layout(bios, 40)
    assert not any('firmware' in r.region for r in plain)  # no BARs


def test_layout_shows_where_each_seabios_version_puts_the_bars():
    platform = core.Platform(core.Q35, device_bars={'gpu': 64 * GIB})
    context = core.guest_context(40 * 1024, {ALIAS: 'gpu:2'}, platform)
    _, verdict, regions = core.layout(context, 41, core.INTEL)
    assert verdict.boots
    bars = {
        r.region: (r.start, r.size) for r in regions if 'SeaBIOS' in r.region
    }
    assert bars == {
        # 1.16.2: the RAM's end (42 GiB) aligned up to the BAR
        'firmware 64-bit BARs (SeaBIOS 1.16.2 and older: above RAM: it '
        'ignores phys-bits)': (64 * GIB, 128 * GIB),
        # 1.16.3 and 1.17.0: 2 TiB less 129 GiB padded to 256 GiB
        'firmware 64-bit BARs (SeaBIOS 1.16.3: from the top of 2^41)': (
            1792 * GIB,
            128 * GIB,
        ),
        'firmware 64-bit BARs (SeaBIOS 1.17.0 and later: from the top of '
        '2^41)': (1792 * GIB, 128 * GIB),
    }
    named = dataclasses.replace(platform, seabios=(1, 16, 2))
    one = core.guest_context(40 * 1024, {ALIAS: 'gpu:2'}, named)
    _, _, regions = core.layout(one, 41, core.INTEL)
    assert sum('SeaBIOS' in r.region for r in regions) == 1
