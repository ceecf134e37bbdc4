"""The e2e suite's cloud: the dev cloud with its compute profile.

``e2e`` (session scope) reuses a compute dev cloud left running in
``$MAXPHYSADDR_E2E_DEVCLOUD`` (default ``<repo>/.devcloud-e2e``; apart
from the functional suite's, whose Nova has no RPC peers), or starts one
and stops it at the end. Missing prerequisites (the apt packages, root)
skip the suite, and with ``CI`` set they fail it, as any skipped e2e test
does (``pytest_sessionfinish``). Every other problem is an error.
"""

import dataclasses
import json
import os
import sys
import time

import pytest

from tests.functional.cloud import cli
from tests.functional.cloud import cloud as cloud_mod
from tests.functional.cloud import compute as compute_mod
from tests.functional.cloud import layout as lay
from tests.functional.cloud import venv

STATE_ENV = 'MAXPHYSADDR_E2E_DEVCLOUD'
#: networks "none" needs 2.37; the server's instance name is admin-only.
BOOT_MICROVERSION = '2.37'
BOOT_TIMEOUT = 180
#: One raw disk for every image: the guest needs no OS. QEMU starting the
#: domain is what makes it ACTIVE (SeaBIOS then finds nothing to boot).
IMAGE_BYTES = 1024 * 1024

GRID = []  # rows measured in this session, for the terminal summary
#: Where the summary also writes the grid: ``<state>/e2e-grid.rst``.
GRID_FILE = 'e2e-grid.rst'
_STATE = []  # the session's state dir, once the fixture knows it


#: The reason of a skip that CI allows: a KVM-only row on a TCG machine.
NO_KVM = 'no KVM: '


def fail_or_skip(why):
    if venv.ci():
        pytest.fail(f'CI is set, so e2e may not be skipped: {why}', False)
    pytest.skip(why)


