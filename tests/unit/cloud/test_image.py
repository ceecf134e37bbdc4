"""Glance's images, found and patched against a fake proxy."""

import pytest

from osc_maxphysaddr.cloud import image
from tests.unit.cloud.fake import FakeProxy
from tests.unit.cloud.fake import connection
from tests.unit.cloud.fake import reply

UUID = 'c6b7a2b4-55a9-4a8e-9f2c-1d3a8f0b7e21'


def glance(answers):
    proxy = FakeProxy('image', dict(answers))
    return connection(image=proxy), proxy


def listed(name, *images, more=False):
    """Glance's answer to a listing by name: ``next`` while more follow."""
    body = {'images': list(images)}
    if more:
        body['next'] = '/v2/images?marker=x'
    return body


def test_a_uuid_is_read_as_an_id():
    conn, proxy = glance(
        [(('GET', f'/images/{UUID}'), reply(200, {'id': UUID}))]
    )
    assert image.find_images(conn, [UUID]) == [{'id': UUID}]
    assert [u for _, u, _ in proxy.sent()] == [f'/images/{UUID}']


def test_a_uuid_that_is_no_id_is_a_name_and_pages_are_followed():
    by_name = f'/images?name={UUID}&limit=1000'
    conn, proxy = glance(
        [
            (('GET', f'/images/{UUID}'), reply(404)),
            (
                ('GET', by_name),
                reply(200, listed(UUID, {'id': 'a'}, more=True)),
            ),
            (('GET', by_name + '&marker=a'), reply(200, listed(UUID))),
        ]
    )
    assert image.find_images(conn, [UUID]) == [{'id': 'a'}]
    assert [u for _, u, _ in proxy.sent()] == [
        f'/images/{UUID}',
        by_name,
        by_name + '&marker=a',
    ]


def test_a_name_is_never_read_as_an_id_and_is_quoted():
    # Glance's image IDs are UUIDs: 'cirros/0.6' can only be a name
    by_name = '/images?name=cirros%2F0.6+x&limit=1000'
    conn, proxy = glance(
        [(('GET', by_name), reply(200, listed('x', {'id': 'c'})))]
    )
    assert image.find_images(conn, ['cirros/0.6 x']) == [{'id': 'c'}]
    assert [u for _, u, _ in proxy.sent()] == [by_name]


@pytest.mark.parametrize(
    'images,error,message',
    [
        ([], image.ImageNotFound, "No image with a name or ID of 'x' exists."),
        (
            [{'id': 'a'}, {'id': 'b'}],
            image.ImageAmbiguous,
            "More than one image exists with the name 'x'; "
            'use its ID instead.',
        ),
    ],
)
def test_a_name_matches_exactly_one_image(images, error, message):
    conn, _ = glance(
        [
            (
                ('GET', '/images?name=x&limit=1000'),
                reply(200, listed('x', *images)),
            )
        ]
    )
    with pytest.raises(error) as raised:
        image.find_images(conn, ['x'])
    assert str(raised.value) == message


def test_a_patch_is_one_request_with_glances_media_type():
    ops = [{'op': 'add', 'path': '/hw_maxphysaddr_mode', 'value': 'emulate'}]
    conn, proxy = glance(
        [(('PATCH', '/images/a%2Fb'), reply(200, {'id': 'a/b'}))]
    )
    assert image.patch_image(conn, 'a/b', ops) == {'id': 'a/b'}
    ((method, url, kwargs),) = proxy.calls
    assert (method, url) == ('PATCH', '/images/a%2Fb')
    assert kwargs == {
        'json': ops,
        'headers': {
            'Content-Type': 'application/openstack-images-v2.1-json-patch'
        },
    }
