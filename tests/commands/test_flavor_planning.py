"""Capacity planning: flavor maxphysaddr list, --bits auto, the model."""

import os_traits
import pytest

from osc_maxphysaddr import core
from tests import facts
from tests.commands.conftest import hostnames
from tests.emulation import seed

E = os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
P = os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH
TIB_MIB = 1 << 20


def flavor_list(cloud, *args):
    return cloud.run('flavor', 'maxphysaddr', 'list', '-f', 'json', *args)


def configure(cloud, name, specs):
    cloud.state.flavor_by_name(name).extra_specs.update(specs)


def test_list_shows_configured_flavors_with_status_and_hosts(known_cloud):
    cloud = known_cloud
    configure(cloud, 'm1.large', core.Config('emulate', 42).extra_specs())
    configure(cloud, 'm1.medium', core.Config('passthrough').extra_specs())
    configure(cloud, 'private.xl', {core.BITS_KEY: '42'})
    result = flavor_list(cloud)
    assert result.code == 0, result.err
    rows = {row['Name']: row for row in result.json()}
    assert set(rows) == {'m1.large', 'm1.medium', 'private.xl'}
    # the hosts: conftest.KNOWN_HOSTS
    assert rows['m1.large'] == {
        'ID': '4',
        'Name': 'm1.large',
        'RAM': 8192,
        'Mode': 'emulate',
        'Bits': 42,
        'Status': 'ok',
        'Hosts': len(hostnames(1, 2)),
    }
    assert rows['m1.medium']['Hosts'] == len(hostnames(2, 4))
    assert rows['private.xl']['Status'] == (
        'error: hw:maxphysaddr_bits is set without hw:maxphysaddr_mode: the '
        "guest keeps QEMU's default width, yet Nova still filters hosts by "
        'the bits'
    )
    assert rows['private.xl']['Hosts'] is None

    everything = flavor_list(cloud, '--all', '--long').json()
    assert len(everything) == len(cloud.state.flavors)
    small = next(r for r in everything if r['Name'] == 'm1.small')
    assert small['Status'] == 'not configured'
    large = next(r for r in everything if r['Name'] == 'm1.large')
    assert large['Required Traits'] == [E]
    assert large['Capabilities'] == '>= 42'


def test_a_flavor_no_host_can_take_is_flagged(cloud):
    seed.add_flavor(
        cloud.state,
        'wide',
        ram=4096,
        vcpus=1,
        disk=1,
        flavor_id='wide',
        extra_specs=core.Config('emulate', 52).extra_specs(),
    )
    for hyp in cloud.state.hypervisors:  # nobody reports 52 bits now
        if isinstance(hyp.cpu_info, dict) and 'maxphysaddr' in hyp.cpu_info:
            hyp.cpu_info['maxphysaddr']['bits'] = 46
    cloud.state.hypervisor_changed()
    result = flavor_list(cloud)
    assert result.code == 0, result.err
    assert result.json()[0]['Hosts'] == 0
    assert 'No hypervisor can take these flavors now: wide (wide)' in (
        result.err
    )


def test_list_request_budget_is_one_listing_of_each(make_cloud):
    # Pages of 5: 12 flavors and 12 hypervisors take 3 pages each.
    cloud = make_cloud(n_hypervisors=12, n_flavors=8, max_limit=5)
    for i, flavor in enumerate(cloud.state.flavors.values()):
        if i % 3 == 0:
            flavor.extra_specs.update(
                core.Config('emulate', 40 + i % 9).extra_specs()
            )
    result = flavor_list(cloud)
    assert result.code == 0, result.err
    assert sorted(r['Name'] for r in result.json()) == sorted(
        f.name
        for f in cloud.state.flavors.values()
        if f.extra_specs.get(core.MODE_KEY)
    )
    routes = [r.route for r in cloud.log.select('compute')]
    assert routes.count('/flavors/detail') == 3
    assert routes.count('/os-hypervisors/detail') == 3
    assert len(routes) == 6  # nothing per flavor
    assert cloud.log.count('placement') == 2


def test_list_on_a_pre_2_61_cloud_reads_specs_per_flavor(make_cloud):
    cloud = make_cloud(compute_max_version='2.60')
    configure(cloud, 'm1.large', core.Config('passthrough').extra_specs())
    result = flavor_list(cloud)
    assert result.code == 0, result.err
    assert [r['Name'] for r in result.json()] == ['m1.large']
    spec_reads = [
        r
        for r in cloud.log.select('compute')
        if r.route.endswith('/os-extra_specs')
    ]
    assert len(spec_reads) == len(cloud.state.flavors)


