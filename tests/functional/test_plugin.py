"""The plugin's commands, run as ``openstack``, against real Nova/Placement.

Each test asserts on what Nova and Placement hold afterwards (read with
openstacksdk at a microversion of its own), and on the seed manifest for
what the hypervisors report.
"""

import json
import uuid

import os_traits
import pytest

E = os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
P = os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH
MODE = 'hw:maxphysaddr_mode'
BITS = 'hw:maxphysaddr_bits'
CAP = 'capabilities:cpu_info:maxphysaddr:bits'
UNRELATED = {'hw:cpu_policy': 'dedicated'}


@pytest.fixture
def make_flavor(devcloud):
    """Create flavors (with one unrelated extra spec); delete them after."""
    conn = devcloud.conn
    created = []

    def factory(ram=2048):
        flavor = conn.compute.create_flavor(
            name=f'mpa-plugin-{uuid.uuid4().hex[:8]}',
            ram=ram,
            vcpus=1,
            disk=1,
        )
        created.append(flavor)
        resp = conn.compute.post(
            f'/flavors/{flavor.id}/os-extra_specs',
            json={'extra_specs': UNRELATED},
            microversion='2.1',
        )
        assert resp.status_code == 200, resp.text
        return flavor

    yield factory
    for flavor in created:
        conn.compute.delete_flavor(flavor, ignore_missing=True)


def specs(devcloud, flavor):
    resp = devcloud.conn.compute.get(
        f'/flavors/{flavor.id}/os-extra_specs', microversion='2.1'
    )
    assert resp.status_code == 200, resp.text
    return resp.json()['extra_specs']


def maxphysaddr(devcloud, *args, cloud=None, check=True):
    kwargs = {'check': check}
    if cloud:
        kwargs['cloud'] = cloud
    return devcloud.openstack(*args, **kwargs)


def eligible(devcloud, trait, min_bits=None, available=True):
    """Hostnames the manifest says can take a flavor."""
    return sorted(
        h['hostname']
        for h in devcloud.hosts
        if trait in h['traits']
        and (min_bits is None or (h['bits'] or 0) >= min_bits)
        and (not available or (h['state'], h['status']) == ('up', 'enabled'))
    )


def test_emulate_show_switch_reapply_unset(devcloud, make_flavor):
    flavor = make_flavor()
    out = devcloud.openstack_json(
        'flavor',
        'maxphysaddr',
        'set',
        flavor.name,
        '--mode',
        'emulate',
        '--bits',
        '42',
    )
    assert {row['Key'] for row in out} == {MODE, BITS, CAP, 'trait:' + E}
    assert specs(devcloud, flavor) == {
        **UNRELATED,
        MODE: 'emulate',
        BITS: '42',
        'trait:' + E: 'required',
        CAP: '>= 42',
    }

    shown = devcloud.openstack_json(
        'flavor', 'maxphysaddr', 'show', flavor.id, '--long'
    )
    expected_hosts = eligible(devcloud, E, 42)
    assert expected_hosts  # the seeded mix has such hosts
    assert shown['Status'] == 'ok'
    assert shown['Bits'] == 42
    assert shown['Hosts'] == len(expected_hosts)
    assert sorted(shown['Host Names']) == expected_hosts

    # switch: the passthrough keys arrive, every emulate key goes
    devcloud.openstack(
        'flavor', 'maxphysaddr', 'set', flavor.name, '--mode', 'passthrough'
    )
    assert specs(devcloud, flavor) == {
        **UNRELATED,
        MODE: 'passthrough',
        'trait:' + P: 'required',
    }
    again = devcloud.openstack(
        'flavor', 'maxphysaddr', 'set', flavor.name, '--mode', 'passthrough'
    )
    assert 'already has this configuration' in again.stderr
    assert specs(devcloud, flavor) == {
        **UNRELATED,
        MODE: 'passthrough',
        'trait:' + P: 'required',
    }
    shown = devcloud.openstack_json('flavor', 'maxphysaddr', 'show', flavor.id)
    assert shown['Hosts'] == len(eligible(devcloud, P))

    devcloud.openstack('flavor', 'maxphysaddr', 'unset', flavor.name)
    assert specs(devcloud, flavor) == UNRELATED
    shown = devcloud.openstack_json('flavor', 'maxphysaddr', 'show', flavor.id)
    assert shown['Status'] == 'not configured'


