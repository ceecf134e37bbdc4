"""sqlite transactions that take the write lock at BEGIN (cloud venv only).

oslo.db starts every sqlite transaction with a plain (deferred) ``BEGIN``:
a transaction that reads, then writes, fails at once with "database is
locked" when another connection wrote in between (a busy timeout cannot
help: waiting would not make its snapshot current). With the compute
profile's real RPC, the API, nova-conductor and nova-scheduler write the
same files; seen in a build's block device step and instance saves.

:func:`install` adds a class-level "begin" listener on SQLAlchemy's
Engine, which runs before oslo.db's per-engine one: it emits ``BEGIN
IMMEDIATE`` and sets the marker oslo.db checks, so oslo.db emits nothing
and its commit/rollback listener clears the marker as usual. Writers then
queue on the busy timeout (``?timeout=30`` in the URLs) instead of
failing. Imported by ``nova_service.py`` and, with the compute profile,
``wsgi_apps.nova``.
"""

import sqlalchemy
import sqlalchemy.engine
import sqlalchemy.event

ENV = 'MAXPHYSADDR_SQLITE_IMMEDIATE'


def _begin_immediate(conn):
    if conn.dialect.name != 'sqlite' or 'in_transaction' in conn.info:
        return
    conn.execute(sqlalchemy.text('BEGIN IMMEDIATE'))
    conn.info['in_transaction'] = True  # oslo.db's marker


def install():
    if not sqlalchemy.event.contains(
        sqlalchemy.engine.Engine, 'begin', _begin_immediate
    ):
        sqlalchemy.event.listen(
            sqlalchemy.engine.Engine, 'begin', _begin_immediate
        )
