"""Nova compute API v2.1: versions, flavors, extra specs, hypervisors.

Behaviour follows upstream Nova (see the module docstrings of the
functions for the source file each mirrors):

* nova/api/openstack/wsgi.py: microversion headers, 400/406, fault names.
* nova/api/openstack/compute/flavors.py, views/flavors.py: flavor views.
* nova/api/openstack/compute/flavors_extraspecs.py: extra spec CRUD.
* nova/api/openstack/compute/hypervisors.py: hypervisor views, paging.
* nova/api/openstack/common.py: limit/marker parsing and next links.
"""

import json
import re
import urllib.parse
import uuid
from typing import Any

from tests.emulation import extra_specs
from tests.emulation import identity
from tests.emulation import servers
from tests.emulation import wire
from tests.emulation.state import CloudState
from tests.emulation.state import Flavor
from tests.emulation.state import Hypervisor
from tests.emulation.state import User

API_ROOT = '/v2.1'
LEGACY_HEADER = 'X-OpenStack-Nova-API-Version'

# nova/api/openstack/wsgi.py Fault._fault_names
FAULT_NAMES = {
    400: 'badRequest',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'itemNotFound',
    405: 'badMethod',
    409: 'conflictingRequest',
    413: 'overLimit',
    415: 'badMediaType',
    429: 'overLimit',
    501: 'notImplemented',
    503: 'serviceUnavailable',
}

# nova/version.py support_string() as used by wsgi.py for 500s.
UNEXPECTED_ERROR = (
    'Unexpected API Error. Please report this at '
    'http://bugs.launchpad.net/nova/ and attach the Nova API log if '
    'possible.\n{exc}'
)

_EXTRA_SPEC_KEY = re.compile(r'^[a-zA-Z0-9-_:. ]{1,255}$')


def fault_body(status: int, message: str) -> dict:
    name = FAULT_NAMES.get(status, 'computeFault')
    return {name: {'code': status, 'message': message}}


def _version_headers(version: tuple[int, int]) -> list[tuple[str, str]]:
    text = wire.version_string(version)
    return [
        ('OpenStack-API-Version', f'compute {text}'),
        (LEGACY_HEADER, text),
        ('Vary', 'OpenStack-API-Version'),
        ('Vary', LEGACY_HEADER),
    ]


def _policy(action: str) -> wire.ApiError:
    return wire.ApiError(
        403, f"Policy doesn't allow {action} to be performed."
    )


# -- versions ---------------------------------------------------------------


def _versions(state: CloudState) -> dict[str, dict]:
    """nova/api/openstack/compute/versions.py VERSIONS."""
    cfg = state.config
    return {
        'v2.0': {
            'id': 'v2.0',
            'status': 'DEPRECATED',
            'version': '',
            'min_version': '',
            'updated': '2025-07-04T12:00:00Z',
            'links': [
                {
                    'rel': 'describedby',
                    'type': 'text/html',
                    'href': 'http://docs.openstack.org/',
                }
            ],
            'media-types': [
                {
                    'base': 'application/json',
                    'type': 'application/vnd.openstack.compute+json;version=2',
                }
            ],
        },
        'v2.1': {
            'id': 'v2.1',
            'status': 'CURRENT',
            'version': cfg.compute_max_version,
            'min_version': cfg.compute_min_version,
            'updated': '2013-07-23T11:33:21Z',
            'links': [
                {
                    'rel': 'describedby',
                    'type': 'text/html',
                    'href': 'http://docs.openstack.org/',
                }
            ],
            'media-types': [
                {
                    'base': 'application/json',
                    'type': (
                        'application/vnd.openstack.compute+json;version=2.1'
                    ),
                }
            ],
        },
    }


def _versions_index(state: CloudState, prefix: str) -> wire.Response:
    out = []
    for key, version in sorted(_versions(state).items()):
        number = 'v2.1' if key == 'v2.1' else 'v2'
        out.append(
            {
                'id': version['id'],
                'status': version['status'],
                'version': version['version'],
                'min_version': version['min_version'],
                'updated': version['updated'],
                'links': [{'rel': 'self', 'href': f'{prefix}/{number}/'}],
            }
        )
    return wire.json_response(200, {'versions': out})