def test_several_flavors_and_the_users_microversion(devcloud, make_flavor):
    flavors = [make_flavor(), make_flavor()]
    # Nova validates extra spec keys from 2.86 and Nova 34 refuses
    # hw:maxphysaddr_* there; the plugin pins its writes to 2.85.
    devcloud.openstack(
        '--os-compute-api-version',
        '2.90',
        'flavor',
        'maxphysaddr',
        'set',
        flavors[0].name,
        flavors[1].id,
        '--mode',
        'emulate',
        '--bits',
        '46',
    )
    for flavor in flavors:
        assert specs(devcloud, flavor)[BITS] == '46'
        assert specs(devcloud, flavor)[CAP] == '>= 46'


def test_model_refuses_a_q35_width_and_bits_auto(devcloud, make_flavor):
    # Measured: QEMU does not start a 2 GiB q35 guest at 35 bits (its
    # 32 GiB 64-bit PCI hole ends above 2^35); 36 bits work, and pc's
    # 2 GiB hole lets 35 bits work.
    two_gib = make_flavor(ram=2048)
    set_35 = ('flavor', 'maxphysaddr', 'set', two_gib.id, '--mode')
    set_35 += ('emulate', '--bits', '35')
    refused = devcloud.openstack(*set_35, '--machine-type', 'q35', check=False)
    assert refused.returncode == 1
    assert 'so the guest does not boot' in refused.stderr
    assert 'use 36 bits' in refused.stderr
    assert specs(devcloud, two_gib) == UNRELATED
    devcloud.openstack(*set_35, '--machine-type', 'pc')
    assert specs(devcloud, two_gib)[BITS] == '35'

    small = make_flavor()
    result = devcloud.openstack(
        'flavor',
        'maxphysaddr',
        'set',
        small.id,
        '--mode',
        'emulate',
        '--bits',
        'auto',
    )
    lowest = min(
        h['bits']
        for h in devcloud.hosts
        if E in h['traits']
        and h['bits'] is not None
        and (h['state'], h['status']) == ('up', 'enabled')
    )
    assert f'--bits auto: {lowest} bits' in result.stderr
    assert specs(devcloud, small)[BITS] == str(lowest)


def test_hypervisor_list_matches_nova_and_placement(devcloud, make_flavor):
    rows = devcloud.openstack_json('hypervisor', 'maxphysaddr', 'list')
    by_id = {row['ID']: row for row in rows}
    assert len(by_id) == len(devcloud.hosts)
    for host in devcloud.hosts:
        row = by_id[host['uuid']]
        assert row['Hypervisor Hostname'] == host['hostname']
        assert row['Bits'] == host['bits']
        assert (row['State'], row['Status']) == (host['state'], host['status'])
        assert row['Emulated'] is (E in host['traits'])
        assert row['Passthrough'] is (P in host['traits'])
    assert any(row['Bits'] is None for row in rows)

    wide = devcloud.openstack_json(
        'hypervisor', 'maxphysaddr', 'list', '--min-bits', '46'
    )
    assert sorted(r['Hypervisor Hostname'] for r in wide) == sorted(
        h['hostname'] for h in devcloud.hosts if (h['bits'] or 0) >= 46
    )
    passthrough = devcloud.openstack_json(
        'hypervisor', 'maxphysaddr', 'list', '--mode', 'passthrough'
    )
    assert sorted(r['Hypervisor Hostname'] for r in passthrough) == (
        eligible(devcloud, P, available=False)
    )

    flavor = make_flavor()
    devcloud.openstack(
        'flavor',
        'maxphysaddr',
        'set',
        flavor.id,
        '--mode',
        'emulate',
        '--bits',
        '42',
    )
    for_flavor = devcloud.openstack_json(
        'hypervisor', 'maxphysaddr', 'list', '--flavor', flavor.name
    )
    assert sorted(r['Hypervisor Hostname'] for r in for_flavor) == (
        eligible(devcloud, E, 42, available=False)
    )
    listed = devcloud.openstack_json('flavor', 'maxphysaddr', 'list')
    row = next(r for r in listed if r['ID'] == flavor.id)
    assert (row['Status'], row['Hosts']) == (
        'ok',
        len(eligible(devcloud, E, 42)),
    )


