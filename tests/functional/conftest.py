"""The functional suite's real cloud: one per test session.

``devcloud`` (session scope) reuses a cloud that ``python -m
tests.functional.cloud up`` left running in the same state directory
(``$MAXPHYSADDR_DEVCLOUD``, default ``<repo>/.devcloud``), or starts one
and stops it at the end. It seeds ``$MAXPHYSADDR_DEVCLOUD_HOSTS`` (default
300) hypervisors.

The suite is skipped only when the server packages cannot be installed
*and* no package source pip would use answers
(:func:`venv.package_index_problem`), and never in CI: with ``CI`` set the
fixture fails instead, and any functional test that was skipped for another
reason fails the session (``pytest_sessionfinish``), so a CI run cannot pass
without running them. Every other failure is an error.
"""

import dataclasses
import os
import pathlib
import sys

import pytest

from tests.functional.cloud import cli
from tests.functional.cloud import cloud as cloud_mod
from tests.functional.cloud import configs
from tests.functional.cloud import layout as lay
from tests.functional.cloud import venv

HOSTS_ENV = 'MAXPHYSADDR_DEVCLOUD_HOSTS'
DEFAULT_HOSTS = 300
# The openstack executable of the python running the tests, so the
# plugin installed there (e.g. by tox) is the one under test.
NOVA_PAGE = configs.NOVA_MAX_LIMIT  # Nova's [api] max_limit: items per page


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
        return cli.openstack(self.env(), cloud, *args, check=check)

    def openstack_json(self, *args, cloud=lay.ADMIN_CLOUD):
        """Run ``openstack ... -f json`` and decode its output."""
        return cli.openstack_json(self.env(), cloud, *args)


def _skip_or_fail(exc):
    """Skip the suite only when pip had no package source to reach."""
    problem = venv.package_index_problem()
    if problem is None:
        pytest.fail(
            f'the package index answers, yet the dev cloud cannot be '
            f'installed: {exc}',
            pytrace=False,
        )
    if venv.ci():
        pytest.fail(
            'CI is set, so the functional tests may not be skipped; the '
            f'package index cannot be reached ({problem}): {exc}',
            pytrace=False,
        )
    pytest.skip(
        f'no package index can be reached ({problem}), so the dev cloud '
        f'cannot be installed: {exc}'
    )


def pytest_sessionfinish(session, exitstatus):
    """With ``CI`` set, a skipped functional test fails the run."""
    if not venv.ci() or exitstatus != pytest.ExitCode.OK:
        return
    reporter = session.config.pluginmanager.get_plugin('terminalreporter')
    stats = reporter.stats if reporter else {}
    skipped = [
        r.nodeid
        for r in stats.get('skipped', [])
        if r.nodeid.startswith('tests/functional/')
    ]
    if skipped:
        if reporter:
            reporter.write_line(
                f'CI is set: {len(skipped)} functional tests were skipped '
                f'({", ".join(skipped[:3])}...); failing the run',
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope='session')
def devcloud():
    cloud = cloud_mod.DevCloud(log=lambda msg: print(msg, file=sys.stderr))
    started = False
    if not cloud.is_running():
        try:
            started = cloud.up()
        except venv.InstallError as exc:
            _skip_or_fail(exc)
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
