"""A small real OpenStack cloud on loopback for the functional tests.

Keystone, Placement, the Nova compute API and the Glance image API run
under gunicorn from a virtualenv of their own (pinned by
``constraints.txt``), on free ports of 127.0.0.1, with sqlite databases and
configuration under one state directory. No nova-compute runs: ``seed``
writes compute nodes with Nova's own objects and the matching resource
providers through Placement's API.

Run ``python -m tests.functional.cloud --help`` for the command line;
``tests/functional/conftest.py`` uses :class:`~.cloud.DevCloud` directly.
Each concern lives in its own module:

``layout``
    where things live (state directory, virtualenv, names, passwords)
``venv``
    the server virtualenv and its stamp
``configs``
    keystone.conf, placement.conf, nova.conf, glance-api.conf, clouds.yaml
``schema``
    the ``*-manage`` database steps
``procs``
    free ports, gunicorn processes, pid files
``catalog``
    Keystone services, endpoints and users, through the Identity API
``hosts``
    the deterministic mix of seeded hypervisors (pure)
``seed``
    seeding Nova (via ``nova_seeder``, run by the cloud's python) and
    Placement; the manifest
``servers``
    seeding servers in Nova (via ``server_seeder``, run by the cloud's
    python): instances with their embedded flavors and image properties
``wsgi_apps``
    imported by gunicorn inside the cloud virtualenv; Nova's app also
    answers the one Neutron call ``GET /servers/detail`` makes (no ports)
``compute``
    the compute profile (``up --compute``, used by ``tests/e2e``):
    RabbitMQ, libvirtd and virtlogd, nova-conductor, nova-scheduler and one
    libvirt nova-compute; ``cpu-mode`` restarts it with another
    ``[libvirt] cpu_mode``
``nova_service``, ``sqlite_serial``
    run by the cloud's python: Nova's RPC services, with sqlite
    transactions that take the write lock at BEGIN
``cloud``
    ``DevCloud``: up, down, status, seed, cpu-mode, clean
"""
