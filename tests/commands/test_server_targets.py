"""``server maxphysaddr list`` and ``hypervisor maxphysaddr show``.

Run through the real OSC shell against the emulated cloud: the rows are
checked against hosts built for each rule, and every request is counted.
"""

import json

import pytest

from osc_maxphysaddr import core
from tests.commands.conftest import running
from tests.emulation import seed

EMU = 'COMPUTE_ADDRESS_SPACE_EMULATED'
PT = 'COMPUTE_ADDRESS_SPACE_PASSTHROUGH'
AMD = ('AMD', 'EPYC-Milan')
ICELAKE = ('Intel', 'Icelake-Server')


def cpu_info(bits, cpu=None):
    info = seed.libvirt_cpu_info(bits)
    if cpu:
        info['vendor'], info['model'] = cpu
    return info


def rule_cloud(**config):
    """Hosts that each pass or fail one rule, and servers on them.

    h1..h9 (``compute-0000N.cloud.example.org``):

    ====  ====  ==========  ========  ========
    host  bits  traits      CPU       state
    ====  ====  ==========  ========  ========
    h1    42    both        Intel CL  up
    h2    42    both        Intel CL  up
    h3    46    EMULATED    Intel CL  up
    h4    40    both        Intel CL  up
    h5    46    both        Intel CL  down
    h6    46    both        Intel CL  disabled
    h7    42    both        AMD       up
    h8    42    PASSTHROUGH Icelake   up
    h9    -     both        Intel CL  up
    ====  ====  ==========  ========  ========
    """
    config.setdefault('compute_max_version', '2.100')
    state = seed.standard_cloud(0, **config)
    both = {EMU, PT}
    rows = [
        (42, both, None, 'up', 'enabled'),
        (42, both, None, 'up', 'enabled'),
        (46, {EMU}, None, 'up', 'enabled'),
        (40, both, None, 'up', 'enabled'),
        (46, both, None, 'down', 'enabled'),
        (46, both, None, 'up', 'disabled'),
        (42, both, AMD, 'up', 'enabled'),
        (42, {PT}, ICELAKE, 'up', 'enabled'),
        (None, both, None, 'up', 'enabled'),
    ]
    hyps = [
        seed.add_hypervisor(
            state,
            i,
            cpu_info=cpu_info(bits, cpu),
            traits=traits,
            state_=up,
            status=status,
        )
        for i, (bits, traits, cpu, up, status) in enumerate(rows, 1)
    ]
    h = dict(enumerate(hyps, 1))
    add = seed.add_server
    # on h1: emulate 42 -> h2, h3, h7 (h4 too narrow, h5/h6 unavailable)
    add(state, 'emu42', h[1], extra_specs=seed.emulate_specs(42))
    # on h1: passthrough sees 42 on Intel CL -> h2 only (h7 AMD, h8 other
    # model and no width match on h3/h4)
    add(state, 'pt-h1', h[1], extra_specs=dict(seed.PASSTHROUGH_SPECS))
    # on h2: emulate 46 -> h3 only
    add(state, 'emu46', h[2], extra_specs=seed.emulate_specs(46))
    # on h3: emulate 48 -> nothing reports 48 or more: stranded
    add(state, 'emu48', h[3], extra_specs=seed.emulate_specs(48))
    # on h8: passthrough on the only Icelake host: stranded
    add(state, 'pt-h8', h[8], extra_specs=dict(seed.PASSTHROUGH_SPECS))
    # on h3: broken (emulate without bits): error, 0 targets
    add(state, 'broken', h[3], extra_specs=dict(seed.EMULATE_SPECS))
    # on h2: configured by its image only (2.98) -> like pt on h2: h1
    add(
        state,
        'image-pt',
        h[2],
        image_properties={'hw_maxphysaddr_mode': 'passthrough'},
    )
    # on h9: passthrough where the host reports no width: 0 targets
    add(state, 'pt-h9', h[9], extra_specs=dict(seed.PASSTHROUGH_SPECS))
    # shelved (on no host): passthrough sees no width yet -> every up,
    # enabled host with the trait that reports a width: h1, h2, h4, h7,
    # h8 (h9 holds both traits without a width, as Nova 28 computes do:
    # the guest would get QEMU's default width there)
    add(state, 'shelved-pt', None, extra_specs=dict(seed.PASSTHROUGH_SPECS))
    # not configured: never listed
    add(state, 'plain', h[1], extra_specs={'hw:cpu_policy': 'dedicated'})
    # on h4: emulate 40, 64 GiB -> h1, h2, h3, h7 (64 GiB fits 40 bits)
    add(
        state,
        'big40',
        h[4],
        extra_specs=seed.emulate_specs(40),
        ram=65536,
    )
    return state


