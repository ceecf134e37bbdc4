"""The server virtualenv: Keystone, Nova, Placement and gunicorn, pinned.

The virtualenv is rebuilt only when ``constraints.txt`` or the Python
version changes; a stamp file inside it records what it was built from.
"""

import hashlib
import shutil
import subprocess
import sys

from tests.functional.cloud import layout as layout_mod

STAMP = 'devcloud.stamp'


class InstallError(Exception):
    """The server packages could not be installed (e.g. no package index)."""


def wanted_stamp():
    digest = hashlib.sha256(layout_mod.CONSTRAINTS.read_bytes()).hexdigest()
    return f'python={sys.version_info[0]}.{sys.version_info[1]} {digest}\n'


def is_current(layout):
    stamp = layout.venv / STAMP
    return (
        stamp.is_file()
        and stamp.read_text() == wanted_stamp()
        and layout.bin('gunicorn').exists()
    )


def ensure(layout, log=print):
    """Build the virtualenv unless the stamp says it is current.

    Returns True when it (re)built, False when it reused the virtualenv.
    Raises :class:`InstallError` when pip fails.
    """
    if is_current(layout):
        return False
    log(f'building server virtualenv {layout.venv} (about a minute)')
    if layout.venv.exists():
        shutil.rmtree(layout.venv)
    layout.venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, '-m', 'venv', str(layout.venv)], check=True
    )
    cmd = [
        str(layout.bin('python')),
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '-c',
        str(layout_mod.CONSTRAINTS),
        *layout_mod.SERVER_PACKAGES,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = '\n'.join(
            line
            for line in (proc.stderr + proc.stdout).splitlines()
            if not line.startswith('WARNING: Location')
        )[-2000:]
        raise InstallError(
            f'pip could not install the server packages '
            f'(exit {proc.returncode}):\n{tail}'
        )
    (layout.venv / STAMP).write_text(wanted_stamp())
    return True
