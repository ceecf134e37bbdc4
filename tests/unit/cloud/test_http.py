"""Microversion negotiation and the one pager every listing goes through."""

import pytest
from openstack import exceptions as sdk_exceptions

from osc_maxphysaddr.cloud import http
from tests.unit.cloud.fake import FakeProxy
from tests.unit.cloud.fake import reply


@pytest.mark.parametrize(
    'service,low,high,wanted,got',
    [
        ('compute', '2.1', '2.100', '2.85', '2.85'),  # newer cloud: ours
        ('compute', '2.1', '2.60', '2.85', '2.60'),  # older: its newest
        ('compute', '2.1', '2.85', '2.85', '2.85'),
        ('compute', None, None, '2.85', '2.1'),  # announces none
        ('placement', None, None, '1.18', '1.0'),
    ],
)
def test_negotiate(service, low, high, wanted, got):
    proxy = FakeProxy(service, {}, max_version=high, min_version=low)
    assert http.negotiate(proxy, wanted) == got
    assert proxy.calls == []  # negotiation reads the discovery document


def test_negotiate_refuses_a_cloud_that_starts_above_the_call():
    proxy = FakeProxy('compute', {}, max_version='2.100', min_version='2.90')
    with pytest.raises(http.NoUsableMicroversion) as raised:
        http.negotiate(proxy, '2.85')
    assert str(raised.value) == (
        'the compute API of this cloud starts at microversion 2.90, and '
        'this call needs 2.85 or older'
    )


def listing(answers):
    return FakeProxy('compute', {('GET', url): a for url, a in answers})


def items(*ids):
    return [{'id': i} for i in ids]


def test_pages_follow_next_links_with_the_last_id_as_marker():
    proxy = listing(
        [
            (
                '/things?a=1&limit=2',
                reply(200, {'things': items('x', 'y'), 'next': '/n'}),
            ),
            (
                '/things?a=1&limit=2&marker=y',
                reply(200, {'things': items('z')}),
            ),
        ]
    )
    query = {'a': 1, 'limit': 2}
    got = list(http.pages(proxy, '/things', query, 'things', 'next', '2.9'))
    assert got == [items('x', 'y'), items('z')]
    assert proxy.sent() == [
        ('GET', '/things?a=1&limit=2', '2.9'),
        ('GET', '/things?a=1&limit=2&marker=y', '2.9'),
    ]
    assert query == {'a': 1, 'limit': 2}  # the caller's query is kept


def test_pages_stop_on_an_empty_page_even_with_a_link():
    proxy = listing(
        [('/things?limit=2', reply(200, {'things': [], 'next': '/n'}))]
    )
    assert list(
        http.pages(proxy, '/things', {'limit': 2}, 'things', 'next')
    ) == [[]]
    assert len(proxy.calls) == 1


def test_pages_follow_a_short_page_that_has_a_link():
    # the service's own page limit ([api]max_limit) may be below ours
    proxy = listing(
        [
            (
                '/things?limit=1000',
                reply(200, {'things': items('x'), 'next': '/n'}),
            ),
            (
                '/things?limit=1000&marker=x',
                reply(200, {'things': items('y')}),
            ),
        ]
    )
    got = list(http.pages(proxy, '/things', {'limit': 1000}, 'things', 'next'))
    assert got == [items('x'), items('y')]


def test_pages_without_a_next_key_read_one_page():
    proxy = listing(
        [('/things', reply(200, {'things': items('x'), 'next': '/n'}))]
    )
    assert list(http.pages(proxy, '/things', {}, 'things', None)) == [
        items('x')
    ]
    assert len(proxy.calls) == 1


def test_pages_send_a_microversion_only_when_given():
    proxy = listing([('/things', reply(200, {'things': []}))])
    list(http.pages(proxy, '/things', {}, 'things', None))
    ((_, _, kwargs),) = proxy.calls
    assert 'microversion' not in kwargs


def test_pages_raise_the_sdks_error():
    proxy = listing([('/things', reply(503, {'message': 'down'}))])
    with pytest.raises(sdk_exceptions.HttpException) as raised:
        list(http.pages(proxy, '/things', {}, 'things', None))
    assert raised.value.status_code == 503


@pytest.mark.parametrize(
    'args,url',
    [
        (('flavors', 'gpu/a100'), '/flavors/gpu%2Fa100'),
        (
            ('flavors', 'a b', 'os-extra_specs'),
            '/flavors/a%20b/os-extra_specs',
        ),
        (
            ('flavors', '1', 'os-extra_specs', 'hw:maxphysaddr_bits'),
            '/flavors/1/os-extra_specs/hw:maxphysaddr_bits',
        ),
        (
            ('flavors', '1', 'os-extra_specs', 'a/b'),
            '/flavors/1/os-extra_specs/a%2Fb',
        ),
        (('images', '../x'), '/images/..%2Fx'),
    ],
)
def test_resource_urls_quote_each_segment(args, url):
    assert http.resource_url(*args) == url
