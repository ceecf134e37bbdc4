"""The targets of a move: tables over small inventories."""

import dataclasses

from osc_maxphysaddr import core
from tests import facts

EMU = core.MODE_TRAITS[core.EMULATE]
PT = core.MODE_TRAITS[core.PASSTHROUGH]
BOTH = frozenset({EMU, PT})
INTEL = ('Intel', 'Cascadelake-Server-noTSX')
INTEL_OTHER = ('Intel', 'Icelake-Server')
AMD = ('AMD', 'EPYC-Milan')
NO_CPU = (None, None)


def emulate_specs(bits):
    return {
        core.MODE_KEY: core.EMULATE,
        core.BITS_KEY: str(bits),
        core.TRAIT_KEYS[core.EMULATE]: core.REQUIRED,
    }


def emulate(bits, ram=4096, platform=None):
    return core.server_verdict(emulate_specs(bits), None, ram, platform)


def unjudged(bits, ram):
    """An emulated guest whose status was made without its RAM: only the
    targets judge it by the model, host by host."""
    specs = emulate_specs(bits)
    config = core.server_verdict(specs)
    context = core.guest_context(ram, specs, core.Platform())
    requirement = dataclasses.replace(
        config.requirement, context=context, _judged={}
    )
    return dataclasses.replace(
        config, requirement=requirement, context=context
    )


PASSTHROUGH = core.server_verdict(
    {
        core.MODE_KEY: core.PASSTHROUGH,
        core.TRAIT_KEYS[core.PASSTHROUGH]: core.REQUIRED,
    }
)


def host(bits, traits=BOTH, state='up', status='enabled', cpu=INTEL):
    vendor = core.vendor_from_cpu_info(cpu[0])
    return core.Host(bits, frozenset(traits), state, status, vendor, *cpu)


def targets(config, hosts, current):
    """The positions of the targets of a guest on ``hosts[current]``."""
    at = None if current is None else hosts[current]
    reach = core.Finder(hosts).reach(config, at)
    if reach is None:
        return None
    return [hosts.index(h) for h in reach.first(len(hosts))]


def test_a_host_of_unknown_vendor_is_judged_as_the_stricter_of_both():
    # 1,010 GiB of RAM reaches AMD's HyperTransport hole at 1012 GiB.
    ram = 1010 * 1024
    context = core.guest_context(ram, emulate_specs(40), core.Platform())
    assert context.boots(40, core.INTEL)
    assert not context.boots(40, core.AMD)
    cpus = [INTEL, INTEL, ('Hygon', 'Dhyana'), AMD]
    hosts = [host(46, cpu=cpu) for cpu in cpus]
    assert targets(unjudged(40, ram), hosts, 0) == [1]


def test_the_platform_decides_whether_the_guest_boots():
    # A 2 GiB guest boots at 35 bits on pc, needs 36 on q35.
    ram, fails = facts.SMALL_RAM_MIB, facts.SMALL_Q35_FAILS
    hosts = [host(46), host(46)]
    assert targets(emulate(fails, ram), hosts, 0) == [1]
    q35 = emulate(fails, ram, core.Platform(machine=core.Q35))
    assert [f.code for f in q35.findings] == ['qemu-does-not-start']
    assert targets(q35, hosts, 0) == []
    on_q35 = emulate(facts.SMALL_Q35_NEEDS, ram, q35.context.platform)
    assert targets(on_q35, hosts, 0) == [1]


def test_on_host_passthrough_cpus_the_guest_boots_at_each_hosts_width():
    # An emulate 35 guest of 2 GiB on q35 gets its host's width there.
    platform = core.Platform(core.Q35, cpu_mode=core.HOST_PASSTHROUGH)
    config = emulate(35, 2048, platform)
    assert not config.is_error
    assert [f.code for f in config.findings] == ['emulate-width-follows-host']
    # at 35 bits (its host's) it does not boot; without a width neither
    hosts = [host(46), host(36), host(35), host(None)]
    assert targets(config, hosts, 0) == [1]
    assert config.width_on(46) == 46


def test_device_bars_come_from_the_flavors_aliases():
    gpu = core.Platform(core.Q35, core.UEFI, {'h100': facts.H100_BAR})
    alias = {core.PCI_ALIAS_KEY: f'h100:{facts.GPU_COUNT}'}
    specs = {**emulate_specs(facts.GPU_FAILS), **alias}
    config = core.server_verdict(specs, None, facts.GPU_RAM_MIB, gpu)
    assert config.context.bars == (facts.H100_BAR,) * facts.GPU_COUNT
    assert [f.code for f in config.findings] == ['devices-lose-bars']
    hosts = [host(46), host(46)]
    assert targets(config, hosts, 0) == []
    specs = {**emulate_specs(facts.GPU_NEEDS), **alias}
    config = core.server_verdict(specs, None, facts.GPU_RAM_MIB, gpu)
    assert config.status == 'ok'
    assert targets(config, hosts, 0) == [1]


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
    assert targets(emulate(42), hosts, 0) == [1, 2, 8]


def test_emulate_skips_hosts_where_the_guest_does_not_boot():
    # 1,010 GiB at 40 bits starts on Intel, not on AMD (moved above 1 TiB).
    ram = 1010 * 1024
    hosts = [host(46, cpu=cpu) for cpu in (INTEL, AMD, INTEL)]
    # Diagnosed with its RAM the configuration is an error (the status
    # takes the stricter vendor, as flavor show does): see
    # test_broken_configurations_have_no_target. Without it, the targets
    # still judge each host with its own vendor.
    assert emulate(40, ram).is_error
    assert targets(unjudged(40, ram), hosts, 0) == [2]


