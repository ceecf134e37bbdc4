"""Placement: root version document, resource providers, traits.

Mirrors placement/handlers/root.py, handlers/resource_provider.py,
handlers/trait.py, util.py (normalize_traits_qs_param, the JSON error
formatter) and the policy names in placement/policies/.
"""

import email.utils
import re
import uuid

import os_traits

from tests.emulation import identity
from tests.emulation import wire
from tests.emulation.state import CloudState
from tests.emulation.state import ResourceProvider

# webob's explanation text for each status; Placement errors carry it
# before the detail ("<explanation>\n\n <detail>  ").
_EXPLANATIONS = {
    400: (
        'Bad Request',
        'The server could not comply with the request since it is either '
        'malformed or otherwise incorrect.',
    ),
    403: ('Forbidden', 'Access was denied to this resource.'),
    404: ('Not Found', 'The resource could not be found.'),
    405: (
        'Method Not Allowed',
        'The method specified is not allowed for this resource.',
    ),
    406: (
        'Not Acceptable',
        'The resource could not be generated that was acceptable to your '
        'browser (content of type application/json.',
    ),
}

# Query parameters GET /resource_providers accepts, by microversion
# (placement/schemas/resource_provider.py GET_RPS_SCHEMA_*).
_RP_QUERY_PARAMS = (
    ((1, 0), {'name', 'uuid'}),
    ((1, 3), {'member_of'}),
    ((1, 4), {'resources'}),
    ((1, 14), {'in_tree'}),
    ((1, 18), {'required'}),
)


def error_body(
    status: int, detail: str, version: tuple[int, int] | None
) -> dict:
    """placement/util.py json_error_formatter over a webob exception."""
    title, explanation = _EXPLANATIONS.get(status, ('Error', ''))
    error = {
        'status': status,
        'title': title,
        'detail': f'{explanation}\n\n {detail}  ',
        'request_id': f'req-{uuid.uuid4()}',
    }
    if version is not None and version >= (1, 23):
        error['code'] = 'placement.undefined_code'
    return {'errors': [error]}


def _policy(action: str) -> wire.ApiError:
    return wire.ApiError(
        403, f'Policy does not allow {action} to be performed.'
    )


