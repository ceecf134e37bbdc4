"""``openstack image maxphysaddr set|unset|show`` and the ``--image``
options of the flavor commands, against the emulated Glance."""

import os_traits
import pytest

from osc_maxphysaddr import core
from tests.commands.conftest import hostnames
from tests.commands.test_flavor_image_pair import CONFLICT
from tests.commands.test_flavor_image_pair import IMAGE_BITS_WARNING

IMODE = core.IMAGE_MODE_KEY
IBITS = core.IMAGE_BITS_KEY
OTHER = {'os_distro': 'ubuntu', 'hw_disk_bus': 'virtio'}
EMULATED = os_traits.COMPUTE_ADDRESS_SPACE_EMULATED


def image_cmd(cloud, action, *args, **kwargs):
    return cloud.run('image', 'maxphysaddr', action, *args, **kwargs)


def props(cloud, name):
    return dict(cloud.state.image_by_name(name).properties)


def patches(cloud):
    return [
        (r.route, r.status)
        for r in cloud.log.select(service='image', method='PATCH')
    ]


@pytest.fixture
def images(known_cloud):
    """Two images on the hosts of conftest.KNOWN_HOSTS."""
    cloud = known_cloud
    cloud.state.add_image('ubuntu', dict(OTHER))
    cloud.state.add_image('arch', {**OTHER, 'hw_architecture': 'x86_64'})
    return cloud


def test_set_emulate_writes_the_two_keys_in_one_patch(images):
    cloud = images
    image = cloud.state.image_by_name('ubuntu')
    result = image_cmd(
        cloud, 'set', 'ubuntu', '--mode', 'emulate', '--bits', '42'
    )
    assert result.code == 0, result.err
    assert props(cloud, 'ubuntu') == {**OTHER, IMODE: 'emulate', IBITS: '42'}
    # The emulated Glance answers 415 to any other content type.
    assert patches(cloud) == [(f'/v2/images/{image.id}', 200)]
    assert IBITS in result.out and 'add' in result.out
    # Bits on an image are written, with the warning that Nova does not
    # schedule by them.
    assert 'put the width on the flavor' in result.err


def test_set_is_idempotent(images):
    cloud = images
    args = ('set', 'ubuntu', '--mode', 'emulate', '--bits', '42')
    assert image_cmd(cloud, *args).code == 0
    result = image_cmd(cloud, *args, '-f', 'json')
    assert result.code == 0, result.err
    assert result.json() == []
    assert patches(cloud) == []
    assert 'already has this configuration' in result.err


def test_passthrough_replaces_the_mode_and_removes_the_bits(images):
    cloud = images
    image_cmd(cloud, 'set', 'ubuntu', '--mode', 'emulate', '--bits', '42')
    result = image_cmd(
        cloud, 'set', 'ubuntu', '--mode', 'passthrough', '-f', 'json'
    )
    assert result.code == 0, result.err
    assert props(cloud, 'ubuntu') == {**OTHER, IMODE: 'passthrough'}
    assert len(patches(cloud)) == 1
    changes = {row['Key']: row for row in result.json()}
    assert changes[IMODE]['Action'] == 'change'
    assert changes[IMODE]['Old Value'] == 'emulate'
    assert changes[IBITS]['Action'] == 'remove'
    assert changes[IBITS]['Old Value'] == '42'


def test_bits_with_an_architecture_are_refused_unless_forced(images):
    cloud = images
    args = ('set', 'arch', '--mode', 'emulate', '--bits', '42')
    result = image_cmd(cloud, *args)
    assert result.code == 1
    assert 'ImagePropertiesFilter' in result.err
    assert 'Nothing was written' in result.err
    assert patches(cloud) == []
    assert IMODE not in props(cloud, 'arch')

    result = image_cmd(cloud, *args, '--force')
    assert result.code == 0, result.err
    assert props(cloud, 'arch')[IBITS] == '42'


def test_refusal_of_one_image_writes_none(images):
    cloud = images
    result = image_cmd(
        cloud, 'set', 'ubuntu', 'arch', '--mode', 'emulate', '--bits', '42'
    )
    assert result.code == 1
    assert patches(cloud) == []
    assert IMODE not in props(cloud, 'ubuntu')


def test_passthrough_on_an_image_with_an_architecture_is_fine(images):
    cloud = images
    result = image_cmd(cloud, 'set', 'arch', '--mode', 'passthrough')
    assert result.code == 0, result.err
    assert props(cloud, 'arch')[IMODE] == 'passthrough'
    assert 'warning' not in result.err.lower()


