"""Placement's provider list is decoded as it arrives, chunk by chunk."""

import json

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from osc_maxphysaddr.cloud import placement


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