def host_name(n):
    return f'compute-{n:05d}.cloud.example.org'


WANT = {
    'emu42': ('emulate', 42, 'ok', [2, 3, 7]),
    'pt-h1': ('passthrough', 42, 'ok', [2]),
    'emu46': ('emulate', 46, 'ok', [3]),
    'emu48': ('emulate', 48, 'ok', []),
    'pt-h8': ('passthrough', 42, 'ok', []),
    'image-pt': ('passthrough', 42, 'ok', [1]),
    'pt-h9': ('passthrough', None, 'ok', []),
    'big40': ('emulate', 40, 'ok', [1, 2, 3, 7]),
    'shelved-pt': ('passthrough', None, 'ok', [1, 2, 4, 7, 8]),
}


@pytest.fixture
def rules():
    with running(rule_cloud()) as cloud:
        yield cloud


def api(cloud):
    return [(r.service, r.method, r.route) for r in cloud.api_requests()]


def test_each_guest_gets_the_targets_its_rules_allow(rules):
    result = rules.run('server', 'maxphysaddr', 'list', '--long', '-f', 'json')
    assert result.code == 0, result.err
    rows = {r['Name']: r for r in result.json()}
    assert set(rows) == set(WANT) | {'broken'}
    for name, (mode, bits, status, targets) in WANT.items():
        row = rows[name]
        assert (row['Mode'], row['Bits']) == (mode, bits), name
        if status is not None:
            assert row['Status'] == status, name
        assert row['Targets'] == len(targets), name
        assert row['Target Hosts'] == [host_name(n) for n in targets][:3]
    assert rows['broken']['Status'] == core.diagnose(seed.EMULATE_SPECS).status
    assert rows['broken']['Targets'] == 0
    assert rows['big40']['RAM'] == 65536
    assert rows['pt-h8']['CPU Vendor'] == 'Intel'
    assert rows['pt-h8']['CPU Model'] == 'Icelake-Server'
    for name in ('emu48', 'pt-h8', 'broken', 'pt-h9'):
        assert name in result.err
    assert 'emu42' not in result.err


def test_the_request_budget_is_pages_plus_two_placement_calls(rules):
    result = rules.run('server', 'maxphysaddr', 'list')
    assert result.code == 0, result.err
    requests = rules.api_requests()
    assert sorted((r.route, r.microversion) for r in requests) == [
        ('/os-hypervisors/detail', '2.87'),
        ('/resource_providers', '1.18'),
        ('/resource_providers', '1.18'),
        ('/servers/detail', '2.98'),
    ]
    servers = [r for r in requests if r.route == '/servers/detail']
    assert servers[0].query == {'all_tenants': '1', 'limit': '1000'}


def test_servers_are_read_page_by_page_as_nova_pages_them(make_cloud):
    # 25 servers, 10 a page: 10 + 10 + 5; every full page has a next link.
    state = seed.standard_cloud(5, compute_max_version='2.100', max_limit=10)
    seed.add_servers(state, 25)
    configured = [
        s for s in state.servers if s.extra_specs or s.image_properties
    ]
    with running(state) as cloud:
        result = cloud.run('server', 'maxphysaddr', 'list', '-f', 'json')
        assert result.code == 0, result.err
        pages = cloud.log.select(route='/servers/detail')
        newest_first = list(reversed(state.servers))
        assert [p.query.get('marker') for p in pages] == [
            None,
            newest_first[9].id,
            newest_first[19].id,
        ]
        assert {r['ID'] for r in result.json()} == {s.id for s in configured}
        # A full last page costs one more, empty, page.
        seed.add_servers(state, 5)
        cloud.run('server', 'maxphysaddr', 'list', '-f', 'json')
        assert len(cloud.log.select(route='/servers/detail')) == 4
        assert len(cloud.log.select(service='placement')) == 2


def test_host_and_project_filters_are_sent_to_nova(rules):
    host = 'compute-00001'
    result = rules.run(
        'server', 'maxphysaddr', 'list', '--host', host, '-f', 'json'
    )
    assert result.code == 0, result.err
    (page,) = rules.log.select(route='/servers/detail')
    assert page.query['host'] == host
    assert page.query['all_tenants'] == '1'
    assert {r['Name'] for r in result.json()} == {'emu42', 'pt-h1'}

    member = rules.state.users['member']
    seed.add_server(
        rules.state,
        'demo-vm',
        rules.state.hypervisors[0],
        extra_specs=seed.emulate_specs(42),
        project='demo',
    )
    result = rules.run(
        'server',
        'maxphysaddr',
        'list',
        '--project',
        member.project_id,
        '-f',
        'json',
    )
    assert result.code == 0, result.err
    (page,) = rules.log.select(route='/servers/detail')
    assert page.query['project_id'] == member.project_id
    assert [r['Name'] for r in result.json()] == ['demo-vm']


