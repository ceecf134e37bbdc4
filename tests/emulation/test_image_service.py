"""The emulated Glance answers openstacksdk as Glance v2 does."""

import openstack
import pytest
import requests
from openstack import exceptions as sdk_exc

PATCH_21 = 'application/openstack-images-v2.1-json-patch'
PATCH_20 = 'application/openstack-images-v2.0-json-patch'


def connect(cloud, user='admin'):
    return openstack.connect(**cloud.connect_kwargs(user))


def patch(conn, image_id, ops, content_type=PATCH_21):
    return conn.image.patch(
        f'/images/{image_id}',
        json=ops,
        headers={'Content-Type': content_type},
    )


def test_sdk_finds_the_image_endpoint_and_lists(cloud):
    cloud.state.add_image('cirros', {'os_distro': 'cirros'})
    conn = connect(cloud)
    images = list(conn.image.images())
    assert [i.name for i in images] == ['cirros']
    assert images[0].os_distro == 'cirros'
    [api] = cloud.log.select(service='image')
    assert api.route == '/v2/images'


def test_listing_pages_newest_first_with_next_on_full_pages(cloud):
    made = [cloud.state.add_image(f'i{n}').id for n in range(5)]
    conn = connect(cloud)
    body = conn.image.get('/images?limit=2').json()
    assert [i['id'] for i in body['images']] == made[::-1][:2]
    assert 'marker=' in body['next']
    rest = conn.image.get(f'/images?limit=3&marker={made[3]}').json()
    assert [i['id'] for i in rest['images']] == made[::-1][2:]
    assert 'next' in rest  # a full page: Glance cannot know it is the last
    last = conn.image.get(f'/images?limit=3&marker={made[0]}').json()
    assert last['images'] == [] and 'next' not in last
    assert conn.image.get('/images?marker=nope').status_code == 400


def test_patch_needs_glance_media_type(cloud):
    image = cloud.state.add_image('cirros')
    conn = connect(cloud)
    ops = [{'op': 'add', 'path': '/hw_maxphysaddr_mode', 'value': 'emulate'}]
    resp = patch(conn, image.id, ops, content_type='application/json')
    assert resp.status_code == 415
    assert PATCH_21 in resp.headers['Accept-Patch']
    assert image.properties == {}
    resp = patch(conn, image.id, ops)
    assert resp.status_code == 200
    assert resp.json()['hw_maxphysaddr_mode'] == 'emulate'
    assert image.properties == {'hw_maxphysaddr_mode': 'emulate'}


@pytest.mark.parametrize(
    'ops,content_type,status',
    [
        # v2.1 "add" overwrites; v2.0 "add" of a present property is 409.
        ([{'op': 'add', 'path': '/a', 'value': '2'}], PATCH_21, 200),
        ([{'op': 'add', 'path': '/a', 'value': '2'}], PATCH_20, 409),
        ([{'op': 'replace', 'path': '/b', 'value': '2'}], PATCH_21, 409),
        ([{'op': 'remove', 'path': '/b'}], PATCH_21, 409),
        ([{'op': 'add', 'path': '/b', 'value': 2}], PATCH_21, 400),
        ([{'op': 'replace', 'path': '/status', 'value': 'x'}], PATCH_21, 403),
    ],
)
def test_patch_answers_as_glance(cloud, ops, content_type, status):
    image = cloud.state.add_image('cirros', {'a': '1'})
    resp = patch(connect(cloud), image.id, ops, content_type)
    assert resp.status_code == status
    if status != 200:
        assert image.properties == {'a': '1'}


def test_a_failing_op_applies_none(cloud):
    image = cloud.state.add_image('cirros', {'a': '1'})
    ops = [
        {'op': 'replace', 'path': '/a', 'value': '2'},
        {'op': 'remove', 'path': '/missing'},
    ]
    assert patch(connect(cloud), image.id, ops).status_code == 409
    assert image.properties == {'a': '1'}


def test_other_projects_images_403_or_404(cloud):
    public = cloud.state.add_image('public', visibility='public')
    private = cloud.state.add_image('private', visibility='private')
    member = connect(cloud, 'member')
    ops = [{'op': 'add', 'path': '/x', 'value': 'y'}]
    assert patch(member, public.id, ops).status_code == 403
    assert patch(member, private.id, ops).status_code == 404
    assert member.image.get(f'/images/{private.id}').status_code == 404
    with pytest.raises(sdk_exc.NotFoundException):
        member.image.get_image(private.id)
    assert public.properties == private.properties == {}


def test_unauthenticated_requests_are_refused(cloud):
    image = cloud.state.add_image('cirros')
    resp = requests.get(
        f'{cloud.base_url}/image/v2/images/{image.id}', timeout=10
    )
    assert resp.status_code == 401
