"""Keystone's side: SDK connections, the catalog, service and member users.

Everything goes through the Identity API as the bootstrap admin and is
idempotent, so ``up`` can re-run it after the ports changed. Nova,
Placement and Glance each get a service user with the ``service`` role in the
``service`` project: keystonemiddleware validates users' tokens with it.
"""

import openstack.config
import openstack.connection

from tests.functional.cloud import configs
from tests.functional.cloud import layout as lay


def connect(layout, cloud=lay.ADMIN_CLOUD, **overrides):
    """An openstacksdk connection for ``cloud`` from the state's clouds.yaml.

    Reads only that file: ``OS_*`` variables and other clouds.yaml files
    of the caller do not leak in. ``overrides`` are cloud config keys.
    """
    config = openstack.config.OpenStackConfig(
        config_files=[str(layout.clouds_yaml)],
        vendor_files=[],
        secure_files=[],
        load_envvars=False,
    )
    return openstack.connection.Connection(
        config=config.get_one(cloud=cloud, **overrides)
    )


def _role(ident, name):
    return ident.find_role(name) or ident.create_role(name=name)


def _project(ident, name, domain_id):
    return ident.find_project(name, domain_id=domain_id) or (
        ident.create_project(name=name, domain_id=domain_id)
    )


def _user(ident, name, password, project, domain_id):
    user = ident.find_user(name, domain_id=domain_id)
    if user is None:
        user = ident.create_user(
            name=name,
            password=password,
            domain_id=domain_id,
            default_project_id=project.id,
        )
    return user


def _service(ident, name, type_):
    for service in ident.services(type=type_):
        if service.name == name:
            return service
    return ident.create_service(name=name, type=type_, is_enabled=True)


def _endpoints(ident, service, url):
    have = {
        (ep.interface, ep.region_id): ep
        for ep in ident.endpoints(service_id=service.id)
    }
    for interface in ('public', 'internal', 'admin'):
        ep = have.get((interface, lay.REGION))
        if ep is None:
            ident.create_endpoint(
                service_id=service.id,
                interface=interface,
                url=url,
                region_id=lay.REGION,
            )
        elif ep.url != url:
            ident.update_endpoint(ep, url=url)


def register(layout, ports):
    """Make the catalog and users match ``ports``."""
    # The SDK reaches Keystone through the catalog, whose identity
    # endpoint still names the old port if Keystone had to move.
    conn = connect(
        layout, identity_endpoint_override=configs.keystone_url(ports)
    )
    ident = conn.identity
    domain_id = ident.find_domain(lay.DOMAIN, ignore_missing=False).id
    service_role = _role(ident, 'service')
    member_role = _role(ident, 'member')

    service_project = _project(ident, lay.SERVICE_PROJECT, domain_id)
    for name in ('nova', 'placement', 'glance'):
        user = _user(
            ident, name, lay.SERVICE_PASSWORD, service_project, domain_id
        )
        ident.assign_project_role_to_user(service_project, user, service_role)

    member_project = _project(ident, lay.MEMBER_PROJECT, domain_id)
    member = _user(
        ident, lay.MEMBER_USER, lay.MEMBER_PASSWORD, member_project, domain_id
    )
    ident.assign_project_role_to_user(member_project, member, member_role)

    _endpoints(
        ident,
        _service(ident, 'keystone', 'identity'),
        configs.keystone_url(ports),
    )
    _endpoints(
        ident,
        _service(ident, 'nova', 'compute'),
        configs.url(ports, 'nova') + '/v2.1',
    )
    _endpoints(
        ident,
        _service(ident, 'placement', 'placement'),
        configs.url(ports, 'placement'),
    )
    _endpoints(
        ident,
        _service(ident, 'glance', 'image'),
        configs.url(ports, 'glance'),
    )
    conn.close()