def _version_show(state: CloudState, prefix: str) -> wire.Response:
    version = _versions(state)['v2.1']
    version['links'].insert(0, {'rel': 'self', 'href': f'{prefix}{API_ROOT}/'})
    return wire.json_response(200, {'version': version})


# -- request context --------------------------------------------------------


class _Context:
    def __init__(
        self,
        state: CloudState,
        req: wire.Request,
        user: User,
        version: tuple[int, int],
    ) -> None:
        self.state = state
        self.req = req
        self.user = user
        self.version = version
        self.app_url = f'{req.base_url}/compute{API_ROOT}'
        self.bookmark_url = f'{req.base_url}/compute'

    def at_least(self, text: str) -> bool:
        return self.version >= wire.parse_version(text)

    def require_admin(self, action: str) -> None:
        if not self.user.is_admin:
            raise _policy(action)


def _negotiate(state: CloudState, req: wire.Request) -> tuple[int, int]:
    """nova/api/openstack/wsgi.py Request.set_api_version_request."""
    cfg = state.config
    low = wire.parse_version(cfg.compute_min_version)
    high = wire.parse_version(cfg.compute_max_version)
    text = wire.requested_version(req.headers, 'compute', LEGACY_HEADER)
    if text is None:
        return (2, 1)
    if text == 'latest':
        return high
    version = wire.parse_version(text)
    if version is None:
        raise wire.ApiError(
            400,
            f'API Version String {text} is of invalid format. Must be of '
            f'format MajorNum.MinorNum.',
        )
    if not low <= version <= high:
        raise wire.ApiError(
            406,
            f'Version {wire.version_string(version)} is not supported by '
            f'the API. Minimum is {cfg.compute_min_version} and maximum is '
            f'{cfg.compute_max_version}.',
            _version_headers(version),
        )
    return version


def _limit_and_marker(ctx: _Context) -> tuple[int, str | None]:
    """nova/api/openstack/common.py get_limit_and_marker."""
    max_limit = ctx.state.config.max_limit
    limit = max_limit
    raw = ctx.req.arg('limit')
    if raw is not None:
        try:
            value = int(raw)
        except ValueError:
            raise wire.ApiError(
                400, 'Invalid input received: limit must be an integer'
            ) from None
        if value < 0:
            raise wire.ApiError(
                400, 'Invalid input received: limit must be >= 0'
            )
        limit = min(max_limit, value)
    return limit, ctx.req.arg('marker')


def _collection_links(
    ctx: _Context, count: int, last_id: Any, collection: str
) -> list[dict]:
    """nova/api/openstack/common.py ViewBuilder._get_collection_links."""
    max_limit = ctx.state.config.max_limit
    max_items = min(int(ctx.req.arg('limit') or max_limit), max_limit)
    if not max_items or max_items != count:
        return []
    params = {k: v[-1] for k, v in sorted(ctx.req.query.items())}
    params['marker'] = last_id
    query = urllib.parse.urlencode(params)
    return [{'rel': 'next', 'href': f'{ctx.app_url}/{collection}?{query}'}]


def _check_query(ctx: _Context, allowed: set[str]) -> None:
    """Nova's query schemas with additionalProperties False."""
    unexpected = sorted(set(ctx.req.query) - allowed)
    if unexpected:
        names = ', '.join(repr(u) for u in unexpected)
        verb = 'were' if len(unexpected) > 1 else 'was'
        raise wire.ApiError(
            400,
            f'Additional properties are not allowed ({names} {verb} '
            f'unexpected)',
        )


# -- flavors ----------------------------------------------------------------


def _flavor_links(ctx: _Context, flavor_id: str) -> list[dict]:
    return [
        {'rel': 'self', 'href': f'{ctx.app_url}/flavors/{flavor_id}'},
        {
            'rel': 'bookmark',
            'href': f'{ctx.bookmark_url}/flavors/{flavor_id}',
        },
    ]


def _flavor_basic(ctx: _Context, flavor: Flavor) -> dict:
    data = {
        'id': flavor.id,
        'name': flavor.name,
        'links': _flavor_links(ctx, flavor.id),
    }
    if ctx.at_least('2.55'):
        data['description'] = flavor.description
    return data


