"""WSGI entry points for gunicorn, imported inside the cloud virtualenv.

Nova, Keystone and Glance hand ``sys.argv`` to oslo.config, which rejects
gunicorn's own arguments, so each factory resets it before importing the
upstream entry module. The config files come from the ``OS_*_CONFIG_*``
environment variables that ``procs`` sets. Used as
``gunicorn --pythonpath <this dir> 'wsgi_apps:nova()'``.
"""

import importlib
import json
import os
import sys


def _load(prog, module):
    sys.argv = [prog]
    return importlib.import_module(module).application


def keystone():
    return _load('keystone-wsgi-public', 'keystone.wsgi.api')


def placement():
    return _load('placement-api', 'placement.wsgi.api')


#: Where Nova finds "Neutron" (``[neutron] endpoint_override``): below its
#: own port. No Neutron runs, yet ``GET /servers/detail`` asks it for the
#: servers' ports (for their security groups); seeded servers have none.
#: With the compute profile, nova-compute also lists the ports (and the
#: extensions) of servers booted with ``networks: none``: none either.
NETWORK_PREFIX = '/networking'


def _no_ports(environ, start_response):
    # Any listing, e.g. /v2.0/ports or /v2.0/extensions.json: empty.
    resource = environ.get('PATH_INFO', '').rstrip('/').rsplit('/', 1)[-1]
    body = json.dumps({resource.removesuffix('.json'): []}).encode()
    start_response(
        '200 OK',
        [
            ('Content-Type', 'application/json'),
            ('Content-Length', str(len(body))),
        ],
    )
    return [body]


def nova():
    if os.environ.get('MAXPHYSADDR_SQLITE_IMMEDIATE'):  # compute profile
        import sqlite_serial

        sqlite_serial.install()
    app = _load('nova-api-os-compute', 'nova.wsgi.osapi_compute')

    def with_network_stub(environ, start_response):
        if environ.get('PATH_INFO', '').startswith(NETWORK_PREFIX + '/'):
            return _no_ports(environ, start_response)
        return app(environ, start_response)

    return with_network_stub


def glance():
    return _load('glance-api', 'glance.wsgi.api')
