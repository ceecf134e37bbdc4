"""The e2e suite and the dev cloud's compute profile, without a cloud.

The suite skips without its prerequisites and fails in CI; the pieces of
the compute profile that decide things are checked on their own.
"""

import configparser
import os
import pathlib
import subprocess
import sys

import pytest

from tests.e2e import conftest as e2e_conftest
from tests.e2e import guest
from tests.functional.cloud import compute

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run_e2e(ci):
    env = {
        k: v
        for k, v in os.environ.items()
        if k != 'CI' and not k.startswith('MAXPHYSADDR_')
    }
    if ci:
        env['CI'] = 'true'
    return subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider']
        + ['-p', 'tests.unit.force_e2e_missing', 'tests/e2e'],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_prerequisites_skip_the_suite():
    result = run_e2e(ci=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'skipped' in result.stdout.splitlines()[-1]
    assert 'passed' not in result.stdout


def test_missing_prerequisites_fail_in_ci():
    result = run_e2e(ci=True)
    assert result.returncode != 0, result.stdout
    assert 'CI is set, so e2e may not be skipped' in result.stdout
    assert 'virsh (libvirt-clients)' in result.stdout


def test_ci_runs_e2e_alone_and_tox_hands_it_ci():
    ci_run = (ROOT / '.ci' / 'run').read_text()
    # Alone, after the parallel step and realqemu (the other guest boots).
    assert ci_run.index("step 'tox -e realqemu'") < ci_run.index(
        "step 'tox -e e2e' python3 -m tox -e e2e\n"
    )
    for package in compute.APT_PACKAGES:
        assert package in ci_run
    tox = configparser.ConfigParser()
    tox.read(ROOT / 'tox.ini')
    assert 'CI' in tox['testenv:e2e']['passenv'].split()
    # The unit environments do not collect the e2e suite.
    assert '--ignore=tests/e2e' in tox['testenv']['commands']


@pytest.mark.parametrize(
    'virt_type,custom,modes',
    [
        ('kvm', 'qemu64', ('host-model', 'host-passthrough', 'custom')),
        ('qemu', 'Nehalem', ('host-model', 'custom')),
        ('kvm', None, ('host-model', 'host-passthrough')),
    ],
)
def test_cpu_modes_offered(virt_type, custom, modes):
    profile = compute.Profile(virt_type=virt_type, custom_model=custom)
    assert profile.cpu_modes == modes


def test_qemu_conf_block_is_appended_once(tmp_path):
    conf = tmp_path / 'qemu.conf'
    conf.write_text('#user = "libvirt-qemu"\n# group = "kvm"\n')
    assert compute.ensure_qemu_conf(conf) is True
    assert compute.ensure_qemu_conf(conf) is False
    text = conf.read_text()
    assert text.count(compute.QEMU_CONF_BEGIN) == 1
    assert '\nuser = "root"\ngroup = "root"\n' in text
    assert text.startswith('#user = "libvirt-qemu"\n')


def test_qemu_conf_with_its_own_user_is_refused(tmp_path):
    conf = tmp_path / 'qemu.conf'
    conf.write_text('user = "libvirt-qemu"\n')
    with pytest.raises(compute.ComputeError, match="sets 'user'"):
        compute.ensure_qemu_conf(conf)
    assert conf.read_text() == 'user = "libvirt-qemu"\n'


def test_kvm_problem_names_the_device(tmp_path):
    assert 'No such file' in compute.kvm_problem(str(tmp_path / 'kvm'))


def test_fault_cause_is_qemus_last_error():
    fault = (
        'internal error: qemu unexpectedly closed the monitor: '
        '2026-12-03T13:39:00.294014Z qemu-system-x86_64: warning: Host '
        'physical bits (48) does not match phys-bits property (35)\n'
        '2026-12-03T13:39:00.294877Z qemu-system-x86_64: Address space '
        'limit 0x7ffffffff < 0x8ffffffff phys-bits too low (35)\n'
    )
    assert guest.fault_cause(fault) == (
        'Address space limit 0x7ffffffff < 0x8ffffffff phys-bits too low (35)'
    )
    assert (
        guest.fault_cause('Traceback ...\nnova.exception.FlavorImageConflict:')
        == 'FlavorImageConflict'
    )


def test_phys_bits_option_keeps_only_the_width():
    arg = 'host,migratable=on,phys-bits=42'
    assert guest.phys_bits_option(arg) == 'phys-bits=42'
    assert guest.phys_bits_option('qemu64,pni=off,host-phys-bits=on') == (
        'host-phys-bits=on'
    )


def test_grid_table_is_an_rst_simple_table():
    row = {
        'cpu_mode': 'host-model',
        'row': 'emulate 42',
        'set_refused': False,
        'status': 'ok',
        'hosts': 1,
        'predicted_bits': 42,
        'nova': 'ACTIVE',
        'xml': 'bits=42 mode=emulate',
        'qemu_cpu': 'phys-bits=42',
        'qmp_bits': 42,
        'boot_seconds': 2.5,
    }
    lines = e2e_conftest.grid_table([row])
    assert lines[0] == lines[2] == lines[-1]
    assert 'written / ok / 1 / 42' in lines[3]
    assert lines[3].split() == [
        'host-model',
        'emulate',
        '42',
        'written',
        '/',
        'ok',
        '/',
        '1',
        '/',
        '42',
        'ACTIVE',
        'bits=42',
        'mode=emulate',
        'phys-bits=42',
        '42',
        '2.5',
    ]
