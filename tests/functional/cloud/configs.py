"""Configuration files of the dev cloud, written into the state directory.

Facts that shape them: Nova 34 has no ``noauth2``, so every API sits behind
keystonemiddleware with a real service user; ``transport_url = fake://``
because no RPC peer exists (anything that would make an RPC call fails
after ``rpc_response_timeout``); ``service_down_time`` is huge so seeded
services that never report stay "up" unless seeded as forced down.

With the compute profile (``compute.py``) the transport is the profile's
RabbitMQ, and ``nova-compute.conf`` holds what only nova-compute reads.
"""

import shutil

from tests.functional.cloud import layout as lay

RPC_RESPONSE_TIMEOUT = 3
#: With real RPC peers (the compute profile) calls wait for them.
COMPUTE_RPC_RESPONSE_TIMEOUT = 60
#: cell1's transport in a compute state dir: a template Nova fills from
#: ``[DEFAULT] transport_url`` (CellMapping._format_url), so RabbitMQ may
#: move to another port between runs.
CELL_TRANSPORT_TEMPLATE = '{scheme}://{username}:{password}@{hostname}:{port}/'
SERVICE_DOWN_TIME = 10 * 365 * 24 * 3600
# [api] max_limit, the most items one GET of a Nova collection returns
# (hypervisors, servers; nova/api/openstack/common.py): 1,000 by default,
# small here so that the seeded hosts take several pages.
NOVA_MAX_LIMIT = 100


def url(ports, service):
    return f'http://127.0.0.1:{ports[service]}'


def keystone_url(ports):
    return url(ports, 'keystone') + '/v3'


def _ini(sections):
    out = []
    for name, options in sections.items():
        out.append(f'[{name}]')
        out.extend(f'{key} = {value}' for key, value in options.items())
        out.append('')
    return '\n'.join(out)


def _authtoken(ports, username):
    return {
        'www_authenticate_uri': keystone_url(ports),
        'auth_url': keystone_url(ports),
        'auth_type': 'password',
        'username': username,
        'password': lay.SERVICE_PASSWORD,
        'project_name': lay.SERVICE_PROJECT,
        'user_domain_name': lay.DOMAIN,
        'project_domain_name': lay.DOMAIN,
        'region_name': lay.REGION,
    }


def keystone_conf(layout):
    keys = layout.keystone_keys
    return _ini(
        {
            'DEFAULT': {'log_file': layout.log_dir / 'keystone.log'},
            'database': {'connection': layout.db_url('keystone')},
            'token': {'provider': 'fernet'},
            'fernet_tokens': {'key_repository': keys / 'fernet'},
            'fernet_receipts': {'key_repository': keys / 'fernet'},
            'credential': {'key_repository': keys / 'credential'},
        }
    )


def placement_conf(layout, ports):
    return _ini(
        {
            'DEFAULT': {'log_file': layout.log_dir / 'placement.log'},
            'placement_database': {'connection': layout.db_url('placement')},
            'api': {'auth_strategy': 'keystone'},
            'keystone_authtoken': _authtoken(ports, 'placement'),
        }
    )


def rabbit_url(ports):
    # RabbitMQ's guest user may log in from loopback only: enough here.
    return f'rabbit://guest:guest@127.0.0.1:{ports["rabbitmq"]}/'


def nova_conf(layout, ports, compute=False):
    """nova.conf of the API (and, with ``compute``, of every service)."""
    default = {
        'log_file': layout.log_dir / 'nova.log',
        'host': 'devcloud-api',
        'state_path': layout.state / 'nova-state',
        'transport_url': 'fake://',
        'rpc_response_timeout': RPC_RESPONSE_TIMEOUT,
        'service_down_time': SERVICE_DOWN_TIME,
    }
    extra = {}
    neutron = {
        'endpoint_override': url(ports, 'nova') + '/networking',
        'region_name': lay.REGION,
    }
    if compute:
        # nova-compute's admin client: the port listing of a delete.
        neutron.update(_authtoken(ports, 'nova'))
        del neutron['www_authenticate_uri']
        default.update(
            {
                'transport_url': rabbit_url(ports),
                'rpc_response_timeout': COMPUTE_RPC_RESPONSE_TIMEOUT,
                # Stop in seconds, not Nova's 180, when down restarts us.
                'graceful_shutdown_timeout': 5,
                'instance_name_template': lay.DOMAIN_PREFIX + '%08x',
            }
        )
        extra = {
            # One compute: a failed build's fault is the hypervisor's own
            # error, not "Exceeded maximum number of retries". One worker
            # each: two cores, and sqlite takes one writer at a time.
            'scheduler': {'max_attempts': 1, 'workers': 1},
            'conductor': {'workers': 1},
        }
    return _ini(
        {
            'DEFAULT': default,
            'api': {'auth_strategy': 'keystone', 'max_limit': NOVA_MAX_LIMIT},
            'api_database': {'connection': layout.db_url('nova_api')},
            'database': {'connection': layout.db_url('nova_cell1')},
            'keystone_authtoken': _authtoken(ports, 'nova'),
            'placement': {
                'auth_type': 'password',
                'auth_url': keystone_url(ports),
                'username': 'placement',
                'password': lay.SERVICE_PASSWORD,
                'project_name': lay.SERVICE_PROJECT,
                'user_domain_name': lay.DOMAIN,
                'project_domain_name': lay.DOMAIN,
                'region_name': lay.REGION,
            },
            # The port list GET /servers/detail reads, served by a stub
            # beside Nova (wsgi_apps.NETWORK_PREFIX): no Neutron runs.
            'neutron': neutron,
            'oslo_concurrency': {'lock_path': layout.lock_dir},
            **extra,
        }
    )


