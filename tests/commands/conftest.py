"""Run the real OSC shell in-process against the local cloud emulation."""

import contextlib
import dataclasses
import io
import json

import os_traits
import pytest
from openstackclient import shell

from tests.emulation import EmulatedCloud
from tests.emulation import seed
from tests.emulation.osc import reset_client_caches


@dataclasses.dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


class Cloud:
    """An emulated cloud and a way to run ``openstack`` against it."""

    def __init__(self, emulated: EmulatedCloud):
        self.emulated = emulated
        self.state = emulated.state
        self.log = emulated.log

    def run(self, *args, user='admin', global_args=()):
        """Run ``openstack <global_args> <args>``; count only its requests."""
        self.log.clear()
        # OSC caches client handles on a class across main() calls
        reset_client_caches()
        out, err = io.StringIO(), io.StringIO()
        argv = self.emulated.os_args(user) + list(global_args) + list(args)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = shell.main(argv)
            except SystemExit as exc:  # argparse errors
                code = exc.code
        return Result(code, out.getvalue(), err.getvalue())

    def with_config(self, section, tmp_path, monkeypatch, name='emulated'):
        """Global options naming a clouds.yaml entry for this cloud whose
        ``maxphysaddr:`` section is ``section``."""
        path = self.emulated.write_clouds_yaml(
            tmp_path / 'clouds.yaml', name, extra={'maxphysaddr': section}
        )
        monkeypatch.setenv('OS_CLIENT_CONFIG_FILE', str(path))
        return ['--os-cloud', name]

    def specs(self, name):
        return dict(self.state.flavor_by_name(name).extra_specs)

    def writes(self):
        """The compute write requests of the last run, in order."""
        return [
            (r.method, r.route, r.microversion)
            for r in self.log.select(service='compute')
            if r.method in ('POST', 'PUT', 'DELETE')
        ]

    def api_requests(self, service=None):
        """API requests (no auth, no version discovery) of the last run."""
        return self.log.select(service=service)


@contextlib.contextmanager
def running(state):
    with EmulatedCloud(state) as emulated:
        yield Cloud(emulated)


@pytest.fixture
def make_cloud():
    """Start clouds built by the test; all are stopped afterwards."""
    with contextlib.ExitStack() as stack:

        def factory(n_hypervisors=12, n_flavors=0, **config):
            state = seed.standard_cloud(n_hypervisors, n_flavors, **config)
            return stack.enter_context(running(state))

        yield factory


@pytest.fixture
def cloud(make_cloud):
    return make_cloud()


E = os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
P = os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH

#: The hosts of ``known_cloud``, by number: (width reported, traits,
#: state, status). Which of them take a flavor is read off this table:
#: emulate at 42 bits: 1 and 2 (3 is narrower, 4 and 8 lack the trait, 5
#: reports no width, 6 is down, 7 disabled); passthrough: 2 and 4 (5 has
#: the trait but reports no width, so it would apply none).
KNOWN_HOSTS = {
    1: (46, {E}, 'up', 'enabled'),
    2: (42, {E, P}, 'up', 'enabled'),
    3: (40, {E}, 'up', 'enabled'),
    4: (48, {P}, 'up', 'enabled'),
    5: (None, {E, P}, 'up', 'enabled'),
    6: (48, {E, P}, 'down', 'enabled'),
    7: (48, {E, P}, 'up', 'disabled'),
    8: (52, set(), 'up', 'enabled'),
}


def hostnames(*numbers):
    """The hypervisor hostnames of these ``KNOWN_HOSTS``, in order."""
    return [seed.make_hypervisor(i).hypervisor_hostname for i in numbers]


def add_known_hosts(cloud):
    for i, (bits, traits, state, status) in KNOWN_HOSTS.items():
        seed.add_hypervisor(
            cloud.state,
            i,
            cpu_info=seed.libvirt_cpu_info(bits),
            traits=traits,
            state_=state,
            status=status,
        )
    return cloud


@pytest.fixture
def known_cloud(make_cloud):
    """The usual flavors on exactly the ``KNOWN_HOSTS``."""
    return add_known_hosts(make_cloud(n_hypervisors=0))
