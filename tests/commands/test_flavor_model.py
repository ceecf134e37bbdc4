"""The address-space model in the commands: GPUs, machine types, hosts.

The numbers are the measured facts (tests/facts.py): a 512 GiB q35/UEFI
guest with four 128 GiB BARs loses a device at 42 bits and sees all four
at 43; a 2 GiB guest needs 36 bits on q35 and 35 do on pc; a 1012 GiB pc
guest needs 40 bits on Intel and 41 on AMD.
"""

import os_traits
import pytest

from osc_maxphysaddr import core
from tests import facts
from tests.emulation import seed

E = os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
P = os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH
GIB = 1 << 30
FAILS, NEEDS = str(facts.GPU_FAILS), str(facts.GPU_NEEDS)
GPU_PLATFORM = {
    'machine_type': 'q35',
    'firmware': 'uefi',
    'device_bars': {'h100': f'{facts.H100_BAR >> 30}GiB'},
}


@pytest.fixture
def gpu_cloud(cloud, tmp_path, monkeypatch):
    """A cloud whose clouds.yaml says q35/UEFI and the H100's BAR size."""
    seed.add_flavor(
        cloud.state,
        'gpu.4xh100',
        ram=facts.GPU_RAM_MIB,
        vcpus=64,
        disk=100,
        flavor_id='gpu4',
        extra_specs={'pci_passthrough:alias': f'h100:{facts.GPU_COUNT}'},
    )
    cloud.global_args = cloud.with_config(GPU_PLATFORM, tmp_path, monkeypatch)
    return cloud


def run(cloud, *args):
    return cloud.run(
        'flavor', 'maxphysaddr', *args, global_args=cloud.global_args
    )


def test_gpu_flavor_refused_at_42_names_43(gpu_cloud):
    result = run(
        gpu_cloud, 'set', 'gpu.4xh100', '--mode', 'emulate', '--bits', FAILS
    )
    assert result.code == 1
    assert f'flavor gpu.4xh100 (gpu4): at {FAILS} bits ' in result.err
    assert 'passed-through devices lose their BARs' in result.err
    assert f'use {NEEDS} bits' in result.err
    assert gpu_cloud.writes() == []
    assert gpu_cloud.specs('gpu.4xh100') == {'pci_passthrough:alias': 'h100:4'}


@pytest.mark.parametrize('bits', [NEEDS, '46'])
def test_gpu_flavor_accepted_at_43_and_46(gpu_cloud, bits):
    result = run(
        gpu_cloud, 'set', 'gpu.4xh100', '--mode', 'emulate', '--bits', bits
    )
    assert result.code == 0, result.err
    specs = gpu_cloud.specs('gpu.4xh100')
    assert specs[core.BITS_KEY] == bits
    assert specs['pci_passthrough:alias'] == 'h100:4'  # untouched
    assert [m for m, *_ in gpu_cloud.writes()] == ['POST']


def test_the_bar_size_can_come_from_the_option(cloud):
    seed.add_flavor(
        cloud.state,
        'gpu',
        ram=facts.GPU_RAM_MIB,
        flavor_id='gpu',
        extra_specs={'pci_passthrough:alias': f'h100:{facts.GPU_COUNT}'},
    )
    platform = ('--machine-type', 'q35', '--firmware', 'uefi')
    args = ('flavor', 'maxphysaddr', 'set', 'gpu', '--mode', 'emulate')
    refused = cloud.run(
        *args, '--bits', FAILS, *platform, '--device-bar', 'h100=128G'
    )
    assert refused.code == 1 and f'use {NEEDS} bits' in refused.err
    # without a size the devices are not checked: a warning, and 42 passes
    unknown = cloud.run(*args, '--bits', '42', *platform)
    assert unknown.code == 0, unknown.err
    assert 'no BAR size is known for PCI alias h100' in unknown.err
    assert '--device-bar ALIAS=SIZE' in unknown.err
    assert cloud.specs('gpu')[core.BITS_KEY] == '42'


def test_show_explains_why(gpu_cloud):
    gpu_cloud.state.flavor_by_name('gpu.4xh100').extra_specs.update(
        core.Config('emulate', 42).extra_specs()
    )
    result = run(gpu_cloud, 'show', 'gpu.4xh100', '--explain', '-f', 'json')
    assert result.code == 0, result.err
    data = result.json()
    assert data['Status'].startswith('error: at 42 bits ')
    assert data['Hosts'] is None
    assert data['Platform'].startswith('q35, uefi, ')
    assert data['Verdict'].startswith('42 bits: does not boot: ')
    regions = {r['region']: r for r in data['Layout']}
    assert regions['address space (2^42)'] == {
        'region': 'address space (2^42)',
        'start': 0,
        'end': 1 << 42,
        'size': 1 << 42,
    }
    bars = [r for r in data['Layout'] if r['region'] == 'BAR of h100']
    assert [b['size'] for b in bars] == [128 * GIB] * 4
    assert all(b['start'] is None for b in bars)
    window = next(r for r in data['Layout'] if 'PCI window' in r['region'])
    assert window['end'] <= 1 << 42
    assert 'RAM below 4 GiB' in regions and 'RAM above 4 GiB' in regions
    assert any(r.startswith('64-bit PCI hole (q35)') for r in regions)

    table = run(gpu_cloud, 'show', 'gpu.4xh100', '--explain')
    assert table.code == 0, table.err
    assert table.out.count('BAR of h100') == 4
    assert 'address space (2^42)' in table.out


