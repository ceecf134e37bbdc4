"""gunicorn processes of the dev cloud: ports, pid files, start, stop.

A pid file holds the gunicorn master's pid and its start time (from
``/proc/<pid>/stat``), so a stale file never makes us signal a stranger
that happens to reuse the pid.
"""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from tests.functional.cloud import configs
from tests.functional.cloud import layout as lay

# sqlite allows one writer: Placement takes the seeder's parallel writes.
WORKERS = {'keystone': 2, 'placement': 1, 'nova': 2, 'glance': 1}
READY_TIMEOUT = 120


class ProcessError(Exception):
    """A service did not start or stop."""


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def port_is_free(port):
    with socket.socket() as sock:
        # As gunicorn does: a port in TIME_WAIT from our last run is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(('127.0.0.1', port))
        except OSError:
            return False
        return True


def _start_time(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            stat = f.read()
    except OSError:
        return None
    # Field 22 (starttime); the command name in parentheses may hold spaces.
    return stat.rsplit(')', 1)[1].split()[19]


def read_pid(layout, service):
    """The live pid recorded for ``service``, or None."""
    try:
        pid_text, start = layout.pid_file(service).read_text().split()
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    return pid if _start_time(pid) == start else None


def _log_tail(path, size=3000):
    try:
        return path.read_text(errors='replace')[-size:]
    except OSError:
        return ''


def clean_env():
    """Our environment without the caller's virtualenv and ``OS_*``."""
    return {
        k: v
        for k, v in os.environ.items()
        if k not in ('PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV')
        and not k.startswith('OS_')
    }


def spawn(layout, service, argv, env, log):
    """Start ``argv`` in a session of its own, its output appended to
    ``log``; record its pid file; return the Popen."""
    with open(log, 'ab') as out:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=layout.state,
            start_new_session=True,
        )
    layout.pid_file(service).write_text(
        f'{proc.pid} {_start_time(proc.pid)}\n'
    )
    return proc


def start(layout, service, port):
    """Start gunicorn for ``service`` on 127.0.0.1:``port``; return pid."""
    log = layout.log_dir / f'{service}-gunicorn.log'
    env = clean_env()
    env.update(configs.service_env(layout, service))
    argv = [
        str(layout.bin('gunicorn')),
        '--bind',
        f'127.0.0.1:{port}',
        '--workers',
        str(WORKERS[service]),
        '--timeout',
        '300',
        '--graceful-timeout',
        '5',
        '--pythonpath',
        str(lay.HERE),
        '--chdir',
        str(layout.state),
        f'wsgi_apps:{service}()',
    ]
    return spawn(layout, service, argv, env, log)


def wait_ready(layout, service, port, proc=None, timeout=READY_TIMEOUT):
    """Wait until ``service`` answers HTTP on its port."""
    deadline = time.monotonic() + timeout
    url = f'http://127.0.0.1:{port}/'
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=timeout):  # noqa: S310
                return
        except urllib.error.HTTPError:
            return  # any HTTP answer means a worker has loaded the app
        except OSError:
            time.sleep(0.2)
    logs = _log_tail(layout.log_dir / f'{service}-gunicorn.log')
    logs += _log_tail(layout.log_dir / f'{service}.log')
    raise ProcessError(f'{service} did not come up on {url}:\n{logs}')


def stop(layout, service, timeout=20):
    """Stop ``service`` by its recorded pid; True if it was running."""
    pid = read_pid(layout, service)
    layout.pid_file(service).unlink(missing_ok=True)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _start_time(pid) is None:
            return True
        if _is_zombie(pid):
            # Dead. Its parent (us, or init if the launcher that started
            # it has exited) reaps it; give init a moment to do so.
            _wait_reaped(pid)
            return True
        time.sleep(0.1)
    # gunicorn ignored TERM: kill its process group (it leads its session).
    os.killpg(pid, signal.SIGKILL)
    return True


def _wait_reaped(pid, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _start_time(pid) is not None:
        try:
            os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
        except ChildProcessError:
            pass
        time.sleep(0.1)


def _is_zombie(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] == 'Z'
    except OSError:
        return True
