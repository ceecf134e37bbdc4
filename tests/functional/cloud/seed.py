"""Seed the dev cloud's hypervisors in Nova and Placement; the manifest.

Nova's rows are written by ``nova_seeder.py`` run with the cloud's python;
the resource providers (uuid = compute node uuid, name = hypervisor
hostname) and their traits go through Placement's REST API with
openstacksdk. Seeding is additive and idempotent: ``seed(n)`` makes hosts
``0 .. max(n, already seeded)-1`` exist and describes all of them in the
manifest (``<state>/manifest.json``)::

    {"version": 1, "count": N, "hosts": [
        {"index": 0, "hostname": "mpa00000.devcloud",
         "uuid": "<compute node uuid = resource provider uuid>",
         "service_uuid": "...",
         "maxphysaddr": {"mode": "emulate", "bits": 39} | null,
         "bits": 39 | null,
         "traits": ["COMPUTE_ADDRESS_SPACE_EMULATED", ...],
         "state": "up" | "down", "status": "enabled" | "disabled"},
        ...]}
"""

import concurrent.futures
import json
import subprocess
import time

from tests.functional.cloud import catalog
from tests.functional.cloud import hosts
from tests.functional.cloud import layout as lay

MANIFEST_VERSION = 1
# POST /resource_providers returns the provider (with its generation).
RP_CREATE_MICROVERSION = '1.20'
# GET /resource_providers?required=<trait>.
RP_REQUIRED_MICROVERSION = '1.18'
# PUT /resource_providers/{uuid}/traits.
TRAITS_MICROVERSION = '1.6'
PLACEMENT_THREADS = 4


class SeedError(Exception):
    """Nova or Placement refused a seeded host."""


def load_manifest(layout):
    try:
        return json.loads(layout.manifest.read_text())
    except FileNotFoundError:
        return None


def _seed_nova(layout, plan):
    plan_file = layout.run_dir / 'seed-plan.json'
    plan_file.write_text(json.dumps(plan))
    proc = subprocess.run(
        [
            str(layout.python),
            str(lay.HERE / 'nova_seeder.py'),
            str(layout.conf_dir('nova') / 'nova.conf'),
            str(plan_file),
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SeedError(f'nova_seeder failed:\n{proc.stderr[-3000:]}')
    return json.loads(proc.stdout)


def _check(response, what):
    if response.status_code >= 400:
        raise SeedError(
            f'{what}: HTTP {response.status_code} {response.text[:500]}'
        )
    return response


def _providers_with(placement, trait):
    resp = placement.get(
        f'/resource_providers?required={trait}',
        microversion=RP_REQUIRED_MICROVERSION,
    )
    _check(resp, f'list providers with {trait}')
    return {rp['uuid'] for rp in resp.json()['resource_providers']}


def _seed_placement(conn, plan):
    placement = conn.placement
    resp = _check(
        placement.get('/resource_providers', microversion='1.14'),
        'list providers',
    )
    existing = {
        rp['uuid']: rp['generation']
        for rp in resp.json()['resource_providers']
    }
    has = {
        trait: _providers_with(placement, trait)
        for trait in (hosts.EMULATED, hosts.PASSTHROUGH)
    }

    def one(entry):
        rp_uuid = entry['uuid']
        generation = existing.get(rp_uuid)
        if generation is None:
            resp = placement.post(
                '/resource_providers',
                json={'uuid': rp_uuid, 'name': entry['hostname']},
                microversion=RP_CREATE_MICROVERSION,
            )
            generation = _check(resp, f'create {rp_uuid}').json()['generation']
        current = sorted(t for t, uuids in has.items() if rp_uuid in uuids)
        if current != entry['traits']:
            resp = placement.put(
                f'/resource_providers/{rp_uuid}/traits',
                json={
                    'traits': entry['traits'],
                    'resource_provider_generation': generation,
                },
                microversion=TRAITS_MICROVERSION,
            )
            _check(resp, f'set traits on {rp_uuid}')

    with concurrent.futures.ThreadPoolExecutor(PLACEMENT_THREADS) as pool:
        list(pool.map(one, plan))


def seed(layout, count, log=print):
    """Make ``count`` (or more, if already seeded) hosts exist; return the
    manifest and write it to ``layout.manifest``."""
    previous = load_manifest(layout)
    total = max(count, previous['count'] if previous else 0)
    plan = hosts.plan(total)
    start = time.monotonic()
    summary = _seed_nova(layout, plan)
    nova_done = time.monotonic()
    conn = catalog.connect(layout)
    try:
        _seed_placement(conn, plan)
    finally:
        conn.close()
    done = time.monotonic()
    log(
        f'seeded {total} hypervisors ({summary["created"]} new): '
        f'nova {nova_done - start:.1f}s, placement {done - nova_done:.1f}s'
    )
    manifest = {'version': MANIFEST_VERSION, 'count': total, 'hosts': plan}
    layout.manifest.write_text(json.dumps(manifest, indent=1) + '\n')
    return manifest
