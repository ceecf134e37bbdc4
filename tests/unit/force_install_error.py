"""A pytest plugin for test_functional_policy: the dev cloud cannot install.

Loaded with ``-p tests.unit.force_install_error``: no dev cloud is running
and starting one raises the InstallError that pip's failure raises.
"""

from tests.functional.cloud import cloud
from tests.functional.cloud import venv


def _not_running(self):
    return False


def _cannot_install(self):
    raise venv.InstallError('pip could not install the server packages')


cloud.DevCloud.is_running = _not_running
cloud.DevCloud.up = _cannot_install
