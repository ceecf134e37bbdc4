"""``DevCloud``: bring the loopback cloud up, seed it, report, stop, clean."""

import json
import shutil
import time

from tests.functional.cloud import catalog
from tests.functional.cloud import configs
from tests.functional.cloud import layout as lay
from tests.functional.cloud import procs
from tests.functional.cloud import schema
from tests.functional.cloud import seed as seed_mod
from tests.functional.cloud import venv


class CloudError(Exception):
    """The dev cloud is in a state we refuse to touch."""


class DevCloud:
    def __init__(self, layout=None, log=print):
        self.layout = layout or lay.Layout.from_env()
        self.log = log
        self._children = {}

    # -- state --------------------------------------------------------
    def pids(self):
        return {s: procs.read_pid(self.layout, s) for s in lay.SERVICES}

    def ports(self):
        try:
            return json.loads(self.layout.ports_file.read_text())
        except FileNotFoundError:
            return None

    def is_running(self):
        return all(self.pids().values()) and self.ports() is not None

    def status(self):
        ports = self.ports() or {}
        return {
            'state_dir': str(self.layout.state),
            'venv': str(self.layout.venv),
            'running': self.is_running(),
            'services': {
                s: {'pid': pid, 'port': ports.get(s)}
                for s, pid in self.pids().items()
            },
            'clouds_yaml': str(self.layout.clouds_yaml),
            'seeded': (self.manifest() or {}).get('count', 0),
        }

    def manifest(self):
        return seed_mod.load_manifest(self.layout)

    # -- lifecycle ----------------------------------------------------
    def _choose_ports(self):
        old = self.ports() or {}
        ports = {}
        for service in lay.SERVICES:
            port = old.get(service)
            if not port or not procs.port_is_free(port):
                port = procs.free_port()
                while port in ports.values():
                    port = procs.free_port()
            ports[service] = port
        return ports

    def up(self):
        """Start the cloud; return False if it was already running."""
        pids = self.pids()
        if all(pids.values()):
            self.log(f'dev cloud already running in {self.layout.state}')
            return False
        if any(pids.values()):
            running = ', '.join(s for s, p in pids.items() if p)
            raise CloudError(
                f'dev cloud in {self.layout.state} is partly running '
                f'({running}); run "down" first'
            )
        timings = {}
        t0 = time.monotonic()
        if venv.ensure(self.layout, log=self.log):
            timings['venv'] = time.monotonic() - t0
        ports = self._choose_ports()
        configs.write_all(self.layout, ports)
        t1 = time.monotonic()
        if schema.sync_all(self.layout, ports):
            timings['schema'] = time.monotonic() - t1
        t2 = time.monotonic()
        try:
            for service in lay.SERVICES:
                self._children[service] = procs.start(
                    self.layout, service, ports[service]
                )
            self.layout.ports_file.write_text(json.dumps(ports) + '\n')
            procs.wait_ready(
                self.layout,
                'keystone',
                ports['keystone'],
                self._children['keystone'],
            )
            catalog.register(self.layout, ports)
            for service in ('placement', 'nova', 'glance'):
                procs.wait_ready(
                    self.layout,
                    service,
                    ports[service],
                    self._children[service],
                )
        except BaseException:
            self.down()
            raise
        timings['start'] = time.monotonic() - t2
        self.log(
            'dev cloud up in {:.1f}s ({})'.format(
                time.monotonic() - t0,
                ', '.join(f'{k} {v:.1f}s' for k, v in timings.items()),
            )
        )
        return True

    def down(self):
        """Stop every process this state dir records; return their names."""
        stopped = [s for s in lay.SERVICES if procs.stop(self.layout, s)]
        for proc in self._children.values():
            try:
                proc.wait(timeout=10)  # reap our own children
            except Exception:  # noqa: BLE001,S110 - already gone elsewhere
                pass
        self._children.clear()
        return stopped

    def clean(self):
        """Stop the cloud and delete its state (the virtualenv stays)."""
        self.down()
        if self.layout.state.exists():
            shutil.rmtree(self.layout.state)

    def seed(self, count):
        if not self.is_running():
            raise CloudError('dev cloud is not running; run "up" first')
        return seed_mod.seed(self.layout, count, log=self.log)

    def connect(self, cloud=lay.ADMIN_CLOUD):
        return catalog.connect(self.layout, cloud)

    def usage(self):
        return '\n'.join(
            [
                f'export OS_CLIENT_CONFIG_FILE={self.layout.clouds_yaml}',
                f'openstack --os-cloud {lay.ADMIN_CLOUD} '
                '--os-compute-api-version 2.87 hypervisor list --long',
                f'openstack --os-cloud {lay.MEMBER_CLOUD} flavor list'
                '   # non-admin user',
                f'manifest of seeded hosts: {self.layout.manifest}',
            ]
        )
