"""The functional suite skips only without a package index, never in CI.

Each case runs pytest on one functional test in a subprocess, with the dev
cloud made uninstallable (tests/unit/force_install_error.py) and pip's
package sources set through PIP_* variables alone.
"""

import configparser
import http.server
import os
import pathlib
import subprocess
import sys
import threading

import pytest

from tests.functional.cloud import venv

ROOT = pathlib.Path(__file__).resolve().parents[2]
ONE_TEST = 'tests/functional/test_plugin.py'
ONE_TEST_NAME = 'test_several_flavors_and_the_users_microversion'


def pip_env(tmp_path, **pip):
    """This environment without pip config files and PIP_*, plus ``pip``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith('PIP_') and k != 'CI'
    }
    env['PIP_CONFIG_FILE'] = os.devnull
    env['PIP_DISABLE_PIP_VERSION_CHECK'] = '1'
    env.update(pip)
    return env


@pytest.fixture
def index_server():
    """A package index that answers (an empty one)."""
    server = http.server.ThreadingHTTPServer(
        ('127.0.0.1', 0), http.server.SimpleHTTPRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}/'
    server.shutdown()
    server.server_close()


def closed_port_url():
    with __import__('socket').socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    return f'http://127.0.0.1:{port}/simple/'


def run_suite(env):
    return subprocess.run(
        [
            sys.executable,
            '-m',
            'pytest',
            '-q',
            '-p',
            'no:cacheprovider',
            '-p',
            'tests.unit.force_install_error',
            '-rs',
            ONE_TEST,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_package_index_problem_reads_pips_sources(tmp_path, index_server):
    unreachable = closed_port_url()
    assert (
        venv.package_index_problem(
            env=pip_env(tmp_path, PIP_INDEX_URL=index_server)
        )
        is None
    )
    problem = venv.package_index_problem(
        env=pip_env(tmp_path, PIP_INDEX_URL=unreachable)
    )
    assert problem is not None and unreachable in problem
    # a local find-links directory is a source too, and no-index drops the
    # index
    assert (
        venv.package_index_problem(
            env=pip_env(
                tmp_path,
                PIP_INDEX_URL=unreachable,
                PIP_FIND_LINKS=str(tmp_path),
            )
        )
        is None
    )
    missing = tmp_path / 'missing'
    problem = venv.package_index_problem(
        env=pip_env(tmp_path, PIP_NO_INDEX='1', PIP_FIND_LINKS=str(missing))
    )
    assert problem == f'{missing}: no such directory'


def test_skips_only_when_no_index_answers(tmp_path):
    result = run_suite(pip_env(tmp_path, PIP_INDEX_URL=closed_port_url()))
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'skipped' in result.stdout
    assert 'no package index can be reached' in result.stdout
    assert 'passed' not in result.stdout


def test_fails_in_ci_even_without_an_index(tmp_path):
    env = pip_env(tmp_path, PIP_INDEX_URL=closed_port_url(), CI='true')
    result = run_suite(env)
    assert result.returncode != 0
    assert 'CI is set, so the functional tests may not be skipped' in (
        result.stdout
    )
    assert ' skipped' not in result.stdout.splitlines()[-1]


def test_fails_when_the_index_answers(tmp_path, index_server):
    result = run_suite(pip_env(tmp_path, PIP_INDEX_URL=index_server))
    assert result.returncode != 0
    assert 'the package index answers, yet' in result.stdout


@pytest.mark.parametrize('ci,code', [('1', 1), ('', 0)])
def test_a_skipped_functional_test_fails_a_ci_run(tmp_path, ci, code):
    # A functional test that skips for any reason (here a plugin skips it
    # before any cloud starts): in CI that skip alone fails the run.
    env = pip_env(tmp_path, CI=ci)
    result = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider']
        + ['-p', 'tests.unit.force_skip', ONE_TEST + '::' + ONE_TEST_NAME],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == code, result.stdout
    assert '1 skipped' in result.stdout
    assert ('failing the run' in result.stdout) is bool(ci)


def test_ci_script_and_tox_hand_ci_to_the_functional_tests():
    ci_run = (ROOT / '.ci' / 'run').read_text()
    assert '\nexport CI=true\n' in ci_run
    lines = ci_run.splitlines()
    runs_tox = [
        i
        for i, line in enumerate(lines)
        if 'python3 -m tox' in line and not line.lstrip().startswith('#')
    ]
    assert runs_tox
    assert lines.index('export CI=true') < min(runs_tox)
    tox = configparser.ConfigParser()
    tox.read(ROOT / 'tox.ini')
    passenv = tox['testenv:functional']['passenv'].split()
    assert 'CI' in passenv