def _flavor_show(ctx: _Context, flavor: Flavor) -> dict:
    """nova/api/openstack/compute/views/flavors.py ViewBuilder.show."""
    data = {
        'id': flavor.id,
        'name': flavor.name,
        'ram': flavor.ram,
        'disk': flavor.disk,
        'swap': flavor.swap or '',
        'OS-FLV-EXT-DATA:ephemeral': flavor.ephemeral,
        'OS-FLV-DISABLED:disabled': flavor.disabled,
        'vcpus': flavor.vcpus,
        'os-flavor-access:is_public': flavor.is_public,
        'rxtx_factor': flavor.rxtx_factor or '',
        'links': _flavor_links(ctx, flavor.id),
    }
    if ctx.at_least('2.55'):
        data['description'] = flavor.description
    # Extra specs index policy is admin-or-owner: every user here passes.
    if ctx.at_least('2.61'):
        data['extra_specs'] = dict(flavor.extra_specs)
    if ctx.at_least('2.75'):
        data['swap'] = flavor.swap or 0
    if ctx.at_least('2.102'):
        del data['OS-FLV-DISABLED:disabled']
        del data['rxtx_factor']
    return data


def _parse_is_public(raw: str | None) -> bool | None:
    """FlavorsController._parse_is_public."""
    if raw is None:
        return True
    if raw.lower() == 'none':
        return None
    lowered = raw.strip().lower()
    if lowered in ('1', 't', 'true', 'on', 'y', 'yes'):
        return True
    if lowered in ('0', 'f', 'false', 'off', 'n', 'no'):
        return False
    raise wire.ApiError(400, f'Invalid is_public filter [{raw}]')


def _list_flavors(ctx: _Context, detail: bool) -> wire.Response:
    """FlavorsController._get_flavors + ViewBuilder._list_view."""
    req = ctx.req
    limit, marker = _limit_and_marker(ctx)
    if ctx.user.is_admin:
        is_public = _parse_is_public(req.arg('is_public'))
    else:
        is_public = True
    flavors = [f for f in ctx.state.flavors.values() if not f.disabled]
    if is_public is True:
        flavors = [
            f
            for f in flavors
            if f.is_public or ctx.user.project_id in f.projects
        ]
    elif is_public is False:
        flavors = [f for f in flavors if not f.is_public]
    for param, attr in (('minRam', 'ram'), ('minDisk', 'disk')):
        raw = req.arg(param)
        if raw is not None:
            try:
                minimum = int(raw)
            except ValueError:
                raise wire.ApiError(
                    400, f'Invalid {param} filter [{raw}]'
                ) from None
            flavors = [f for f in flavors if getattr(f, attr) >= minimum]
    if req.arg('name') is not None:
        flavors = [f for f in flavors if f.name == req.arg('name')]
    sort_key = req.arg('sort_key') or 'flavorid'
    attr = {'flavorid': 'id', 'memory_mb': 'ram', 'root_gb': 'disk'}.get(
        sort_key, sort_key
    )
    reverse = (req.arg('sort_dir') or 'asc') == 'desc'
    try:
        flavors.sort(key=lambda f: getattr(f, attr), reverse=reverse)
    except AttributeError:
        raise wire.ApiError(
            400, f'Invalid input received: Invalid sort key {sort_key}'
        ) from None
    if marker is not None:
        ids = [f.id for f in flavors]
        if marker not in ids:
            raise wire.ApiError(400, f'marker [{marker}] not found')
        flavors = flavors[ids.index(marker) + 1 :]
    if limit:
        flavors = flavors[:limit]
    view = _flavor_show if detail else _flavor_basic
    body: dict[str, Any] = {'flavors': [view(ctx, f) for f in flavors]}
    links = _collection_links(
        ctx,
        len(flavors),
        flavors[-1].id if flavors else None,
        'flavors/detail' if detail else 'flavors',
    )
    if links:
        body['flavors_links'] = links
    return wire.json_response(200, body)


def _get_flavor(ctx: _Context, flavor_id: str) -> Flavor:
    flavor = ctx.state.flavors.get(flavor_id)
    if flavor is None:
        raise wire.ApiError(404, f'Flavor {flavor_id} could not be found.')
    return flavor


