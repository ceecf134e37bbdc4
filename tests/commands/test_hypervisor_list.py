"""``openstack hypervisor maxphysaddr list`` against the emulated cloud."""

import os_traits
import pytest

from osc_maxphysaddr import core
from tests.commands.conftest import hostnames
from tests.emulation import seed

E = os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
P = os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH
E_KEY = 'trait:' + E
P_KEY = 'trait:' + P


def list_(cloud, *args, **kwargs):
    return cloud.run(
        'hypervisor', 'maxphysaddr', 'list', '-f', 'json', *args, **kwargs
    )


def expected_rows(state):
    """The rows of hosts seeded by ``seed.add_hypervisors``, as seeded."""
    return {
        hyp.uuid: (
            hyp.hypervisor_hostname,
            hyp.state,
            hyp.status,
            seed.seeded_bits(hyp.id),
            E in state.resource_providers[hyp.uuid].traits,
            P in state.resource_providers[hyp.uuid].traits,
        )
        for hyp in state.hypervisors
    }


def as_rows(data):
    return {
        row['ID']: (
            row['Hypervisor Hostname'],
            row['State'],
            row['Status'],
            row['Bits'],
            row['Emulated'],
            row['Passthrough'],
        )
        for row in data
    }


def test_lists_every_host_in_a_fixed_request_budget(make_cloud):
    # Pages of 5 (Nova's [api] max_limit): 12 hosts, and four more from
    # the seed's mix: without maxphysaddr (32), disabled (40), down (50),
    # malformed (97).
    cloud = make_cloud(n_hypervisors=12, max_limit=5)
    for i in (32, 40, 50, 97):
        seed.add_hypervisors(cloud.state, 1, start=i)
    result = list_(cloud)
    assert result.code == 0, result.err
    data = result.json()
    assert as_rows(data) == expected_rows(cloud.state)
    assert len(data) == 16
    # 3 full pages of 5, then the last; traits: one Placement request per
    # trait, whatever the host count
    hypervisor_pages = cloud.log.select('compute', 'GET')
    assert len(hypervisor_pages) == 4
    assert all(r.microversion == '2.87' for r in hypervisor_pages)
    assert cloud.log.count('placement') == 2
    assert all(r.microversion == '1.18' for r in cloud.log.select('placement'))
    assert None in {row['Bits'] for row in data}
    assert {row['State'] for row in data} == {'up', 'down'}
    assert {row['Status'] for row in data} == {'enabled', 'disabled'}


# Nova sends a next link after every full page: one more, empty, page.
@pytest.mark.parametrize('n,pages', [(4, 1), (5, 2), (6, 2), (12, 3)])
def test_every_page_is_followed(make_cloud, n, pages):
    cloud = make_cloud(n_hypervisors=n, max_limit=5)
    data = list_(cloud).json()
    assert [row['ID'] for row in data] == [
        h.uuid for h in cloud.state.hypervisors
    ]
    assert cloud.log.count('compute', 'GET') == pages


def by_name(data):
    return {row['Hypervisor Hostname'] for row in data}


def test_filters_never_change_the_request_count(known_cloud):
    # conftest.KNOWN_HOSTS, in pages of 5
    cloud = known_cloud
    cloud.state.config.max_limit = 5
    seed.add_flavor(
        cloud.state,
        'big',
        ram=65536,
        vcpus=8,
        disk=10,
        flavor_id='big',
        extra_specs=core.Config('emulate', 46).extra_specs(),
    )

    data = list_(cloud, '--min-bits', '46').json()
    assert by_name(data) == set(hostnames(1, 4, 6, 7, 8))
    baseline = cloud.log.counts()

    data = list_(cloud, '--mode', 'passthrough').json()
    assert by_name(data) == set(hostnames(2, 4, 5, 6, 7))
    assert cloud.log.counts() == baseline

    data = list_(cloud, '--flavor', 'big').json()
    # whatever the state: down (6) and disabled (7) hosts are listed too
    assert by_name(data) == set(hostnames(1, 6, 7))
    flavor_reads = cloud.log.count('compute', route='/flavors/big')
    assert flavor_reads == 1
    assert cloud.log.count('compute', route='/os-hypervisors/detail') == 2
    assert cloud.log.count('placement') == 2


