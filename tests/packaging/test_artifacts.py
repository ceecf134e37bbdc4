"""The built sdist and wheel, checked and installed as an operator would.

``tox -e dist`` builds both from a shallow clone of the repository, runs
``twine check`` on them, and points MAXPHYSADDR_DIST_DIR at them. These
tests then look inside the artifacts, install the wheel into a new
virtualenv that holds only python-openstackclient, run its commands against
the emulated cloud, and finally add osc-placement to the same virtualenv to
check that the two plugins live side by side. They run in file order: the
last test uninstalls the plugin.
"""

import configparser
import email
import json
import os
import re
import signal
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

DIST_DIR = os.environ.get('MAXPHYSADDR_DIST_DIR')
pytestmark = pytest.mark.skipif(
    not DIST_DIR, reason='needs the artifacts tox -e dist builds'
)

REPO_ROOT = Path(__file__).parents[2]
SETUP_CFG = configparser.ConfigParser()
SETUP_CFG.read(REPO_ROOT / 'setup.cfg')
VERSION = SETUP_CFG['metadata']['version']
COMMAND_GROUP = 'openstack.maxphysaddr.v1'


def setup_cfg_entry_points():
    """{group: {name: target}} as setup.cfg registers them."""
    found = {}
    for group, raw in SETUP_CFG['entry_points'].items():
        found[group] = dict(
            (part.strip() for part in line.split('=', 1))
            for line in raw.splitlines()
            if line.strip()
        )
    return found


COMMANDS = sorted(
    name.replace('_', ' ') for name in setup_cfg_entry_points()[COMMAND_GROUP]
)


def tracked_files(*paths):
    out = subprocess.run(
        ['git', 'ls-files', *paths],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())


