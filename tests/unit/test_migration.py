"""The targets of a move: tables over small inventories, and properties."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from osc_maxphysaddr import core
from osc_maxphysaddr.core import migration

EMU = core.MODE_TRAITS[core.EMULATE]
PT = core.MODE_TRAITS[core.PASSTHROUGH]
BOTH = frozenset({EMU, PT})
INTEL = migration.Cpu('Intel', 'Cascadelake-Server-noTSX')
INTEL_OTHER = migration.Cpu('Intel', 'Icelake-Server')
AMD = migration.Cpu('AMD', 'EPYC-Milan')


def emulate_specs(bits):
    return {
        core.MODE_KEY: core.EMULATE,
        core.BITS_KEY: str(bits),
        core.TRAIT_KEYS[core.EMULATE]: core.REQUIRED,
    }


def emulate(bits, ram=4096, platform=None):
    return core.configuration(emulate_specs(bits), None, ram, platform)


def unjudged(bits, ram):
    """An emulated guest whose status was made without its RAM: only the
    targets judge it by the model, host by host."""
    specs = emulate_specs(bits)
    return migration.Configuration(
        core.configuration(specs).verdict,
        core.guest_context(ram, specs, core.Platform()),
    )


PASSTHROUGH = core.configuration(
    {
        core.MODE_KEY: core.PASSTHROUGH,
        core.TRAIT_KEYS[core.PASSTHROUGH]: core.REQUIRED,
    }
)


def host(bits, traits=BOTH, state='up', status='enabled', cpu=None):
    vendor = None if cpu is None else core.vendor_from_cpu_info(cpu.vendor)
    return core.Host(bits, frozenset(traits), state, status, vendor)


def targets(config, hosts, cpus, current):
    reach = core.Finder(hosts, cpus).reach(config, current)
    return None if reach is None else reach.first(len(hosts))


def test_a_host_of_unknown_vendor_is_judged_as_the_stricter_of_both():
    # 1,010 GiB of RAM reaches AMD's HyperTransport hole at 1012 GiB.
    ram = 1010 * 1024
    context = core.guest_context(ram, emulate_specs(40), core.Platform())
    assert context.boots(40, core.INTEL)
    assert not context.boots(40, core.AMD)
    cpus = [INTEL, INTEL, migration.Cpu('Hygon', 'Dhyana'), AMD]
    hosts = [host(46, cpu=cpu) for cpu in cpus]
    assert targets(unjudged(40, ram), hosts, cpus, 0) == [1]


def test_the_platform_decides_whether_the_guest_boots():
    # A 2 GiB guest boots at 35 bits on pc, needs 36 on q35.
    hosts = [host(46, cpu=INTEL), host(46, cpu=INTEL)]
    cpus = [INTEL, INTEL]
    assert targets(emulate(35, 2048), hosts, cpus, 0) == [1]
    q35 = emulate(35, 2048, core.Platform(machine=core.Q35))
    assert q35.is_error and 'use 36 bits' in q35.status
    assert targets(q35, hosts, cpus, 0) == []
    assert targets(
        emulate(36, 2048, q35.context.platform), hosts, cpus, 0
    ) == [1]


def test_device_bars_come_from_the_flavors_aliases():
    gpu = core.Platform(core.Q35, core.UEFI, {'h100': 128 << 30})
    specs = {**emulate_specs(42), core.PCI_ALIAS_KEY: 'h100:4'}
    config = core.configuration(specs, None, 512 * 1024, gpu)
    assert config.context.bars == (128 << 30,) * 4
    assert config.is_error and 'use 43 bits' in config.status
    hosts = [host(46, cpu=INTEL), host(46, cpu=INTEL)]
    assert targets(config, hosts, [INTEL, INTEL], 0) == []
    specs = {**emulate_specs(43), core.PCI_ALIAS_KEY: 'h100:4'}
    config = core.configuration(specs, None, 512 * 1024, gpu)
    assert config.status == 'ok'
    assert targets(config, hosts, [INTEL, INTEL], 0) == [1]


def test_emulate_needs_the_trait_at_least_the_bits_up_and_enabled():
    hosts = [
        host(42),  # 0: current
        host(42),  # 1: target
        host(46),  # 2: target
        host(40),  # 3: too narrow
        host(48, traits={PT}),  # 4: no EMULATED
        host(48, state='down'),  # 5
        host(48, status='disabled'),  # 6
        host(None),  # 7: reports no width
        host(52, traits={EMU}),  # 8: target
    ]
    cpus = [INTEL] * len(hosts)
    assert targets(emulate(42), hosts, cpus, 0) == [1, 2, 8]


def test_emulate_skips_hosts_where_the_guest_does_not_boot():
    # 1,010 GiB at 40 bits starts on Intel, not on AMD (moved above 1 TiB).
    ram = 1010 * 1024
    cpus = [INTEL, AMD, INTEL]
    hosts = [host(46, cpu=cpu) for cpu in cpus]
    # Diagnosed with its RAM the configuration is an error (the status
    # takes the stricter vendor, as flavor show does): see
    # test_broken_configurations_have_no_target. Without it, the targets
    # still judge each host with its own vendor.
    assert emulate(40, ram).is_error
    assert targets(unjudged(40, ram), hosts, cpus, 0) == [2]


def test_passthrough_needs_exactly_the_width_and_the_same_cpu():
    hosts = [
        host(46),  # 0: current
        host(46),  # 1: target
        host(48),  # 2: wider: the guest's width would change
        host(46),  # 3: other model
        host(46),  # 4: other vendor
        host(46, traits={EMU}),  # 5: no PASSTHROUGH
        host(46, state='down'),  # 6
        host(46, traits={PT}),  # 7: target
    ]
    cpus = [INTEL, INTEL, INTEL, INTEL_OTHER, AMD, INTEL, INTEL, INTEL]
    assert targets(PASSTHROUGH, hosts, cpus, 0) == [1, 7]


def test_passthrough_on_a_host_without_width_or_cpu_has_no_target():
    hosts = [host(None), host(None), host(46), host(46)]
    cpus = [INTEL, INTEL, migration.Cpu(None, None), migration.Cpu(None, None)]
    assert targets(PASSTHROUGH, hosts, cpus, 0) == []
    assert targets(PASSTHROUGH, hosts, cpus, 2) == []


def test_a_guest_on_no_host_can_go_to_any_host_of_its_mode():
    hosts = [host(46), host(40, traits={EMU}), host(39, traits={PT})]
    cpus = [INTEL, INTEL, AMD]
    assert targets(PASSTHROUGH, hosts, cpus, None) == [0, 2]
    assert targets(emulate(40), hosts, cpus, None) == [0, 1]


def test_passthrough_on_a_host_missing_from_the_inventory_has_none():
    hosts = [host(46), host(46)]
    cpus = [INTEL, INTEL]
    reach = core.Finder(hosts, cpus).reach(PASSTHROUGH, None, True)
    assert reach.count == 0
    # An emulated guest's width is its own: it can go anywhere that fits.
    reach = core.Finder(hosts, cpus).reach(emulate(42), None, True)
    assert reach.first(2) == [0, 1]


def test_broken_configurations_have_no_target():
    hosts = [host(46), host(46)]
    cpus = [INTEL, INTEL]
    broken = [
        core.configuration({core.MODE_KEY: core.EMULATE}),  # no bits
        core.configuration({core.MODE_KEY: 'emulated'}),
        core.configuration(
            {core.MODE_KEY: core.PASSTHROUGH, core.BITS_KEY: '42'}
        ),
        emulate(32, ram=8192),  # RAM guard: does not boot at 32 bits
        core.configuration(
            {core.MODE_KEY: core.EMULATE, core.BITS_KEY: '42'},
            {'hw_maxphysaddr_mode': 'passthrough'},
        ),
    ]
    for config in broken:
        assert config.is_error, config.status
        assert config.status.startswith('error: ')
        reach = core.Finder(hosts, cpus).reach(config, 0)
        assert reach is not None and reach.count == 0


def test_unconfigured_and_unknown_traits_give_no_answer():
    cpus = [INTEL, INTEL]
    unknown = [core.Host(46, None), core.Host(46, None)]
    assert core.Finder(unknown, cpus).reach(emulate(40), 0) is None
    plain = core.configuration({'hw:cpu_policy': 'dedicated'})
    assert not plain.configured
    known = [host(46), host(46)]
    assert core.Finder(known, cpus).reach(plain, 0) is None


def test_the_image_fills_in_what_the_flavor_leaves_unset():
    config = core.configuration(
        {}, {'hw_maxphysaddr_mode': 'emulate', 'hw_maxphysaddr_bits': 42}
    )
    assert config.configured and not config.is_error
    assert (config.mode, config.bits) == ('emulate', 42)
    same = core.configuration(
        {core.MODE_KEY: core.PASSTHROUGH},
        {'hw_maxphysaddr_mode': 'passthrough'},
    )
    assert not same.is_error and same.mode == core.PASSTHROUGH


def test_modes_are_compared_raw_and_bits_never():
    # hardware.get_maxphysaddr_mode: FlavorImageConflict on any difference
    spaced = core.configuration(
        emulate_specs(42), {'hw_maxphysaddr_mode': 'emulate '}
    )
    assert spaced.is_error and 'FlavorImageConflict' in spaced.status
    assert targets(spaced, [host(46), host(46)], [INTEL, INTEL], 0) == []
    # the libvirt driver takes the flavor's bits, then the image's
    differ = core.configuration(
        emulate_specs(42), {'hw_maxphysaddr_bits': '40'}, 4096
    )
    assert not differ.is_error and differ.bits == 42
    assert 'FlavorImageConflict' not in differ.status
    assert targets(differ, [host(46), host(46)], [INTEL, INTEL], 0) == [1]


def test_a_server_gets_its_pairs_verdict():
    gpu = core.Platform(core.Q35, core.UEFI, {'h100': 128 << 30})
    flavors = [
        emulate_specs(42),
        {**emulate_specs(42), core.PCI_ALIAS_KEY: 'h100:4'},
        {core.MODE_KEY: core.PASSTHROUGH},
        {},
    ]
    images = [
        {},
        {'hw_maxphysaddr_mode': 'passthrough'},
        {'hw_maxphysaddr_bits': 44, 'hw_architecture': 'x86_64'},
        {'hw_maxphysaddr_mode': 'emulate', 'hw_maxphysaddr_bits': '46'},
    ]
    for specs in flavors:
        for props in images:
            for platform in (core.Platform(), gpu):
                config = core.configuration(specs, props, 512 * 1024, platform)
                context = core.guest_context(512 * 1024, specs, platform)
                pair = core.diagnose_pair(specs, props, context=context)
                assert config.verdict == pair
                assert (config.mode, config.bits) == (pair.mode, pair.bits)
                assert config.status == pair.status


def test_guest_bits_are_the_flavors_or_the_hosts():
    assert core.guest_bits(emulate(42), 46) == 42
    assert core.guest_bits(PASSTHROUGH, 46) == 46
    assert core.guest_bits(PASSTHROUGH, None) is None


def test_finder_refuses_lists_of_different_lengths():
    with pytest.raises(ValueError):
        core.Finder([host(46)], [])


_hosts = st.lists(
    st.tuples(
        st.sampled_from([None, 39, 40, 42, 46, 48]),
        st.sampled_from(
            [frozenset(), frozenset({EMU}), frozenset({PT}), BOTH]
        ),
        st.sampled_from(['up', 'down']),
        st.sampled_from(['enabled', 'disabled']),
        st.sampled_from([INTEL, INTEL_OTHER, AMD, migration.Cpu(None, None)]),
    ),
    min_size=1,
    max_size=12,
)


@given(
    _hosts,
    st.sampled_from(['emulate', 'passthrough']),
    st.sampled_from([39, 40, 42, 46]),
    st.sampled_from([2048, 65536, 1010 * 1024]),
    st.data(),
)
def test_finder_agrees_with_the_rules_host_by_host(
    rows, mode, bits, ram, data
):
    hosts = [host(b, t, s, u, c) for b, t, s, u, c in rows]
    cpus = [row[4] for row in rows]
    current = data.draw(st.sampled_from([None, *range(len(hosts))]))
    config = unjudged(bits, ram) if mode == 'emulate' else PASSTHROUGH
    finder = core.Finder(hosts, cpus)
    # Ask twice: the second answer comes from the cache.
    finder.reach(config, current)
    reach = finder.reach(config, current)
    if config.is_error:
        assert reach.count == 0
        return

    def rule(i):
        h, cpu = hosts[i], cpus[i]
        if i == current or not h.available:
            return False
        if mode == 'emulate':
            return (
                EMU in h.traits
                and h.bits is not None
                and h.bits >= bits
                and config.context.boots(bits, h.vendor)
            )
        if PT not in h.traits:
            return False
        if current is None:
            return True
        mine = hosts[current].bits, cpus[current]
        return (
            mine[0] is not None
            and mine[1].vendor is not None
            and mine[1].model is not None
            and (h.bits, cpu) == mine
        )

    want = [i for i in range(len(hosts)) if rule(i)]
    assert reach.first(len(hosts)) == want
    assert reach.count == len(want)