def test_show_explains_a_passthrough_flavor_at_the_width_it_needs(gpu_cloud):
    gpu_cloud.state.flavor_by_name('gpu.4xh100').extra_specs.update(
        core.Config('passthrough').extra_specs()
    )
    result = run(gpu_cloud, 'show', 'gpu.4xh100', '--explain', '-f', 'json')
    assert result.code == 0, result.err
    data = result.json()
    assert data['Verdict'].startswith(
        'the smallest width that works, 43 bits: boots'
    )


def add_hosts(cloud, widths, traits):
    for i, bits in enumerate(widths, start=1):
        seed.add_hypervisor(
            cloud.state, i, cpu_info=seed.libvirt_cpu_info(bits), traits=traits
        )


@pytest.mark.parametrize(
    'machine,hosts',
    [('q35', {'compute-00002', 'compute-00003'}), ('pc', None)],
)
def test_passthrough_hosts_count_where_the_guest_boots(
    make_cloud, machine, hosts
):
    cloud = make_cloud(n_hypervisors=0)
    add_hosts(cloud, (35, 36, 46), {E, P})
    cloud.state.flavor_by_name('m1.small').extra_specs.update(
        core.Config('passthrough').extra_specs()
    )
    every = {'compute-00001', 'compute-00002', 'compute-00003'}
    expected = hosts or every
    show = cloud.run(
        'flavor',
        'maxphysaddr',
        'show',
        'm1.small',
        '--long',
        '-f',
        'json',
        '--machine-type',
        machine,
    )
    assert show.code == 0, show.err
    data = show.json()
    assert data['Hosts'] == len(expected)
    assert {h.split('.')[0] for h in data['Host Names']} == expected

    listed = cloud.run(
        'hypervisor',
        'maxphysaddr',
        'list',
        '--flavor',
        'm1.small',
        '-f',
        'json',
        '--machine-type',
        machine,
    )
    assert listed.code == 0, listed.err
    names = {r['Hypervisor Hostname'].split('.')[0] for r in listed.json()}
    assert names == expected

    flavors = cloud.run(
        'flavor',
        'maxphysaddr',
        'list',
        '-f',
        'json',
        '--machine-type',
        machine,
    )
    row = next(r for r in flavors.json() if r['Name'] == 'm1.small')
    assert row['Hosts'] == len(expected)


def test_emulate_hosts_count_by_each_hosts_vendor(make_cloud):
    intel = facts.AMD_HOLE_INTEL_NEEDS
    amd = facts.AMD_HOLE_AMD_NEEDS
    cloud = make_cloud(n_hypervisors=0)
    for i, vendor in enumerate(('Intel', 'AMD', 'Intel'), start=1):
        info = seed.libvirt_cpu_info(46)
        info['vendor'] = vendor
        seed.add_hypervisor(cloud.state, i, cpu_info=info, traits={E})
    seed.add_flavor(
        cloud.state,
        'big',
        ram=facts.AMD_HOLE_RAM_MIB,
        flavor_id='big',
        extra_specs=core.Config('emulate', amd).extra_specs(),
    )
    data = cloud.run(
        'flavor', 'maxphysaddr', 'show', 'big', '-f', 'json'
    ).json()
    assert data['Status'] == 'ok' and data['Hosts'] == 3
    # at Intel's width the diagnosis, reading no host, takes the stricter
    # vendor
    cloud.state.flavor_by_name('big').extra_specs.update(
        core.Config('emulate', intel).extra_specs()
    )
    data = cloud.run(
        'flavor', 'maxphysaddr', 'show', 'big', '-f', 'json'
    ).json()
    errors = [p for p in data['Status'].split('; ') if p.startswith('error')]
    assert len(errors) == 1
    assert errors[0].endswith(f'so the guest does not boot: use {amd} bits')
    # while hypervisor list --flavor judges each host by its own vendor
    listed = cloud.run(
        'hypervisor', 'maxphysaddr', 'list', '--flavor', 'big', '-f', 'json'
    ).json()
    assert [r['ID'] for r in listed] == [
        h.uuid for h in cloud.state.hypervisors if h.id != 2
    ]


def test_unknown_alias_is_a_warning_in_the_status(gpu_cloud):
    flavor = gpu_cloud.state.flavor_by_name('gpu.4xh100')
    flavor.extra_specs.update(core.Config('emulate', 46).extra_specs())
    flavor.extra_specs['pci_passthrough:alias'] = 'h100:4,a100:2'
    data = run(gpu_cloud, 'show', 'gpu.4xh100', '-f', 'json').json()
    assert data['Status'] == (
        'warning: no BAR size is known for PCI alias a100, so its devices '
        'are not checked: give one with --device-bar ALIAS=SIZE or '
        'device_bars in clouds.yaml'
    )