@pytest.mark.parametrize(
    'args,words',
    [
        (('--mode', 'emulate'), '--bits is required'),
        (('--mode', 'passthrough', '--bits', '42'), '--bits cannot be used'),
    ],
)
def test_invalid_requests_send_nothing(images, args, words):
    result = image_cmd(images, 'set', 'ubuntu', *args)
    assert result.code == 1
    assert words in result.err
    assert images.api_requests('image') == []


def test_bits_out_of_range_is_an_argument_error(images):
    result = image_cmd(
        images, 'set', 'ubuntu', '--mode', 'emulate', '--bits', '60'
    )
    assert result.code == 2
    assert images.api_requests() == []


def test_unset_removes_only_the_two_keys(images):
    cloud = images
    image_cmd(cloud, 'set', 'ubuntu', '--mode', 'emulate', '--bits', '42')
    result = image_cmd(cloud, 'unset', 'ubuntu')
    assert result.code == 0, result.err
    assert props(cloud, 'ubuntu') == OTHER
    assert len(patches(cloud)) == 1
    result = image_cmd(cloud, 'unset', 'ubuntu')
    assert result.code == 0
    assert patches(cloud) == []


def test_dry_run_writes_nothing(images):
    cloud = images
    result = image_cmd(
        cloud,
        'set',
        'ubuntu',
        '--mode',
        'emulate',
        '--bits',
        '42',
        '--dry-run',
        '-f',
        'json',
    )
    assert result.code == 0, result.err
    assert {row['Key'] for row in result.json()} == {IMODE, IBITS}
    assert patches(cloud) == []
    assert props(cloud, 'ubuntu') == OTHER
    assert 'Dry run' in result.err


def test_one_failure_of_two_is_reported_and_the_other_written(images):
    cloud = images
    cloud.state.add_image('second', {})
    failing = cloud.state.image_by_name('ubuntu').id
    cloud.state.inject_fault('PATCH', failing, 409, message='Conflict here')
    result = image_cmd(
        cloud, 'set', 'ubuntu', 'second', '--mode', 'passthrough'
    )
    assert result.code == 1
    # one line for the failure, then the count
    assert result.err.splitlines() == [
        f'image ubuntu ({failing}): Glance refused to set {IMODE} '
        '(HTTP 409: Conflict here): a property this command replaces or '
        'removes was removed after it read the image (Glance refuses to '
        'replace or remove a property that is gone). Nothing was written. '
        'Run the same command again.',
        '1 of 2 images failed',
    ]
    assert props(cloud, 'second') == {IMODE: 'passthrough'}
    assert props(cloud, 'ubuntu') == OTHER


def test_a_member_cannot_change_an_image_of_another_project(images):
    cloud = images
    result = image_cmd(
        cloud, 'set', 'ubuntu', '--mode', 'passthrough', user='member'
    )
    assert result.code == 1
    # one image: one line, what Glance refused and why, no count
    (line,) = result.err.splitlines()
    assert line.startswith(
        f'image ubuntu ({cloud.state.image_by_name("ubuntu").id}): Glance '
        f'refused to set {IMODE} (HTTP 403: You are not permitted to modify '
        "this image.): only the image's owner or an admin may change it"
    )
    assert line.endswith('. Nothing was written.')
    assert patches(cloud) == [
        (f'/v2/images/{cloud.state.image_by_name("ubuntu").id}', 403)
    ]
    assert props(cloud, 'ubuntu') == OTHER


@pytest.mark.parametrize(
    'status,again',
    [
        (400, False),  # comes back every time
        (413, False),
        (500, True),  # transient (keystoneauth itself retries a 503)
    ],
)
def test_a_failed_write_says_whether_to_run_it_again(images, status, again):
    cloud = images
    image = cloud.state.image_by_name('ubuntu')
    cloud.state.inject_fault('PATCH', image.id, status, message='Nope')
    result = image_cmd(
        cloud, 'set', 'ubuntu', '--mode', 'emulate', '--bits', '42'
    )
    assert result.code == 1
    failure = next(
        line for line in result.err.splitlines() if line.startswith('image ')
    )
    assert f'set {IMODE}, {IBITS}' in failure
    assert f'HTTP {status}' in failure and 'Nope' in failure
    assert ('Glance refused' in failure) is (status < 500)
    assert 'Nothing was written.' in failure
    assert failure.endswith('Run the same command again.') is again
    assert 'images failed' not in result.err
    assert props(cloud, 'ubuntu') == OTHER
    assert patches(cloud) == [(f'/v2/images/{image.id}', status)]


