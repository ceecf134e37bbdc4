"""What real Nova reports about the seeded hypervisors."""

import json
import re

from tests.functional.cloud.configs import NOVA_MAX_LIMIT as NOVA_PAGE

# cpu_info is in the detail view up to 2.87; 2.88 drops it (and adds
# uptime, which this cloud serves from the seeded node stats).
CPU_INFO_MICROVERSION = '2.87'
NO_CPU_INFO_MICROVERSION = '2.88'


def test_list_long_returns_every_seeded_host(devcloud):
    rows = devcloud.openstack_json(
        '--os-compute-api-version',
        CPU_INFO_MICROVERSION,
        'hypervisor',
        'list',
        '--long',
    )

    got = {r['ID']: (r['Hypervisor Hostname'], r['State']) for r in rows}
    want = {h['uuid']: (h['hostname'], h['state']) for h in devcloud.hosts}
    assert got == want


def test_detail_at_2_87_carries_maxphysaddr_bits(devcloud):
    hypervisors = devcloud.hypervisors(CPU_INFO_MICROVERSION)

    got = {
        h['id']: (
            h['hypervisor_hostname'],
            h['cpu_info'].get('maxphysaddr'),
            h['state'],
            h['status'],
        )
        for h in hypervisors
    }
    want = {
        h['uuid']: (h['hostname'], h['maxphysaddr'], h['state'], h['status'])
        for h in devcloud.hosts
    }
    assert got == want
    # Both kinds are in the mix: hosts with and without maxphysaddr.
    assert {m is None for _, m, _, _ in got.values()} == {True, False}


def test_detail_at_2_88_has_no_cpu_info(devcloud):
    hypervisors = devcloud.hypervisors(NO_CPU_INFO_MICROVERSION)

    assert len(hypervisors) == len(devcloud.hosts)
    assert all('cpu_info' not in h for h in hypervisors)
    assert all(h['uptime'] for h in hypervisors)


def test_non_admin_cannot_list_hypervisors(devcloud):
    proc = devcloud.openstack(
        '--os-compute-api-version',
        CPU_INFO_MICROVERSION,
        'hypervisor',
        'list',
        cloud=devcloud.member_cloud,
        check=False,
    )

    assert proc.returncode != 0
    assert '403' in proc.stderr


def test_non_admin_gets_403_from_the_api(devcloud):
    conn = devcloud.connect(devcloud.member_cloud)
    try:
        resp = conn.compute.get(
            '/os-hypervisors/detail', microversion=CPU_INFO_MICROVERSION
        )
    finally:
        conn.close()

    assert resp.status_code == 403


def test_list_follows_every_page_of_real_nova(devcloud):
    # Nova returns at most [api] max_limit hypervisors a response (small
    # on this cloud), with a next link after every full page.
    manifest = devcloud.cloud.seed(2 * NOVA_PAGE + 1)  # no-op if seeded
    proc = devcloud.openstack(
        '--debug', 'hypervisor', 'maxphysaddr', 'list', '-f', 'json'
    )

    rows = json.loads(proc.stdout)
    assert len(rows) == manifest['count'] > 2 * NOVA_PAGE
    assert {r['ID'] for r in rows} == {h['uuid'] for h in manifest['hosts']}
    pages = re.findall(
        r'REQ: curl .* GET \S+/os-hypervisors/detail', proc.stderr
    )
    assert len(pages) == manifest['count'] // NOVA_PAGE + 1