def test_flavor_filter_for_passthrough(known_cloud):
    cloud = known_cloud
    seed.add_flavor(
        cloud.state,
        'pt',
        ram=4096,
        vcpus=2,
        disk=10,
        flavor_id='pt',
        extra_specs=core.Config('passthrough').extra_specs(),
    )
    data = list_(cloud, '--flavor', 'pt').json()
    # the trait and a width to pass through (5 reports none)
    assert by_name(data) == set(hostnames(2, 4, 6, 7))


def test_a_flavor_in_error_is_reported_instead_of_a_list(cloud):
    seed.add_flavor(
        cloud.state,
        'broken',
        ram=4096,
        vcpus=2,
        disk=10,
        flavor_id='broken',
        extra_specs={core.CAPABILITY_KEY: '>=42'},
    )
    result = list_(cloud, '--flavor', 'broken')
    assert result.code == 1
    assert 'matches no host' in result.err
    assert result.out == ''
    assert cloud.log.count('compute', route='/os-hypervisors/detail') == 0


def test_a_flavor_not_configured_lists_every_host_and_says_so(cloud):
    everything = list_(cloud)
    result = list_(cloud, '--flavor', 'm1.small')
    assert result.code == 0, result.err
    assert result.out == everything.out
    said = [line for line in result.err.splitlines() if 'm1.small' in line]
    assert said == [
        'Flavor m1.small (2) has no maxphysaddr keys (not configured): '
        'every hypervisor is listed'
    ]
    assert 'not configured' not in everything.err


def test_a_flavor_nova_cannot_schedule_is_refused(cloud):
    # which flavors Nova cannot schedule: tests/unit/test_core.py
    specs = {core.MODE_KEY: 'emulate', core.BITS_KEY: '42', E_KEY: 'forbidden'}
    cloud.state.flavor_by_name('m1.small').extra_specs.update(specs)
    result = list_(cloud, '--flavor', 'm1.small')
    assert result.code == 1
    assert result.err.splitlines() == [
        'Flavor m1.small (2) cannot be scheduled as written: '
        + core.diagnose(specs).status
    ]
    assert result.out == ''
    # refused before the hypervisors and their traits are read
    assert cloud.api_requests('placement') == []
    routes = [r.route for r in cloud.api_requests('compute')]
    assert not any('os-hypervisors' in route for route in routes), routes


def test_flavor_filter_reads_the_specs_as_nova_does(known_cloud):
    cloud = known_cloud
    flavor = cloud.state.flavor_by_name('m1.small')
    flavor.extra_specs.update({core.MODE_KEY: 'emulate', core.BITS_KEY: '43'})
    exact = list_(cloud, '--flavor', 'm1.small').json()
    # whitespace around the bits and ignored trait values change nothing
    # (Nova still requires the mode's own trait)
    flavor.extra_specs.update(
        {core.BITS_KEY: ' 43 ', E_KEY: 'Required', P_KEY: 'yes'}
    )
    loose = list_(cloud, '--flavor', 'm1.small').json()
    assert loose == exact
    assert by_name(exact) == set(hostnames(1, 6, 7))


def test_hosts_without_or_with_broken_cpu_info_have_no_bits(cloud):
    seed.add_hypervisor(cloud.state, 900, cpu_info=None, traits={E})
    seed.add_hypervisor(
        cloud.state, 901, cpu_info={'arch': 'x86_64'}, traits=set()
    )
    seed.add_hypervisor(
        cloud.state,
        902,
        cpu_info={'maxphysaddr': {'mode': 'emulate', 'bits': 'many'}},
        traits={E, P},
    )
    data = {row['Hypervisor Hostname']: row for row in list_(cloud).json()}
    for i in (900, 901, 902):
        assert data[f'compute-00{i}.cloud.example.org']['Bits'] is None
    assert data['compute-00902.cloud.example.org']['Passthrough'] is True


@pytest.mark.parametrize('version', ['2.96', '2.88', '2.87'])
def test_cpu_info_is_read_whatever_the_users_microversion(cloud, version):
    result = list_(cloud, global_args=['--os-compute-api-version', version])
    assert result.code == 0, result.err
    assert as_rows(result.json()) == expected_rows(cloud.state)
    assert {r.microversion for r in cloud.log.select('compute')} == {'2.87'}


