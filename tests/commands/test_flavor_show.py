"""``openstack flavor maxphysaddr show`` against the emulated cloud."""

import os_traits
import pytest

from osc_maxphysaddr import core
from tests.commands.conftest import add_known_hosts
from tests.commands.conftest import hostnames

MODE = core.MODE_KEY
BITS = core.BITS_KEY
CAP = core.CAPABILITY_KEY
EMU = 'trait:' + os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
PT = 'trait:' + os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH


def show(cloud, flavor, *args, **kwargs):
    return cloud.run(
        'flavor',
        'maxphysaddr',
        'show',
        flavor,
        '-f',
        'json',
        *args,
        **kwargs,
    )


def configure(cloud, name, specs):
    cloud.state.flavor_by_name(name).extra_specs.update(specs)


def test_show_a_configured_flavor(known_cloud):
    cloud = known_cloud
    configure(cloud, 'm1.large', core.Config('emulate', 42).extra_specs())
    result = show(cloud, 'm1.large', '--long')
    assert result.code == 0, result.err
    assert result.json() == {
        'ID': '4',
        'Name': 'm1.large',
        'RAM': 8192,
        'Mode': 'emulate',
        'Bits': 42,
        'Required Traits': ['COMPUTE_ADDRESS_SPACE_EMULATED'],
        'Capabilities': '>= 42',
        'Status': 'ok',
        'Hosts': 2,
        'Host Names': hostnames(1, 2),  # conftest.KNOWN_HOSTS
    }
    # one flavor read, one hypervisor page, one Placement call per trait
    assert [r.route for r in cloud.api_requests('compute')] == [
        '/flavors/m1.large',
        '/flavors/detail',
        '/os-hypervisors/detail',
    ]
    assert [r.query['required'] for r in cloud.api_requests('placement')] == [
        os_traits.COMPUTE_ADDRESS_SPACE_EMULATED,
        os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH,
    ]


def test_show_by_id_reads_the_flavor_once(known_cloud):
    cloud = known_cloud
    configure(cloud, 'm1.large', core.Config('passthrough').extra_specs())
    result = show(cloud, '4', '--long')
    assert result.code == 0, result.err
    data = result.json()
    assert data['Mode'] == 'passthrough' and data['Bits'] is None
    assert data['Host Names'] == hostnames(2, 4)
    assert cloud.log.count('compute', route='/flavors/4') == 1
    assert cloud.log.count('compute', route='/flavors/detail') == 0


def test_show_not_configured_asks_for_no_hosts(cloud):
    result = show(cloud, 'm1.small')
    assert result.code == 0, result.err
    data = result.json()
    assert data['Status'] == 'not configured'
    assert data['Mode'] is None and data['Hosts'] is None
    assert cloud.api_requests('placement') == []


# One status of each kind reaches the user as the core words it; every
# rule has its row in tests/unit/test_core.py (DIAGNOSES).
@pytest.mark.parametrize(
    'specs,status',
    [
        ({MODE: 'emulate', BITS: '42'}, 'ok'),
        (
            {MODE: 'emulate'},
            'error: emulate mode without hw:maxphysaddr_bits: libvirt older '
            'than 9.2.0 refuses the guest, 9.2.0 and later pass '
            "host-phys-bits=off, so the guest gets QEMU's fallback of 40 "
            'bits on every CPU mode',
        ),
        (
            {MODE: 'emulate', BITS: '42', CAP: '>= 40'},
            "warning: capabilities:cpu_info:maxphysaddr:bits is '>= 40', but "
            "Nova ignores it and uses '>= 42' from hw:maxphysaddr_bits",
        ),
    ],
)
def test_status_reaches_the_user(cloud, specs, status):
    configure(cloud, 'm1.large', specs)
    data = show(cloud, 'm1.large').json()
    assert data['Status'] == status
    # a flavor in error reads no hosts
    assert (data['Hosts'] is None) is status.startswith('error')
    assert (cloud.api_requests('placement') == []) is (data['Hosts'] is None)


def test_bits_are_an_integer_in_json_and_raw_when_malformed(cloud):
    configure(cloud, 'm1.large', {MODE: 'emulate', BITS: 'forty'})
    data = show(cloud, 'm1.large').json()
    assert data['Bits'] == 'forty'
    assert data['Status'] == (
        "error: hw:maxphysaddr_bits is 'forty', not an integer from 32 to 52"
    )