def requirement_lines():
    text = (REPO_ROOT / 'requirements.txt').read_text()
    lines = (line.split('#', 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


# -- the artifacts ----------------------------------------------------------


@pytest.fixture(scope='module')
def sdist():
    found = sorted(Path(DIST_DIR).resolve().glob('*.tar.gz'))
    assert len(found) == 1, found
    return found[0]


@pytest.fixture(scope='module')
def wheel():
    found = sorted(Path(DIST_DIR).resolve().glob('*.whl'))
    assert len(found) == 1, found
    return found[0]


def wheel_metadata(wheel):
    with zipfile.ZipFile(wheel) as whl:
        return email.message_from_bytes(
            whl.read(f'osc_maxphysaddr-{VERSION}.dist-info/METADATA')
        )


def test_both_artifacts_carry_the_release_version(sdist, wheel):
    # A release version, not pbr's "0.1.0.devN" for an untagged git tree.
    assert re.fullmatch(r'\d+\.\d+\.\d+', VERSION), VERSION
    assert sdist.name == f'osc_maxphysaddr-{VERSION}.tar.gz'
    assert wheel.name == f'osc_maxphysaddr-{VERSION}-py3-none-any.whl'
    assert wheel_metadata(wheel)['Version'] == VERSION
    with tarfile.open(sdist) as tar:
        pkg_info = tar.extractfile(f'osc_maxphysaddr-{VERSION}/PKG-INFO')
        assert email.message_from_bytes(pkg_info.read())['Version'] == VERSION


def test_wheel_metadata_is_what_pip_show_and_pypi_display(wheel):
    meta = wheel_metadata(wheel)
    cfg = SETUP_CFG['metadata']
    assert meta['Name'] == cfg['name']
    assert meta['Summary'] == cfg['summary']
    assert meta['Requires-Python'] == cfg['python_requires']
    assert meta['Description-Content-Type'] == 'text/x-rst'
    assert meta.get_payload().strip().startswith('=' * 15)  # README.rst
    urls = dict(url.split(', ', 1) for url in meta.get_all('Project-URL'))
    assert {'Documentation', 'Issue Tracker'} <= set(urls)
    minor_versions = [
        c.rsplit(' :: ', 1)[1]
        for c in meta.get_all('Classifier')
        if re.fullmatch(r'Programming Language :: Python :: 3\.\d+', c)
    ]
    running = f'{sys.version_info.major}.{sys.version_info.minor}'
    assert running in minor_versions
    assert meta.get_all('Requires-Dist') == requirement_lines()


def test_license_is_in_both_artifacts(sdist, wheel):
    text = (REPO_ROOT / 'LICENSE').read_bytes()
    assert b'Apache License' in text and b'Version 2.0' in text
    with zipfile.ZipFile(wheel) as whl:
        info = f'osc_maxphysaddr-{VERSION}.dist-info'
        assert whl.read(f'{info}/licenses/LICENSE') == text
    with tarfile.open(sdist) as tar:
        member = tar.extractfile(f'osc_maxphysaddr-{VERSION}/LICENSE')
        assert member.read() == text


def test_wheel_holds_every_module_and_entry_point(wheel):
    with zipfile.ZipFile(wheel) as whl:
        packaged = {n for n in whl.namelist() if n.endswith('.py')}
        entry_points = whl.read(
            f'osc_maxphysaddr-{VERSION}.dist-info/entry_points.txt'
        ).decode()
    assert packaged == tracked_files('osc_maxphysaddr/*.py')
    parsed = configparser.ConfigParser()
    parsed.read_string(entry_points)
    from_wheel = {
        group: {name: target.strip() for name, target in parsed[group].items()}
        for group in parsed.sections()
    }
    assert from_wheel == setup_cfg_entry_points()


def test_sdist_holds_every_tracked_file(sdist):
    prefix = f'osc_maxphysaddr-{VERSION}/'
    with tarfile.open(sdist) as tar:
        members = {
            name.removeprefix(prefix) for name in tar.getnames() if name
        }
    # pbr leaves git's own files out.
    assert tracked_files() - {'.gitignore'} <= members


# -- the wheel in a virtualenv with only python-openstackclient ------------


class Venv:
    def __init__(self, path):
        self.path = path
        self.bin = path / 'bin'
        self.workdir = path.parent  # not the source tree
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith('OS_')
            and key not in ('PYTHONPATH', 'VIRTUAL_ENV')
        }

    def run(self, program, *args, check=True, env=None):
        proc = subprocess.run(
            [str(self.bin / program), *args],
            cwd=self.workdir,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
        )
        if check:
            assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        return proc

    def pip(self, *args):
        return self.run('python', '-m', 'pip', '--quiet', *args)

    def distributions(self):
        out = self.run('python', '-m', 'pip', 'list', '--format', 'json')
        return {
            d['name'].lower(): d['version'] for d in json.loads(out.stdout)
        }


@pytest.fixture(scope='module')
def osc_venv(tmp_path_factory, wheel):
    path = tmp_path_factory.mktemp('wheel') / 'venv'
    venv.create(path, with_pip=True)
    env = Venv(path)
    env.pip('install', 'python-openstackclient')
    assert 'osc-maxphysaddr' not in env.distributions()
    env.pip('install', str(wheel))
    return env


def test_wheel_installs_next_to_python_openstackclient(osc_venv):
    after = osc_venv.distributions()
    assert after['osc-maxphysaddr'] == VERSION
    # Every requirement is installed, at a version that satisfies it.
    for requirement in requirement_lines():
        name = re.split(r'[<>=!~ ;\[]', requirement, maxsplit=1)[0]
        assert name.lower() in after, requirement
    osc_venv.run('python', '-m', 'pip', 'check')
    where = osc_venv.run(
        'python',
        '-c',
        'import osc_maxphysaddr; print(osc_maxphysaddr.__file__)',
    ).stdout
    assert Path(where.strip()).is_relative_to(osc_venv.path)


def test_installed_commands_render_help(osc_venv):
    out = osc_venv.run(
        'openstack', 'flavor', 'maxphysaddr', 'show', '--help'
    ).stdout
    assert out.startswith('usage: openstack flavor maxphysaddr show')
    assert '<flavor>' in out


def completion_groups(text):
    """{'flavor_maxphysaddr': ['list', ...], ...} from openstack complete."""
    return {
        match[1]: match[2].split()
        for match in re.finditer(r"^\s*cmds_(\w+)='([^']*)'", text, re.M)
    }


def expected_completions():
    groups = {}
    for command in COMMANDS:
        *group, action = command.split()
        groups.setdefault('_'.join(group), []).append(action)
    return groups


def test_installed_commands_complete(osc_venv):
    groups = completion_groups(osc_venv.run('openstack', 'complete').stdout)
    for group, actions in expected_completions().items():
        assert sorted(groups[group]) == sorted(actions), group


@pytest.fixture(scope='module')
def emulated_cloud(tmp_path_factory):
    """The emulated cloud, served by the test environment's interpreter."""
    clouds = tmp_path_factory.mktemp('cloud') / 'clouds.yaml'
    proc = subprocess.Popen(
        [
            sys.executable,
            '-m',
            'tests.emulation',
            '--hypervisors',
            '3',
            '--clouds-yaml',
            str(clouds),
        ],
        cwd=REPO_ROOT,
        env={**os.environ, 'PYTHONPATH': str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().startswith('http://127.0.0.1:')
        yield {'OS_CLIENT_CONFIG_FILE': str(clouds), 'OS_CLOUD': 'emulated'}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_installed_commands_change_and_read_a_cloud(osc_venv, emulated_cloud):
    def openstack(*args):
        out = osc_venv.run('openstack', *args, env=emulated_cloud).stdout
        return json.loads(out)

    before = openstack(
        'flavor', 'maxphysaddr', 'show', 'm1.large', '-f', 'json'
    )
    assert before['Mode'] != 'emulate'
    osc_venv.run(
        'openstack',
        *('flavor', 'maxphysaddr', 'set', 'm1.large'),
        *('--mode', 'emulate', '--bits', '42'),
        env=emulated_cloud,
    )
    after = openstack(
        'flavor', 'maxphysaddr', 'show', 'm1.large', '-f', 'json'
    )
    assert (after['Mode'], after['Bits']) == ('emulate', 42)
    hypervisors = openstack('hypervisor', 'maxphysaddr', 'list', '-f', 'json')
    assert len(hypervisors) == 3


# -- next to osc-placement --------------------------------------------------


def help_commands(text):
    """[(command, description), ...] from openstack --help, in order."""
    commands = text.split('\nCommands:\n', 1)[1]
    listed = []
    for line in commands.splitlines():
        if line.startswith('  ') and not line.startswith('   '):
            name, _, description = line.strip().partition('  ')
            listed.append((name, description.strip()))
    return listed


def test_next_to_osc_placement_nothing_is_shadowed(osc_venv):
    osc_venv.pip('install', 'osc-placement')
    listing = osc_venv.run('openstack', '--help')
    assert 'Failed to import' not in listing.stderr, listing.stderr
    with_plugin = listing.stdout
    completions = completion_groups(
        osc_venv.run('openstack', 'complete').stdout
    )
    osc_venv.pip('uninstall', '--yes', 'osc-maxphysaddr')
    without = osc_venv.run('openstack', '--help').stdout
    completions_without = completion_groups(
        osc_venv.run('openstack', 'complete').stdout
    )

    listed = help_commands(with_plugin)
    names = [name for name, _ in listed]
    stock = dict(help_commands(without))
    assert 'resource provider list' in stock  # osc-placement's
    # Every command of ours is listed once and is new; every other command
    # is listed once, with the same description as without the plugin.
    for command in COMMANDS:
        assert names.count(command) == 1, command
        assert command not in stock
    assert len(names) == len(set(names))
    assert {n: d for n, d in listed if n not in COMMANDS} == stock
    # No global option of ours: the text before the commands is the same.
    assert (
        with_plugin.split('\nCommands:\n')[0]
        == (without.split('\nCommands:\n')[0])
    )
    # Completion: ours complete; every other group completes as before,
    # apart from the "maxphysaddr" word our commands add to their parent.
    ours = expected_completions()
    for group, actions in ours.items():
        assert sorted(completions[group]) == sorted(actions), group
    others = {
        group: [word for word in words if word != 'maxphysaddr']
        for group, words in completions.items()
        if 'maxphysaddr' not in group  # ours, and our commands' options
    }
    assert others == completions_without
