"""WSGI entry points for gunicorn, imported inside the cloud virtualenv.

Nova, Keystone and Glance hand ``sys.argv`` to oslo.config, which rejects
gunicorn's own arguments, so each factory resets it before importing the
upstream entry module. The config files come from the ``OS_*_CONFIG_*``
environment variables that ``procs`` sets. Used as
``gunicorn --pythonpath <this dir> 'wsgi_apps:nova()'``.
"""

import importlib
import sys


def _load(prog, module):
    sys.argv = [prog]
    return importlib.import_module(module).application


def keystone():
    return _load('keystone-wsgi-public', 'keystone.wsgi.api')


def placement():
    return _load('placement-api', 'placement.wsgi.api')


def nova():
    return _load('nova-api-os-compute', 'nova.wsgi.osapi_compute')


def glance():
    return _load('glance-api', 'glance.wsgi.api')
