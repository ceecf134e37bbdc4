"""Placement's provider list: one streamed request, decoded chunk by chunk."""

import json

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from keystoneauth1 import exceptions as ksa_exceptions

from osc_maxphysaddr.cloud import placement
from tests.unit.cloud.fake import FakeProxy
from tests.unit.cloud.fake import connection


class Trickle:
    """A raw body that hands out at most ``step`` bytes a read."""

    def __init__(self, data, step):
        self.data, self.step = data, step

    def read(self, amount=-1, **kwargs):
        size = min(self.step, len(self.data))
        if amount is not None and amount >= 0:
            size = min(size, amount)
        piece, self.data = self.data[:size], self.data[size:]
        return piece


def response(body, step):
    resp = requests.Response()
    resp.status_code = 200
    resp.raw = Trickle(body, step)
    return resp


def placement_body(providers, indent=None):
    records = [
        {
            'uuid': uuid,
            'name': name,
            'generation': 3,
            'links': [{'rel': 'self', 'href': f'/resource_providers/{uuid}'}],
            'parent_provider_uuid': None,
            'root_provider_uuid': uuid,
        }
        for uuid, name in providers
    ]
    text = json.dumps({'resource_providers': records}, indent=indent)
    return text.encode('utf-8')


providers = st.lists(
    st.tuples(st.uuids().map(str), st.text(min_size=1, max_size=12)),
    max_size=12,
)


@given(providers, st.integers(1, 300), st.sampled_from([None, 2]))
def test_any_chunking_gives_every_provider(items, step, indent):
    body = placement_body(items, indent)
    assert list(placement._providers(response(body, step))) == items


def test_multibyte_names_split_across_chunks():
    items = [('a' * 36, 'hôte-ü-€-😀'), ('b' * 36, 'ñ')]
    for step in range(1, 9):
        got = list(placement._providers(response(placement_body(items), step)))
        assert got == items


@pytest.mark.parametrize(
    'body',
    [
        b'{"resource_providers": [{"uuid": "a", "name": "x"}',  # cut short
        b'{"resource_providers": [{"uuid": "a", "name": ]}',  # broken
        b'{"errors": {}}',  # no list at all
    ],
)
def test_broken_bodies_raise(body):
    with pytest.raises(ValueError):
        list(placement._providers(response(body, 7)))


# --- providers_with_trait: one streamed request -----------------------------

REQUIRED = '/resource_providers?required=COMPUTE_ADDRESS_SPACE_EMULATED'


class Closing(Trickle):
    closed = False

    def close(self):
        self.closed = True


def placement_cloud(answer):
    proxy = FakeProxy('placement', {('GET', REQUIRED): answer})
    return connection(placement=proxy), proxy


def test_providers_are_read_in_one_streamed_request_at_1_18():
    items = [('u1', 'h1'), ('u2', 'h2')]
    answer = response(placement_body(items), 5)
    answer.raw = raw = Closing(placement_body(items), 5)
    conn, proxy = placement_cloud(answer)
    trait = 'COMPUTE_ADDRESS_SPACE_EMULATED'
    assert placement.providers_with_trait(conn, trait) == items
    ((method, url, kwargs),) = proxy.calls
    assert (method, url) == ('GET', REQUIRED)
    assert (kwargs['microversion'], kwargs['stream']) == ('1.18', True)
    assert raw.closed


@pytest.mark.parametrize(
    'status,body,message',
    [
        (
            503,
            b'{"errors": [{"detail": "down"}]}',
            'Placement answered HTTP 503: ',
        ),
        (
            200,
            b'{"resource_providers": [{"uuid": "a"}',
            'Placement sent an unreadable provider list '
            '(the provider list ends early)',
        ),
    ],
)
def test_a_failing_placement_is_unavailable(status, body, message):
    answer = response(body, 7)
    answer.status_code = status
    answer.headers['content-type'] = 'application/json'
    conn, _ = placement_cloud(answer)
    with pytest.raises(placement.ServiceUnavailable) as raised:
        placement.providers_with_trait(conn, 'COMPUTE_ADDRESS_SPACE_EMULATED')
    assert str(raised.value).startswith(message)


class NoPlacement:
    @property
    def placement(self):
        raise ksa_exceptions.EndpointNotFound('no placement endpoint')


def test_placement_missing_from_the_catalog_is_unavailable():
    with pytest.raises(placement.ServiceUnavailable) as raised:
        placement.providers_with_trait(NoPlacement(), 'X')
    assert str(raised.value) == (
        'Placement is not in the service catalog (no placement endpoint)'
    )