def test_list_check_exits_1_naming_only_the_broken_flavors(cloud):
    configure(cloud, 'm1.large', core.Config('emulate', 46).extra_specs())
    configure(cloud, 'm1.medium', {core.MODE_KEY: 'Emulate'})
    configure(cloud, 'm1.small', {core.BITS_KEY: '42', core.MODE_KEY: ''})
    plain = flavor_list(cloud)
    checked = flavor_list(cloud, '--check')
    assert plain.code == 0, plain.err
    assert checked.code == 1
    assert checked.out == plain.out
    statuses = {row['Name']: row['Status'] for row in checked.json()}
    assert statuses == {
        name: core.diagnose(cloud.specs(name)).status
        for name in ('m1.small', 'm1.medium', 'm1.large')
    }
    assert (
        'Flavors with an error status: m1.small (2), m1.medium (3)'
        in checked.err.splitlines()
    )


def test_list_check_exits_0_when_no_flavor_is_broken(cloud):
    configure(cloud, 'm1.large', core.Config('emulate', 46).extra_specs())
    configure(
        cloud, 'm1.medium', {core.MODE_KEY: 'passthrough', core.BITS_KEY: '4'}
    )
    # an error on a flavor that is not shown does not count
    assert flavor_list(cloud, '--check').code == 1
    cloud.state.flavor_by_name('m1.medium').extra_specs.clear()
    result = flavor_list(cloud, '--check')
    assert result.code == 0, result.err
    assert [row['Status'] for row in result.json()] == ['ok']


def set_(cloud, *args):
    return cloud.run('flavor', 'maxphysaddr', 'set', *args)


def test_bits_auto_picks_the_lowest_width_of_eligible_hosts(make_cloud):
    cloud = make_cloud(n_hypervisors=0)
    seed.add_hypervisor(
        cloud.state, 1, cpu_info=seed.libvirt_cpu_info(46), traits={E}
    )
    seed.add_hypervisor(
        cloud.state, 2, cpu_info=seed.libvirt_cpu_info(43), traits={E}
    )
    # not eligible: no trait, down, disabled, no width reported
    seed.add_hypervisor(
        cloud.state, 3, cpu_info=seed.libvirt_cpu_info(39), traits={P}
    )
    seed.add_hypervisor(
        cloud.state,
        4,
        cpu_info=seed.libvirt_cpu_info(40),
        traits={E},
        state_='down',
    )
    seed.add_hypervisor(
        cloud.state,
        5,
        cpu_info=seed.libvirt_cpu_info(41),
        traits={E},
        status='disabled',
    )
    seed.add_hypervisor(
        cloud.state, 6, cpu_info=seed.libvirt_cpu_info(None), traits={E}
    )
    result = set_(cloud, 'm1.large', '--mode', 'emulate', '--bits', 'auto')
    assert result.code == 0, result.err
    assert cloud.specs('m1.large')[core.BITS_KEY] == '43'
    assert (
        '--bits auto: 43 bits for flavor m1.large (4); 2 up, enabled '
        'hypervisors can take it.'
    ) in result.err
    assert cloud.log.count('placement') == 2


def test_bits_auto_without_any_reporting_host_fails_clearly(make_cloud):
    cloud = make_cloud(n_hypervisors=0)
    seed.add_hypervisor(
        cloud.state, 1, cpu_info=seed.libvirt_cpu_info(None), traits={E}
    )
    result = set_(cloud, 'm1.large', '--mode', 'emulate', '--bits', 'auto')
    assert result.code == 1
    assert '--bits auto needs at least one up, enabled hypervisor' in (
        result.err
    )
    assert cloud.writes() == []


def add_big_flavor(cloud, ram_mib=TIB_MIB, **kwargs):
    seed.add_flavor(
        cloud.state,
        'huge',
        ram=ram_mib,
        vcpus=64,
        disk=10,
        flavor_id='huge',
        **kwargs,
    )


# The measured facts: tests/facts.py (m1.small has 2 GiB of RAM).
SMALL_Q35_FAILS = str(facts.SMALL_Q35_FAILS)
SMALL_Q35_NEEDS = str(facts.SMALL_Q35_NEEDS)
AMD_HOLE_MIB = facts.AMD_HOLE_RAM_MIB
INTEL_NEEDS = str(facts.AMD_HOLE_INTEL_NEEDS)
AMD_NEEDS = str(facts.AMD_HOLE_AMD_NEEDS)
AT_35 = ('--mode', 'emulate', '--bits', SMALL_Q35_FAILS)
ON_Q35 = ('--machine-type', 'q35')