class PlacementService:
    def __init__(self, state: CloudState) -> None:
        self.state = state

    # -- helpers --------------------------------------------------------
    def _negotiate(self, req: wire.Request) -> tuple[int, int]:
        cfg = self.state.config
        low = wire.parse_version(cfg.placement_min_version)
        high = wire.parse_version(cfg.placement_max_version)
        text = wire.requested_version(req.headers, 'placement')
        if text is None:
            return low
        if text == 'latest':
            return high
        version = wire.parse_version(text)
        if version is None or not low <= version <= high:
            raise wire.ApiError(
                406,
                f'Invalid microversion: Unacceptable version header: {text}',
            )
        return version

    def _provider_view(
        self, rp: ResourceProvider, version: tuple[int, int]
    ) -> dict:
        """handlers/resource_provider.py _serialize_provider."""
        url = f'/placement/resource_providers/{rp.uuid}'
        rels = ['inventories', 'usages']
        if version >= (1, 1):
            rels.append('aggregates')
        if version >= (1, 6):
            rels.append('traits')
        if version >= (1, 11):
            rels.append('allocations')
        data = {
            'uuid': rp.uuid,
            'name': rp.name,
            'generation': rp.generation,
            'links': [{'rel': 'self', 'href': url}]
            + [{'rel': r, 'href': f'{url}/{r}'} for r in rels],
        }
        if version >= (1, 14):
            data['parent_provider_uuid'] = rp.parent_provider_uuid
            data['root_provider_uuid'] = rp.root_provider_uuid
        return data

    def _known_traits(self) -> set[str]:
        return set(os_traits.get_traits()) | self.state.custom_traits

    def _parse_required(
        self, values: list[str], version: tuple[int, int]
    ) -> tuple[list[set[str]], set[str]]:
        """util.py normalize_traits_qs_params / normalize_traits_qs_param."""
        allow_forbidden = version >= (1, 22)
        allow_any = version >= (1, 39)
        if not allow_any:
            values = values[-1:]
        required: list[set[str]] = []
        forbidden: set[str] = set()
        for val in values:
            if val.startswith('in:'):
                if not allow_any:
                    raise wire.ApiError(
                        400,
                        'Invalid query string parameters: The format '
                        "'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' only supported "
                        f'since microversion 1.39. Got: {val}',
                    )
                anyof = {t.strip() for t in val[3:].split(',')}
                if not all(anyof):
                    raise wire.ApiError(
                        400,
                        "Invalid query string parameters: Expected 'required'"
                        ' parameter value of the form: '
                        'in:HW_CPU_X86_VMX,CUSTOM_MAGIC. Got an empty trait '
                        f'in: {val}',
                    )
                if any(t.startswith('!') for t in anyof):
                    raise wire.ApiError(
                        400,
                        'Invalid query string parameters: The format '
                        "'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' does not support "
                        f'forbidden traits. Got: {val}',
                    )
                required.append(anyof)
                continue
            names = [t.strip() for t in val.split(',')]
            bad = {t.lstrip('!') for t in names if t.startswith('!')}
            if not all(names) or not all(bad):
                form = (
                    'HW_CPU_X86_VMX,!CUSTOM_MAGIC'
                    if allow_forbidden
                    else 'HW_CPU_X86_VMX,CUSTOM_MAGIC'
                )
                raise wire.ApiError(
                    400,
                    "Invalid query string parameters: Expected 'required' "
                    f'parameter value of the form: {form}. Got an empty '
                    f'trait in: {val}',
                )
            if bad and not allow_forbidden:
                raise wire.ApiError(
                    400,
                    "Invalid query string parameters: Expected 'required' "
                    'parameter value of the form: '
                    f'HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: {val}',
                )
            required.extend({t} for t in names if not t.startswith('!'))
            forbidden |= bad
        unknown = sorted(
            ({t for s in required for t in s} | forbidden)
            - self._known_traits()
        )
        if unknown:
            raise wire.ApiError(
                400,
                'Invalid trait(s) in "required" parameter: No such '
                f'trait(s): {", ".join(unknown)}.',
            )
        return required, forbidden

    # -- handlers -------------------------------------------------------
    def _list_providers(
        self, req: wire.Request, version: tuple[int, int]
    ) -> wire.Response:
        allowed: set[str] = set()
        for since, names in _RP_QUERY_PARAMS:
            if version >= since:
                allowed |= names
        unexpected = sorted(set(req.query) - allowed)
        if unexpected:
            names = ', '.join(repr(u) for u in unexpected)
            verb = 'were' if len(unexpected) > 1 else 'was'
            raise wire.ApiError(
                400,
                'Invalid query string parameters: Additional properties are '
                f'not allowed ({names} {verb} unexpected)',
            )
        providers = list(self.state.resource_providers.values())
        if 'name' in req.query:
            providers = [p for p in providers if p.name == req.arg('name')]
        if 'uuid' in req.query:
            providers = [p for p in providers if p.uuid == req.arg('uuid')]
        if 'in_tree' in req.query:
            root = self.state.resource_providers.get(req.arg('in_tree'))
            providers = [
                p
                for p in providers
                if root is not None
                and p.root_provider_uuid == root.root_provider_uuid
            ]
        if 'required' in req.query:
            required, forbidden = self._parse_required(
                req.query['required'], version
            )
            providers = [
                p
                for p in providers
                if all(p.traits & anyof for anyof in required)
                and not p.traits & forbidden
            ]
        body = {
            'resource_providers': [
                self._provider_view(p, version) for p in providers
            ]
        }
        return wire.json_response(200, body)

    def _get_provider(self, rp_uuid: str) -> ResourceProvider:
        rp = self.state.resource_providers.get(rp_uuid)
        if rp is None:
            raise wire.ApiError(
                404, f'No resource provider with uuid {rp_uuid} found'
            )
        return rp

    def _dispatch(
        self, req: wire.Request, version: tuple[int, int], is_admin: bool
    ) -> wire.Response:
        route = req.route.rstrip('/')
        method = req.method

        def can(action: str) -> None:
            if not is_admin:
                raise _policy(action)

        if route == '/resource_providers' and method == 'GET':
            can('placement:resource_providers:list')
            return self._list_providers(req, version)
        match = re.match(r'^/resource_providers/([^/]+)(/traits)?$', route)
        if match and method == 'GET':
            if match.group(2):
                if version < (1, 6):
                    raise wire.ApiError(
                        404, 'The resource could not be found.'
                    )
                can('placement:resource_providers:traits:list')
                try:
                    rp = self._get_provider(match.group(1))
                except wire.ApiError as exc:
                    raise wire.ApiError(
                        404,
                        f'No resource provider with uuid {match.group(1)} '
                        f'found: {exc.message}',
                    ) from None
                return wire.json_response(
                    200,
                    {
                        'traits': sorted(rp.traits),
                        'resource_provider_generation': rp.generation,
                    },
                )
            can('placement:resource_providers:show')
            rp = self._get_provider(match.group(1))
            return wire.json_response(200, self._provider_view(rp, version))
        if route == '/traits' and method == 'GET' and version >= (1, 6):
            can('placement:traits:list')
            traits = self._known_traits()
            name = req.arg('name')
            if name and name.startswith('startswith:'):
                prefix = name[len('startswith:') :]
                traits = {t for t in traits if t.startswith(prefix)}
            elif name and name.startswith('in:'):
                traits &= {t.strip() for t in name[3:].split(',')}
            return wire.json_response(200, {'traits': sorted(traits)})
        raise wire.ApiError(404, 'The resource could not be found.')

    def handle(self, req: wire.Request) -> wire.Response:
        route = req.route
        if route in ('', '/') and req.method == 'GET':
            version = None
            try:
                version = self._negotiate(req)
            except wire.ApiError:
                version = (1, 0)
            return self._root(version)
        user = identity.authenticate(self.state, req)
        if user is None:
            return identity.unauthorized(req.base_url)
        try:
            version = self._negotiate(req)
        except wire.ApiError as exc:
            body = error_body(exc.status, exc.message, None)
            body['errors'][0]['max_version'] = (
                self.state.config.placement_max_version
            )
            body['errors'][0]['min_version'] = (
                self.state.config.placement_min_version
            )
            return wire.json_response(exc.status, body)
        headers = [
            (
                'OpenStack-API-Version',
                f'placement {wire.version_string(version)}',
            ),
            ('Vary', 'openstack-api-version'),
        ]
        if version >= (1, 15):
            headers += [
                ('Cache-Control', 'no-cache'),
                ('Last-Modified', email.utils.formatdate(usegmt=True)),
            ]
        try:
            resp = self._dispatch(req, version, user.is_admin)
        except wire.ApiError as exc:
            resp = wire.json_response(
                exc.status, error_body(exc.status, exc.message, version)
            )
        resp.headers.extend(headers)
        return resp

    def _root(self, version: tuple[int, int]) -> wire.Response:
        """placement/handlers/root.py home."""
        cfg = self.state.config
        data = {
            'versions': [
                {
                    'id': f'v{cfg.placement_min_version}',
                    'max_version': cfg.placement_max_version,
                    'min_version': cfg.placement_min_version,
                    'status': 'CURRENT',
                    'links': [{'rel': 'self', 'href': ''}],
                }
            ]
        }
        headers = [
            (
                'OpenStack-API-Version',
                f'placement {wire.version_string(version)}',
            ),
            ('Vary', 'openstack-api-version'),
        ]
        return wire.json_response(200, data, headers)
