"""Seed servers in the dev cloud's Nova (via ``server_seeder.py``).

A server entry (what ``server_seeder.py`` reads)::

    {"uuid": "...", "name": "...", "project_id": "...", "user_id": "...",
     "host": "<hostname>", "node": "<hostname>", "image_ref": "<uuid>",
     "flavor": {"id": 1, "flavorid": "...", "name": "...", "ram": 2048,
                "vcpus": 1, "disk": 10, "extra_specs": {...}},
     "image_properties": {"hw_maxphysaddr_mode": "...", ...}}

Seeding is idempotent: a server whose uuid exists is left alone.
"""

import json
import subprocess
import uuid

from tests.functional.cloud import layout as lay

NAMESPACE = uuid.UUID('0d7c1f1e-9a53-4f0e-8d55-6a3d2f6b1c42')
IMAGE_REF = '3f0b7a6c-2d5e-4a1b-9c8d-7e6f5a4b3c2d'


class SeedError(Exception):
    """Nova refused a seeded server."""


def server(
    name,
    hostname,
    *,
    project_id,
    user_id,
    extra_specs=None,
    ram=2048,
    image_properties=None,
    flavor_name=None,
):
    """The plan entry of one server on ``hostname`` (None: on no host)."""
    return {
        'uuid': str(uuid.uuid5(NAMESPACE, name)),
        'name': name,
        'project_id': project_id,
        'user_id': user_id,
        'host': hostname,
        'node': hostname,
        'image_ref': IMAGE_REF,
        'flavor': {
            'id': 1,
            'flavorid': str(uuid.uuid5(NAMESPACE, 'flavor:' + name)),
            'name': flavor_name or f'flavor-of-{name}',
            'ram': ram,
            'vcpus': 1,
            'disk': 10,
            'extra_specs': dict(extra_specs or {}),
        },
        'image_properties': dict(image_properties or {}),
    }


def seed(layout, plan):
    """Create the planned servers that do not exist yet; the summary."""
    plan_file = layout.run_dir / 'server-plan.json'
    plan_file.write_text(json.dumps(plan))
    proc = subprocess.run(
        [
            str(layout.python),
            str(lay.HERE / 'server_seeder.py'),
            str(layout.conf_dir('nova') / 'nova.conf'),
            str(plan_file),
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SeedError(f'server_seeder failed:\n{proc.stderr[-3000:]}')
    return json.loads(proc.stdout)