def _create_flavor(ctx: _Context) -> wire.Response:
    """FlavorsController.create (subset of the body schema)."""
    ctx.require_admin('os_compute_api:os-flavor-manage:create')
    try:
        vals = ctx.req.json()['flavor']
        name = vals['name']
        ram, vcpus, disk = (int(vals[k]) for k in ('ram', 'vcpus', 'disk'))
    except (ValueError, KeyError, TypeError) as exc:
        raise wire.ApiError(
            400, f'Invalid input for field/attribute flavor. {exc}'
        ) from None
    flavor_id = str(vals.get('id') or uuid.uuid4())
    for existing in ctx.state.flavors.values():
        if existing.name == name:
            raise wire.ApiError(
                409, f'Flavor with name {name} already exists.'
            )
    if flavor_id in ctx.state.flavors:
        raise wire.ApiError(409, f'Flavor with ID {flavor_id} already exists.')
    flavor = ctx.state.add_flavor(
        Flavor(
            id=flavor_id,
            name=name,
            ram=ram,
            vcpus=vcpus,
            disk=disk,
            ephemeral=int(vals.get('OS-FLV-EXT-DATA:ephemeral', 0)),
            swap=int(vals.get('swap', 0) or 0),
            rxtx_factor=float(vals.get('rxtx_factor', 1.0)),
            is_public=bool(vals.get('os-flavor-access:is_public', True)),
            description=(
                vals.get('description') if ctx.at_least('2.55') else None
            ),
        )
    )
    return wire.json_response(200, {'flavor': _flavor_show(ctx, flavor)})


def _update_flavor(ctx: _Context, flavor_id: str) -> wire.Response:
    if not ctx.at_least('2.55'):
        raise wire.ApiError(405, 'The method is not allowed for this version.')
    ctx.require_admin('os_compute_api:os-flavor-manage:update')
    flavor = _get_flavor(ctx, flavor_id)
    flavor.description = ctx.req.json()['flavor']['description']
    return wire.json_response(200, {'flavor': _flavor_show(ctx, flavor)})


def _delete_flavor(ctx: _Context, flavor_id: str) -> wire.Response:
    ctx.require_admin('os_compute_api:os-flavor-manage:delete')
    _get_flavor(ctx, flavor_id)
    del ctx.state.flavors[flavor_id]
    return wire.Response(status=202, content_type=None)


# -- flavor extra specs -----------------------------------------------------


def _check_schema(specs: Any, field: str) -> None:
    """Body schema of flavors_extraspecs (checked before policy)."""
    if not isinstance(specs, dict):
        raise wire.ApiError(
            400,
            f'Invalid input for field/attribute {field}. Value: {specs}. '
            f"{specs!r} is not of type 'object'",
        )
    for key, value in specs.items():
        if not _EXTRA_SPEC_KEY.match(key):
            raise wire.ApiError(
                400,
                f'Invalid input for field/attribute {field}. Value: '
                f'{specs}. Additional properties are not allowed '
                f"('{key}' was unexpected)",
            )
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise wire.ApiError(
                400,
                f'Invalid input for field/attribute {key}. Value: {value}. '
                f"{value!r} is not of type 'string', 'number'",
            )
        if len(str(value)) > 255:
            raise wire.ApiError(
                400,
                f'Invalid input for field/attribute {key}. Value: {value}. '
                f"'{value}' is too long",
            )


def _check_values(ctx: _Context, specs: dict) -> None:
    """FlavorExtraSpecsController._check_extra_specs_value."""
    if not ctx.at_least('2.86'):
        return
    for key, value in specs.items():
        try:
            extra_specs.validate(key, str(value))
        except extra_specs.ExtraSpecInvalid as exc:
            raise wire.ApiError(400, str(exc)) from None


def _no_such_spec(flavor_id: str, key: str) -> wire.ApiError:
    return wire.ApiError(
        404, f'Flavor {flavor_id} has no extra specs with key {key}.'
    )