@pytest.mark.parametrize('max_version', ['2.52', '2.25'])
def test_old_clouds_match_traits_by_hostname(make_cloud, max_version):
    cloud = make_cloud(
        n_hypervisors=12, compute_max_version=max_version, max_limit=5
    )
    result = list_(cloud)
    assert result.code == 0, result.err
    data = result.json()
    by_name = {row['Hypervisor Hostname']: row for row in data}
    expected = expected_rows(cloud.state)
    assert len(data) == 12
    for hyp in cloud.state.hypervisors:
        row = by_name[hyp.hypervisor_hostname]
        assert row['ID'] == hyp.id  # integer ids before 2.53
        assert (row['Bits'], row['Emulated'], row['Passthrough']) == expected[
            hyp.uuid
        ][3:]
    pages = cloud.log.select('compute', 'GET')
    assert {r.microversion for r in pages} == {max_version}
    if max_version == '2.25':  # no paging before 2.33
        assert len(pages) == 1 and 'limit' not in pages[0].query
    else:
        assert len(pages) == 3


def test_without_placement_the_list_works_and_traits_are_unknown(make_cloud):
    cloud = make_cloud(placement_in_catalog=False)
    result = list_(cloud)
    assert result.code == 0, result.err
    data = result.json()
    assert len(data) == 12
    assert {row['Emulated'] for row in data} == {'unknown'}
    assert {row['Passthrough'] for row in data} == {'unknown'}
    assert 'Traits are unknown' in result.err
    assert 'Traceback' not in result.err

    result = list_(cloud, '--mode', 'emulate')
    assert result.code == 1
    assert 'cannot filter by trait without Placement' in result.err


def test_placement_failing_is_not_fatal(cloud):
    cloud.state.inject_fault('GET', r'/resource_providers', 503, times=5)
    result = list_(cloud)
    assert result.code == 0, result.err
    assert {row['Emulated'] for row in result.json()} == {'unknown'}
    assert 'HTTP 503' in result.err


def test_nova_failing_is_one_clear_line(cloud):
    cloud.state.inject_fault('GET', r'/os-hypervisors', 500)
    result = list_(cloud)
    assert result.code == 1
    assert 'cannot list hypervisors: the cloud answered HTTP 500' in result.err
    assert 'Traceback' not in result.err


def test_non_admin_is_told_admin_rights_are_needed(cloud):
    result = list_(cloud, user='member')
    assert result.code == 1
    assert 'admin rights are needed' in result.err


def test_stdout_holds_only_the_table_and_the_summary_goes_to_stderr(cloud):
    result = cloud.run(
        'hypervisor', 'maxphysaddr', 'list', '-f', 'value', '-c', 'Bits'
    )
    assert result.code == 0, result.err
    expected = expected_rows(cloud.state)
    assert result.out.split() == [str(row[3]) for row in expected.values()]
    widths = [row[3] for row in expected.values() if row[3] is not None]
    assert f'12 hypervisors, bits {min(widths)} to {max(widths)}' in (
        result.err
    )
    quiet = cloud.run(
        '--quiet',
        'hypervisor',
        'maxphysaddr',
        'list',
        '-f',
        'value',
        '-c',
        'Bits',
    )
    assert quiet.err == ''


def test_long_adds_cpu_vendor_and_model(cloud):
    data = list_(cloud, '--long').json()
    assert {(r['CPU Vendor'], r['CPU Model']) for r in data} == {
        ('Intel', 'Cascadelake-Server-noTSX')
    }


def test_invalid_min_bits_sends_nothing(cloud):
    result = list_(cloud, '--min-bits', '60')
    assert result.code == 2
    assert 'from 32 to 52' in result.err
    assert cloud.api_requests() == []


def test_an_unreachable_cloud_is_one_clear_line(cloud, monkeypatch):
    args = cloud.emulated.os_args()
    monkeypatch.setattr(cloud.emulated, 'os_args', lambda user: args)
    cloud.emulated.stop()  # nothing listens on its port any more
    result = list_(cloud)
    assert result.code == 1
    assert 'Traceback' not in result.err
    assert 'Unable to establish connection' in result.err


def test_debug_still_logs_the_listing_bodies(cloud):
    # The listing reads skip keystoneauth's body logging only when no
    # handler would show it.
    result = cloud.run('--debug', 'hypervisor', 'maxphysaddr', 'list')
    assert result.code == 0, result.err
    bodies = [x for x in result.err.splitlines() if 'RESP BODY' in x]
    assert any('"resource_providers"' in x for x in bodies)
    assert any('"hypervisors"' in x for x in bodies)
