"""The functional suite's real cloud: one per test session.

``devcloud`` (session scope) reuses a cloud that ``python -m
tests.functional.cloud up`` left running in the same state directory
(``$MAXPHYSADDR_DEVCLOUD``, default ``<repo>/.devcloud``), or starts one
and stops it at the end. It seeds ``$MAXPHYSADDR_DEVCLOUD_HOSTS`` (default
300) hypervisors. The suite is skipped only when the server packages
cannot be installed; any other failure is an error.
"""

import dataclasses
import json
import os
import pathlib
import subprocess
import sys

import pytest

from tests.functional.cloud import cloud as cloud_mod
from tests.functional.cloud import layout as lay
from tests.functional.cloud import venv

HOSTS_ENV = 'MAXPHYSADDR_DEVCLOUD_HOSTS'
DEFAULT_HOSTS = 300
# The openstack executable of the python running the tests, so the
# plugin installed there (e.g. by tox) is the one under test.
OPENSTACK = pathlib.Path(sys.executable).parent / 'openstack'
COMMAND_TIMEOUT = 300
NOVA_PAGE = 1000  # Nova's [api] max_limit: hypervisors per page


@dataclasses.dataclass
class FunctionalCloud:
    """What a functional test gets from the ``devcloud`` fixture."""

    cloud: cloud_mod.DevCloud
    #: openstacksdk connection as the cloud's admin (project ``admin``).
    conn: object
    clouds_yaml: pathlib.Path
    admin_cloud: str = lay.ADMIN_CLOUD
    member_cloud: str = lay.MEMBER_CLOUD

    @property
    def manifest(self):
        """The seed manifest (see ``cloud/seed.py``), read afresh."""
        return self.cloud.manifest()

    @property
    def hosts(self):
        return self.manifest['hosts']

    def connect(self, cloud=lay.ADMIN_CLOUD):
        """A new openstacksdk connection for ``cloud``; close it after."""
        return self.cloud.connect(cloud)

    def hypervisors(self, microversion, detail=True, conn=None):
        """Every hypervisor from GET /os-hypervisors[/detail], all pages."""
        conn = conn or self.conn
        path = '/os-hypervisors/detail' if detail else '/os-hypervisors'
        hypervisors, marker = [], None
        while True:
            query = f'?limit={NOVA_PAGE}'
            if marker:
                query += f'&marker={marker}'
            resp = conn.compute.get(path + query, microversion=microversion)
            assert resp.status_code == 200, resp.text
            page = resp.json()['hypervisors']
            hypervisors.extend(page)
            if len(page) < NOVA_PAGE:
                return hypervisors
            marker = page[-1]['id']

    def env(self):
        """Environment for ``openstack``: this clouds.yaml, no stray OS_*."""
        env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
        env['OS_CLIENT_CONFIG_FILE'] = str(self.clouds_yaml)
        return env

    def openstack(self, *args, cloud=lay.ADMIN_CLOUD, check=True):
        """Run ``openstack --os-cloud <cloud> *args``; CompletedProcess."""
        proc = subprocess.run(
            [str(OPENSTACK), '--os-cloud', cloud, *args],
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=COMMAND_TIMEOUT,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f'openstack {" ".join(args)} exited {proc.returncode}:\n'
                f'{proc.stderr}'
            )
        return proc

    def openstack_json(self, *args, cloud=lay.ADMIN_CLOUD):
        """Run ``openstack ... -f json`` and decode its output."""
        return json.loads(
            self.openstack(*args, '-f', 'json', cloud=cloud).stdout
        )


@pytest.fixture(scope='session')
def devcloud():
    cloud = cloud_mod.DevCloud(log=lambda msg: print(msg, file=sys.stderr))
    started = False
    if not cloud.is_running():
        try:
            started = cloud.up()
        except venv.InstallError as exc:
            pytest.skip(f'cannot install the dev cloud: {exc}')
    try:
        cloud.seed(int(os.environ.get(HOSTS_ENV, DEFAULT_HOSTS)))
        conn = cloud.connect()
        try:
            yield FunctionalCloud(
                cloud=cloud, conn=conn, clouds_yaml=cloud.layout.clouds_yaml
            )
        finally:
            conn.close()
    finally:
        if started:
            cloud.down()