def test_non_admin_is_told_admin_rights_are_needed(devcloud, make_flavor):
    flavor = make_flavor()
    member = devcloud.member_cloud
    result = maxphysaddr(
        devcloud,
        'flavor',
        'maxphysaddr',
        'set',
        flavor.id,
        '--mode',
        'passthrough',
        cloud=member,
        check=False,
    )
    assert result.returncode == 1
    assert 'admin rights are needed' in result.stderr
    assert 'Traceback' not in result.stderr
    assert specs(devcloud, flavor) == UNRELATED

    listing = maxphysaddr(
        devcloud,
        'hypervisor',
        'maxphysaddr',
        'list',
        cloud=member,
        check=False,
    )
    assert listing.returncode == 1
    assert 'admin rights are needed' in listing.stderr


def write_by_hand(devcloud, flavor, extra_specs):
    """Extra specs as ``openstack flavor set`` at 2.85 writes them."""
    resp = devcloud.conn.compute.post(
        f'/flavors/{flavor.id}/os-extra_specs',
        json={'extra_specs': extra_specs},
        microversion='2.85',
    )
    assert resp.status_code == 200, resp.text


def show_status(devcloud, flavor, *args, cloud=None):
    kwargs = {'check': False}
    if cloud:
        kwargs['cloud'] = cloud
    return devcloud.openstack(
        'flavor',
        'maxphysaddr',
        'show',
        flavor.id,
        '-f',
        'json',
        *args,
        **kwargs,
    )


def test_specs_are_read_as_nova_reads_them(devcloud, make_flavor):

    flavor = make_flavor()
    # Nova compares the mode raw: a leading space is an error, and --check
    # makes that the exit status.
    write_by_hand(devcloud, flavor, {MODE: ' emulate', BITS: '42'})
    plain = show_status(devcloud, flavor)
    checked = show_status(devcloud, flavor, '--check')
    assert plain.returncode == 0, plain.stderr
    assert checked.returncode == 1
    assert checked.stdout == plain.stdout
    data = json.loads(checked.stdout)
    assert data['Status'] == (
        "error: hw:maxphysaddr_mode is ' emulate', not exactly emulate or "
        'passthrough: Nova cannot schedule the flavor'
    )
    assert data['Hosts'] is None
    assert f'Flavors with an error status: {flavor.name}' in checked.stderr

    # The bits go through int(), and a trait value other than exactly
    # 'required' is ignored: the flavor works, with a warning.
    write_by_hand(
        devcloud,
        flavor,
        {MODE: 'emulate', BITS: ' 42 ', 'trait:' + E: 'Required'},
    )
    checked = show_status(devcloud, flavor, '--check', '--long')
    assert checked.returncode == 0, checked.stderr
    data = json.loads(checked.stdout)
    assert data['Status'] == (
        "warning: trait:COMPUTE_ADDRESS_SPACE_EMULATED is 'Required': Nova "
        "honours only 'required' and 'forbidden' and ignores this value"
    )
    assert sorted(data['Host Names']) == eligible(devcloud, E, 42)
    assert specs(devcloud, flavor)[BITS] == ' 42 '  # nothing was written


def test_a_member_reads_statuses_but_not_hosts(devcloud, make_flavor):

    flavor = make_flavor()
    write_by_hand(devcloud, flavor, {MODE: 'emulate', BITS: '42'})
    result = show_status(devcloud, flavor, cloud=devcloud.member_cloud)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data['Status'] == 'ok'
    assert data['Hosts'] is None
    assert 'reading the hypervisors needs admin rights' in result.stderr
