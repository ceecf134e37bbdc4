"""Run one command as a child process and measure it from the outside.

Wall time is ``time.perf_counter`` around spawn and reap; peak RSS is the
child's own ``ru_maxrss`` from ``os.wait4`` in a small launcher process,
so the driver (which may be serving the emulated cloud in a thread) is
never counted. Output goes to
temporary files, so the driver does nothing while a child runs.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: No child may run longer than this (a hung benchmark must not hang CI).
TIMEOUT_S = 900

BIN = Path(sys.executable).parent


class CommandFailed(RuntimeError):
    """A benchmarked command exited non-zero or printed the wrong thing."""


@dataclasses.dataclass
class Run:
    argv: list[str]
    rc: int
    wall_s: float
    maxrss_kib: int
    stdout: str
    stderr: str

    def check(self) -> Run:
        if self.rc != 0:
            raise CommandFailed(
                f'{" ".join(self.argv)} exited {self.rc}:\n'
                + self.stderr[-3000:]
            )
        return self


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every benchmarked child gets.

    No inherited ``OS_*`` variables (they would change what OSC does);
    bytecode cached in a private prefix, as after a ``pip install``, even
    when the caller sets ``PYTHONDONTWRITEBYTECODE`` (tox does): otherwise
    every run recompiles the plugin, which no installed client does.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith('OS_') and k != 'PYTHONDONTWRITEBYTECODE'
    }
    env['PYTHONPYCACHEPREFIX'] = str(
        Path(tempfile.gettempdir())
        / f'osc-maxphysaddr-bench-pyc-{os.getuid()}'
    )
    env.update(extra or {})
    return env


# Linux gives an exec'ed child at least the ru_maxrss of the process that
# forked it, and the driver holds the emulated cloud (hundreds of MiB at
# 20,000 hosts). So a small interpreter, started with nothing imported but
# os, spawns the command, reaps it and reports its wall time and peak RSS.
_LAUNCHER = """
import json, os, sys, time
start = time.perf_counter()
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(sys.argv[1], 'w') as report:
    json.dump([os.waitstatus_to_exitcode(status), wall, usage.ru_maxrss],
              report)
"""


def run(
    argv: list[str],
    env: dict[str, str],
    cwd: str | None = None,
    timeout: float = TIMEOUT_S,
) -> Run:
    """Run ``argv`` to completion; never raises for a non-zero exit."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile('r') as report,
    ):
        launcher = subprocess.Popen(
            [sys.executable, '-S', '-c', _LAUNCHER, report.name, *argv],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        try:
            launcher.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait()
        text = report.read()
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors='replace')
        stderr = err.read().decode(errors='replace')
        if launcher.returncode != 0 or not text:
            return Run(list(argv), -1, 0.0, 0, stdout, stderr)
        rc, wall, maxrss = json.loads(text)
        return Run(list(argv), rc, wall, maxrss, stdout, stderr)


def progress(text: str) -> None:
    """One line on stderr, so a long run shows where it is."""
    sys.stderr.write(f'[{time.strftime("%H:%M:%S")}] {text}\n')
    sys.stderr.flush()


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None
