"""Images: the plugin against real Glance, and real Nova's image code paths.

The commands run as ``openstack`` against Glance 33 (2026.2); the image's
properties are read back with openstacksdk. The Nova tests hand cases to
``nova_image_probe.py`` in the cloud's own virtualenv (Nova 34) and check
that the plugin's verdicts say what that Nova does.
"""

import json
import pathlib
import subprocess
import uuid

import os_traits
import pytest

from osc_maxphysaddr import core

# Runs in the cloud's virtualenv: it imports Nova.
PROBE = pathlib.Path(__file__).with_name('nova_image_probe.py')

IMODE = core.IMAGE_MODE_KEY
IBITS = core.IMAGE_BITS_KEY
E = os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
P = os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH


@pytest.fixture
def make_image(devcloud):
    """Create images (no data: properties only); delete them after."""
    conn = devcloud.conn
    created = []

    def factory(visibility='private', **properties):
        body = {
            'name': f'mpa-image-{uuid.uuid4().hex[:8]}',
            'visibility': visibility,
            'os_distro': 'cirros',
            **properties,
        }
        resp = conn.image.post('/images', json=body)
        assert resp.status_code == 201, resp.text
        created.append(resp.json()['id'])
        return resp.json()

    yield factory
    for image_id in created:
        conn.image.delete(f'/images/{image_id}')


def glance_image(devcloud, image):
    resp = devcloud.conn.image.get(f'/images/{image["id"]}')
    assert resp.status_code == 200, resp.text
    return resp.json()


def maxphysaddr(devcloud, *args, **kwargs):
    return devcloud.openstack('image', 'maxphysaddr', *args, **kwargs)


def test_set_show_unset_on_a_real_image(devcloud, make_image):
    image = make_image()
    out = json.loads(
        maxphysaddr(
            devcloud, 'set', image['name'], '--mode', 'emulate',
            '--bits', '42', '-f', 'json',
        ).stdout
    )  # fmt: skip
    assert {(r['Key'], r['Action'], r['New Value']) for r in out} == {
        (IMODE, 'add', 'emulate'),
        (IBITS, 'add', '42'),
    }
    after = glance_image(devcloud, image)
    assert (after[IMODE], after[IBITS]) == ('emulate', '42')
    assert after['os_distro'] == 'cirros'

    shown = devcloud.openstack_json(
        'image', 'maxphysaddr', 'show', image['id']
    )
    assert (shown['Mode'], shown['Bits']) == ('emulate', 42)
    assert shown['Status'].startswith('warning: Nova does not schedule by')

    # Again: nothing to write.
    again = maxphysaddr(
        devcloud, 'set', image['id'], '--mode', 'emulate', '--bits', '42',
        '-f', 'json',
    )  # fmt: skip
    assert json.loads(again.stdout) == []
    assert glance_image(devcloud, image)['updated_at'] == after['updated_at']

    maxphysaddr(devcloud, 'set', image['id'], '--mode', 'passthrough')
    after = glance_image(devcloud, image)
    assert after[IMODE] == 'passthrough' and IBITS not in after

    maxphysaddr(devcloud, 'unset', image['id'])
    after = glance_image(devcloud, image)
    assert IMODE not in after and IBITS not in after
    assert after['os_distro'] == 'cirros'


