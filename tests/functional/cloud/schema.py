"""Database schemas and Keystone's keys and bootstrap, via ``*-manage``.

Four independent chains (Keystone, Placement, Nova, Glance) run in
parallel; the whole step takes about 25 s of CPU on two cores.
"""

import concurrent.futures
import grp
import os
import pwd
import sqlite3
import subprocess

from tests.functional.cloud import configs
from tests.functional.cloud import layout as lay


class SchemaError(Exception):
    """A ``*-manage`` step failed."""


def _run(layout, argv):
    proc = subprocess.run(
        [str(layout.bin(argv[0])), *argv[1:]],
        capture_output=True,
        text=True,
        cwd=layout.state,
    )
    if proc.returncode != 0:
        raise SchemaError(
            f'{" ".join(argv)} failed (exit {proc.returncode}):\n'
            f'{(proc.stderr + proc.stdout)[-3000:]}'
        )


def _keystone(layout, ports):
    conf_file = layout.conf_dir('keystone') / 'keystone.conf'
    conf = ['--config-file', str(conf_file)]
    owner = [
        '--keystone-user',
        pwd.getpwuid(os.getuid()).pw_name,
        '--keystone-group',
        grp.getgrgid(os.getgid()).gr_name,
    ]
    url = configs.keystone_url(ports)
    for step in (
        ['db_sync'],
        ['fernet_setup', *owner],
        ['credential_setup', *owner],
        [
            'bootstrap',
            '--bootstrap-password',
            lay.ADMIN_PASSWORD,
            '--bootstrap-admin-url',
            url,
            '--bootstrap-internal-url',
            url,
            '--bootstrap-public-url',
            url,
            '--bootstrap-region-id',
            lay.REGION,
        ],
    ):
        _run(layout, ['keystone-manage', *conf, *step])


def _placement(layout):
    conf = str(layout.conf_dir('placement') / 'placement.conf')
    _run(layout, ['placement-manage', '--config-file', conf, 'db', 'sync'])


def _nova(layout, compute):
    transport = configs.CELL_TRANSPORT_TEMPLATE if compute else 'fake://'
    conf = ['--config-file', str(layout.conf_dir('nova') / 'nova.conf')]
    for step in (
        ['api_db', 'sync'],
        [
            'cell_v2',
            'map_cell0',
            '--database_connection',
            layout.db_url('nova_cell0'),
        ],
        ['db', 'sync'],
        [
            'cell_v2',
            'create_cell',
            '--name',
            'cell1',
            '--transport-url',
            transport,
            '--database_connection',
            layout.db_url('nova_cell1'),
        ],
    ):
        _run(layout, ['nova-manage', *conf, *step])


def _glance(layout):
    conf = str(layout.conf_dir('glance') / 'glance-api.conf')
    _run(layout, ['glance-manage', '--config-file', conf, 'db_sync'])
    layout.glance_schema_stamp.write_text('ok\n')


def sync_all(layout, ports, compute=False):
    """Create every database and Keystone's keys, once per state dir.

    ``compute``: cell1's transport is the compute profile's RabbitMQ.
    """
    if layout.schema_stamp.exists():
        if layout.glance_schema_stamp.exists():
            return False
        _glance(layout)  # a state dir from before Glance joined
        return True
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        futures = [
            pool.submit(_keystone, layout, ports),
            pool.submit(_placement, layout),
            pool.submit(_nova, layout, compute),
            pool.submit(_glance, layout),
        ]
        for future in futures:
            future.result()
    layout.schema_stamp.write_text('ok\n')
    return True


def use_wal(layout):
    """Put every database in WAL mode (the compute profile's, each up).

    With real RPC, the API, the conductor (nova-compute's writes) and
    Placement write while others read; in sqlite's default rollback
    journal a reader blocks a writer, which then fails at once with
    "database is locked" (seen in a build's block device step). In WAL
    mode readers never block the one writer. The mode is kept in the file.
    """
    for path in sorted(layout.db_dir.glob('*.sqlite')):
        with sqlite3.connect(path) as db:
            db.execute('PRAGMA journal_mode=WAL')
        db.close()
