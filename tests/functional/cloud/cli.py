"""The real ``openstack`` executable against the dev cloud, for the suites.

The functional and e2e suites run the plugin through the same executable
their tox environment installed, with the dev cloud's ``clouds.yaml``.
"""

import json
import pathlib
import subprocess
import sys

OPENSTACK = pathlib.Path(sys.executable).parent / 'openstack'
COMMAND_TIMEOUT = 300


def openstack(env, cloud, *args, check=True):
    """Run ``openstack --os-cloud <cloud> *args``; CompletedProcess.

    With ``check``, a non-zero exit fails with the command's stderr.
    """
    proc = subprocess.run(
        [str(OPENSTACK), '--os-cloud', cloud, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=COMMAND_TIMEOUT,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f'openstack {" ".join(args)} exited {proc.returncode}:\n'
            f'{proc.stderr}'
        )
    return proc


def openstack_json(env, cloud, *args):
    """Run ``openstack ... -f json`` and decode its output."""
    return json.loads(openstack(env, cloud, *args, '-f', 'json').stdout)
