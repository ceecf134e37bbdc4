"""Run a Nova service of the compute profile: ``nova_service.py conductor``.

Run with the cloud's python in place of the ``nova-<name>`` console
script (which calls ``nova.cmd.<name>.main``), with sqlite's write lock
taken at BEGIN first (``sqlite_serial``). nova-compute needs it too: it
reaches no database itself, but the listener is harmless there and keeps
one launcher for all three.
"""

import importlib
import sys

import sqlite_serial

if __name__ == '__main__':
    name = sys.argv.pop(1)
    sys.argv[0] = f'nova-{name}'
    sqlite_serial.install()
    sys.exit(importlib.import_module(f'nova.cmd.{name}').main())