def _extra_specs(
    ctx: _Context, flavor_id: str, key: str | None
) -> wire.Response:
    """nova/api/openstack/compute/flavors_extraspecs.py."""
    method = ctx.req.method
    root = 'os_compute_api:os-flavor-extra-specs:'
    if key is None and method == 'GET':
        flavor = _get_flavor(ctx, flavor_id)
        return wire.json_response(
            200, {'extra_specs': dict(flavor.extra_specs)}
        )
    if key is None and method == 'POST':
        body = ctx.req.json()
        if not isinstance(body, dict) or 'extra_specs' not in body:
            raise wire.ApiError(400, "'extra_specs' is a required property")
        _check_schema(body['extra_specs'], 'extra_specs')
        ctx.require_admin(root + 'create')
        _check_values(ctx, body['extra_specs'])
        flavor = _get_flavor(ctx, flavor_id)
        flavor.extra_specs.update(body['extra_specs'])
        return wire.json_response(200, body)
    if key is not None and method == 'GET':
        flavor = _get_flavor(ctx, flavor_id)
        if key not in flavor.extra_specs:
            raise _no_such_spec(flavor_id, key)
        return wire.json_response(200, {key: flavor.extra_specs[key]})
    if key is not None and method == 'PUT':
        body = ctx.req.json()
        if isinstance(body, dict) and len(body) != 1:
            raise wire.ApiError(
                400,
                f'{body} does not have exactly one property',
            )
        _check_schema(body, 'extra_specs')
        ctx.require_admin(root + 'update')
        _check_values(ctx, body)
        if key not in body:
            raise wire.ApiError(400, 'Request body and URI mismatch')
        flavor = _get_flavor(ctx, flavor_id)
        flavor.extra_specs.update(body)
        return wire.json_response(200, body)
    if key is not None and method == 'DELETE':
        ctx.require_admin(root + 'delete')
        flavor = _get_flavor(ctx, flavor_id)
        if key not in flavor.extra_specs:
            raise _no_such_spec(flavor_id, key)
        del flavor.extra_specs[key]
        # No @wsgi.response decorator upstream: Nova answers 200, no body.
        return wire.Response(status=200, content_type=None)
    raise wire.ApiError(405, 'The method specified is not allowed.')


# -- hypervisors ------------------------------------------------------------

_LIST_FIELDS_PRE_288 = (
    'vcpus',
    'memory_mb',
    'local_gb',
    'vcpus_used',
    'memory_mb_used',
    'local_gb_used',
    'free_ram_mb',
    'free_disk_gb',
    'current_workload',
    'running_vms',
    'disk_available_least',
)


def _hv_view_key(ctx: _Context, detail: bool) -> tuple:
    """Versions at which the hypervisor view changes shape."""
    return (
        detail,
        ctx.at_least('2.28'),
        ctx.at_least('2.53'),
        ctx.at_least('2.88'),
    )


def view_hypervisor(hyp: Hypervisor, key: tuple) -> dict:
    """HypervisorsController._view_hypervisor for one view key."""
    detail, v228, v253, v288 = key
    data: dict[str, Any] = {
        'id': hyp.uuid if v253 else hyp.id,
        'hypervisor_hostname': hyp.hypervisor_hostname,
        'state': hyp.state,
        'status': hyp.status,
    }
    if not detail:
        return data
    data['hypervisor_type'] = hyp.hypervisor_type
    data['hypervisor_version'] = hyp.hypervisor_version
    data['host_ip'] = hyp.host_ip
    data['service'] = {
        'id': hyp.service_uuid if v253 else hyp.service_id,
        'host': hyp.host,
        'disabled_reason': hyp.disabled_reason,
    }
    if not v288:
        values = {
            'vcpus': hyp.vcpus,
            'memory_mb': hyp.memory_mb,
            'local_gb': hyp.local_gb,
            'vcpus_used': hyp.vcpus_used,
            'memory_mb_used': hyp.memory_mb_used,
            'local_gb_used': hyp.local_gb_used,
            'free_ram_mb': hyp.memory_mb - hyp.memory_mb_used,
            'free_disk_gb': hyp.local_gb - hyp.local_gb_used,
            'current_workload': hyp.current_workload,
            'running_vms': hyp.running_vms,
            'disk_available_least': hyp.disk_available_least,
        }
        for field in _LIST_FIELDS_PRE_288:
            data[field] = values[field]
        text = hyp.cpu_info_text
        if v228:
            # jsonutils.loads(); a corrupt row makes Nova fail the request.
            data['cpu_info'] = json.loads(text) if text else {}
        else:
            data['cpu_info'] = text
    else:
        data['uptime'] = hyp.uptime if hyp.state == 'up' else None
    return data


