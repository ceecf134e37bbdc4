"""A pytest plugin for test_e2e_policy: this machine lacks virsh.

Loaded with ``-p tests.unit.force_e2e_missing``: the compute profile's
prerequisite check reports a missing package, so no cloud starts.
"""

from tests.functional.cloud import compute


def _missing():
    return [('virsh', 'libvirt-clients')]


compute.missing = _missing