def test_show_unknown_flavor(cloud):
    result = show(cloud, 'nope')
    assert result.code == 1
    assert "No flavor with a name or ID of 'nope' exists" in result.err
    assert 'Traceback' not in result.err


def test_show_without_placement_leaves_hosts_unknown(make_cloud):
    cloud = make_cloud(placement_in_catalog=False)
    configure(cloud, 'm1.large', {MODE: 'emulate', BITS: '42'})
    result = show(cloud, 'm1.large')
    assert result.code == 0, result.err
    assert result.json()['Hosts'] is None
    assert 'Hosts are unknown' in result.err


def test_show_on_an_old_cloud(make_cloud):
    cloud = add_known_hosts(
        make_cloud(n_hypervisors=0, compute_max_version='2.25')
    )
    configure(cloud, 'm1.large', {MODE: 'emulate', BITS: '42'})
    result = show(cloud, 'm1.large', '--long')
    assert result.code == 0, result.err
    data = result.json()
    assert data['Status'] == 'ok'
    # matched to providers by hostname, since ids are integers before 2.53
    assert data['Host Names'] == hostnames(1, 2)


def test_hosts_are_read_from_the_specs_as_nova_reads_them(known_cloud):
    # Nova reads the bits with int() and ignores a trait value other than
    # exactly 'required' or 'forbidden': the hosts of '42' (the rules:
    # tests/unit/test_core.py test_host_requirement).
    cloud = known_cloud
    configure(cloud, 'm1.large', {MODE: 'emulate', BITS: '42'})
    exact = show(cloud, 'm1.large', '--long').json()
    configure(cloud, 'm1.large', {BITS: ' 42 ', EMU: 'Required', PT: 'yes'})
    loose = show(cloud, 'm1.large', '--long').json()
    assert loose['Host Names'] == exact['Host Names'] == hostnames(1, 2)
    assert loose['Required Traits'] == ['COMPUTE_ADDRESS_SPACE_EMULATED']


# --- --check -----------------------------------------------------------------


def test_check_exits_1_on_an_error_and_keeps_the_output(cloud):
    configure(cloud, 'm1.large', {MODE: 'emulate'})
    plain = show(cloud, 'm1.large')
    checked = show(cloud, 'm1.large', '--check')
    assert plain.code == 0  # without --check, as before
    assert checked.code == 1
    assert checked.out == plain.out
    assert checked.json()['Status'] == core.diagnose({MODE: 'emulate'}).status
    assert checked.err.splitlines() == [
        'Flavors with an error status: m1.large (4)'
    ]


@pytest.mark.parametrize(
    'specs',
    [
        {},  # not configured
        {MODE: 'emulate', BITS: '42'},  # ok
        {MODE: 'emulate', BITS: '42', CAP: '>= 40'},  # a warning only
    ],
)
def test_check_exits_0_without_an_error(cloud, specs):
    configure(cloud, 'm1.large', specs)
    result = show(cloud, 'm1.large', '--check')
    assert result.code == 0, result.err
    assert result.json()['Status'] == core.diagnose(specs).status
    assert 'error status' not in result.err


def test_a_member_reads_the_status_without_hosts(cloud):
    # Reading extra specs is open to project readers; hypervisors are not.
    configure(cloud, 'm1.large', {MODE: 'emulate', BITS: '42'})
    as_admin = show(cloud, 'm1.large').json()
    result = show(cloud, 'm1.large', user='member')
    assert result.code == 0, result.err
    data = result.json()
    assert data['Status'] == as_admin['Status'] == 'ok'
    assert data['Hosts'] is None and as_admin['Hosts'] is not None
    assert result.err.splitlines() == [
        'Hosts are unknown: reading the hypervisors needs admin rights '
        '(HTTP 403)'
    ]
    listing = cloud.run(
        'flavor', 'maxphysaddr', 'list', '-f', 'json', user='member'
    )
    assert listing.code == 0, listing.err
    assert [(r['Name'], r['Status'], r['Hosts']) for r in listing.json()] == [
        ('m1.large', 'ok', None)
    ]