def nova_compute_conf(layout, virt_type, cpu_mode, cpu_models, extra_flags):
    """What only nova-compute reads, on top of nova.conf."""
    conf = layout.conf_dir('nova')
    libvirt = {'virt_type': virt_type, 'cpu_mode': cpu_mode}
    if cpu_models:
        libvirt['cpu_models'] = ','.join(cpu_models)
    if extra_flags:
        libvirt['cpu_model_extra_flags'] = ','.join(extra_flags)
    return _ini(
        {
            'DEFAULT': {
                'host': lay.COMPUTE_HOST,
                'compute_driver': 'libvirt.LibvirtDriver',
                'instances_path': layout.instances,
                # Guests are tiny; keep the host's RAM for them.
                'reserved_host_memory_mb': 256,
            },
            'libvirt': libvirt,
            'vnc': {'enabled': False},
            # Everything runs as root here: privsep needs no sudo.
            'nova_sys_admin': {
                'helper_command': f'{layout.bin("privsep-helper")} '
                f'--config-file {conf / "nova.conf"} '
                f'--config-file {conf / "nova-compute.conf"}',
            },
        }
    )


def glance_conf(layout, ports):
    """Glance 33 (2026.2) with one file store under the state directory."""
    store = layout.glance_store
    return _ini(
        {
            'DEFAULT': {
                'log_file': layout.log_dir / 'glance.log',
                'node_staging_uri': f'file://{store / "staging"}',
                'image_cache_dir': store / 'cache',
                'enabled_import_methods': '[]',
            },
            'database': {'connection': layout.db_url('glance')},
            'keystone_authtoken': _authtoken(ports, 'glance'),
            'paste_deploy': {'flavor': 'keystone'},
            'glance_store': {
                'stores': 'file',
                'default_store': 'file',
                'filesystem_store_datadir': store / 'images',
            },
            'oslo_concurrency': {'lock_path': layout.lock_dir},
        }
    )


def clouds_yaml(ports):
    def entry(name, user, password, project):
        return '\n'.join(
            [
                f'  {name}:',
                '    auth:',
                f'      auth_url: {keystone_url(ports)}',
                f'      username: {user}',
                f'      password: {password}',
                f'      project_name: {project}',
                f'      user_domain_name: {lay.DOMAIN}',
                f'      project_domain_name: {lay.DOMAIN}',
                f'    region_name: {lay.REGION}',
                '    identity_api_version: 3',
                '    interface: public',
            ]
        )

    return '\n'.join(
        [
            '# Written by tests/functional/cloud; use with',
            '#   OS_CLIENT_CONFIG_FILE=<this file> openstack --os-cloud ...',
            'clouds:',
            entry(lay.ADMIN_CLOUD, 'admin', lay.ADMIN_PASSWORD, 'admin'),
            entry(
                lay.MEMBER_CLOUD,
                lay.MEMBER_USER,
                lay.MEMBER_PASSWORD,
                lay.MEMBER_PROJECT,
            ),
            '',
        ]
    )


def write_all(layout, ports, compute=False):
    """Write every config file for the given ports; make the directories.

    ``compute``: the compute profile's nova.conf (nova-compute.conf is
    written by ``compute.py``, which knows the CPU mode).
    """
    for path in (
        layout.db_dir,
        layout.log_dir,
        layout.run_dir,
        layout.lock_dir,
        layout.keystone_keys,
        layout.glance_store / 'images',
        layout.glance_store / 'staging',
        *(layout.conf_dir(s) for s in lay.SERVICES),
    ):
        path.mkdir(parents=True, exist_ok=True)
    # Keep the state directory out of git wherever it is put.
    (layout.state / '.gitignore').write_text('*\n')
    etc = layout.conf_dir
    (etc('keystone') / 'keystone.conf').write_text(keystone_conf(layout))
    (etc('placement') / 'placement.conf').write_text(
        placement_conf(layout, ports)
    )
    (etc('nova') / 'nova.conf').write_text(
        nova_conf(layout, ports, compute=compute)
    )
    shutil.copyfile(
        layout.venv / 'etc' / 'nova' / 'api-paste.ini',
        etc('nova') / 'api-paste.ini',
    )
    (etc('glance') / 'glance-api.conf').write_text(glance_conf(layout, ports))
    shutil.copyfile(
        layout.venv / 'etc' / 'glance' / 'glance-api-paste.ini',
        etc('glance') / 'glance-api-paste.ini',
    )
    layout.clouds_yaml.write_text(clouds_yaml(ports))


def service_env(layout, service):
    """Environment variables telling each WSGI entry point its config."""
    etc = str(layout.conf_dir(service))
    return {
        'keystone': {
            'OS_KEYSTONE_CONFIG_DIR': etc,
            'OS_KEYSTONE_CONFIG_FILES': 'keystone.conf',
        },
        'placement': {'OS_PLACEMENT_CONFIG_DIR': etc},
        'nova': {
            'OS_NOVA_CONFIG_DIR': etc,
            'OS_NOVA_CONFIG_FILES': 'api-paste.ini;nova.conf',
            # With real RPC peers: sqlite_serial.py.
            **(
                {'MAXPHYSADDR_SQLITE_IMMEDIATE': '1'}
                if layout.compute_profile.exists()
                else {}
            ),
        },
        'glance': {'OS_GLANCE_CONFIG_DIR': etc},
    }[service]
