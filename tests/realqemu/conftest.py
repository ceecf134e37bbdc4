"""Skip the real-binary tests where QEMU, OVMF or SeaBIOS is missing, never
silently.

CI installs ``qemu-system-x86`` (which brings ``seabios``) and ``ovmf``
(``.ci/run``), so there (``CI=true``) a missing binary fails the run
instead of skipping it.
"""

import os

import pytest

from tests.realqemu import machine


def require(*, firmware: bool, seabios: bool = False) -> None:
    """Skip (or, under CI, fail) when the binaries are not installed."""
    why = machine.binaries_missing(firmware=firmware, seabios=seabios)
    if why is None:
        return
    if os.environ.get('CI', '').lower() == 'true':
        pytest.fail(f'CI=true but {why}', pytrace=False)
    pytest.skip(f'{why}; apt-get install qemu-system-x86 ovmf to run these')
