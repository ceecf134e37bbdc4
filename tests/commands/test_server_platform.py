"""Servers judged on the guests' platform, and as flavor+image pairs.

``server maxphysaddr list`` and ``hypervisor maxphysaddr show`` take the
platform as the flavor commands do (``--machine-type``, ``--firmware``,
``--device-bar``, the ``maxphysaddr:`` section of clouds.yaml), and give a
server the verdict ``flavor maxphysaddr show FLAVOR --image IMAGE`` gives
its flavor and image. The numbers are the address-space issue's measured
facts: a 2 GiB guest boots at 35 bits on pc and needs 36 on q35; a 512 GiB
q35/UEFI guest with four 128 GiB BARs loses a device at 42 bits, not at 43.
"""

import os_traits
import pytest

from osc_maxphysaddr import core
from tests.commands.conftest import running
from tests.commands.test_flavor_image_pair import CONFLICT
from tests.commands.test_flavor_image_pair import Q35_REFUSAL
from tests.emulation import seed

E = os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
P = os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH
GPU_SECTION = {
    'machine_type': 'q35',
    'firmware': 'uefi',
    'device_bars': {'h100': '128GiB'},
}
GPU_OPTIONS = (
    '--machine-type',
    'q35',
    '--firmware',
    'uefi',
    '--device-bar',
    'h100=128GiB',
)
#: h1..h4: bits of each host, all Intel with both traits, up and enabled
WIDTHS = (35, 36, 46, 46)


def host_name(n):
    return f'compute-{n:05d}.cloud.example.org'


def gpu_specs(bits):
    return {**seed.emulate_specs(bits), 'pci_passthrough:alias': 'h100:4'}


def platform_state():
    """Guests on h3 whose verdict depends on the platform."""
    state = seed.standard_cloud(0, compute_max_version='2.100')
    hyps = [
        seed.add_hypervisor(
            state, i, cpu_info=seed.libvirt_cpu_info(bits), traits={E, P}
        )
        for i, bits in enumerate(WIDTHS, 1)
    ]
    h3 = hyps[2]
    seed.add_server(state, 'small35', h3, extra_specs=seed.emulate_specs(35))
    for bits in (42, 43):
        seed.add_server(
            state, f'gpu{bits}', h3, extra_specs=gpu_specs(bits), ram=512 << 10
        )
    return state


@pytest.fixture
def platform_cloud():
    with running(platform_state()) as cloud:
        yield cloud


def server_rows(cloud, *args, global_args=()):
    result = cloud.run(
        'server',
        'maxphysaddr',
        'list',
        '--long',
        *args,
        '-f',
        'json',
        global_args=global_args,
    )
    assert result.code == 0, result.err
    return {r['Name']: r for r in result.json()}


def flavor_status(cloud, specs, ram, *args, global_args=()):
    """The Status ``flavor maxphysaddr show`` gives a flavor like this."""
    name = f'like-{len(cloud.state.flavors)}'
    seed.add_flavor(cloud.state, name, ram=ram, extra_specs=specs)
    result = cloud.run(
        'flavor',
        'maxphysaddr',
        'show',
        name,
        *args,
        '-f',
        'json',
        global_args=global_args,
    )
    assert result.code == 0, result.err
    return result.json()['Status']


def assert_budget(cloud):
    assert sorted(r.route for r in cloud.api_requests()) == [
        '/os-hypervisors/detail',
        '/resource_providers',
        '/resource_providers',
        '/servers/detail',
    ]


def test_default_platform_is_novas_pc_and_bios(platform_cloud):
    rows = server_rows(platform_cloud)
    assert_budget(platform_cloud)
    assert rows['small35']['Status'] == 'ok'
    # BIOS: SeaBIOS's placement is modelled, but no BAR size is given
    for name in ('gpu42', 'gpu43'):
        status = rows[name]['Status']
        assert status.startswith('warning: ') and 'h100' in status, name
    # other hosts with the trait and at least the guest's bits
    assert rows['small35']['Target Hosts'] == [host_name(n) for n in (1, 2, 4)]
    assert rows['gpu42']['Target Hosts'] == [host_name(4)]
    assert rows['gpu43']['Target Hosts'] == [host_name(4)]


