"""Servers seeded in the real Nova, listed with their targets.

Servers are written into Nova's databases with Nova's own objects
(``cloud/server_seeder.py``), so ``GET /servers/detail`` on the real Nova
API returns them with their embedded flavors and image properties. The
expected targets are worked out here from the seed manifest (widths,
traits, CPUs, states of the hosts) by the rules of the guide.
"""

import re

import pytest

from tests.functional.cloud import hosts as host_mix
from tests.functional.cloud import servers as server_seed
from tests.functional.cloud.configs import NOVA_MAX_LIMIT as NOVA_PAGE

EMU = host_mix.EMULATED
PT = host_mix.PASSTHROUGH
EMULATE_42 = {
    'hw:maxphysaddr_mode': 'emulate',
    'hw:maxphysaddr_bits': '42',
    f'trait:{EMU}': 'required',
}
PASSTHROUGH = {
    'hw:maxphysaddr_mode': 'passthrough',
    f'trait:{PT}': 'required',
}

#: (server, host index, extra specs, image properties). Host profiles
#: (cloud/hosts.py): 1 passthrough 40 both traits; 2 emulate 42 EMULATED
#: only; 7 passthrough 48 no traits.
PLAN = (
    ('mpa-srv-pt-on-1', 1, PASSTHROUGH, {}),
    (
        'mpa-srv-emu46-on-1',
        1,
        {**EMULATE_42, 'hw:maxphysaddr_bits': '46'},
        {},
    ),
    ('mpa-srv-emu40-on-2', 2, {**EMULATE_42, 'hw:maxphysaddr_bits': '40'}, {}),
    ('mpa-srv-pt-on-7', 7, PASSTHROUGH, {}),
    ('mpa-srv-emu42-on-7', 7, EMULATE_42, {}),
    ('mpa-srv-img-on-7', 7, {}, {'hw_maxphysaddr_mode': 'passthrough'}),
    ('mpa-srv-broken-on-7', 7, {'hw:maxphysaddr_mode': 'emulate'}, {}),
    ('mpa-srv-plain-on-7', 7, {'hw:cpu_policy': 'dedicated'}, {}),
)
CONFIGURED = {
    name for name, _, specs, image in PLAN if name != 'mpa-srv-plain-on-7'
}


PREFIX = 'mpa-srv-'


def configured_on(devcloud, host):
    """The servers on ``host`` with a maxphysaddr key, read from Nova."""
    resp = devcloud.conn.compute.get(
        f'/servers/detail?all_tenants=1&node={host}', microversion='2.98'
    )
    assert resp.status_code == 200, resp.text
    return [
        s['name']
        for s in resp.json()['servers']
        if any(
            k.startswith('hw:maxphysaddr') for k in s['flavor']['extra_specs']
        )
        or any(
            k.startswith('hw_maxphysaddr') for k in s['image']['properties']
        )
    ]


@pytest.fixture(scope='module')
def seeded(devcloud):
    """The planned servers exist in Nova; their plan entries by name."""
    conn = devcloud.conn
    by_index = {h['index']: h for h in devcloud.hosts}
    plan = [
        server_seed.server(
            name,
            by_index[index]['hostname'],
            project_id=conn.current_project_id,
            user_id=conn.current_user_id,
            extra_specs=specs,
            image_properties=image,
        )
        for name, index, specs, image in PLAN
    ]
    server_seed.seed(devcloud.cloud.layout, plan)
    return {entry['name']: entry for entry in plan}


def expected_targets(hosts, current, specs, image):
    """The hostnames that can take the guest, by the guide's rules."""
    mode = specs.get('hw:maxphysaddr_mode') or image.get('hw_maxphysaddr_mode')
    here = next(h for h in hosts if h['hostname'] == current)
    out = []
    for h in hosts:
        if h is here or (h['state'], h['status']) != ('up', 'enabled'):
            continue
        if mode == 'emulate':
            bits = int(specs['hw:maxphysaddr_bits'])
            # Small guests boot at any of these widths on either vendor.
            if EMU in h['traits'] and (h['bits'] or 0) >= bits:
                out.append(h['hostname'])
        elif (
            PT in h['traits']
            and here['bits'] is not None
            and (h['bits'], h['vendor'], h['model'])
            == (here['bits'], here['vendor'], here['model'])
        ):
            out.append(h['hostname'])
    return out


def test_real_nova_embeds_the_seeded_flavors_and_image_properties(
    devcloud, seeded
):
    resp = devcloud.conn.compute.get(
        '/servers/detail?all_tenants=1&host=mpa00007.devcloud',
        microversion='2.98',
    )
    assert resp.status_code == 200, resp.text
    got = {s['name']: s for s in resp.json()['servers']}
    assert set(got) >= {n for n, i, *_ in PLAN if i == 7}
    img = got['mpa-srv-img-on-7']
    assert img['image']['properties'] == {'hw_maxphysaddr_mode': 'passthrough'}
    assert got['mpa-srv-emu42-on-7']['flavor']['extra_specs'] == EMULATE_42