def test_explain_names_the_stricter_vendor(cloud):
    intel = facts.AMD_HOLE_INTEL_NEEDS
    seed.add_flavor(
        cloud.state,
        'big',
        ram=facts.AMD_HOLE_RAM_MIB,
        flavor_id='big',
        extra_specs=core.Config('emulate', intel).extra_specs(),
    )
    args = ('flavor', 'maxphysaddr', 'show', 'big', '--explain', '-f', 'json')
    data = cloud.run(*args).json()
    assert data['Platform'] == (
        'pc, bios, AMD CPU (the stricter of Intel and AMD)'
    )
    assert data['Verdict'].startswith(f'{intel} bits: does not boot: ')
    # the RAM above 4 GiB moved to 1 TiB, as QEMU does for AMD
    above = next(r for r in data['Layout'] if r['region'] == 'RAM above 4 GiB')
    assert above['start'] == 1 << 40
    cloud.state.flavor_by_name('big').extra_specs.update(
        core.Config('emulate', 46).extra_specs()
    )
    data = cloud.run(*args).json()
    assert data['Platform'] == 'pc, bios, Intel or AMD CPU'
    assert data['Verdict'].startswith('46 bits: boots')


BIOS_PLATFORM = {'machine_type': 'q35', 'device_bars': {'gpu': '64GiB'}}


def bios_cloud(cloud, tmp_path, monkeypatch, **section):
    """A 2 GiB q35 flavor with one 64 GiB BAR; firmware: Nova's bios."""
    seed.add_flavor(
        cloud.state,
        'gpu.bios',
        ram=2048,
        flavor_id='gpub',
        extra_specs={'pci_passthrough:alias': 'gpu:1'},
    )
    cloud.global_args = cloud.with_config(
        {**BIOS_PLATFORM, **section}, tmp_path, monkeypatch
    )
    return cloud


def test_bios_flavor_refused_where_seabios_puts_the_bar_out_of_reach(
    cloud, tmp_path, monkeypatch
):
    # SeaBIOS 1.16.2 puts the BAR at 64 GiB to 128 GiB whatever the width
    bios = bios_cloud(cloud, tmp_path, monkeypatch)
    result = run(bios, 'set', 'gpu.bios', '--mode', 'emulate', '--bits', '37')
    assert result.code == 1
    assert 'at 37 bits SeaBIOS 1.16.2 and older puts 1 BAR' in result.err
    assert 'passed-through devices lose their BARs' in result.err
    assert 'use 38 bits' in result.err
    assert bios.writes() == []
    result = run(bios, 'set', 'gpu.bios', '--mode', 'emulate', '--bits', '38')
    assert result.code == 0, result.err
    assert bios.specs('gpu.bios')[core.BITS_KEY] == '38'


@pytest.mark.parametrize(
    ('version', 'code'), [('1.16.2', 0), ('1.16.3', 1), (None, 1)]
)
def test_the_seabios_version_in_clouds_yaml_decides_39_bits(
    cloud, tmp_path, monkeypatch, version, code
):
    # 39 bits on Intel: 1.16.3 trusts it and puts the BAR at the top,
    # ending at 2^39; 1.16.2 keeps it at 64 GiB. No version: both count.
    section = {} if version is None else {'seabios_version': version}
    bios = bios_cloud(cloud, tmp_path, monkeypatch, **section)
    result = run(bios, 'set', 'gpu.bios', '--mode', 'emulate', '--bits', '39')
    assert result.code == code, result.err
    if code:
        assert 'SeaBIOS 1.16.3 puts 1 BAR of 64 GiB at 448 GiB' in result.err


def test_show_explains_where_seabios_puts_the_bar(
    cloud, tmp_path, monkeypatch
):
    bios = bios_cloud(cloud, tmp_path, monkeypatch, seabios_version='1.16.2')
    bios.state.flavor_by_name('gpu.bios').extra_specs.update(
        core.Config('emulate', 37).extra_specs()
    )
    result = run(bios, 'show', 'gpu.bios', '--explain', '-f', 'json')
    assert result.code == 0, result.err
    data = result.json()
    assert data['Status'].startswith('error: at 37 bits SeaBIOS 1.16.2')
    placed = [r for r in data['Layout'] if 'SeaBIOS' in r['region']]
    assert placed == [
        {
            'region': 'firmware 64-bit BARs (SeaBIOS 1.16.2 and older: '
            'above RAM: it ignores phys-bits)',
            'start': 64 * GIB,
            'end': 128 * GIB,
            'size': 64 * GIB,
        }
    ]
    table = run(bios, 'show', 'gpu.bios', '--explain')
    assert table.code == 0, table.err
    assert 'SeaBIOS 1.16.2 and older' in table.out
