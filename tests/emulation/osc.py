"""Run the real OSC shell in-process against an EmulatedCloud.

``openstackclient.shell.main`` is not re-entrant: OSC registers each
client plugin on ``ClientManager`` as a class-level ``ClientCache``
descriptor whose cached handle (the first SDK proxy ever built, with its
session, token and microversion) survives across ``main()`` calls.  Run two
commands in one process without resetting it and the second one silently
reuses the first one's user and ``--os-compute-api-version``.
``run_osc`` resets those handles before every run.
"""

import contextlib
import dataclasses
import io
import json
from typing import Any

from openstackclient import shell
from openstackclient.common import clientmanager
from osc_lib import clientmanager as osc_lib_clientmanager


@dataclasses.dataclass
class OscResult:
    rc: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def reset_client_caches() -> None:
    """Forget the client handles OSC caches on the ClientManager class."""
    for cls in (
        clientmanager.ClientManager,
        osc_lib_clientmanager.ClientManager,
    ):
        for value in vars(cls).values():
            if isinstance(value, osc_lib_clientmanager.ClientCache):
                value._handle = None


def run_osc(cloud: Any, *args: str, user: str = 'admin') -> OscResult:
    """``openstack <global auth options> *args`` in this process."""
    reset_client_caches()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = shell.main([*cloud.os_args(user), *args])
    return OscResult(rc=rc, stdout=out.getvalue(), stderr=err.getvalue())
