"""The plugin's main job, end to end: ``python -m tests.functional.demo``.

With ``OS_CLOUD`` set, it only reads that cloud (``hypervisor maxphysaddr
list`` and ``flavor maxphysaddr list``): it never writes to a cloud it did
not build. Otherwise it builds the project's real local cloud (Keystone,
Nova API, Placement and Glance on 127.0.0.1, see
``tests/functional/cloud``), gives a new 1 TiB flavor a 42-bit width, shows
it and the hypervisors that can take it, shows the verdict of that flavor
with an image of another mode, says how to keep using such a cloud, and
stops the cloud it started (a cloud that was already running is left
running).
"""

import os
import pathlib
import shlex
import subprocess
import sys

from tests.functional.cloud import cloud as cloud_mod
from tests.functional.cloud import layout as lay

OPENSTACK = pathlib.Path(sys.executable).parent / 'openstack'
FLAVOR = 'demo.1tib'
IMAGE = 'demo.image'
HOSTS = 20
STEPS = (  # (command, exit code)
    ('hypervisor maxphysaddr list', 0),
    # too narrow for 1 TiB of RAM: refused, nothing is written
    (f'flavor maxphysaddr set {FLAVOR} --mode emulate --bits 40', 1),
    (f'flavor maxphysaddr set {FLAVOR} --mode emulate --bits 42', 0),
    (f'flavor maxphysaddr show {FLAVOR}', 0),
    (f'hypervisor maxphysaddr list --flavor {FLAVOR}', 0),
    ('flavor maxphysaddr list', 0),
    # an image with another mode: written, with a warning about the flavor
    (f'image maxphysaddr set {IMAGE} --mode passthrough --flavor {FLAVOR}', 0),
    (f'flavor maxphysaddr show {FLAVOR} --image {IMAGE}', 0),
    (f'image maxphysaddr unset {IMAGE}', 0),
)


def run(env, command, expect=0):
    """Show and run one ``openstack`` command, as a user would type it."""
    print(f'\n$ openstack {command}', flush=True)
    proc = subprocess.run(
        [str(OPENSTACK), *shlex.split(command)], env=env, check=False
    )
    if proc.returncode != expect:
        raise SystemExit(
            f'demo failed: openstack {command} exited {proc.returncode}'
        )


def read_only(env):
    print(
        f'OS_CLOUD={env["OS_CLOUD"]} is set: listing that cloud (the '
        'demo writes only to the local cloud it builds).'
    )
    run(env, 'hypervisor maxphysaddr list')
    run(env, 'flavor maxphysaddr list')


def on_local_cloud():
    cloud = cloud_mod.DevCloud(log=lambda msg: print(msg, flush=True))
    print(
        'Building the local cloud (about 80 s the first time)...', flush=True
    )
    started = cloud.up()
    try:
        cloud.seed(HOSTS)
        env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
        env['OS_CLIENT_CONFIG_FILE'] = str(cloud.layout.clouds_yaml)
        env['OS_CLOUD'] = lay.ADMIN_CLOUD
        conn = cloud.connect()
        try:
            existing = conn.compute.find_flavor(FLAVOR, ignore_missing=True)
            if existing is None:
                conn.compute.create_flavor(
                    name=FLAVOR, ram=1 << 20, vcpus=64, disk=10
                )
            listing = conn.image.get('/images?name=' + IMAGE)
            if not listing.json()['images']:
                conn.image.post('/images', json={'name': IMAGE})
        finally:
            conn.close()
        for command, expect in STEPS:
            run(env, command, expect)
        print(
            '\nTo keep a local cloud running and use the plugin on it:\n'
            '    python -m tests.functional.cloud up\n'
            f'    export OS_CLIENT_CONFIG_FILE={cloud.layout.clouds_yaml}\n'
            f'    openstack --os-cloud {lay.ADMIN_CLOUD} '
            'flavor maxphysaddr show demo.1tib\n'
            '    python -m tests.functional.cloud down\n'
            'With a cloud of your own: pip install . and '
            'openstack --os-cloud <your-cloud> hypervisor maxphysaddr list',
            flush=True,
        )
    finally:
        if started:
            print('\nStopping the local cloud...', flush=True)
            cloud.down()
    return 0


def main():
    env = dict(os.environ)
    if env.get('OS_CLOUD'):
        read_only(env)
        return 0
    return on_local_cloud()


if __name__ == '__main__':
    sys.exit(main())
