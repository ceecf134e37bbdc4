"""Missing binaries: a skip with the reason, or under CI=true a failure."""

import pytest

from tests.realqemu import conftest
from tests.realqemu import machine


@pytest.fixture
def no_qemu(monkeypatch, tmp_path):
    monkeypatch.setattr(machine, 'QEMU', 'no-such-qemu-system-x86_64')
    monkeypatch.setattr(machine, 'OVMF_CODE', tmp_path / 'OVMF_CODE_4M.fd')


def test_skips_with_the_reason(no_qemu, monkeypatch):
    monkeypatch.delenv('CI', raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        conftest.require(firmware=True)
    reason = str(skipped.value)
    assert 'no-such-qemu-system-x86_64' in reason
    assert 'qemu-system-x86' in reason
    assert 'OVMF_CODE_4M.fd' in reason


def test_fails_under_ci(no_qemu, monkeypatch):
    monkeypatch.setenv('CI', 'true')
    with pytest.raises(pytest.fail.Exception, match='CI=true but'):
        conftest.require(firmware=False)


def test_nothing_missing_names_nothing(monkeypatch, tmp_path):
    code = tmp_path / 'code.fd'
    code.write_bytes(b'')
    monkeypatch.setattr(machine, 'QEMU', 'sh')  # on every PATH
    monkeypatch.setattr(machine, 'OVMF_CODE', code)
    monkeypatch.setattr(machine, 'OVMF_VARS', code)
    assert machine.binaries_missing(firmware=True) is None
    assert machine.binaries_missing(firmware=False) is None


def test_a_missing_seabios_is_named(monkeypatch, tmp_path):
    monkeypatch.setattr(machine, 'QEMU', 'sh')
    monkeypatch.setattr(machine, 'SEABIOS', tmp_path / 'bios-256k.bin')
    why = machine.binaries_missing(firmware=False, seabios=True)
    assert why is not None and 'bios-256k.bin' in why and 'seabios' in why
    assert machine.binaries_missing(firmware=False) is None
