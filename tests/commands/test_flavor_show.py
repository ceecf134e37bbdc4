"""``openstack flavor maxphysaddr show`` against the emulated cloud."""

import os_traits
import pytest

from osc_maxphysaddr import core

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


def expected_hosts(state, min_bits=None, trait=None):
    """The hostnames that can take a flavor, computed from the state."""
    names = []
    for hyp in state.hypervisors:
        provider = state.resource_providers[hyp.uuid]
        info = hyp.cpu_info if isinstance(hyp.cpu_info, dict) else {}
        maxphysaddr = info.get('maxphysaddr')
        bits = (
            maxphysaddr.get('bits') if isinstance(maxphysaddr, dict) else None
        )
        if hyp.state != 'up' or hyp.status != 'enabled':
            continue
        if trait not in provider.traits:
            continue
        if min_bits is not None and not (
            isinstance(bits, int) and bits >= min_bits
        ):
            continue
        names.append(hyp.hypervisor_hostname)
    return names


def test_show_a_configured_flavor(make_cloud):
    cloud = make_cloud(n_hypervisors=120)
    configure(cloud, 'm1.large', core.Config('emulate', 46).extra_specs())
    result = show(cloud, 'm1.large', '--long')
    assert result.code == 0, result.err
    data = result.json()
    hosts = expected_hosts(
        cloud.state, 46, os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
    )
    assert 0 < len(hosts) < 120
    assert data == {
        'ID': '4',
        'Name': 'm1.large',
        'RAM': 8192,
        'Mode': 'emulate',
        'Bits': 46,
        'Required Traits': ['COMPUTE_ADDRESS_SPACE_EMULATED'],
        'Capabilities': '>= 46',
        'Status': 'ok',
        'Hosts': len(hosts),
        'Host Names': hosts,
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


def test_show_by_id_reads_the_flavor_once(cloud):
    configure(cloud, 'm1.large', core.Config('passthrough').extra_specs())
    result = show(cloud, '4')
    assert result.code == 0, result.err
    data = result.json()
    assert data['Mode'] == 'passthrough' and data['Bits'] is None
    assert data['Hosts'] == len(
        expected_hosts(
            cloud.state, None, os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH
        )
    )
    assert cloud.log.count('compute', route='/flavors/4') == 1
    assert cloud.log.count('compute', route='/flavors/detail') == 0


def test_show_not_configured_asks_for_no_hosts(cloud):
    result = show(cloud, 'm1.small')
    assert result.code == 0, result.err
    data = result.json()
    assert data['Status'] == 'not configured'
    assert data['Mode'] is None and data['Hosts'] is None
    assert cloud.api_requests('placement') == []


@pytest.mark.parametrize(
    'specs,status',
    [
        ({MODE: 'emulate', BITS: '42'}, 'ok'),
        ({BITS: '42'}, 'error: hw:maxphysaddr_bits is set without '),
        (
            {MODE: 'emulate'},
            'error: emulate mode without hw:maxphysaddr_bits: libvirt older '
            'than 9.2.0 refuses the guest',
        ),
        (
            {MODE: ' emulate', BITS: '42'},
            "error: hw:maxphysaddr_mode is ' emulate', not exactly emulate "
            'or passthrough',
        ),
        ({MODE: 'emulate', BITS: ' 42 '}, 'ok'),
        (
            {MODE: 'emulate', BITS: '42', EMU: 'Required'},
            "warning: trait:COMPUTE_ADDRESS_SPACE_EMULATED is 'Required': "
            "Nova honours only 'required' and 'forbidden'",
        ),
        (
            {MODE: 'emulate', BITS: '42', PT: 'forbidden'},
            "error: trait:COMPUTE_ADDRESS_SPACE_PASSTHROUGH is 'forbidden', "
            'but every libvirt host that supports emulate mode has that '
            'trait too',
        ),
        (
            {MODE: 'passthrough', CAP: '>= x'},
            "error: capabilities:cpu_info:maxphysaddr:bits is '>= x': "
            'ComputeCapabilitiesFilter raises on it',
        ),
        (
            {MODE: 'passthrough', CAP: '<all-in> 4 6'},
            'warning: capabilities:cpu_info:maxphysaddr:bits on a '
            'passthrough flavor',
        ),
        (
            {MODE: 'passthrough', CAP: '>=42'},
            "error: capabilities:cpu_info:maxphysaddr:bits is '>=42', which "
            'matches no host',
        ),
        (
            {MODE: 'emulate', BITS: '42', CAP: '>= 40'},
            "warning: capabilities:cpu_info:maxphysaddr:bits is '>= 40', but "
            "Nova ignores it and uses '>= 42'",
        ),
        (
            # pc (Nova's default) puts 8 GiB of RAM and its 2 GiB 64-bit
            # PCI hole above 4 GiB: QEMU does not start at 32 bits
            {MODE: 'emulate', BITS: '32'},
            'error: ',
        ),
    ],
)
def test_status_reaches_the_user(cloud, specs, status):
    configure(cloud, 'm1.large', specs)
    data = show(cloud, 'm1.large').json()
    assert data['Status'].startswith(status)
    if data['Status'].startswith('error'):
        assert data['Hosts'] is None
        assert cloud.api_requests('placement') == []


def test_bits_are_an_integer_in_json_and_raw_when_malformed(cloud):
    configure(cloud, 'm1.large', {MODE: 'emulate', BITS: 'forty'})
    data = show(cloud, 'm1.large').json()
    assert data['Bits'] == 'forty'
    assert data['Status'].startswith("error: hw:maxphysaddr_bits is 'forty'")


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
    cloud = make_cloud(compute_max_version='2.25')
    configure(cloud, 'm1.large', {MODE: 'emulate', BITS: '42'})
    result = show(cloud, 'm1.large')
    assert result.code == 0, result.err
    data = result.json()
    assert data['Status'] == 'ok'
    # matched to providers by hostname, since ids are integers before 2.53
    assert data['Hosts'] == len(
        expected_hosts(
            cloud.state, 42, os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
        )
    )


@pytest.mark.parametrize(
    'specs',
    [
        # Nova reads the bits with int(): the same hosts as '42'
        {MODE: 'emulate', BITS: ' 42 '},
        # an ignored trait value changes nothing; Nova requires EMULATED
        {MODE: 'emulate', BITS: '42', EMU: 'Required'},
        {MODE: 'emulate', BITS: '42', PT: 'yes'},
    ],
)
def test_hosts_count_reads_the_specs_as_nova_does(make_cloud, specs):
    cloud = make_cloud(n_hypervisors=120)
    configure(cloud, 'm1.large', specs)
    data = show(cloud, 'm1.large', '--long').json()
    hosts = expected_hosts(
        cloud.state, 42, os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
    )
    assert 0 < len(hosts) < 120
    assert data['Host Names'] == hosts
    assert data['Hosts'] == len(hosts)
    assert data['Required Traits'] == ['COMPUTE_ADDRESS_SPACE_EMULATED']


# --- --check -----------------------------------------------------------------


def test_check_exits_1_on_an_error_and_keeps_the_output(cloud):
    configure(cloud, 'm1.large', {MODE: 'emulate'})
    plain = show(cloud, 'm1.large')
    checked = show(cloud, 'm1.large', '--check')
    assert plain.code == 0  # without --check, as before
    assert checked.code == 1
    assert checked.out == plain.out
    assert checked.json()['Status'].startswith('error: ')
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
    assert not result.json()['Status'].startswith('error')
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