class HypervisorJsonCache:
    """Per-hypervisor JSON fragments per view, rebuilt on state changes."""

    def __init__(self) -> None:
        self._revision = -1
        self._fragments: dict[tuple, list[bytes | None]] = {}

    def fragments(
        self, state: CloudState, key: tuple, start: int, stop: int
    ) -> list[bytes]:
        if self._revision != state.hypervisor_revision:
            self._fragments = {}
            self._revision = state.hypervisor_revision
        frags = self._fragments.setdefault(
            key, [None] * state.hypervisor_count()
        )
        out = []
        hyps = state.hypervisor_slice(start, stop)
        for offset, hyp in enumerate(hyps):
            frag = frags[start + offset]
            if frag is None:
                frag = json.dumps(view_hypervisor(hyp, key)).encode()
                frags[start + offset] = frag
            out.append(frag)
        return out


def _list_hypervisors(
    ctx: _Context, detail: bool, cache: HypervisorJsonCache
) -> wire.Response:
    """HypervisorsController.index/detail and _get_hypervisors."""
    state = ctx.state
    req = ctx.req
    ctx.require_admin(
        'os_compute_api:os-hypervisors:'
        + ('list-detail' if detail else 'list')
    )
    paging = ctx.at_least('2.33')
    pattern = None
    if ctx.at_least('2.53'):
        _check_query(
            ctx,
            {'limit', 'marker', 'hypervisor_hostname_pattern', 'with_servers'},
        )
        pattern = req.arg('hypervisor_hostname_pattern')
    total = state.hypervisor_count()
    if pattern is not None:
        if 'limit' in req.query or req.arg('marker'):
            raise wire.ApiError(
                400,
                'Paging over hypervisors with the '
                'hypervisor_hostname_pattern query parameter is not '
                'supported.',
            )
        positions = [
            i
            for i, h in enumerate(state.hypervisor_slice(0, None))
            if pattern in h.hypervisor_hostname
        ]
        if not positions:
            raise wire.ApiError(
                404, f"No hypervisor matching '{pattern}' could be found."
            )
        spans = [(i, i + 1) for i in positions]
        paging = False
    elif paging:
        limit, marker = _limit_and_marker(ctx)
        start = 0
        if marker is not None:
            position = state.hypervisor_position(marker)
            if position is None:
                raise wire.ApiError(400, f'marker [{marker}] not found')
            start = position + 1
        # limit=0 means "no limit" to the DB API (and no next link).
        stop = min(start + limit, total) if limit else total
        spans = [(start, stop)]
    else:
        spans = [(0, total)]
    key = _hv_view_key(ctx, detail)
    try:
        frags = [
            frag
            for start, stop in spans
            for frag in cache.fragments(state, key, start, stop)
        ]
    except ValueError as exc:
        raise wire.ApiError(
            500, UNEXPECTED_ERROR.format(exc=type(exc))
        ) from None
    body = b'{"hypervisors": [' + b', '.join(frags) + b']'
    if paging and frags:
        last = state.hypervisor_slice(spans[-1][1] - 1, spans[-1][1])[0]
        links = _collection_links(
            ctx,
            len(frags),
            last.uuid if key[2] else last.id,
            'os-hypervisors/detail' if detail else 'os-hypervisors',
        )
        if links:
            body += b', "hypervisors_links": ' + json.dumps(links).encode()
    body += b'}'
    return wire.Response(status=200, body=body)


def _find_hypervisor(ctx: _Context, hyp_id: str) -> Hypervisor:
    """HypervisorsController._validate_id + compute_node_get."""
    missing = f"Hypervisor with ID '{hyp_id}' could not be found."
    if ctx.at_least('2.53'):
        try:
            uuid.UUID(hyp_id)
        except ValueError:
            raise wire.ApiError(400, f'Invalid uuid {hyp_id}') from None
    elif not hyp_id.lstrip('-').isdigit():
        raise wire.ApiError(404, missing)
    position = ctx.state.hypervisor_position(hyp_id)
    if position is None:
        raise wire.ApiError(404, missing)
    return ctx.state.hypervisor_slice(position, position + 1)[0]


def _show_hypervisor(ctx: _Context, hyp_id: str) -> wire.Response:
    ctx.require_admin('os_compute_api:os-hypervisors:show')
    hyp = _find_hypervisor(ctx, hyp_id)
    try:
        view = view_hypervisor(hyp, _hv_view_key(ctx, True))
    except ValueError as exc:
        raise wire.ApiError(
            500, UNEXPECTED_ERROR.format(exc=type(exc))
        ) from None
    return wire.json_response(200, {'hypervisor': view})