def test_a_member_gets_one_line_not_an_empty_list(rules):
    result = rules.run('server', 'maxphysaddr', 'list', user='member')
    assert result.code == 1
    assert result.out == ''
    assert 'HTTP 403' in result.err and 'get_all_tenants' in result.err
    assert len(result.err.strip().splitlines()) == 1
    # Nothing after the refused page.
    assert [r.route for r in rules.api_requests()] == ['/servers/detail']


def test_hidden_extra_specs_fail_instead_of_listing_nothing():
    state = rule_cloud(hide_server_extra_specs=True)
    with running(state) as cloud:
        result = cloud.run('server', 'maxphysaddr', 'list')
    assert result.code == 1
    assert result.out == ''
    assert 'hides flavor extra specs' in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_older_clouds_show_flavor_based_configuration_only():
    state = rule_cloud(compute_max_version='2.96')
    with running(state) as cloud:
        result = cloud.run('server', 'maxphysaddr', 'list', '-f', 'json')
        assert result.code == 0, result.err
        (page,) = cloud.log.select(route='/servers/detail')
    assert page.microversion == '2.96'
    names = {r['Name'] for r in result.json()}
    assert names == (set(WANT) | {'broken'}) - {'image-pt'}


def test_clouds_older_than_2_47_are_refused_in_one_line():
    state = rule_cloud(compute_max_version='2.46')
    with running(state) as cloud:
        result = cloud.run('server', 'maxphysaddr', 'list')
        assert cloud.log.select(route='/servers/detail') == []
    assert result.code == 1
    assert '2.47' in result.err


def test_without_placement_targets_are_unknown():
    state = rule_cloud()
    with running(state) as cloud:
        state.inject_fault('GET', r'/resource_providers', 503, times=2)
        result = cloud.run('server', 'maxphysaddr', 'list', '-f', 'json')
    assert result.code == 0, result.err
    rows = {r['Name']: r for r in result.json()}
    assert rows['emu42']['Targets'] is None
    assert rows['broken']['Targets'] == 0
    assert 'unknown' in result.err


def show(cloud, n, *extra):
    return cloud.run(
        'hypervisor',
        'maxphysaddr',
        'show',
        host_name(n),
        *extra,
        '-f',
        'json',
    )


def test_show_names_the_stranded_guests_of_a_host(rules):
    result = show(rules, 3)
    assert result.code == 0, result.err
    data = result.json()
    assert data['Hypervisor Hostname'] == host_name(3)
    assert (data['Bits'], data['Traits']) == (46, [EMU])
    assert data['Servers'] == 2  # emu48 and broken
    stranded = {s.split(' (')[0] for s in data['Stranded']}
    assert stranded == {'emu48', 'broken'}
    (page,) = rules.log.select(route='/servers/detail')
    assert page.query['node'] == host_name(3)
    assert len(rules.log.select(service='placement')) == 2
    assert len(rules.api_requests()) == 4


def test_check_exits_1_exactly_when_a_guest_is_stranded(rules):
    plain = show(rules, 3)
    checked = show(rules, 3, '--check')
    assert checked.code == 1
    assert checked.out == plain.out
    assert 'emu48' in checked.err and 'broken' in checked.err

    # h1: emu42 and pt-h1 both have somewhere to go.
    fine = show(rules, 1, '--check')
    assert fine.code == 0, fine.err
    assert fine.json()['Servers'] == 2
    assert fine.json()['Stranded'] == []
    # h5 carries no configured guest.
    empty = show(rules, 5, '--check')
    assert empty.code == 0
    assert empty.json()['Servers'] == 0


def test_show_of_an_unknown_host_fails_in_one_line(rules):
    result = rules.run('hypervisor', 'maxphysaddr', 'show', 'nowhere')
    assert result.code == 1
    assert "'nowhere'" in result.err
    assert rules.log.select(route='/servers/detail') == []


def test_show_json_keeps_types(rules):
    result = show(rules, 1)
    data = json.loads(result.out)
    assert isinstance(data['Servers'], int)
    assert isinstance(data['Stranded'], list)
    assert data['CPU Vendor'] == 'Intel'