def pytest_sessionfinish(session, exitstatus):
    """With ``CI`` set, a skipped e2e test fails the run.

    Except the KVM-only rows on a machine without a usable /dev/kvm: their
    skip reason starts with :data:`NO_KVM` and says why.
    """
    if not venv.ci() or exitstatus != pytest.ExitCode.OK:
        return
    reporter = session.config.pluginmanager.get_plugin('terminalreporter')
    skipped = [
        r.nodeid
        for r in (reporter.stats if reporter else {}).get('skipped', [])
        if r.nodeid.startswith('tests/e2e/') and NO_KVM not in str(r.longrepr)
    ]
    if skipped:
        if reporter:
            reporter.write_line(
                f'CI is set: {len(skipped)} e2e tests were skipped '
                f'({", ".join(skipped[:3])}); failing the run',
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if not GRID:
        return
    terminalreporter.section('measured grid (prediction vs Nova/QEMU)')
    lines = grid_table(GRID)
    for line in lines:
        terminalreporter.write_line(line)
    if _STATE:
        path = _STATE[0] / GRID_FILE
        path.write_text('\n'.join(lines) + '\n')
        terminalreporter.write_line(f'written to {path}')


def grid_table(rows):
    """The grid as an RST simple table (what the guide records)."""
    head = (
        'cpu_mode',
        'row',
        'plugin: set / Status / Hosts / Bits',
        'Nova',
        '<maxphysaddr>',
        'QEMU -cpu phys-bits',
        'guest (QMP)',
        'boot s',
    )
    body = [
        (
            r['cpu_mode'],
            r['row'],
            '{} / {} / {} / {}'.format(
                'refused' if r['set_refused'] else 'written',
                r['status'].split(':')[0],
                r['hosts'],
                r['predicted_bits'],
            ),
            r['nova'],
            r['xml'] or '-',
            r['qemu_cpu'] or '-',
            str(r['qmp_bits'] or '-'),
            f'{r["boot_seconds"]:.1f}',
        )
        for r in rows
    ]
    widths = [max(len(x[i]) for x in (head, *body)) for i in range(len(head))]
    rule = '  '.join('=' * w for w in widths)
    fmt = '  '.join(f'{{:<{w}}}' for w in widths)
    return [
        rule,
        fmt.format(*head).rstrip(),
        rule,
        *(fmt.format(*r).rstrip() for r in body),
        rule,
    ]


@dataclasses.dataclass
class E2ECloud:
    cloud: cloud_mod.DevCloud
    conn: object
    images: dict  # name -> id
    host_bits: int
    #: The host's width as ``hypervisor maxphysaddr list`` reports it.
    plugin_host_bits: int | None = None

    @property
    def profile(self):
        return self.cloud.profile

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
        env['OS_CLIENT_CONFIG_FILE'] = str(self.cloud.layout.clouds_yaml)
        return env

    def openstack(self, *args, check=True):
        return cli.openstack(self.env(), lay.ADMIN_CLOUD, *args, check=check)

    def openstack_json(self, *args):
        return cli.openstack_json(self.env(), lay.ADMIN_CLOUD, *args)

    def boot(self, name, flavor_id, image_id):
        """POST /servers (no network); wait for ACTIVE or ERROR."""
        resp = self.conn.compute.post(
            '/servers',
            json={
                'server': {
                    'name': name,
                    'flavorRef': flavor_id,
                    'imageRef': image_id,
                    'networks': 'none',
                }
            },
            microversion=BOOT_MICROVERSION,
        )
        assert resp.status_code == 202, resp.text
        server_id = resp.json()['server']['id']
        deadline = time.monotonic() + BOOT_TIMEOUT
        while time.monotonic() < deadline:
            server = self.server(server_id)
            if server['status'] in ('ACTIVE', 'ERROR'):
                return server
            time.sleep(0.5)
        raise AssertionError(f'server {name} still {server["status"]}')

    def server(self, server_id):
        resp = self.conn.compute.get(
            f'/servers/{server_id}', microversion=BOOT_MICROVERSION
        )
        assert resp.status_code == 200, resp.text
        return resp.json()['server']

    def delete_servers(self, wait=True):
        resp = self.conn.compute.get('/servers?all_tenants=1')
        ids = [s['id'] for s in resp.json()['servers']]
        for server_id in ids:
            self.conn.compute.delete(f'/servers/{server_id}')
        deadline = time.monotonic() + BOOT_TIMEOUT
        while wait and ids and time.monotonic() < deadline:
            resp = self.conn.compute.get('/servers?all_tenants=1')
            if not resp.json()['servers']:
                return
            time.sleep(0.5)
        if wait and ids:
            raise AssertionError(f'servers not deleted: {ids}')


def _image(conn, name, path, properties):
    for image in conn.image.images(name=name):
        conn.image.delete_image(image)
    image = conn.image.create_image(
        name=name,
        filename=str(path),
        disk_format='raw',
        container_format='bare',
        visibility='public',
        wait=True,
        **properties,
    )
    return image.id


#: The suite's images: name -> properties.
IMAGES = {
    'e2e-pc': {},
    'e2e-q35': {'hw_machine_type': 'q35'},
    'e2e-passthrough': {'hw_maxphysaddr_mode': 'passthrough'},
}


@pytest.fixture(scope='session')
def e2e(tmp_path_factory):
    lacking = compute_mod.missing()
    if lacking:
        fail_or_skip(
            'the compute profile needs '
            + ', '.join(f'{w} ({p})' for w, p in lacking)
            + '; .ci/run installs the apt packages'
        )
    state = os.environ.get(STATE_ENV) or lay.REPO_ROOT / '.devcloud-e2e'
    cloud = cloud_mod.DevCloud(
        layout=lay.Layout.from_env(state=state),
        log=lambda msg: print(msg, file=sys.stderr),
        compute=True,
    )
    _STATE[:] = [cloud.layout.state]
    started = False
    t0 = time.monotonic()
    if not cloud.is_running():
        try:
            started = cloud.up()
        except venv.InstallError as exc:
            if venv.package_index_problem() is None:
                raise
            fail_or_skip(f'no package index can be reached: {exc}')
    print(
        f'e2e cloud ready in {time.monotonic() - t0:.1f}s ({cloud.profile})',
        file=sys.stderr,
    )
    try:
        conn = cloud.connect()
        disk = tmp_path_factory.mktemp('e2e') / 'disk.raw'
        with open(disk, 'wb') as f:
            f.truncate(IMAGE_BYTES)
        images = {n: _image(conn, n, disk, p) for n, p in IMAGES.items()}
        (hyp,) = conn.compute.get(
            '/os-hypervisors/detail', microversion='2.27'
        ).json()['hypervisors']
        cpu_info = hyp['cpu_info']  # a JSON string before 2.88
        if isinstance(cpu_info, str):
            cpu_info = json.loads(cpu_info)
        e2e = E2ECloud(
            cloud=cloud,
            conn=conn,
            images=images,
            host_bits=cpu_info['maxphysaddr']['bits'],
        )
        e2e.delete_servers()  # a previous run's leftovers
        (hyp,) = e2e.openstack_json('hypervisor', 'maxphysaddr', 'list')
        e2e.plugin_host_bits = hyp['Bits']
        try:
            yield e2e
        finally:
            e2e.delete_servers(wait=False)
            conn.close()
    finally:
        if started:
            cloud.down()
