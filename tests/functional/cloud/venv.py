"""The server virtualenv: Keystone, Nova, Placement and gunicorn, pinned.

The virtualenv is rebuilt only when ``constraints.txt`` or the Python
version changes; a stamp file inside it records what it was built from.
"""

import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

from tests.functional.cloud import layout as layout_mod

STAMP = 'devcloud.stamp'


class InstallError(Exception):
    """The server packages could not be installed (e.g. no package index)."""


# pip's own default when no index-url is configured.
DEFAULT_INDEX = 'https://pypi.org/simple/'
INDEX_TIMEOUT = 10  # seconds for each package source


def _pip_settings(env=None):
    """pip's settings from its config files and PIP_* variables.

    ``{name: [value, ...]}`` from ``pip config list``, whose keys are
    ``<section>.<name>`` (``:env:.<name>`` for environment variables).
    """
    proc = subprocess.run(
        [sys.executable, '-m', 'pip', 'config', 'list'],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    settings = {}
    for line in proc.stdout.splitlines():
        key, _, value = line.partition('=')
        name = key.rsplit('.', 1)[-1].strip()
        settings.setdefault(name, []).append(value.strip().strip('\'"'))
    return settings


def _unreachable(source, timeout):
    """Why a package source cannot be read, or None when it can."""
    parsed = urllib.parse.urlsplit(source)
    if parsed.scheme in ('http', 'https'):
        try:
            with urllib.request.urlopen(source, timeout=timeout):
                return None
        except urllib.error.HTTPError:
            return None  # the server answered
        except (OSError, ValueError) as exc:
            return str(exc)
    path = parsed.path if parsed.scheme == 'file' else source
    if pathlib.Path(urllib.parse.unquote(path)).exists():
        return None
    return 'no such directory'


def package_index_problem(env=None, timeout=INDEX_TIMEOUT):
    """None when a package source pip would use answers, else why none does.

    The sources are pip's index-url (pip's default when none is set, unless
    no-index), its extra-index-urls and find-links, from pip's config files
    and PIP_* variables. The functional suite may skip only when this is not
    None (see tests/functional/conftest.py).
    """
    settings = _pip_settings(env)
    true = ('1', 'true', 'yes', 'on')
    sources = []
    if not any(v.lower() in true for v in settings.get('no-index', [])):
        sources += settings.get('index-url') or [DEFAULT_INDEX]
        for value in settings.get('extra-index-url', []):
            sources += value.split()
    for value in settings.get('find-links', []):
        sources += value.split()
    problems = []
    for source in sources:
        why = _unreachable(source, timeout)
        if why is None:
            return None
        problems.append(f'{source}: {why}')
    return '; '.join(problems) or 'pip has no package source configured'


def ci(environ=os.environ):
    """Whether this runs in CI (``CI`` set to anything but false)."""
    return environ.get('CI', '').strip().lower() not in ('', '0', 'false')


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
