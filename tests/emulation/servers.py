"""Nova's ``GET /servers/detail`` as an admin or a member sees it.

Follows upstream Nova:

* nova/api/openstack/compute/servers.py ``_get_servers``: ``all_tenants``
  needs ``os_compute_api:servers:detail:get_all_tenants`` (admin) or 403;
  without it only the caller's project, and ``tenant_id`` is dropped;
  ``host`` and ``node`` are admin-only filters (silently dropped for
  others, ``remove_invalid_options``); ``project_id`` / ``tenant_id``
  filter with ``all_tenants``; default order newest first; a ``marker``
  not found is 400.
* nova/api/openstack/compute/views/servers.py: ``OS-EXT-SRV-ATTR:*`` for
  admins only; the flavor embedded (``original_name``, sizes,
  ``extra_specs`` when the extra-specs index policy allows) from 2.47, a
  link to it before; the image's ``properties`` from 2.98, ``""`` for a
  server booted from a volume; a next link on every full page
  (``common._get_collection_links``).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from tests.emulation import wire

#: Query parameters the emulation serves (Nova takes many more; from 2.75
#: it rejects unknown ones, as here).
_QUERY = {
    'all_tenants',
    'host',
    'node',
    'project_id',
    'tenant_id',
    'limit',
    'marker',
    'deleted',
    'name',
    'status',
}
_ADMIN_ONLY = ('host', 'node')


@dataclasses.dataclass
class Server:
    """An instance with the flavor and image it was built with."""

    id: str
    name: str
    project_id: str
    user_id: str
    host: str | None  # the compute service host
    node: str | None  # the hypervisor hostname
    flavor_id: str
    flavor_name: str
    ram: int
    vcpus: int = 2
    disk: int = 20
    extra_specs: dict[str, str] = dataclasses.field(default_factory=dict)
    image_id: str | None = 'c6b7a2b4-55a9-4a8e-9f2c-1d3a8f0b7e21'
    image_properties: dict[str, Any] = dataclasses.field(default_factory=dict)
    status: str = 'ACTIVE'
    created: str = '2026-01-01T00:00:00Z'


def _links(ctx, kind: str, ident: str) -> list[dict]:
    return [
        {'rel': 'self', 'href': f'{ctx.app_url}/{kind}/{ident}'},
        {'rel': 'bookmark', 'href': f'{ctx.bookmark_url}/{kind}/{ident}'},
    ]


def view(ctx, server: Server, admin: bool) -> dict:
    """ViewBuilder.show for a server, at the context's microversion."""
    data: dict[str, Any] = {
        'id': server.id,
        'name': server.name,
        'status': server.status,
        'tenant_id': server.project_id,
        'user_id': server.user_id,
        'metadata': {},
        'hostId': 'a0e8c5b1d3f7' * 4 + 'ab5c',
        'created': server.created,
        'updated': server.created,
        'addresses': {
            'private': [
                {
                    'version': 4,
                    'addr': '10.1.0.5',
                    'OS-EXT-IPS:type': 'fixed',
                    'OS-EXT-IPS-MAC:mac_addr': 'fa:16:3e:00:00:01',
                }
            ]
        },
        'accessIPv4': '',
        'accessIPv6': '',
        'links': _links(ctx, 'servers', server.id),
        'OS-DCF:diskConfig': 'MANUAL',
        'progress': 0,
        'OS-EXT-AZ:availability_zone': 'nova',
        'config_drive': '',
        'key_name': None,
        'OS-SRV-USG:launched_at': '2026-01-01T00:00:05.000000',
        'OS-SRV-USG:terminated_at': None,
        'security_groups': [{'name': 'default'}],
        'OS-EXT-STS:task_state': None,
        'OS-EXT-STS:vm_state': 'active',
        'OS-EXT-STS:power_state': 1,
        'os-extended-volumes:volumes_attached': [],
    }
    if admin:
        data['OS-EXT-SRV-ATTR:host'] = server.host
        data['OS-EXT-SRV-ATTR:instance_name'] = 'instance-00000001'
        data['OS-EXT-SRV-ATTR:hypervisor_hostname'] = server.node
    if server.image_id is None:  # booted from a volume: its root volume
        data['image'] = ''
        volume: dict[str, Any] = {'id': f'root-volume-of-{server.id}'}
        if ctx.at_least('2.3'):
            volume['delete_on_termination'] = False
        data['os-extended-volumes:volumes_attached'] = [volume]
    else:
        image: dict[str, Any] = {
            'id': server.image_id,
            'links': _links(ctx, 'images', server.image_id),
        }
        if ctx.at_least('2.98'):
            image['properties'] = dict(server.image_properties)
        data['image'] = image
    if ctx.at_least('2.47'):
        flavor: dict[str, Any] = {
            'vcpus': server.vcpus,
            'ram': server.ram,
            'disk': server.disk,
            'ephemeral': 0,
            'swap': 0,
            'original_name': server.flavor_name,
        }
        if not ctx.state.config.hide_server_extra_specs:
            flavor['extra_specs'] = dict(server.extra_specs)
        data['flavor'] = flavor
    else:
        data['flavor'] = {
            'id': server.flavor_id,
            'links': _links(ctx, 'flavors', server.flavor_id),
        }
    if ctx.at_least('2.9'):
        data['locked'] = False
    if ctx.at_least('2.16'):
        data['host_status'] = 'UP' if admin else ''
    if ctx.at_least('2.19'):
        data['description'] = None
    if ctx.at_least('2.26'):
        data['tags'] = []
    if ctx.at_least('2.63'):
        data['trusted_image_certificates'] = None
    if ctx.at_least('2.73'):
        data['locked_reason'] = None
    if ctx.at_least('2.90'):
        data['OS-EXT-SRV-ATTR:hostname'] = server.name
    if ctx.at_least('2.96'):
        data['pinned_availability_zone'] = None
    return data


