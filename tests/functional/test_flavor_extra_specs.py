"""What real Nova does with maxphysaddr extra specs, per microversion.

Since 2.86 Nova validates extra spec keys against its registry, and this
Nova (34.0.0) rejects ``hw:maxphysaddr_mode`` there; below 2.86 it stores
any key. So the plugin must pin its flavor calls below 2.86.
"""

import uuid

import pytest

MODE_KEY = 'hw:maxphysaddr_mode'


@pytest.fixture
def flavor(devcloud):
    conn = devcloud.conn
    flv = conn.compute.create_flavor(
        name=f'mpa-test-{uuid.uuid4().hex[:8]}', ram=512, vcpus=1, disk=1
    )
    yield flv
    conn.compute.delete_flavor(flv, ignore_missing=True)


def _extra_specs(conn, flavor):
    resp = conn.compute.get(f'/flavors/{flavor.id}/os-extra_specs')
    assert resp.status_code == 200, resp.text
    return resp.json()['extra_specs']


def test_validating_microversion_rejects_maxphysaddr_mode(devcloud, flavor):
    proc = devcloud.openstack(
        '--os-compute-api-version',
        '2.90',
        'flavor',
        'set',
        '--property',
        f'{MODE_KEY}=emulate',
        flavor.id,
        check=False,
    )

    assert proc.returncode != 0
    assert '400' in proc.stderr
    assert 'does not appear to be a valid extra spec' in proc.stderr
    assert _extra_specs(devcloud.conn, flavor) == {}


def test_pre_validation_microversion_stores_maxphysaddr_mode(devcloud, flavor):
    devcloud.openstack(
        '--os-compute-api-version',
        '2.85',
        'flavor',
        'set',
        '--property',
        f'{MODE_KEY}=emulate',
        flavor.id,
    )

    assert _extra_specs(devcloud.conn, flavor) == {MODE_KEY: 'emulate'}
