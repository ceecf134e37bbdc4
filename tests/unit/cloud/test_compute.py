"""Nova's flavors, hypervisors and servers, read against a fake proxy."""

import pytest
from openstack import exceptions as sdk_exceptions

from osc_maxphysaddr import core
from osc_maxphysaddr.cloud import compute
from osc_maxphysaddr.cloud import http
from tests.unit.cloud.fake import FakeProxy
from tests.unit.cloud.fake import connection
from tests.unit.cloud.fake import reply

FLAVORS = '/flavors/detail?is_public=None&limit=1000'


def nova(answers, max_version='2.100'):
    proxy = FakeProxy(
        'compute',
        {
            ('GET', url) if isinstance(url, str) else url: a
            for url, a in answers
        },
        max_version=max_version,
        min_version='2.1',
    )
    return connection(compute=proxy), proxy


def flavor(ident, name, **extra):
    return {'id': ident, 'name': name, **extra}


# --- flavors ----------------------------------------------------------------


def test_flavor_calls_go_at_the_clouds_newest_when_it_is_older():
    body = flavor('1', 'small')  # 2.60: no extra_specs in the body
    specs = {'hw:maxphysaddr_mode': 'emulate'}
    conn, proxy = nova(
        [
            ('/flavors/1', reply(200, {'flavor': body})),
            ('/flavors/1/os-extra_specs', reply(200, {'extra_specs': specs})),
        ],
        max_version='2.60',
    )
    (found,) = compute.find_flavors(conn, ['1'])
    assert compute.flavor_extra_specs(conn, found) == specs
    assert proxy.sent() == [
        ('GET', '/flavors/1', '2.60'),
        ('GET', '/flavors/1/os-extra_specs', '2.60'),
    ]


def test_extra_specs_in_the_body_cost_no_request():
    conn, proxy = nova([])
    specs = compute.flavor_extra_specs(
        conn, flavor('1', 's', extra_specs={'a': 'b'})
    )
    assert specs == {'a': 'b'}
    assert proxy.calls == []


def test_a_value_that_is_no_id_is_looked_up_by_name_across_pages():
    conn, proxy = nova(
        [
            ('/flavors/small', reply(404, {'itemNotFound': {'message': 'x'}})),
            ('/flavors/1', reply(200, {'flavor': flavor('1', 'tiny')})),
            (
                FLAVORS,
                reply(
                    200,
                    {
                        'flavors': [flavor('1', 'tiny')],
                        'flavors_links': [{'rel': 'next', 'href': 'x'}],
                    },
                ),
            ),
            (
                FLAVORS + '&marker=1',
                reply(200, {'flavors': [flavor('7', 'small')]}),
            ),
        ]
    )
    found = compute.find_flavors(conn, ['small', '1', 'small'])
    assert [f['id'] for f in found] == ['7', '1', '7']
    assert proxy.sent() == [
        ('GET', '/flavors/small', '2.85'),
        ('GET', '/flavors/1', '2.85'),
        ('GET', FLAVORS, '2.85'),
        ('GET', FLAVORS + '&marker=1', '2.85'),
    ]


@pytest.mark.parametrize(
    'listed,error,message',
    [
        (
            [],
            compute.FlavorNotFound,
            "No flavor with a name or ID of 'big' exists.",
        ),
        (
            [flavor('8', 'big'), flavor('9', 'big')],
            compute.FlavorAmbiguous,
            "More than one flavor exists with the name 'big'; "
            'use its ID instead.',
        ),
    ],
)
def test_a_name_matches_exactly_one_flavor(listed, error, message):
    conn, _ = nova(
        [
            ('/flavors/big', reply(404, {'itemNotFound': {'message': 'x'}})),
            (FLAVORS, reply(200, {'flavors': listed})),
        ]
    )
    with pytest.raises(error) as raised:
        compute.find_flavors(conn, ['big'])
    assert str(raised.value) == message


def test_other_errors_of_the_id_lookup_are_raised():
    conn, _ = nova(
        [('/flavors/x', reply(403, {'forbidden': {'message': 'no'}}))]
    )
    with pytest.raises(sdk_exceptions.ForbiddenException):
        compute.find_flavors(conn, ['x'])


