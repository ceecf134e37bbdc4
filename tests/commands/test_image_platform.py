"""The image's ``hw_machine_type`` and ``hw_firmware_type`` in the commands.

Nova takes the guest's machine type from the image over
``[libvirt]hw_machine_type``, and its firmware from the image: the pair
commands (``flavor maxphysaddr show|list --image``) and the servers'
targets do the same, over ``--machine-type``/``--firmware``/clouds.yaml.
The widths are the measured facts (tests/facts.py): a 2 GiB guest boots at
35 bits on pc and needs 36 on q35; a 512 GiB guest with four 128 GiB BARs
loses a device at 42 bits on q35/UEFI.
"""

import os_traits
import pytest

from osc_maxphysaddr import core
from tests import facts
from tests.commands.conftest import running
from tests.commands.test_flavor_image_pair import Q35_REFUSAL
from tests.emulation import seed

E = os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
P = os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH
MACHINE = 'hw_machine_type'
FIRMWARE = 'hw_firmware_type'


@pytest.fixture
def cloud(make_cloud):
    """Hosts of 35, 36 and 46 bits; m1.small (2 GiB) at emulate 35 bits."""
    cloud = make_cloud(n_hypervisors=0)
    widths = (facts.SMALL_Q35_FAILS, facts.SMALL_Q35_NEEDS, 46)
    for i, bits in enumerate(widths, start=1):
        seed.add_hypervisor(
            cloud.state, i, cpu_info=seed.libvirt_cpu_info(bits), traits={E, P}
        )
    cloud.state.flavor_by_name('m1.small').extra_specs.update(
        core.Config('emulate', facts.SMALL_Q35_FAILS).extra_specs()
    )
    cloud.state.add_image('ubuntu', {'os_distro': 'ubuntu'})
    return cloud


def set_image(cloud, props):
    cloud.state.image_by_name('ubuntu').properties.update(props)


def show_pair(cloud, *args):
    result = cloud.run(
        'flavor', 'maxphysaddr', 'show', 'm1.small', '--image', 'ubuntu',
        '-f', 'json', *args,
    )  # fmt: skip
    assert result.code == 0, result.err
    return result.json()


def list_pairs(cloud, *args):
    result = cloud.run(
        'flavor', 'maxphysaddr', 'list', '--image', 'ubuntu', '-f', 'json',
        *args,
    )  # fmt: skip
    assert result.code == 0, result.err
    return {row['Name']: row for row in result.json()}


@pytest.mark.parametrize('machine', ['q35', 'pc-q35-8.2'])
def test_image_q35_makes_35_bits_an_error(cloud, machine):
    assert show_pair(cloud)['Status'] == 'ok'  # Nova's default: pc
    set_image(cloud, {MACHINE: machine})
    data = show_pair(cloud)
    assert data['Status'] == Q35_REFUSAL
    assert data['Hosts'] is None
    row = list_pairs(cloud)['m1.small']
    assert row['Status'] == data['Status']


def test_the_image_wins_over_the_option(cloud):
    assert show_pair(cloud, '--machine-type', 'q35')['Status'] == (Q35_REFUSAL)
    set_image(cloud, {MACHINE: 'pc-i440fx-8.2'})
    data = show_pair(cloud, '--machine-type', 'q35')
    assert data['Status'] == 'ok'
    assert data['Hosts'] == 3  # 35 bits boot on pc: every host


