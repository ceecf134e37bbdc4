"""What real Placement holds for the seeded hypervisors."""

import pytest

from tests.functional.cloud import hosts

# GET /resource_providers?required=<traits> needs 1.18.
REQUIRED_MICROVERSION = '1.18'


def _providers(conn, required):
    resp = conn.placement.get(
        f'/resource_providers?required={",".join(required)}',
        microversion=REQUIRED_MICROVERSION,
    )
    assert resp.status_code == 200, resp.text
    return {rp['uuid']: rp['name'] for rp in resp.json()['resource_providers']}


@pytest.mark.parametrize(
    'required',
    [(hosts.EMULATED,), (hosts.PASSTHROUGH,), hosts.BOTH],
    ids=['emulated', 'passthrough', 'both'],
)
def test_required_traits_select_the_manifest_hosts(devcloud, required):
    got = _providers(devcloud.conn, required)

    want = {
        h['uuid']: h['hostname']
        for h in devcloud.hosts
        if set(required) <= set(h['traits'])
    }
    assert want  # the mix always has some
    assert got == want


def test_provider_uuids_are_hypervisor_ids(devcloud):
    got = _providers(devcloud.conn, (hosts.EMULATED,))
    names = {
        h['id']: h['hypervisor_hostname']
        for h in devcloud.hypervisors('2.53', detail=False)
    }

    assert {uuid: names.get(uuid) for uuid in got} == got