def test_flavor_ids_with_a_slash_are_quoted():
    ident = 'gpu/a100'
    conn, proxy = nova(
        [
            (
                '/flavors/gpu%2Fa100',
                reply(200, {'flavor': flavor(ident, 'g')}),
            ),
            (('POST', '/flavors/gpu%2Fa100/os-extra_specs'), reply(200, {})),
            (
                (
                    'DELETE',
                    '/flavors/gpu%2Fa100/os-extra_specs/hw:maxphysaddr_bits',
                ),
                reply(202),
            ),
        ]
    )
    compute.find_flavors(conn, [ident])
    compute.set_extra_specs(conn, ident, {'hw:maxphysaddr_mode': 'emulate'})
    compute.delete_extra_spec(conn, ident, 'hw:maxphysaddr_bits')
    assert [(m, u) for m, u, _ in proxy.sent()] == [
        ('GET', '/flavors/gpu%2Fa100'),
        ('POST', '/flavors/gpu%2Fa100/os-extra_specs'),
        ('DELETE', '/flavors/gpu%2Fa100/os-extra_specs/hw:maxphysaddr_bits'),
    ]
    assert proxy.calls[1][2]['json'] == {
        'extra_specs': {'hw:maxphysaddr_mode': 'emulate'}
    }


def test_all_flavors_pair_each_flavor_with_its_specs():
    conn, proxy = nova(
        [
            (
                FLAVORS,
                reply(
                    200,
                    {'flavors': [flavor('1', 'a', extra_specs={'k': 'v'})]},
                ),
            )
        ]
    )
    assert compute.all_flavors(conn) == [
        (flavor('1', 'a', extra_specs={'k': 'v'}), {'k': 'v'})
    ]
    assert len(proxy.calls) == 1


# --- hypervisors ------------------------------------------------------------

HYPERVISORS = '/os-hypervisors/detail'


def hypervisor(ident, **extra):
    return {
        'id': ident,
        'hypervisor_hostname': f'h{ident}',
        'state': 'up',
        'status': 'enabled',
        'vcpus': 64,
        'service': {'host': f'h{ident}'},
        **extra,
    }


def test_hypervisors_below_2_33_are_one_unpaged_request():
    # Nova ignores limit and marker there: following a link (say, one a
    # proxy adds) would ask for the same page again and again
    body = {
        'hypervisors': [hypervisor(1)],
        'hypervisors_links': [{'rel': 'next', 'href': 'x'}],
    }
    conn, proxy = nova([(HYPERVISORS, reply(200, body))], max_version='2.32')
    hypervisors, microversion = compute.list_hypervisors(conn)
    assert microversion == '2.32'
    assert [h['id'] for h in hypervisors] == [1]
    assert proxy.sent() == [('GET', HYPERVISORS, '2.32')]


def test_hypervisor_pages_are_followed_and_slimmed():
    cpu = {
        'vendor': 'AMD',
        'model': 'EPYC',
        'features': ['x'],
        'maxphysaddr': {'bits': 48},
    }
    conn, proxy = nova(
        [
            (
                HYPERVISORS + '?limit=1000',
                reply(
                    200,
                    {
                        'hypervisors': [hypervisor('u1', cpu_info=cpu)],
                        'hypervisors_links': [{'rel': 'next', 'href': 'x'}],
                    },
                ),
            ),
            (
                HYPERVISORS + '?limit=1000&marker=u1',
                reply(200, {'hypervisors': [hypervisor('u2', cpu_info='{}')]}),
            ),
        ]
    )
    hypervisors, microversion = compute.list_hypervisors(conn)
    assert microversion == '2.87'
    assert hypervisors == [
        {
            'id': 'u1',
            'hypervisor_hostname': 'hu1',
            'state': 'up',
            'status': 'enabled',
            'cpu_info': {
                'vendor': 'AMD',
                'model': 'EPYC',
                'maxphysaddr': {'bits': 48},
            },
        },
        # before 2.28 cpu_info is a JSON string, kept as it is
        {
            'id': 'u2',
            'hypervisor_hostname': 'hu2',
            'state': 'up',
            'status': 'enabled',
            'cpu_info': '{}',
        },
    ]
    assert len(proxy.calls) == 2


# --- servers ----------------------------------------------------------------