def test_set_refuses_a_width_at_which_qemu_does_not_start(cloud):
    before = cloud.specs('m1.large')
    result = set_(cloud, 'm1.small', 'm1.large', *AT_35, *ON_Q35)
    assert result.code == 1
    assert 'flavor m1.small (2): ' in result.err
    assert 'so the guest does not boot' in result.err
    assert f'use {SMALL_Q35_NEEDS} bits' in result.err
    assert 'Nothing was written (--force writes it anyway)' in result.err
    assert cloud.writes() == []  # for neither flavor
    assert cloud.specs('m1.small') == {}
    assert cloud.specs('m1.large') == before


def test_set_accepts_the_same_width_on_pc(cloud):
    result = set_(cloud, 'm1.small', *AT_35)  # Nova's default: pc
    assert result.code == 0, result.err
    assert cloud.specs('m1.small')[core.BITS_KEY] == SMALL_Q35_FAILS
    ok = set_(
        cloud,
        'm1.small',
        '--mode',
        'emulate',
        '--bits',
        SMALL_Q35_NEEDS,
        '--machine-type',
        'q35',
    )
    assert ok.code == 0, ok.err
    assert cloud.specs('m1.small')[core.BITS_KEY] == SMALL_Q35_NEEDS


def test_machine_type_comes_from_clouds_yaml(cloud, tmp_path, monkeypatch):
    global_args = cloud.with_config(
        {'machine_type': 'q35'}, tmp_path, monkeypatch
    )
    args = ('m1.small', *AT_35)
    result = cloud.run(
        'flavor', 'maxphysaddr', 'set', *args, global_args=global_args
    )
    assert result.code == 1
    assert f'use {SMALL_Q35_NEEDS} bits' in result.err
    assert cloud.writes() == []
    # the option wins over clouds.yaml
    result = cloud.run(
        'flavor',
        'maxphysaddr',
        'set',
        *args,
        '--machine-type',
        'pc',
        global_args=global_args,
    )
    assert result.code == 0, result.err
    assert cloud.specs('m1.small')[core.BITS_KEY] == SMALL_Q35_FAILS


def test_force_writes_anyway(cloud):
    result = set_(cloud, 'm1.small', *AT_35, *ON_Q35, '--force')
    assert result.code == 0, result.err
    assert cloud.specs('m1.small')[core.BITS_KEY] == SMALL_Q35_FAILS
    assert 'so the guest does not boot' in result.err  # still said
    assert 'written anyway' in result.err


def test_without_hosts_a_width_must_work_for_amd_too(cloud):
    add_big_flavor(cloud, ram_mib=AMD_HOLE_MIB)
    result = set_(cloud, 'huge', '--mode', 'emulate', '--bits', INTEL_NEEDS)
    assert result.code == 1
    assert f'use {AMD_NEEDS} bits' in result.err
    assert cloud.writes() == []
    ok = set_(cloud, 'huge', '--mode', 'emulate', '--bits', AMD_NEEDS)
    assert ok.code == 0, ok.err


def intel_and_amd(bits, vendor):
    info = seed.libvirt_cpu_info(bits)
    info['vendor'] = vendor
    return info


def test_bits_auto_climbs_until_the_guest_boots_on_every_host(make_cloud):
    cloud = make_cloud(n_hypervisors=0)
    for i, bits in enumerate((40, 40, 46), start=1):
        seed.add_hypervisor(
            cloud.state,
            i,
            cpu_info=intel_and_amd(bits, 'Intel'),
            traits={E},
        )
    add_big_flavor(cloud, ram_mib=AMD_HOLE_MIB)
    result = set_(cloud, 'huge', '--mode', 'emulate', '--bits', 'auto')
    assert result.code == 0, result.err
    assert cloud.specs('huge')[core.BITS_KEY] == INTEL_NEEDS

    # an AMD host, even a down one, is admitted at either width: climb
    seed.add_hypervisor(
        cloud.state,
        4,
        cpu_info=intel_and_amd(46, 'AMD'),
        traits={E},
        state_='down',
    )
    result = set_(cloud, 'huge', '--mode', 'emulate', '--bits', 'auto')
    assert result.code == 0, result.err
    assert cloud.specs('huge')[core.BITS_KEY] == AMD_NEEDS
    assert (
        f'--bits auto: {AMD_NEEDS} bits for flavor huge (huge); 1 up, enabled'
    ) in result.err
    assert cloud.log.count('placement') == 2