def test_the_image_wins_over_clouds_yaml(cloud, tmp_path, monkeypatch):
    config = cloud.with_config({'machine_type': 'q35'}, tmp_path, monkeypatch)
    set_image(cloud, {MACHINE: 'pc'})
    result = cloud.run(
        'flavor', 'maxphysaddr', 'show', 'm1.small', '--image', 'ubuntu',
        '-f', 'json', global_args=config,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.json()['Status'] == 'ok'


def test_an_unknown_machine_type_is_a_warning_and_unchecked(cloud):
    set_image(cloud, {MACHINE: 'virt'})
    data = show_pair(cloud, '--machine-type', 'q35')
    assert data['Status'].startswith('warning: ')
    assert "'virt'" in data['Status'] and 'not checked' in data['Status']
    # not judged by the model: every host the scheduler admits
    assert data['Hosts'] == 3


def test_the_flavor_alone_is_unchanged(cloud):
    set_image(cloud, {MACHINE: 'q35'})
    result = cloud.run(
        'flavor', 'maxphysaddr', 'show', 'm1.small', '-f', 'json'
    )
    assert result.code == 0, result.err
    assert result.json()['Status'] == 'ok'
    assert cloud.api_requests('image') == []


def host_name(n):
    return f'compute-{n:05d}.cloud.example.org'


def servers_state():
    """Twin servers on the 46-bit host, differing in their image only."""
    state = seed.standard_cloud(0, compute_max_version='2.100')
    hyps = [
        seed.add_hypervisor(
            state, i, cpu_info=seed.libvirt_cpu_info(bits), traits={E, P}
        )
        for i, bits in enumerate((35, 36, 46, 46), start=1)
    ]
    small = seed.emulate_specs(35)
    gpu = {**seed.emulate_specs(42), 'pci_passthrough:alias': 'h100:4'}
    seed.add_server(state, 'small-pc', hyps[2], extra_specs=small)
    seed.add_server(
        state, 'small-q35', hyps[2], extra_specs=small,
        image_properties={MACHINE: 'pc-q35-8.2'},
    )  # fmt: skip
    seed.add_server(
        state, 'small-virt', hyps[2], extra_specs=small,
        image_properties={MACHINE: 'virt'},
    )  # fmt: skip
    seed.add_server(state, 'gpu-bios', hyps[2], extra_specs=gpu, ram=512 << 10)
    seed.add_server(
        state, 'gpu-uefi', hyps[2], extra_specs=gpu, ram=512 << 10,
        image_properties={FIRMWARE: 'uefi'},
    )  # fmt: skip
    return state


def test_servers_are_judged_on_their_images_platform():
    with running(servers_state()) as cloud:
        result = cloud.run(
            'server', 'maxphysaddr', 'list', '--long', '-f', 'json',
            '--machine-type', 'q35', '--device-bar', 'h100=128GiB',
        )  # fmt: skip
        assert result.code == 0, result.err
        rows = {r['Name']: r for r in result.json()}
        # the request budget is unchanged
        assert sorted(r.route for r in cloud.api_requests()) == [
            '/os-hypervisors/detail',
            '/resource_providers',
            '/resource_providers',
            '/servers/detail',
        ]
    # q35 from the option: 35 bits is too few, but the image says pc
    assert rows['small-pc']['Status'] == Q35_REFUSAL
    assert rows['small-pc']['Targets'] == 0
    assert rows['small-virt']['Status'].startswith('warning: ')
    assert rows['small-virt']['Target Hosts'] == [
        host_name(n) for n in (1, 2, 4)
    ]
    assert rows['small-q35']['Targets'] == 0
    # BIOS: every SeaBIOS version puts the four BARs below 2^42 (1.16.2
    # from 640 GiB, 1.16.3 from 3 TiB); the image's UEFI loses one at 42
    assert rows['gpu-bios']['Status'] == 'ok'
    assert rows['gpu-bios']['Targets'] == 1
    assert 'lose their BARs' in rows['gpu-uefi']['Status']
    assert rows['gpu-uefi']['Targets'] == 0


def test_a_server_on_a_q35_image_loses_its_targets():
    with running(servers_state()) as cloud:
        result = cloud.run(
            'server', 'maxphysaddr', 'list', '--long', '-f', 'json'
        )
        assert result.code == 0, result.err
    rows = {r['Name']: r for r in result.json()}
    assert rows['small-pc']['Status'] == 'ok'
    assert rows['small-pc']['Targets'] == 3
    assert rows['small-q35']['Status'] == Q35_REFUSAL
    assert rows['small-q35']['Targets'] == 0
