"""Run one command as a child process and measure it from the outside.

Wall time is ``time.perf_counter`` around spawn and reap; peak RSS is the
child's own ``ru_maxrss`` from ``os.wait4``, so the driver (which may be
serving the emulated cloud in a thread) is never counted. Output goes to
temporary files, so the driver does nothing while a child runs.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
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


def run(argv: list[str], env: dict[str, str], cwd: str | None = None) -> Run:
    """Run ``argv`` to completion; never raises for a non-zero exit."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
        )
        timer = threading.Timer(
            TIMEOUT_S, lambda: os.kill(proc.pid, signal.SIGKILL)
        )
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            argv=list(argv),
            rc=proc.returncode,
            wall_s=wall,
            maxrss_kib=usage.ru_maxrss,
            stdout=out.read().decode(errors='replace'),
            stderr=err.read().decode(errors='replace'),
        )


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None
