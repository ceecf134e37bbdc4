"""Where the dev cloud keeps its things, and the names it uses."""

import dataclasses
import os
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]
CONSTRAINTS = HERE / 'constraints.txt'

#: The state directory (configs, databases, logs, pid files, clouds.yaml).
STATE_ENV = 'MAXPHYSADDR_DEVCLOUD'
#: The server virtualenv; kept outside the state so ``clean`` keeps it.
VENV_ENV = 'MAXPHYSADDR_DEVCLOUD_VENV'

#: Top-level server packages; the rest of ``constraints.txt`` pins theirs.
SERVER_PACKAGES = (
    'keystone',
    'nova',
    'openstack-placement',
    'glance',
    'gunicorn',
)

ADMIN_CLOUD = 'maxphysaddr-devcloud'
MEMBER_CLOUD = 'maxphysaddr-devcloud-member'
REGION = 'RegionOne'
DOMAIN = 'Default'

# A throwaway cloud on loopback: fixed, documented passwords are fine.
ADMIN_PASSWORD = 'devcloud-admin'  # noqa: S105
MEMBER_USER = 'maxphysaddr-member'
MEMBER_PROJECT = 'maxphysaddr-member'
MEMBER_PASSWORD = 'devcloud-member'  # noqa: S105
SERVICE_PASSWORD = 'devcloud-service'  # noqa: S105
SERVICE_PROJECT = 'service'

SERVICES = ('keystone', 'placement', 'nova', 'glance')

#: The compute profile (``compute.py``), in start order: RabbitMQ with
#: its own epmd, libvirt's daemons, Nova's RPC services.
COMPUTE_SERVICES = (
    'epmd',
    'rabbitmq',
    'virtlogd',
    'libvirtd',
    'nova-conductor',
    'nova-scheduler',
    'nova-compute',
)
#: Ports of the compute profile (``ports.json`` keys beside SERVICES).
COMPUTE_PORTS = ('epmd', 'rabbitmq', 'rabbitmq-dist')
#: Installed into the server virtualenv by the compute profile only (pinned
#: in ``constraints.txt``; built from source against libvirt-dev).
COMPUTE_PACKAGES = ('libvirt-python',)
#: nova-compute's service host; libvirt names the hypervisor.
COMPUTE_HOST = 'devcloud-compute'
#: Nova's libvirt domain names, so ``down`` knows which domains are ours.
DOMAIN_PREFIX = 'maxphysaddr-devcloud-'


def _default_venv():
    cache = os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache')
    return pathlib.Path(cache) / 'osc-maxphysaddr' / 'devcloud-venv'


@dataclasses.dataclass(frozen=True)
class Layout:
    """Paths of one dev cloud."""

    state: pathlib.Path
    venv: pathlib.Path

    @classmethod
    def from_env(cls, state=None, venv=None):
        state = state or os.environ.get(STATE_ENV) or REPO_ROOT / '.devcloud'
        venv = venv or os.environ.get(VENV_ENV) or _default_venv()
        return cls(
            state=pathlib.Path(state).resolve(),
            venv=pathlib.Path(venv).resolve(),
        )

    def bin(self, name):
        return self.venv / 'bin' / name

    @property
    def python(self):
        return self.bin('python')

    @property
    def etc(self):
        return self.state / 'etc'

    def conf_dir(self, service):
        return self.etc / service

    @property
    def db_dir(self):
        return self.state / 'db'

    def db_url(self, name):
        # A busy timeout: two workers may write at once.
        return f'sqlite:///{self.db_dir / name}.sqlite?timeout=30'

    @property
    def log_dir(self):
        return self.state / 'log'

    @property
    def run_dir(self):
        return self.state / 'run'

    def pid_file(self, service):
        return self.run_dir / f'{service}.pid'

    @property
    def lock_dir(self):
        return self.state / 'lock'

    @property
    def keystone_keys(self):
        return self.state / 'keystone-keys'

    @property
    def clouds_yaml(self):
        return self.state / 'clouds.yaml'

    @property
    def ports_file(self):
        return self.state / 'ports.json'

    @property
    def schema_stamp(self):
        return self.state / 'schema.done'

    @property
    def glance_schema_stamp(self):
        # Apart from schema_stamp: state dirs made before Glance joined.
        return self.state / 'glance-schema.done'

    @property
    def glance_store(self):
        """Glance's file store: image data, staging and cache."""
        return self.state / 'glance-store'

    @property
    def compute_profile(self):
        """What the compute profile runs with (``compute.Profile``)."""
        return self.state / 'compute.json'

    @property
    def instances(self):
        """nova-compute's ``instances_path``."""
        return self.state / 'instances'

    @property
    def rabbit_dir(self):
        return self.state / 'rabbitmq'

    @property
    def manifest(self):
        return self.state / 'manifest.json'