def _filtered(ctx, servers: list[Server]) -> list[Server]:
    req, user = ctx.req, ctx.user
    if ctx.at_least('2.75'):
        unexpected = sorted(set(req.query) - _QUERY)
        if unexpected:
            names = ', '.join(repr(u) for u in unexpected)
            raise wire.ApiError(
                400,
                f'Additional properties are not allowed ({names} was '
                'unexpected)',
            )
    all_tenants = req.arg('all_tenants') is not None and (
        req.arg('all_tenants').lower() not in ('0', 'false', 'off', 'no')
    )
    if all_tenants:
        ctx.require_admin('os_compute_api:servers:detail:get_all_tenants')
        project = req.arg('project_id') or req.arg('tenant_id')
        if project is not None:
            servers = [s for s in servers if s.project_id == project]
    else:
        servers = [s for s in servers if s.project_id == user.project_id]
    if user.is_admin:
        for param, attr in (('host', 'host'), ('node', 'node')):
            value = req.arg(param)
            if value is not None:
                servers = [s for s in servers if getattr(s, attr) == value]
    return servers


def list_servers(ctx, cache: ServerJsonCache) -> wire.Response:
    """ServersController.detail."""
    from tests.emulation import compute  # shares its paging helpers

    limit, marker = compute._limit_and_marker(ctx)
    state = ctx.state
    servers = _filtered(ctx, list(reversed(state.servers)))
    if marker is not None:
        ids = [s.id for s in servers]
        if marker not in ids:
            raise wire.ApiError(400, f'marker [{marker}] not found')
        servers = servers[ids.index(marker) + 1 :]
    if limit:
        servers = servers[:limit]
    admin = ctx.user.is_admin
    key = (
        admin,
        ctx.at_least('2.47'),
        ctx.at_least('2.98'),
        ctx.version,
        state.config.hide_server_extra_specs,
    )
    frags = [cache.fragment(ctx, s, key, admin) for s in servers]
    body = b'{"servers": [' + b', '.join(frags) + b']'
    links = compute._collection_links(
        ctx,
        len(servers),
        servers[-1].id if servers else None,
        'servers/detail',
    )
    if links:
        body += b', "servers_links": ' + json.dumps(links).encode()
    return wire.Response(status=200, body=body + b'}')


class ServerJsonCache:
    """Each server's JSON per view, dropped when the servers change."""

    def __init__(self) -> None:
        self._revision = -1
        self._fragments: dict[tuple, bytes] = {}

    def fragment(self, ctx, server: Server, key: tuple, admin: bool) -> bytes:
        if self._revision != ctx.state.server_revision:
            self._fragments = {}
            self._revision = ctx.state.server_revision
        frag = self._fragments.get((server.id, key))
        if frag is None:
            frag = json.dumps(view(ctx, server, admin)).encode()
            self._fragments[(server.id, key)] = frag
        return frag