def test_options_give_the_platform(platform_cloud):
    rows = server_rows(platform_cloud, *GPU_OPTIONS)
    assert_budget(platform_cloud)
    small = rows['small35']
    assert small['Status'] == Q35_REFUSAL
    assert (small['Targets'], small['Target Hosts']) == (0, [])
    assert rows['gpu42']['Status'] == (
        "error: at 42 bits 4 BARs of 512 GiB do not fit the firmware's "
        "512 GiB dynamic 64-bit PCI window (it must keep room for the guest's "
        'own devices), so passed-through devices lose their BARs (the '
        'firmware cannot place them within reach): use 43 bits'
    )
    assert rows['gpu42']['Targets'] == 0
    assert rows['gpu43']['Status'] == 'ok'
    assert rows['gpu43']['Target Hosts'] == [host_name(4)]
    # the very status the flavor commands give the same flavor
    assert small['Status'] == flavor_status(
        platform_cloud, seed.emulate_specs(35), 2048, *GPU_OPTIONS
    )
    assert rows['gpu42']['Status'] == flavor_status(
        platform_cloud, gpu_specs(42), 512 << 10, *GPU_OPTIONS
    )


def test_machine_type_alone_changes_the_verdict(platform_cloud):
    rows = server_rows(platform_cloud, '--machine-type', 'q35')
    assert rows['small35']['Status'] == Q35_REFUSAL
    assert rows['small35']['Targets'] == 0
    # BIOS with no BAR size: a warning; 512 GiB fits 42 bits on q35
    assert rows['gpu42']['Status'].startswith('warning: ')
    assert rows['gpu42']['Targets'] == 1
    # with the size, every SeaBIOS version places the four 128 GiB BARs
    # below 2^42 (1.16.2 from 640 GiB, 1.16.3 from 3 TiB)
    rows = server_rows(
        platform_cloud, '--machine-type', 'q35', '--device-bar', 'h100=128GiB'
    )
    assert rows['gpu42']['Status'] == 'ok'
    assert rows['gpu42']['Targets'] == 1


def test_clouds_yaml_gives_the_platform(platform_cloud, tmp_path, monkeypatch):
    config = platform_cloud.with_config(GPU_SECTION, tmp_path, monkeypatch)
    rows = server_rows(platform_cloud, global_args=config)
    assert_budget(platform_cloud)
    assert rows['small35']['Targets'] == 0
    assert rows['gpu42']['Targets'] == 0
    assert rows['gpu43']['Targets'] == 1
    # an option wins over the section
    rows = server_rows(
        platform_cloud, '--machine-type', 'pc', global_args=config
    )
    assert rows['small35']['Status'] == 'ok'
    assert rows['small35']['Targets'] == 3


def test_an_alias_of_unknown_size_is_a_warning_not_a_guess(platform_cloud):
    rows = server_rows(
        platform_cloud, '--machine-type', 'q35', '--firmware', 'uefi'
    )
    status = rows['gpu43']['Status']
    assert status.startswith('warning: ') and 'h100' in status
    assert '--device-bar' in status
    assert rows['gpu43']['Targets'] == 1


def test_a_malformed_size_fails_before_any_request(platform_cloud):
    for command in (
        ('server', 'maxphysaddr', 'list'),
        ('hypervisor', 'maxphysaddr', 'show', host_name(3)),
    ):
        result = platform_cloud.run(*command, '--device-bar', 'h100=lots')
        assert result.code == 1, command
        assert 'h100=lots' in result.err
        assert len(result.err.strip().splitlines()) == 1
        assert platform_cloud.api_requests() == []


def show(cloud, *args, global_args=()):
    return cloud.run(
        'hypervisor',
        'maxphysaddr',
        'show',
        host_name(3),
        '--check',
        *args,
        '-f',
        'json',
        global_args=global_args,
    )


def stranded(result):
    return {s.split(' (')[0] for s in result.json()['Stranded']}


def test_show_strands_what_does_not_boot_on_the_platform(
    platform_cloud, tmp_path, monkeypatch
):
    fine = show(platform_cloud)
    assert fine.code == 0, fine.err
    assert fine.json()['Servers'] == 3
    assert stranded(fine) == set()

    gpu = show(platform_cloud, *GPU_OPTIONS)
    assert gpu.code == 1
    assert stranded(gpu) == {'small35', 'gpu42'}
    assert 'small35' in gpu.err and 'gpu43' not in gpu.err
    assert_budget(platform_cloud)

    config = platform_cloud.with_config(GPU_SECTION, tmp_path, monkeypatch)
    yaml = show(platform_cloud, global_args=config)
    assert yaml.code == 1
    assert stranded(yaml) == {'small35', 'gpu42'}


