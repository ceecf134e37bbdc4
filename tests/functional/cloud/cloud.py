"""``DevCloud``: bring the loopback cloud up, seed it, report, stop, clean."""

import dataclasses
import json
import shutil
import time

from tests.functional.cloud import catalog
from tests.functional.cloud import compute as compute_mod
from tests.functional.cloud import configs
from tests.functional.cloud import layout as lay
from tests.functional.cloud import procs
from tests.functional.cloud import schema
from tests.functional.cloud import seed as seed_mod
from tests.functional.cloud import venv


class CloudError(Exception):
    """The dev cloud is in a state we refuse to touch."""


class DevCloud:
    """The dev cloud of one state dir.

    ``compute=True``: with the compute profile (``compute.py``); a state
    dir keeps the profile it was made with.
    """

    def __init__(self, layout=None, log=print, compute=False):
        self.layout = layout or lay.Layout.from_env()
        self.log = log
        self._children = {}
        self.profile = compute_mod.Profile.load(self.layout)
        self.compute = compute or self.profile is not None

    # -- state --------------------------------------------------------
    @property
    def services(self):
        if self.compute:
            return lay.SERVICES + lay.COMPUTE_SERVICES
        return lay.SERVICES

    def pids(self):
        return {s: procs.read_pid(self.layout, s) for s in self.services}

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
            'compute': self.profile and dataclasses.asdict(self.profile),
        }

    def manifest(self):
        return seed_mod.load_manifest(self.layout)

    # -- lifecycle ----------------------------------------------------
    def _choose_ports(self):
        old = self.ports() or {}
        ports = {}
        names = lay.SERVICES + (lay.COMPUTE_PORTS if self.compute else ())
        for service in names:
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
        if self.compute:
            self._prepare_compute()
        if venv.ensure(self.layout, log=self.log):
            timings['venv'] = time.monotonic() - t0
        if self.compute:
            t = time.monotonic()
            if compute_mod.ensure_libvirt_python(self.layout, log=self.log):
                timings['libvirt-python'] = time.monotonic() - t
        ports = self._choose_ports()
        configs.write_all(self.layout, ports, compute=self.compute)
        t1 = time.monotonic()
        if schema.sync_all(self.layout, ports, compute=self.compute):
            timings['schema'] = time.monotonic() - t1
        if self.compute:
            schema.use_wal(self.layout)
        t2 = time.monotonic()
        try:
            if self.compute:
                compute_mod.start_platform(self.layout, ports, self._children)
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
            timings['start'] = time.monotonic() - t2
            if self.compute:
                t3 = time.monotonic()
                self._start_compute(ports)
                timings['compute'] = time.monotonic() - t3
        except BaseException:
            self.down()
            raise
        self.log(
            'dev cloud up in {:.1f}s ({})'.format(
                time.monotonic() - t0,
                ', '.join(f'{k} {v:.1f}s' for k, v in timings.items()),
            )
        )
        return True

    def _prepare_compute(self):
        if self.profile is None:
            if self.layout.schema_stamp.exists():
                raise CloudError(
                    f'{self.layout.state} was made without the compute '
                    'profile; use another state dir or "clean" it first'
                )
            self.profile = compute_mod.new_profile(self.layout)
        elif compute_mod.missing():
            # new_profile's check, for a state dir made elsewhere.
            compute_mod.new_profile(self.layout)
        self.layout.state.mkdir(parents=True, exist_ok=True)
        self.profile.save(self.layout)
        self.layout.instances.mkdir(parents=True, exist_ok=True)
        # nova-compute writes its node uuid (compute_id) into state_path.
        (self.layout.state / 'nova-state').mkdir(exist_ok=True)
        if compute_mod.ensure_qemu_conf():
            self.log(f'appended user/group root to {compute_mod.QEMU_CONF}')

    def _start_compute(self, ports):
        profile = self.profile
        if profile.custom_model is None:
            model, disable = compute_mod.choose_custom_model(profile.virt_type)
            profile.custom_model, profile.custom_disable = model, disable
            profile.save(self.layout)
        compute_mod.write_compute_conf(self.layout, profile)
        compute_mod.start_nova(self.layout, ports, self._children)
        compute_mod.discover_hosts(self.layout)

    def set_cpu_mode(self, cpu_mode):
        """Restart nova-compute with another ``[libvirt] cpu_mode``."""
        if not self.compute or not self.is_running():
            raise CloudError('the compute profile is not running')
        try:
            return compute_mod.set_cpu_mode(
                self.layout,
                self.ports(),
                self.profile,
                cpu_mode,
                self._children,
            )
        except compute_mod.ComputeError as exc:
            raise CloudError(str(exc)) from exc

    def down(self):
        """Stop every process this state dir records; return their names."""
        stopped = []
        if self.compute:
            stopped = compute_mod.stop_all(self.layout, log=self.log)
        stopped += [s for s in lay.SERVICES if procs.stop(self.layout, s)]
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
