"""The emulation answers the real clients the way Nova and Placement do."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openstack
import os_traits
import pytest
import requests
from keystoneauth1 import exceptions as ksa_exc
from openstack import exceptions as sdk_exc

from tests.emulation import CloudState
from tests.emulation import EmulatedCloud
from tests.emulation import seed
from tests.emulation.osc import run_osc

EMULATED = os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
PASSTHROUGH = os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH
REPO_ROOT = Path(__file__).resolve().parents[2]


def connect(cloud, user='admin', **kwargs):
    return openstack.connect(**cloud.connect_kwargs(user), **kwargs)


def token(cloud, user='admin'):
    return connect(cloud, user).auth_token


def raw_get(cloud, path, version=None, user='admin', service='compute'):
    headers = {'X-Auth-Token': token(cloud, user)}
    if version:
        headers['OpenStack-API-Version'] = f'{service} {version}'
    return requests.get(cloud.base_url + path, headers=headers, timeout=10)


# -- identity -----------------------------------------------------------------


def test_sdk_authenticates_and_lists_flavors(cloud):
    conn = connect(cloud)

    names = sorted(f.name for f in conn.compute.flavors())

    assert names == ['m1.large', 'm1.medium', 'm1.small', 'private.xl']
    kinds = [(r.service, r.kind) for r in cloud.log.records]
    assert kinds[:2] == [('identity', 'discovery'), ('identity', 'auth')]
    [api] = cloud.log.select(service='compute')
    assert (api.method, api.route, api.user) == (
        'GET',
        '/flavors/detail',
        'admin',
    )


def test_wrong_password_is_a_keystone_401(cloud):
    body = {
        'auth': {
            'identity': {
                'methods': ['password'],
                'password': {
                    'user': {
                        'name': 'admin',
                        'domain': {'name': 'Default'},
                        'password': 'wrong',
                    }
                },
            }
        }
    }

    resp = requests.post(cloud.auth_url + '/v3/auth/tokens', json=body)

    assert resp.status_code == 401
    assert resp.json()['error']['title'] == 'Unauthorized'
    assert not cloud.state.tokens


def test_unknown_token_is_rejected(cloud):
    resp = requests.get(
        cloud.base_url + '/compute/v2.1/flavors',
        headers={'X-Auth-Token': 'bogus'},
    )

    assert resp.status_code == 401


def test_catalog_without_placement(cloud):
    cloud.state.config.placement_in_catalog = False
    conn = connect(cloud)

    # openstacksdk 4.0.0 lets keystoneauth's EndpointNotFound through;
    # later releases raise their own SDKException.
    with pytest.raises((sdk_exc.SDKException, ksa_exc.EndpointNotFound)):
        conn.placement.get('/resource_providers')

    assert cloud.log.count(service='placement', kind=None) == 0


# -- compute: versions and microversions --------------------------------------


def test_version_documents_follow_nova(cloud):
    cloud.state.config.compute_max_version = '2.87'

    versions = requests.get(cloud.base_url + '/compute/').json()
    current = requests.get(cloud.base_url + '/compute/v2.1/').json()

    assert [v['id'] for v in versions['versions']] == ['v2.0', 'v2.1']
    assert versions['versions'][1]['version'] == '2.87'
    assert current['version']['version'] == '2.87'
    assert current['version']['min_version'] == '2.1'
    assert current['version']['links'][0] == {
        'rel': 'self',
        'href': cloud.base_url + '/compute/v2.1/',
    }


def test_unsupported_microversion_is_406(cloud):
    resp = raw_get(cloud, '/compute/v2.1/flavors', version='2.97')

    assert resp.status_code == 406
    assert resp.json() == {
        'computeFault': {
            'code': 406,
            'message': 'Version 2.97 is not supported by the API. Minimum '
            'is 2.1 and maximum is 2.96.',
        }
    }


def test_microversion_is_echoed_with_vary(cloud):
    resp = raw_get(cloud, '/compute/v2.1/flavors', version='latest')

    assert resp.headers['OpenStack-API-Version'] == 'compute 2.96'
    assert resp.headers['X-OpenStack-Nova-API-Version'] == '2.96'
    assert 'OpenStack-API-Version' in resp.headers['Vary']
    no_header = raw_get(cloud, '/compute/v2.1/flavors')
    assert no_header.headers['OpenStack-API-Version'] == 'compute 2.1'


# -- compute: flavors and extra specs ----------------------------------------


def test_flavor_paging_with_limit_marker_and_links():
    state = CloudState()
    seed.add_flavors(state, 5)
    with EmulatedCloud(state) as cloud:
        first = raw_get(cloud, '/compute/v2.1/flavors?limit=2').json()
        [link] = first['flavors_links']
        second = requests.get(
            link['href'], headers={'X-Auth-Token': token(cloud)}
        ).json()

    assert len(first['flavors']) == 2
    assert f'marker={first["flavors"][-1]["id"]}' in link['href']
    assert 'limit=2' in link['href']
    assert len(second['flavors']) == 2
    assert {f['id'] for f in first['flavors']}.isdisjoint(
        f['id'] for f in second['flavors']
    )


def test_missing_flavor_is_item_not_found(cloud):
    resp = raw_get(cloud, '/compute/v2.1/flavors/nope')

    assert resp.status_code == 404
    assert resp.json() == {
        'itemNotFound': {
            'code': 404,
            'message': 'Flavor nope could not be found.',
        }
    }


@pytest.mark.parametrize(
    ('version', 'has_description', 'has_extra_specs'),
    [('2.1', False, False), ('2.55', True, False), ('2.61', True, True)],
)
def test_flavor_fields_by_microversion(
    cloud, version, has_description, has_extra_specs
):
    flavor = raw_get(cloud, '/compute/v2.1/flavors/4', version).json()[
        'flavor'
    ]

    assert ('description' in flavor) is has_description
    assert ('extra_specs' in flavor) is has_extra_specs


def test_extra_spec_key_crud_matches_nova(cloud):
    conn = connect(cloud)
    base = '/flavors/4/os-extra_specs'

    missing = conn.compute.get(f'{base}/hw:numa_nodes')
    put_mismatch = conn.compute.put(
        f'{base}/hw:numa_nodes', json={'hw:cpu_policy': 'shared'}
    )
    put = conn.compute.put(f'{base}/hw:numa_nodes', json={'hw:numa_nodes': 2})
    delete = conn.compute.delete(f'{base}/hw:numa_nodes')

    assert missing.status_code == 404
    assert missing.json()['itemNotFound']['message'] == (
        'Flavor 4 has no extra specs with key hw:numa_nodes.'
    )
    assert put_mismatch.status_code == 400
    assert 'Request body and URI mismatch' in put_mismatch.text
    assert (put.status_code, put.json()) == (200, {'hw:numa_nodes': 2})
    assert (delete.status_code, delete.content) == (200, b'')
    assert cloud.state.flavors['4'].extra_specs == {
        'hw:cpu_policy': 'dedicated'
    }


@pytest.mark.parametrize(
    ('key', 'value', 'status'),
    [
        ('hw:maxphysaddr_mode', 'emulate', 400),
        ('hw:maxphysaddr_bits', '42', 400),
        (f'trait:{EMULATED}', 'required', 200),
        (f'trait:{PASSTHROUGH}', 'bogus', 400),
        ('capabilities:cpu_info:maxphysaddr:bits', '>= 42', 200),
        ('hw:cpu_policy', 'dedicated', 200),
        ('custom_ns:anything', 'x', 200),
    ],
)
def test_extra_spec_validation_at_2_86(cloud, key, value, status):
    conn = connect(cloud)

    resp = conn.compute.post(
        '/flavors/2/os-extra_specs',
        json={'extra_specs': {key: value}},
        microversion='2.86',
    )
    old = conn.compute.post(
        '/flavors/3/os-extra_specs',
        json={'extra_specs': {key: value}},
        microversion='2.85',
    )

    assert resp.status_code == status
    assert old.status_code == 200
    assert (key in cloud.state.flavors['2'].extra_specs) is (status == 200)
    if key.startswith('hw:maxphysaddr'):
        assert resp.json()['badRequest']['message'] == (
            f"Validation failed; extra spec '{key}' does not appear to be "
            f'a valid extra spec.'
        )


# -- compute: hypervisors -----------------------------------------------------


def test_hypervisor_detail_at_2_87_has_cpu_info_object(cloud):
    conn = connect(cloud)

    resp = conn.compute.get('/os-hypervisors/detail', microversion='2.87')

    hyps = resp.json()['hypervisors']
    assert len(hyps) == 10
    first = hyps[0]
    assert first['id'] == cloud.state.hypervisors[0].uuid
    assert first['cpu_info']['maxphysaddr'] == {'mode': 'emulate', 'bits': 40}
    assert {'vcpus', 'memory_mb', 'service', 'host_ip'} <= set(first)
    assert 'uptime' not in first
    assert 'hypervisors_links' not in resp.json()  # page not full


def test_hypervisor_views_by_microversion(cloud):
    cloud.state.hypervisors[0].cpu_info = None
    cloud.state.hypervisor_changed()
    conn = connect(cloud)

    def first(version):
        resp = conn.compute.get('/os-hypervisors/detail', microversion=version)
        return resp.json()['hypervisors'][1]

    old, v252, v288 = first('2.25'), first('2.52'), first('2.88')

    assert isinstance(old['cpu_info'], str)
    assert json.loads(old['cpu_info'])['maxphysaddr']['bits'] == 42
    assert (old['id'], v252['id']) == (2, 2)
    assert isinstance(v252['service']['id'], int)
    assert 'cpu_info' not in v288 and 'vcpus' not in v288
    assert v288['uptime'].startswith(' 10:00:00 up')
    none_info = conn.compute.get('/os-hypervisors/detail', microversion='2.87')
    assert none_info.json()['hypervisors'][0]['cpu_info'] == {}


def test_corrupt_cpu_info_row_fails_like_nova(cloud):
    cloud.state.hypervisors[3].cpu_info = 'not json {'
    cloud.state.hypervisor_changed()
    conn = connect(cloud)

    old = conn.compute.get('/os-hypervisors/detail', microversion='2.27')
    new = conn.compute.get('/os-hypervisors/detail', microversion='2.28')

    assert old.json()['hypervisors'][3]['cpu_info'] == 'not json {'
    assert new.status_code == 500
    assert 'Unexpected API Error' in new.json()['computeFault']['message']


@pytest.mark.filterwarnings('ignore::openstack.warnings.RemovedFieldWarning')
# Pages of 5 ([api] max_limit): the SDK follows Nova's next links.
@pytest.mark.parametrize(('hosts', 'pages'), [(6, 2), (10, 3)])
def test_sdk_pages_hypervisors(hosts, pages):
    state = CloudState()
    state.config.max_limit = 5
    seed.add_hypervisors(state, hosts)
    with EmulatedCloud(state) as cloud:
        conn = connect(cloud, compute_api_version='2.87')

        listed = list(conn.compute.hypervisors(details=True))

        calls = cloud.log.select(route='/os-hypervisors/detail')
    assert len(listed) == hosts
    assert len({h.id for h in listed}) == hosts
    assert len(calls) == pages
    assert [c.microversion for c in calls] == ['2.87'] * pages
    assert 'marker' not in calls[0].query
    assert calls[1].query['marker'] == state.hypervisors[4].uuid
    if hosts == 10:
        # A full last page still carries a next link: one empty page more.
        assert calls[2].query['marker'] == state.hypervisors[9].uuid
        assert calls[2].status == 200


def test_paging_below_2_33_returns_everything(cloud):
    cloud.state.config.max_limit = 5
    conn = connect(cloud)

    resp = conn.compute.get(
        '/os-hypervisors/detail?limit=5', microversion='2.32'
    )

    assert len(resp.json()['hypervisors']) == 10
    assert 'hypervisors_links' not in resp.json()


def test_integer_marker_below_2_53_and_bad_marker(cloud):
    conn = connect(cloud)

    page = conn.compute.get(
        '/os-hypervisors?limit=3&marker=4', microversion='2.52'
    ).json()
    bad = conn.compute.get('/os-hypervisors?marker=nope', microversion='2.87')

    assert [h['id'] for h in page['hypervisors']] == [5, 6, 7]
    assert page['hypervisors_links'][0]['href'].endswith(
        '/compute/v2.1/os-hypervisors?limit=3&marker=7'
    )
    assert bad.status_code == 400
    assert bad.json()['badRequest']['message'] == 'marker [nope] not found'


def test_hypervisor_show_by_uuid_and_integer(cloud):
    conn = connect(cloud)
    hyp = cloud.state.hypervisors[2]

    new = conn.compute.get(f'/os-hypervisors/{hyp.uuid}', microversion='2.53')
    old = conn.compute.get('/os-hypervisors/3', microversion='2.52')
    bad = conn.compute.get('/os-hypervisors/3', microversion='2.53')

    assert new.json()['hypervisor']['id'] == hyp.uuid
    assert old.json()['hypervisor']['id'] == 3
    assert bad.status_code == 400
    assert bad.json()['badRequest']['message'] == 'Invalid uuid 3'


# -- placement ----------------------------------------------------------------


def test_placement_root_document(cloud):
    doc = requests.get(cloud.base_url + '/placement/').json()

    assert doc == {
        'versions': [
            {
                'id': 'v1.0',
                'max_version': '1.39',
                'min_version': '1.0',
                'status': 'CURRENT',
                'links': [{'rel': 'self', 'href': ''}],
            }
        ]
    }


def test_placement_required_traits(cloud):
    seed.add_hypervisors(cloud.state, 20, start=11)  # host 25: no trait
    conn = connect(cloud)
    rps = cloud.state.resource_providers.values()
    emulated = {rp.uuid for rp in rps if EMULATED in rp.traits}
    not_passthrough = {rp.uuid for rp in rps if PASSTHROUGH not in rp.traits}

    found = conn.placement.get(
        f'/resource_providers?required={EMULATED}', microversion='1.18'
    )
    too_old = conn.placement.get(
        f'/resource_providers?required={EMULATED}', microversion='1.17'
    )
    forbidden_old = conn.placement.get(
        f'/resource_providers?required=!{PASSTHROUGH}', microversion='1.18'
    )
    forbidden = conn.placement.get(
        f'/resource_providers?required=!{PASSTHROUGH}', microversion='1.22'
    )
    unknown = conn.placement.get(
        '/resource_providers?required=CUSTOM_NOPE', microversion='1.18'
    )

    assert {p['uuid'] for p in found.json()['resource_providers']} == emulated
    assert 0 < len(emulated) < 30
    assert too_old.status_code == 400
    assert (
        "('required' was unexpected)" in too_old.json()['errors'][0]['detail']
    )
    assert forbidden_old.status_code == 400
    assert {
        p['uuid'] for p in forbidden.json()['resource_providers']
    } == not_passthrough
    assert unknown.status_code == 400
    assert 'No such trait(s): CUSTOM_NOPE.' in unknown.text


def test_placement_per_provider_calls(cloud):
    conn = connect(cloud)
    hyp = cloud.state.hypervisors[9]  # the 10th: passthrough and emulated

    rp = conn.placement.get(
        f'/resource_providers/{hyp.uuid}', microversion='1.14'
    ).json()
    traits = conn.placement.get(
        f'/resource_providers/{hyp.uuid}/traits', microversion='1.6'
    ).json()
    missing = conn.placement.get(
        '/resource_providers/00000000-0000-0000-0000-000000000000',
        microversion='1.14',
    )

    assert rp['name'] == hyp.hypervisor_hostname
    assert rp['root_provider_uuid'] == hyp.uuid
    assert {EMULATED, PASSTHROUGH} <= set(traits['traits'])
    assert traits['resource_provider_generation'] == rp['generation']
    assert missing.status_code == 404
    assert missing.json()['errors'][0]['title'] == 'Not Found'


def test_placement_denies_members(cloud):
    conn = connect(cloud, 'member')

    resp = conn.placement.get('/resource_providers', microversion='1.18')

    assert resp.status_code == 403
    assert (
        'Policy does not allow placement:resource_providers:list to be '
        'performed.' in resp.json()['errors'][0]['detail']
    )


# -- the OSC shell in-process -------------------------------------------------


def test_osc_flavor_list(cloud):
    result = run_osc(cloud, 'flavor', 'list', '-f', 'json')

    assert result.rc == 0, result.stderr
    assert {f['Name'] for f in result.json()} == {
        'm1.small',
        'm1.medium',
        'm1.large',
    }
    [call] = cloud.log.select(service='compute', route='/flavors/detail')
    assert call.query == {'is_public': 'True'}


def test_osc_hypervisor_list_long_at_2_87(cloud):
    result = run_osc(
        cloud,
        '--os-compute-api-version',
        '2.87',
        'hypervisor',
        'list',
        '--long',
        '-f',
        'json',
    )

    assert result.rc == 0, result.stderr
    rows = result.json()
    assert len(rows) == 10
    assert rows[0]['ID'] == cloud.state.hypervisors[0].uuid
    assert rows[0]['vCPUs'] == 64
    [call] = cloud.log.select(route='/os-hypervisors/detail')
    assert call.microversion == '2.87'


def test_osc_flavor_show(cloud):
    result = run_osc(cloud, 'flavor', 'show', 'm1.large', '-f', 'json')

    assert result.rc == 0, result.stderr
    assert result.json()['properties'] == {'hw:cpu_policy': 'dedicated'}


def test_osc_flavor_set_maxphysaddr_rejected_at_2_90(cloud):
    result = run_osc(
        cloud,
        '--os-compute-api-version',
        '2.90',
        'flavor',
        'set',
        '--property',
        'hw:maxphysaddr_mode=emulate',
        'm1.small',
    )

    assert result.rc != 0
    assert (
        "extra spec 'hw:maxphysaddr_mode' does not appear to be a valid "
        'extra spec' in result.stderr
    )
    assert 'hw:maxphysaddr_mode' not in cloud.state.flavors['2'].extra_specs
    [post] = cloud.log.select(method='POST', service='compute')
    assert (post.microversion, post.status) == ('2.90', 400)


def test_osc_flavor_set_maxphysaddr_accepted_at_2_85(cloud):
    result = run_osc(
        cloud,
        '--os-compute-api-version',
        '2.85',
        'flavor',
        'set',
        '--property',
        'hw:maxphysaddr_mode=emulate',
        '--property',
        'hw:maxphysaddr_bits=42',
        'm1.small',
    )

    assert result.rc == 0, result.stderr
    assert cloud.state.flavors['2'].extra_specs == {
        'hw:maxphysaddr_mode': 'emulate',
        'hw:maxphysaddr_bits': '42',
    }


def test_osc_member_is_forbidden(cloud):
    hyp = run_osc(cloud, 'hypervisor', 'list', user='member')
    spec = run_osc(
        cloud,
        'flavor',
        'set',
        '--property',
        f'trait:{EMULATED}=required',
        'm1.small',
        user='member',
    )

    assert hyp.rc != 0
    assert (
        "Policy doesn't allow os_compute_api:os-hypervisors:list-detail to "
        'be performed.' in hyp.stderr
    )
    assert spec.rc != 0
    assert cloud.state.flavors['2'].extra_specs == {}
    assert {r.user for r in cloud.log.select(service='compute')} == {'member'}


def test_osc_runs_do_not_leak_between_users(cloud):
    run_osc(cloud, 'hypervisor', 'list')
    run_osc(cloud, 'hypervisor', 'list', user='member')

    users = [r.user for r in cloud.log.select(route='/os-hypervisors/detail')]
    assert users == ['admin', 'member']


def test_injected_fault_fails_once(cloud):
    cloud.state.inject_fault('GET', r'/flavors/detail$', 503, times=1)

    failed = run_osc(cloud, 'flavor', 'list')
    passed = run_osc(cloud, 'flavor', 'list')

    assert failed.rc != 0
    assert 'Injected fault (503)' in failed.stderr
    assert passed.rc == 0
    statuses = [r.status for r in cloud.log.select(route='/flavors/detail')]
    assert statuses == [503, 200]
    assert not cloud.state.faults


def test_injected_fault_body_is_nova_shaped(cloud):
    cloud.state.inject_fault('*', '/os-hypervisors', 409, message='busy')

    resp = raw_get(cloud, '/compute/v2.1/os-hypervisors')

    assert resp.json() == {
        'conflictingRequest': {'code': 409, 'message': 'busy'}
    }


def test_latency_is_added_to_every_request(cloud):
    conn = connect(cloud)
    conn.compute.get('/flavors')
    cloud.state.config.latency_ms = 60

    start = time.perf_counter()
    conn.compute.get('/flavors')
    elapsed = time.perf_counter() - start

    assert elapsed >= 0.06


# -- clouds.yaml and the standalone server ------------------------------------


def test_clouds_yaml_works_with_sdk(cloud, tmp_path):
    path = cloud.write_clouds_yaml(tmp_path / 'clouds.yaml', 'emu')
    # In a process of its own: openstacksdk 4.0.0 keeps state from a
    # clouds.yaml connection that sent later connections of this process
    # to this cloud's port after it stopped.
    code = (
        'import openstack; '
        "conn = openstack.connect(cloud='emu'); "
        'print(len(list(conn.compute.flavors())))'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env['OS_CLIENT_CONFIG_FILE'] = str(path)
    out = subprocess.run(
        [sys.executable, '-c', code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    ).stdout

    assert out.split() == ['4']


def test_standalone_server_starts_and_stops(tmp_path):
    clouds = tmp_path / 'clouds.yaml'
    proc = subprocess.Popen(
        [
            sys.executable,
            '-m',
            'tests.emulation',
            '--hypervisors',
            '2000',
            '--latency-ms',
            '1',
            '--compute-max-version',
            '2.87',
            '--clouds-yaml',
            str(clouds),
            '--cloud-name',
            'bench',
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, 'PYTHONPATH': str(REPO_ROOT)},
    )
    try:
        auth_url = proc.stdout.readline().strip()
        versions = requests.get(auth_url.replace('identity', 'compute/v2.1'))
        # No clouds.yaml: older openstacksdk releases (4.0.0, 4.13.0) keep
        # every OS_CLIENT_CONFIG_FILE they were given in a module-level
        # list, so an earlier test's one-cloud file would win over these
        # arguments.
        conn = openstack.connect(
            auth_url=auth_url,
            username='admin',
            password='secret',
            project_name='admin',
            user_domain_name='Default',
            project_domain_name='Default',
            load_yaml_config=False,
        )
        hyps = conn.compute.get('/os-hypervisors', microversion='2.87')
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=10)

    assert auth_url.startswith('http://127.0.0.1:')
    assert versions.json()['version']['version'] == '2.87'
    assert len(hyps.json()['hypervisors']) == 1000
    assert 'bench:' in clouds.read_text()
    assert rc == 0