def test_unset_failure_names_the_properties_it_removes(images):
    cloud = images
    cloud.state.image_by_name('arch').properties.update(
        {IMODE: 'emulate', IBITS: '42'}
    )
    image = cloud.state.image_by_name('arch')
    cloud.state.inject_fault('PATCH', image.id, 409, message='Gone')
    result = image_cmd(cloud, 'unset', 'arch', 'ubuntu')
    assert result.code == 1
    lines = result.err.splitlines()
    assert lines[0] == (
        f'Image ubuntu ({cloud.state.image_by_name("ubuntu").id}) already '
        'has this configuration; nothing to write.'
    )
    assert lines[1].startswith(
        f'image arch ({image.id}): Glance refused to remove {IMODE}, {IBITS} '
        '(HTTP 409: Gone)'
    )
    # ubuntu had nothing to remove: 1 of 2 failed, nothing else sent
    assert lines[-1] == '1 of 2 images failed'
    assert patches(cloud) == [(f'/v2/images/{image.id}', 409)]


def test_a_member_does_not_see_another_projects_private_image(images):
    cloud = images
    cloud.state.add_image('secret', {}, visibility='private')
    result = image_cmd(cloud, 'show', 'secret', user='member')
    assert result.code == 1
    assert "No image with a name or ID of 'secret' exists." in result.err


def test_unknown_and_ambiguous_images(images):
    cloud = images
    result = image_cmd(cloud, 'unset', 'nope')
    assert result.code == 1
    assert "No image with a name or ID of 'nope' exists." in result.err
    assert 'Traceback' not in result.err
    cloud.state.add_image('ubuntu', {})
    result = image_cmd(cloud, 'unset', 'ubuntu')
    assert result.code == 1
    assert 'More than one image' in result.err
    assert patches(cloud) == []


def test_name_lookup_follows_glance_pages(cloud):
    for _ in range(1001):
        cloud.state.add_image('many', {})
    result = image_cmd(cloud, 'show', 'many')
    assert result.code == 1
    assert 'More than one image' in result.err
    lists = cloud.log.select(service='image', route='/v2/images')
    assert [r.query.get('marker') is None for r in lists] == [True, False]


def test_by_id_needs_no_listing(images):
    cloud = images
    image = cloud.state.image_by_name('ubuntu')
    result = image_cmd(cloud, 'show', image.id, '-f', 'json')
    assert result.code == 0, result.err
    assert [r.route for r in cloud.api_requests('image')] == [
        f'/v2/images/{image.id}'
    ]


# One status of each kind; every rule has its row in
# tests/unit/test_images.py (IMAGE_DIAGNOSES).
@pytest.mark.parametrize(
    'properties,status',
    [
        ({}, 'not configured'),
        ({IMODE: 'passthrough'}, 'ok'),
        (
            {IMODE: 'Emulate'},
            "error: hw_maxphysaddr_mode is 'Emulate', not emulate or "
            'passthrough: Nova refuses to boot the image (HTTP 400, invalid '
            'image metadata)',
        ),
        ({IMODE: 'emulate', IBITS: '42'}, IMAGE_BITS_WARNING),
    ],
)
def test_show_status(cloud, properties, status):
    cloud.state.add_image('img', properties)
    result = image_cmd(cloud, 'show', 'img', '-f', 'json')
    assert result.code == 0, result.err
    data = result.json()
    assert data['Status'] == status
    assert data['Mode'] == properties.get(IMODE)


def test_show_lists_the_filter_properties_and_bits_as_integer(cloud):
    cloud.state.add_image(
        'img', {IMODE: 'emulate', IBITS: '42', 'img_hv_type': 'kvm'}
    )
    data = image_cmd(cloud, 'show', 'img', '-f', 'json').json()
    assert data['Bits'] == 42
    assert data['Filter Properties'] == ['img_hv_type']


# --- flavors and images together --------------------------------------------


def test_image_set_warns_about_flavors_with_another_mode(images):
    cloud = images
    flavor = cloud.state.flavor_by_name('m1.large')
    flavor.extra_specs.update(core.Config('passthrough').extra_specs())
    result = image_cmd(
        cloud,
        'set',
        'ubuntu',
        '--mode',
        'emulate',
        '--bits',
        '42',
        '--flavor',
        'm1.large',
        '--flavor',
        'm1.small',
    )
    assert result.code == 0, result.err
    assert 'FlavorImageConflict' in result.err
    assert 'm1.large' in result.err and 'm1.small' not in result.err
    assert props(cloud, 'ubuntu')[IMODE] == 'emulate'