SERVERS = '/servers/detail?all_tenants=1&limit=1000'


def server(ident, image=None, **extra):
    body = {
        'id': ident,
        'name': f'vm-{ident}',
        'status': 'ACTIVE',
        'tenant_id': 'p1',
        'OS-EXT-SRV-ATTR:host': 'c1',
        'OS-EXT-SRV-ATTR:hypervisor_hostname': 'c1.example.org',
        'flavor': {
            'original_name': 'm1',
            'ram': 2048,
            'vcpus': 2,
            'extra_specs': {
                'hw:maxphysaddr_mode': 'emulate',
                'hw:cpu_policy': 'x',
            },
        },
        'image': {'id': 'i1', 'links': []} if image is None else image,
    }
    body.update(extra)
    return body


def servers_cloud(*bodies, max_version='2.100'):
    return nova(
        [(SERVERS, reply(200, {'servers': list(bodies)}))], max_version
    )


def test_servers_are_slimmed_to_what_is_judged():
    image = {
        'id': 'i1',
        'properties': {'hw_maxphysaddr_mode': 'emulate', 'os_distro': 'x'},
    }
    conn, proxy = servers_cloud(server('s1', image=image))
    (slim,), microversion = compute.list_servers(conn)
    assert microversion == '2.98'
    assert slim == {
        'id': 's1',
        'name': 'vm-s1',
        'status': 'ACTIVE',
        'project_id': 'p1',
        'host': 'c1',
        'node': 'c1.example.org',
        'flavor': 'm1',
        'ram': 2048,
        'extra_specs': {'hw:maxphysaddr_mode': 'emulate'},
        'image_properties': {'hw_maxphysaddr_mode': 'emulate'},
        'volume_backed': False,
    }
    assert set(slim['extra_specs']) <= set(core.SERVER_SPEC_KEYS)
    assert proxy.sent() == [('GET', SERVERS, '2.98')]


@pytest.mark.parametrize(
    'image,properties,volume_backed',
    [
        ('', None, True),  # booted from a volume (Nova's _get_image)
        ({'id': 'i1', 'links': []}, None, False),  # below 2.98
        ({'id': 'i1', 'properties': {}}, {}, False),
    ],
)
def test_a_server_without_an_image_is_volume_backed(
    image, properties, volume_backed
):
    conn, _ = servers_cloud(server('s1', image=image))
    (slim,), _ = compute.list_servers(conn)
    assert slim['image_properties'] == properties
    assert slim['volume_backed'] is volume_backed


@pytest.mark.parametrize(
    'hidden,policy',
    [
        ('extra_specs', 'os_compute_api:os-flavor-extra-specs:index'),
        (
            'OS-EXT-SRV-ATTR:hypervisor_hostname',
            'os_compute_api:os-extended-server-attributes',
        ),
    ],
)
def test_policy_hidden_fields_are_refused(hidden, policy):
    body = server('s1')
    body['flavor'].pop(hidden, None)
    body.pop(hidden, None)
    conn, _ = servers_cloud(body)
    with pytest.raises(compute.PolicyHidesData) as raised:
        compute.list_servers(conn)
    assert f'({policy})' in str(raised.value)


def test_servers_below_2_47_are_refused_without_a_request():
    conn, proxy = servers_cloud(max_version='2.46')
    with pytest.raises(http.NoUsableMicroversion) as raised:
        compute.list_servers(conn)
    assert str(raised.value) == (
        'the compute API of this cloud stops at microversion 2.46; servers '
        'embed their flavors only from 2.47'
    )
    assert proxy.calls == []


def test_server_pages_keep_the_filters_and_follow_links():
    query = SERVERS + '&host=c1&project_id=p1'
    conn, proxy = nova(
        [
            (
                query,
                reply(
                    200,
                    {
                        'servers': [server('s1')],
                        'servers_links': [{'rel': 'next', 'href': 'x'}],
                    },
                ),
            ),
            (query + '&marker=s1', reply(200, {'servers': [server('s2')]})),
        ]
    )
    servers, _ = compute.list_servers(conn, host='c1', project_id='p1')
    assert [s['id'] for s in servers] == ['s1', 's2']
    assert [u for _, u, _ in proxy.sent()] == [query, query + '&marker=s1']