# --- a server's verdict is its flavor+image pair's --------------------------

IMODE = core.IMAGE_MODE_KEY
IBITS = core.IMAGE_BITS_KEY
PAIRS = {
    # Nova never compares the bits: the flavor's win, a warning says so
    'bits-differ': (seed.emulate_specs(42), {IBITS: '40'}),
    # modes are compared as stored: 'emulate ' is not 'emulate'
    'mode-space': (seed.emulate_specs(42), {IMODE: 'emulate '}),
    'mode-conflict': (seed.emulate_specs(42), {IMODE: 'passthrough'}),
    'same-mode': (dict(seed.PASSTHROUGH_SPECS), {IMODE: 'passthrough'}),
    # ImagePropertiesFilter reaches its bits check and fails scheduling
    'image-bits-arch': (
        {},
        {IMODE: 'emulate', IBITS: '42', 'hw_architecture': 'x86_64'},
    ),
    'image-only': ({}, {IMODE: 'emulate', IBITS: '42'}),
    'image-bits-only': ({core.MODE_KEY: 'emulate'}, {IBITS: '46'}),
    'flavor-only': (seed.emulate_specs(42), {'os_distro': 'ubuntu'}),
}


@pytest.fixture
def pair_cloud():
    state = platform_state()
    h3 = state.hypervisors[2]
    for name, (specs, props) in PAIRS.items():
        flavor = seed.add_flavor(state, f'f-{name}', extra_specs=specs)
        state.add_image(f'i-{name}', dict(props))
        seed.add_server(state, name, h3, flavor=flavor, image_properties=props)
    with running(state) as cloud:
        yield cloud


# A few pairs, one of each kind (warning, error, ok), and whether the
# guest boots: the pair rules are tests/unit/test_images.py's; here, that
# a server shows its pair's verdict.
SAMPLE = {'bits-differ': True, 'mode-conflict': False, 'flavor-only': True}


@pytest.mark.parametrize('platform', [(), GPU_OPTIONS])
def test_each_server_gets_its_pairs_verdict(pair_cloud, platform):
    rows = server_rows(pair_cloud, *platform)
    assert_budget(pair_cloud)
    for name, boots in SAMPLE.items():
        result = pair_cloud.run(
            'flavor',
            'maxphysaddr',
            'show',
            f'f-{name}',
            '--image',
            f'i-{name}',
            *platform,
            '-f',
            'json',
        )
        assert result.code == 0, result.err
        pair = result.json()
        row = rows[name]
        assert (row['Mode'], row['Status']) == (
            pair['Guest Mode'],
            pair['Status'],
        ), name
        if pair['Guest Mode'] == core.EMULATE:
            assert row['Bits'] == pair['Guest Bits'], name
        assert (row['Targets'] > 0) is boots, name


def test_nova_compares_modes_raw_and_never_bits(pair_cloud):
    rows = server_rows(pair_cloud)
    differ = rows['bits-differ']
    assert (differ['Mode'], differ['Bits']) == ('emulate', 42)
    assert differ['Status'] == (
        "warning: libvirt uses the flavor's 42 bits; the image's 40 bits are "
        'ignored'
    )
    assert differ['Targets'] == 1  # h4: 46 bits
    assert rows['mode-conflict']['Status'] == CONFLICT
    assert rows['mode-space']['Status'] == (
        CONFLICT.replace("'passthrough'", "'emulate '")
        + "; error: hw_maxphysaddr_mode is 'emulate ', not emulate or "
        'passthrough: Nova refuses to boot the image (HTTP 400, invalid '
        'image metadata)'
    )
    for name in ('mode-space', 'mode-conflict'):
        assert rows[name]['Targets'] == 0
    assert rows['image-bits-arch']['Status'] == (
        "error: hw_maxphysaddr_bits together with hw_architecture: Nova's "
        'ImagePropertiesFilter fails on every host when it checks image '
        'bits, so no server boots from the image; remove '
        'hw_maxphysaddr_bits and put the width on the flavor'
    )
    assert rows['image-bits-only']['Bits'] == 46
