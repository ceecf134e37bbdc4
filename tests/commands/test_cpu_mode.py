"""``--cpu-mode`` and ``cpu_mode`` in clouds.yaml, through the OSC shell.

On ``[libvirt] cpu_mode = host-passthrough`` nodes an emulate guest gets its
host's width (libvirt 9.0, QEMU 7.2, measured): a 2 GiB q35 guest at 35
bits, which QEMU refuses on host-model, starts there with the host's width.
The rules are tabled in tests/unit/test_planning.py; these are the wiring.
"""

import os_traits

from osc_maxphysaddr import core
from tests.emulation import seed

E = os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
P = os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH
Q35 = ('--machine-type', 'q35')
HOST_PASSTHROUGH = ('--cpu-mode', 'host-passthrough')


def hosts_of(cloud, widths):
    for i, bits in enumerate(widths, start=1):
        seed.add_hypervisor(
            cloud.state, i, cpu_info=seed.libvirt_cpu_info(bits), traits={E, P}
        )


def emulate_35(cloud):
    cloud.state.flavor_by_name('m1.small').extra_specs.update(
        core.Config('emulate', 35).extra_specs()
    )


def test_show_on_host_passthrough_warns_and_counts_by_each_hosts_width(
    make_cloud,
):
    cloud = make_cloud(n_hypervisors=0)
    hosts_of(cloud, (35, 36, 46))
    emulate_35(cloud)
    args = ('flavor', 'maxphysaddr', 'show', 'm1.small', '-f', 'json', *Q35)

    model = cloud.run(*args).json()
    assert model['Status'].startswith('error: QEMU refuses to start')
    assert model['Hosts'] is None

    passthrough = cloud.run(*args, *HOST_PASSTHROUGH).json()
    assert passthrough['Status'] == (
        'warning: '
        + core.RULES['emulate-width-follows-host'].template.format(bits=35)
    )
    # 36 and 46 bits boot the 2 GiB q35 guest; 35 does not
    assert passthrough['Hosts'] == 2


def test_set_on_host_passthrough_writes_with_one_warning(make_cloud):
    cloud = make_cloud(n_hypervisors=0)
    hosts_of(cloud, (46,))
    set_35 = (
        'flavor', 'maxphysaddr', 'set', 'm1.small',
        '--mode', 'emulate', '--bits', '35', *Q35,
    )  # fmt: skip

    refused = cloud.run(*set_35)
    assert refused.code == 1
    assert 'use 36 bits' in refused.err
    assert cloud.writes() == []

    written = cloud.run(*set_35, *HOST_PASSTHROUGH)
    assert written.code == 0, written.err
    assert cloud.specs('m1.small')[core.BITS_KEY] == '35'
    warnings = [
        line for line in written.err.splitlines() if 'host-passthrough' in line
    ]
    assert len(warnings) == 1
    assert "the guest gets its host's width, not 35 bits" in warnings[0]


def test_cpu_mode_from_clouds_yaml(make_cloud, tmp_path, monkeypatch):
    cloud = make_cloud(n_hypervisors=0)
    hosts_of(cloud, (35, 36, 46))
    emulate_35(cloud)
    section = {'machine_type': 'q35', 'cpu_mode': 'host-passthrough'}
    global_args = cloud.with_config(section, tmp_path, monkeypatch)
    data = cloud.run(
        'flavor', 'maxphysaddr', 'show', 'm1.small', '-f', 'json',
        global_args=global_args,
    ).json()  # fmt: skip
    assert data['Hosts'] == 2
    # the option wins over the section
    data = cloud.run(
        'flavor', 'maxphysaddr', 'show', 'm1.small', '-f', 'json',
        '--cpu-mode', 'host-model', global_args=global_args,
    ).json()  # fmt: skip
    assert data['Hosts'] is None and data['Status'].startswith('error: ')


def test_a_server_on_host_passthrough_sees_its_hosts_width(make_cloud):
    cloud = make_cloud(n_hypervisors=0)
    hosts_of(cloud, (46, 42))
    hyps = cloud.state.hypervisors
    seed.add_server(
        cloud.state, 'emu40', hyps[0], extra_specs=seed.emulate_specs(40)
    )
    args = ('server', 'maxphysaddr', 'list', '-f', 'json')
    (row,) = cloud.run(*args).json()
    assert row['Bits'] == 40
    (row,) = cloud.run(*args, *HOST_PASSTHROUGH).json()
    assert row['Bits'] == 46
    assert row['Targets'] == 1


def test_bits_auto_on_host_passthrough_takes_the_lowest_width_that_boots(
    make_cloud,
):
    cloud = make_cloud(n_hypervisors=0)
    hosts_of(cloud, (35, 36, 46))
    auto = (
        'flavor', 'maxphysaddr', 'set', 'm1.small',
        '--mode', 'emulate', '--bits', 'auto', *Q35,
    )  # fmt: skip
    # on host-model the guest needs 36 bits everywhere it can land
    result = cloud.run(*auto)
    assert result.code == 0, result.err
    assert cloud.specs('m1.small')[core.BITS_KEY] == '36'
    # on host-passthrough 36 still: a 35-bit host would start it at 35
    result = cloud.run(*auto, *HOST_PASSTHROUGH)
    assert result.code == 0, result.err
    assert cloud.specs('m1.small')[core.BITS_KEY] == '36'
    assert '2 up, enabled hypervisors can take it' in result.err