def test_bits_with_an_architecture_are_refused(devcloud, make_image):
    image = make_image(hw_architecture='x86_64')
    proc = maxphysaddr(
        devcloud, 'set', image['id'], '--mode', 'emulate', '--bits', '42',
        check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert 'ImagePropertiesFilter' in proc.stderr
    assert IMODE not in glance_image(devcloud, image)


def test_a_member_cannot_change_a_public_image(devcloud, make_image):
    image = make_image(visibility='public')
    proc = maxphysaddr(
        devcloud, 'set', image['id'], '--mode', 'passthrough',
        cloud=devcloud.member_cloud, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    # one image: one line saying what Glance refused, and no count
    assert f'Glance refused to set {IMODE} (HTTP 403: ' in proc.stderr
    assert 'Nothing was written.' in proc.stderr
    assert 'images failed' not in proc.stderr
    assert 'Run the same command again' not in proc.stderr
    assert IMODE not in glance_image(devcloud, image)


def test_the_conflict_verdict_and_the_hosts_of_a_pair(devcloud, make_image):
    conn = devcloud.conn
    flavor = conn.compute.create_flavor(
        name=f'mpa-pair-{uuid.uuid4().hex[:8]}', ram=2048, vcpus=1, disk=1
    )
    try:
        devcloud.openstack(
            'flavor', 'maxphysaddr', 'set', flavor.id, '--mode', 'emulate',
            '--bits', '42',
        )  # fmt: skip
        image = make_image(**{IMODE: 'passthrough'})
        pair = devcloud.openstack_json(
            'flavor', 'maxphysaddr', 'show', flavor.id, '--image', image['id']
        )  # fmt: skip
        assert pair['Status'] == (
            "error: the flavor's hw:maxphysaddr_mode is 'emulate' and the "
            "image's hw_maxphysaddr_mode is 'passthrough': Nova accepts the "
            'boot, then its scheduler raises FlavorImageConflict and the '
            'server ends in ERROR'
        )
        assert pair['Hosts'] is None

        maxphysaddr(devcloud, 'set', image['id'], '--mode', 'emulate',
                    '--bits', '46', '--force')  # fmt: skip
        pair = devcloud.openstack_json(
            'flavor', 'maxphysaddr', 'show', flavor.id, '--image',
            image['name'], '--long',
        )  # fmt: skip
        # libvirt takes the flavor's width; the scheduler checks only it.
        assert (pair['Guest Mode'], pair['Guest Bits']) == ('emulate', 42)
        assert "the image's 46 bits are ignored" in pair['Status']
        assert sorted(pair['Host Names']) == sorted(
            h['hostname']
            for h in devcloud.hosts
            if E in h['traits']
            and (h['bits'] or 0) >= 42
            and (h['state'], h['status']) == ('up', 'enabled')
        )
    finally:
        conn.compute.delete_flavor(flavor, ignore_missing=True)


# --- real Nova -------------------------------------------------------------

CPU_40 = {'arch': 'x86_64', 'maxphysaddr': {'mode': 'emulate', 'bits': 40}}
FILTER_IMAGES = [
    {IMODE: 'emulate', IBITS: '46'},
    {IMODE: 'emulate', IBITS: '46', 'hw_architecture': 'x86_64'},
    {IMODE: 'emulate', IBITS: '46', 'architecture': 'x86_64'},
    {IMODE: 'emulate', IBITS: '46', 'hw_vm_mode': 'hvm'},
    {IMODE: 'emulate', 'hw_architecture': 'x86_64'},
]
BOOT_IMAGES = [
    {IMODE: 'Emulate'},
    {IMODE: ''},
    {IMODE: 'emulate', IBITS: '4x'},
    {IMODE: 'emulate', IBITS: ' 42 '},
    {IMODE: 'passthrough'},
]
PAIRS = [
    ({core.MODE_KEY: 'emulate'}, {IMODE: 'passthrough'}),
    ({core.MODE_KEY: 'emulate'}, {IMODE: 'emulate'}),
    ({core.BITS_KEY: '42'}, {IMODE: 'emulate'}),
    ({}, {IMODE: 'passthrough'}),
    ({core.MODE_KEY: 'passthrough'}, {}),
    (
        {core.MODE_KEY: 'emulate', core.BITS_KEY: '42'},
        {IMODE: 'emulate', IBITS: '46'},
    ),
    ({core.MODE_KEY: 'emulate'}, {IBITS: '44'}),
]


@pytest.fixture(scope='module')
def nova(devcloud):
    """Every case's answer from the cloud's Nova, in one run (Nova's
    imports take seconds)."""
    cases = [
        {'probe': 'image_props_filter', 'image': i, 'cpu_info': CPU_40}
        for i in FILTER_IMAGES
    ]
    cases += [{'probe': 'image_meta', 'image': i} for i in BOOT_IMAGES]
    for flavor, image in PAIRS:
        cases.append({'probe': 'mode', 'flavor': flavor, 'image': image})
        cases.append({'probe': 'libvirt', 'flavor': flavor, 'image': image})
    proc = subprocess.run(
        [str(devcloud.cloud.layout.python), str(PROBE)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    answers = iter(json.loads(proc.stdout))
    return {
        'filter': [next(answers) for _ in FILTER_IMAGES],
        'boot': [next(answers) for _ in BOOT_IMAGES],
        'pairs': [(next(answers), next(answers)) for _ in PAIRS],
    }


@pytest.mark.parametrize('n', range(len(FILTER_IMAGES)))
def test_image_properties_filter_is_what_the_finding_says(nova, n):
    image, result = FILTER_IMAGES[n], nova['filter'][n]
    codes = {f.code for f in core.diagnose_image(image).findings}
    if 'image-bits-with-filter-properties' in codes:
        # Scheduling fails outright: the filter raises.
        assert result['error'] == 'AttributeError', result
    else:
        # The 40-bit host passes whatever width the image asks for.
        assert result == {'error': None, 'passes': True}
        if IBITS in image:
            assert 'image-bits' in codes


@pytest.mark.parametrize('n', range(len(BOOT_IMAGES)))
def test_nova_refuses_the_boot_as_the_finding_says(nova, n):
    image, result = BOOT_IMAGES[n], nova['boot'][n]
    codes = {f.code for f in core.diagnose_image(image).findings}
    refused = bool(codes & {'image-invalid-mode', 'image-invalid-bits'})
    assert (result['error'] == 'ValueError') is refused, (result, codes)


@pytest.mark.parametrize('n', range(len(PAIRS)))
def test_mode_trait_and_guest_width_are_what_the_verdict_says(nova, n):
    (flavor, image), (mode, libvirt) = PAIRS[n], nova['pairs'][n]
    verdict = core.diagnose_pair(flavor, image)
    if core.mode_conflict(flavor, image):
        assert mode['error'] == 'FlavorImageConflict'
        assert verdict.findings[0].code == 'flavor-image-mode-conflict'
        return
    assert mode['mode'] == verdict.mode
    assert mode['traits'] == [core.MODE_TRAITS[verdict.mode]]
    assert (libvirt['mode'], libvirt['bits']) == (verdict.mode, verdict.bits)
    if verdict.requirement is not None:
        assert mode['traits'] == sorted(verdict.requirement.required_traits)
    else:
        # Nova schedules it; libvirt then refuses emulate without a width.
        assert verdict.mode == core.EMULATE and libvirt['bits'] is None