def test_passthrough_needs_exactly_the_width_and_the_same_cpu():
    hosts = [
        host(46),  # 0: current
        host(46),  # 1: target
        host(48),  # 2: wider: the guest's width would change
        host(46, cpu=INTEL_OTHER),  # 3: other model
        host(46, cpu=AMD),  # 4: other vendor
        host(46, traits={EMU}),  # 5: no PASSTHROUGH
        host(46, state='down'),  # 6
        host(46, traits={PT}),  # 7: target
    ]
    assert targets(PASSTHROUGH, hosts, 0) == [1, 7]


def test_passthrough_on_a_host_without_width_or_cpu_has_no_target():
    hosts = [host(None), host(None), host(46, cpu=NO_CPU)]
    hosts.append(host(46, cpu=NO_CPU))
    assert targets(PASSTHROUGH, hosts, 0) == []
    assert targets(PASSTHROUGH, hosts, 2) == []


def test_a_guest_on_no_host_can_go_to_any_host_that_takes_it():
    hosts = [
        host(46),
        host(40, traits={EMU}),
        host(39, traits={PT}, cpu=AMD),
        host(None),  # both traits, no width: a Nova 28 compute
    ]
    assert targets(PASSTHROUGH, hosts, None) == [0, 2]
    assert targets(emulate(40), hosts, None) == [0, 1]


def test_passthrough_on_a_host_missing_from_the_inventory_has_none():
    hosts = [host(46), host(46)]
    reach = core.Finder(hosts).reach(PASSTHROUGH, None, True)
    assert reach.count == 0
    # An emulated guest's width is its own: it can go anywhere that fits.
    reach = core.Finder(hosts).reach(emulate(42), None, True)
    assert reach.first(2) == hosts


def test_broken_configurations_have_no_target():
    hosts = [host(46), host(46)]
    broken = [
        # (configuration, its finding codes)
        (
            core.server_verdict({core.MODE_KEY: core.EMULATE}),
            ['emulate-without-bits'],
        ),
        (core.server_verdict({core.MODE_KEY: 'emulated'}), ['invalid-mode']),
        (
            core.server_verdict(
                {core.MODE_KEY: core.PASSTHROUGH, core.BITS_KEY: '42'}
            ),
            ['passthrough-with-bits'],
        ),
        (emulate(32, ram=8192), ['qemu-does-not-start']),
        (
            core.server_verdict(
                {core.MODE_KEY: core.EMULATE, core.BITS_KEY: '42'},
                {'hw_maxphysaddr_mode': 'passthrough'},
            ),
            ['flavor-image-mode-conflict'],
        ),
    ]
    for config, codes in broken:
        assert [f.code for f in config.findings] == codes
        assert config.is_error, config.status
        reach = core.Finder(hosts).reach(config, hosts[0])
        assert reach is not None and reach.count == 0


def test_unconfigured_and_unknown_traits_give_no_answer():
    unknown = [core.Host(46, None), core.Host(46, None)]
    assert core.Finder(unknown).reach(emulate(40), unknown[0]) is None
    plain = core.server_verdict({'hw:cpu_policy': 'dedicated'})
    assert not plain.configured
    known = [host(46), host(46)]
    assert core.Finder(known).reach(plain, known[0]) is None


def test_the_image_fills_in_what_the_flavor_leaves_unset():
    config = core.server_verdict(
        {}, {'hw_maxphysaddr_mode': 'emulate', 'hw_maxphysaddr_bits': 42}
    )
    assert config.configured and not config.is_error
    assert (config.mode, config.bits) == ('emulate', 42)
    same = core.server_verdict(
        {core.MODE_KEY: core.PASSTHROUGH},
        {'hw_maxphysaddr_mode': 'passthrough'},
    )
    assert not same.is_error and same.mode == core.PASSTHROUGH


def test_modes_are_compared_raw_and_bits_never():
    # hardware.get_maxphysaddr_mode: FlavorImageConflict on any difference
    spaced = core.server_verdict(
        emulate_specs(42), {'hw_maxphysaddr_mode': 'emulate '}
    )
    assert spaced.is_error and 'FlavorImageConflict' in spaced.status
    assert targets(spaced, [host(46), host(46)], 0) == []
    # the libvirt driver takes the flavor's bits, then the image's
    differ = core.server_verdict(
        emulate_specs(42), {'hw_maxphysaddr_bits': '40'}, 4096
    )
    assert not differ.is_error and differ.bits == 42
    assert 'FlavorImageConflict' not in differ.status
    assert targets(differ, [host(46), host(46)], 0) == [1]


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
                config = core.server_verdict(
                    specs, props, 512 * 1024, platform
                )
                context = core.guest_context(512 * 1024, specs, platform)
                pair = core.diagnose_pair(specs, props, context=context)
                assert config.findings == pair.findings
                assert (config.mode, config.bits) == (pair.mode, pair.bits)
                assert config.status == pair.status
                assert config.context == pair.context


def test_a_volume_backed_server_is_judged_by_its_flavor_with_a_warning():
    config = core.server_verdict(emulate_specs(42), None, 4096, None, False)
    assert not config.is_error
    assert [f.code for f in config.findings] == ['image-not-visible']


def test_guest_bits_are_the_flavors_or_the_hosts():
    assert emulate(42).width_on(46) == 42
    assert PASSTHROUGH.width_on(46) == 46
    assert PASSTHROUGH.width_on(None) is None
    follows = emulate(42, 4096, core.Platform(cpu_mode='host-passthrough'))
    assert follows.width_on(46) == 46