def test_flavor_set_warns_about_an_image_with_another_mode(images):
    cloud = images
    cloud.state.image_by_name('ubuntu').properties[IMODE] = 'passthrough'
    result = cloud.run(
        'flavor',
        'maxphysaddr',
        'set',
        'm1.small',
        '--mode',
        'emulate',
        '--bits',
        '42',
        '--image',
        'ubuntu',
        '--image',
        'arch',
    )
    assert result.code == 0, result.err
    assert 'FlavorImageConflict' in result.err
    assert 'ubuntu' in result.err and 'arch' not in result.err
    specs = cloud.state.flavor_by_name('m1.small').extra_specs
    assert specs[core.MODE_KEY] == 'emulate'


def test_flavor_set_with_an_unknown_image_writes_nothing(images):
    result = images.run(
        'flavor', 'maxphysaddr', 'set', 'm1.small', '--mode', 'passthrough',
        '--image', 'nope',
    )  # fmt: skip
    assert result.code == 1
    assert "No image with a name or ID of 'nope'" in result.err
    assert images.writes() == []


def show_pair(cloud, flavor, image, *args):
    return cloud.run(
        'flavor', 'maxphysaddr', 'show', flavor, '--image', image,
        '-f', 'json', *args,
    )  # fmt: skip


def test_show_pair_conflict(images):
    cloud = images
    cloud.state.flavor_by_name('m1.large').extra_specs.update(
        core.Config('emulate', 42).extra_specs()
    )
    cloud.state.image_by_name('ubuntu').properties[IMODE] = 'passthrough'
    result = show_pair(cloud, 'm1.large', 'ubuntu')
    assert result.code == 0, result.err
    data = result.json()
    assert data['Status'] == CONFLICT
    assert data['Hosts'] is None
    assert (data['Mode'], data['Image Mode']) == ('emulate', 'passthrough')
    assert (data['Guest Mode'], data['Guest Bits']) == (None, None)
    # No hosts are read for a pair that cannot boot.
    assert cloud.api_requests('placement') == []


def test_show_pair_mode_from_the_image_width_from_the_flavor(known_cloud):
    cloud = known_cloud
    cloud.state.add_image('ubuntu', {IMODE: 'emulate'})
    cloud.state.flavor_by_name('m1.large').extra_specs[core.BITS_KEY] = '43'
    result = show_pair(cloud, 'm1.large', 'ubuntu', '--long')
    assert result.code == 0, result.err
    data = result.json()
    assert data['Status'] == 'ok'
    assert (data['Guest Mode'], data['Guest Bits']) == ('emulate', 43)
    assert data['Required Traits'] == [EMULATED]
    assert data['Capabilities'] == '>= 43'
    # conftest.KNOWN_HOSTS: the trait, up, enabled, 43 bits or more
    assert data['Host Names'] == hostnames(1)
    assert data['Hosts'] == 1


def test_show_pair_with_image_bits_only_checks_no_width(known_cloud):
    cloud = known_cloud
    cloud.state.add_image('ubuntu', {IMODE: 'emulate', IBITS: '52'})
    result = show_pair(cloud, 'm1.small', 'ubuntu', '--long')
    data = result.json()
    assert data['Guest Bits'] == 52
    assert data['Status'] == IMAGE_BITS_WARNING
    # Every up, enabled host with the trait qualifies, whatever width it
    # reports (none of them reports 52).
    assert data['Host Names'] == hostnames(1, 2, 3, 5)


def test_list_with_image(images):
    cloud = images
    cloud.state.flavor_by_name('m1.large').extra_specs.update(
        core.Config('emulate', 42).extra_specs()
    )
    cloud.state.flavor_by_name('m1.medium').extra_specs.update(
        core.Config('passthrough').extra_specs()
    )
    cloud.state.image_by_name('ubuntu').properties[IMODE] = 'passthrough'
    result = cloud.run(
        'flavor', 'maxphysaddr', 'list', '--image', 'ubuntu', '-f', 'json'
    )
    assert result.code == 0, result.err
    rows = {row['Name']: row for row in result.json()}
    # The image's mode configures every flavor's pair.
    assert set(rows) == {f.name for f in cloud.state.flavors.values()}
    assert rows['m1.large']['Status'] == CONFLICT
    assert rows['m1.medium']['Status'] == 'ok'
    assert rows['m1.small']['Guest Mode'] == 'passthrough'
    assert rows['m1.small']['Hosts'] == len(hostnames(2, 4))
    # One image lookup, one flavor listing, the usual inventory reads.
    assert len(cloud.api_requests('image')) == 1
    assert len(cloud.api_requests('placement')) == 2