def test_bits_auto_refuses_when_no_host_is_wide_enough(make_cloud):
    narrower = facts.AMD_HOLE_INTEL_NEEDS - 1
    cloud = make_cloud(n_hypervisors=0)
    for i in (1, 2):
        seed.add_hypervisor(
            cloud.state,
            i,
            cpu_info=intel_and_amd(narrower, 'Intel'),
            traits={E},
        )
    add_big_flavor(cloud, ram_mib=AMD_HOLE_MIB)
    result = set_(cloud, 'huge', '--mode', 'emulate', '--bits', 'auto')
    assert result.code == 1
    assert f'the guest needs {INTEL_NEEDS} bits' in result.err
    assert f'the widest eligible hypervisor reports {narrower}' in result.err
    assert cloud.writes() == []


def test_a_malformed_device_bar_fails_before_any_request(cloud):
    result = set_(
        cloud,
        'm1.small',
        '--mode',
        'emulate',
        '--bits',
        '42',
        '--device-bar',
        'h100=128X',
    )
    assert result.code == 1
    assert "--device-bar 'h100=128X'" in result.err
    assert 'Traceback' not in result.err
    assert cloud.api_requests() == []


def test_a_malformed_clouds_yaml_size_fails_before_any_request(
    cloud, tmp_path, monkeypatch
):
    global_args = cloud.with_config(
        {'device_bars': {'h100': 'lots'}}, tmp_path, monkeypatch
    )
    result = cloud.run(
        'flavor', 'maxphysaddr', 'list', global_args=global_args
    )
    assert result.code == 1
    assert 'device_bars: h100' in result.err and "'lots'" in result.err
    assert cloud.api_requests() == []


def test_passthrough_is_not_measured_against_ram(cloud):
    bits = '46'
    # 64 TiB of RAM needs more than 46 bits: emulate at these widths is
    # refused, passthrough (the host's width) is written.
    add_big_flavor(cloud, ram_mib=64 * TIB_MIB)
    refused = set_(cloud, 'huge', '--mode', 'emulate', '--bits', bits)
    assert refused.code == 1 and 'QEMU refuses to start' in refused.err
    assert f'not below 2^{bits}' in refused.err
    assert cloud.writes() == []
    configure(cloud, 'huge', core.Config('emulate', int(bits)).extra_specs())

    result = set_(cloud, 'huge', '--mode', 'passthrough')
    assert result.code == 0, result.err
    assert 'QEMU refuses' not in result.err
    assert cloud.specs('huge') == core.Config('passthrough').extra_specs()
    post = cloud.log.select('compute', 'POST')
    assert [r.json() for r in post] == [
        {'extra_specs': core.Config('passthrough').extra_specs()}
    ]
    deleted = [
        r.route.rsplit('/', 1)[1]
        for r in cloud.log.select('compute', 'DELETE')
    ]
    assert sorted(deleted) == sorted(
        [core.BITS_KEY, core.CAPABILITY_KEY, core.TRAIT_KEYS['emulate']]
    )


def test_bits_auto_reports_a_hypervisor_read_failure_as_such(cloud):
    cloud.state.inject_fault('GET', r'/os-hypervisors', 403)
    result = set_(cloud, 'm1.large', '--mode', 'emulate', '--bits', 'auto')
    assert result.code == 1
    assert result.err.strip() == (
        '--bits auto cannot read the hypervisors: admin rights are needed '
        '(HTTP 403: Injected fault (403))'
    )
    assert cloud.writes() == []


def test_bits_auto_reports_an_unavailable_compute_api_as_such(cloud):
    cloud.state.inject_fault('GET', r'/os-hypervisors', 503, times=10)
    result = set_(cloud, 'm1.large', '--mode', 'emulate', '--bits', 'auto')
    assert result.code == 1
    assert result.err.startswith('--bits auto cannot read the hypervisors: ')
    assert 'HTTP 503' in result.err
    assert 'flavors' not in result.err
    assert cloud.writes() == []


@pytest.mark.parametrize(
    'config,fault,reason',
    [
        (
            {'placement_in_catalog': False},
            False,
            'Placement is not in the service catalog',
        ),
        ({}, True, 'Placement answered HTTP 503'),
    ],
)
def test_bits_auto_without_placement_says_traits_are_unknown(
    make_cloud, config, fault, reason
):
    cloud = make_cloud(**config)
    if fault:
        cloud.state.inject_fault('GET', r'/resource_providers', 503, times=5)
    result = set_(cloud, 'm1.large', '--mode', 'emulate', '--bits', 'auto')
    assert result.code == 1
    assert (
        '--bits auto cannot read which hypervisors have the '
        f'{E} trait: {reason}'
    ) in result.err
    assert 'needs at least one' not in result.err
    assert 'Nothing was written' in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert cloud.writes() == []