def _hypervisor_uptime(ctx: _Context, hyp_id: str) -> wire.Response:
    if ctx.at_least('2.88'):
        raise wire.ApiError(404, 'The resource could not be found.')
    ctx.require_admin('os_compute_api:os-hypervisors:uptime')
    hyp = _find_hypervisor(ctx, hyp_id)
    view = view_hypervisor(hyp, (False,) + _hv_view_key(ctx, False)[1:])
    view['uptime'] = hyp.uptime
    return wire.json_response(200, {'hypervisor': view})


# -- dispatch ---------------------------------------------------------------

_FLAVOR = re.compile(r'^/flavors/([^/]+)$')
_SPECS = re.compile(r'^/flavors/([^/]+)/os-extra_specs(?:/([^/]+))?$')
_HYPERVISOR = re.compile(r'^/os-hypervisors/([^/]+)(/uptime)?$')


def _dispatch(
    ctx: _Context,
    route: str,
    cache: HypervisorJsonCache,
    server_cache: servers.ServerJsonCache,
) -> wire.Response:
    method = ctx.req.method
    if route in ('/flavors', '/flavors/detail') and method == 'GET':
        return _list_flavors(ctx, detail=route.endswith('/detail'))
    if route == '/flavors' and method == 'POST':
        return _create_flavor(ctx)
    match = _SPECS.match(route)
    if match:
        key = urllib.parse.unquote(match.group(2)) if match.group(2) else None
        return _extra_specs(ctx, urllib.parse.unquote(match.group(1)), key)
    match = _FLAVOR.match(route)
    if match:
        flavor_id = urllib.parse.unquote(match.group(1))
        if method == 'GET':
            flavor = _get_flavor(ctx, flavor_id)
            return wire.json_response(
                200, {'flavor': _flavor_show(ctx, flavor)}
            )
        if method == 'PUT':
            return _update_flavor(ctx, flavor_id)
        if method == 'DELETE':
            return _delete_flavor(ctx, flavor_id)
    if route in ('/os-hypervisors', '/os-hypervisors/detail'):
        if method == 'GET':
            return _list_hypervisors(ctx, route.endswith('/detail'), cache)
    match = _HYPERVISOR.match(route)
    if match and method == 'GET':
        if match.group(2):
            return _hypervisor_uptime(ctx, match.group(1))
        return _show_hypervisor(ctx, match.group(1))
    if route == '/servers/detail' and method == 'GET':
        return servers.list_servers(ctx, server_cache)
    if route == '/os-aggregates' and method == 'GET':
        return wire.json_response(200, {'aggregates': []})
    raise wire.ApiError(404, 'The resource could not be found.')


class ComputeService:
    def __init__(self, state: CloudState) -> None:
        self.state = state
        self.cache = HypervisorJsonCache()
        self.server_cache = servers.ServerJsonCache()

    def handle(self, req: wire.Request) -> wire.Response:
        route = req.route
        prefix = f'{req.base_url}/compute'
        if req.method == 'GET' and route in ('', '/'):
            return _versions_index(self.state, prefix)
        if req.method == 'GET' and route in (API_ROOT, API_ROOT + '/'):
            return _version_show(self.state, prefix)
        if not route.startswith(API_ROOT + '/'):
            return wire.json_response(
                404, fault_body(404, 'The resource could not be found.')
            )
        user = identity.authenticate(self.state, req)
        if user is None:
            return identity.unauthorized(req.base_url)
        try:
            version = _negotiate(self.state, req)
        except wire.ApiError as exc:
            return wire.json_response(
                exc.status, fault_body(exc.status, exc.message), exc.headers
            )
        headers = _version_headers(version) + [
            ('x-openstack-request-id', f'req-{uuid.uuid4()}'),
        ]
        ctx = _Context(self.state, req, user, version)
        try:
            resp = _dispatch(
                ctx, route[len(API_ROOT) :], self.cache, self.server_cache
            )
        except wire.ApiError as exc:
            resp = wire.json_response(
                exc.status, fault_body(exc.status, exc.message)
            )
        resp.headers.extend(headers)
        return resp