@pytest.mark.parametrize('index', [1, 2, 7])
def test_list_host_shows_each_guests_targets(devcloud, seeded, index):
    host = devcloud.hosts[index]['hostname']
    rows = devcloud.openstack_json(
        'server', 'maxphysaddr', 'list', '--host', host, '--long'
    )
    assert len(rows) == len(configured_on(devcloud, host))
    rows = [r for r in rows if r['Name'].startswith(PREFIX)]
    planned = {n for n, i, *_ in PLAN if i == index} & CONFIGURED
    assert {r['Name'] for r in rows} == planned
    for row in rows:
        entry = seeded[row['Name']]
        assert row['ID'] == entry['uuid']
        assert row['Host'] == host
        if 'broken' in row['Name']:
            assert row['Status'] == (
                'error: emulate mode without hw:maxphysaddr_bits: libvirt '
                'older than 9.2.0 refuses the guest, 9.2.0 and later pass '
                "host-phys-bits=off, so the guest gets QEMU's fallback of 40 "
                'bits on every CPU mode'
            )
            assert row['Targets'] == 0
            continue
        want = expected_targets(
            devcloud.hosts,
            host,
            entry['flavor']['extra_specs'],
            entry['image_properties'],
        )
        assert row['Targets'] == len(want), row
        assert row['Target Hosts'] == want[:3]
        assert row['CPU Vendor'] == devcloud.hosts[index]['vendor']


def test_show_names_the_stranded_guests_and_check_exits_1(devcloud, seeded):
    hosts = devcloud.hosts
    for index in (1, 2, 7):
        host = hosts[index]['hostname']
        planned = [
            seeded[n] for n, i, *_ in PLAN if i == index and n in CONFIGURED
        ]
        stranded = sorted(
            f'{e["name"]} ({e["uuid"]})'
            for e in planned
            if 'broken' in e['name']
            or not expected_targets(
                hosts,
                host,
                e['flavor']['extra_specs'],
                e['image_properties'],
            )
        )
        shown = devcloud.openstack_json(
            'hypervisor', 'maxphysaddr', 'show', host
        )
        assert shown['Bits'] == hosts[index]['bits']
        assert shown['Servers'] == len(configured_on(devcloud, host))
        ours = [s for s in shown['Stranded'] if s.startswith(PREFIX)]
        assert sorted(ours) == stranded
        checked = devcloud.openstack(
            'hypervisor',
            'maxphysaddr',
            'show',
            host,
            '--check',
            '-f',
            'json',
            check=False,
        )
        assert checked.returncode == (1 if stranded else 0), checked.stderr
        for label in stranded:
            assert label in checked.stderr


_REQ = re.compile(r'REQ: curl -g -i -X (\w+) (\S+)')


def test_the_request_budget_on_the_real_cloud(devcloud, seeded):
    proc = devcloud.openstack('--debug', 'server', 'maxphysaddr', 'list')
    sent = [
        (method, re.sub(r'^https?://[^/]+', '', url))
        for method, url in _REQ.findall(proc.stderr)
    ]
    api = [
        (m, u)
        for m, u in sent
        if '/servers/detail' in u
        or '/os-hypervisors/detail' in u
        or '/resource_providers' in u
    ]
    # Nova sends a next link on every full page: one more, empty, page.
    pages = len(devcloud.hosts) // NOVA_PAGE + 1
    servers = [u for _, u in api if '/servers/detail' in u]
    hypervisors = [u for _, u in api if '/os-hypervisors/detail' in u]
    placement = [u for _, u in api if '/resource_providers' in u]
    assert len(servers) == 1  # fewer servers than a page holds
    assert 'all_tenants=1' in servers[0]
    assert len(hypervisors) == pages
    assert len(placement) == 2
    # Nothing else but auth and version discovery.
    others = {u.rstrip('/') for m, u in sent if (m, u) not in api}
    assert others <= {'', '/v3', '/v2.1', '/v3/auth/tokens'}, others


def test_a_member_is_refused_in_one_line(devcloud, seeded):
    proc = devcloud.openstack(
        'server',
        'maxphysaddr',
        'list',
        cloud=devcloud.member_cloud,
        check=False,
    )
    assert proc.returncode == 1
    assert '403' in proc.stderr
    assert proc.stdout == ''


def test_project_filter_is_applied_by_nova(devcloud, seeded):
    mine = devcloud.openstack_json(
        'server', 'maxphysaddr', 'list', '--project', 'admin'
    )
    assert CONFIGURED <= {r['Name'] for r in mine}
    other = devcloud.openstack_json(
        'server',
        'maxphysaddr',
        'list',
        '--project',
        devcloud.conn.identity.find_project(
            'maxphysaddr-member', ignore_missing=False
        ).id,
    )
    assert not {r['Name'] for r in other} & CONFIGURED
