"""Keystone v3: version discovery, password auth, token validation.

Shapes follow keystone's ``/`` (300 Multiple Choices with
``versions.values``), ``/v3`` and ``POST /v3/auth/tokens`` responses.
"""

import datetime
import uuid

from tests.emulation import wire
from tests.emulation.state import DEFAULT_DOMAIN_ID
from tests.emulation.state import DEFAULT_DOMAIN_NAME
from tests.emulation.state import CloudState
from tests.emulation.state import User

IDENTITY_VERSION = 'v3.14'
AUTH_REQUIRED = 'The request you have made requires authentication.'


def _version_doc(base_url: str) -> dict:
    return {
        'id': IDENTITY_VERSION,
        'status': 'stable',
        'updated': '2020-04-07T00:00:00Z',
        'links': [{'rel': 'self', 'href': f'{base_url}/identity/v3/'}],
        'media-types': [
            {
                'base': 'application/json',
                'type': 'application/vnd.openstack.identity-v3+json',
            }
        ],
    }


def error(status: int, title: str, message: str) -> wire.Response:
    return wire.json_response(
        status,
        {'error': {'code': status, 'message': message, 'title': title}},
    )


def unauthorized(base_url: str) -> wire.Response:
    resp = error(401, 'Unauthorized', AUTH_REQUIRED)
    resp.headers = [
        ('WWW-Authenticate', f'Keystone uri="{base_url}/identity"')
    ]
    return resp


def endpoints(state: CloudState, base_url: str) -> dict[str, str]:
    """Service type -> endpoint URL, as listed in the catalog."""
    urls = {
        'identity': f'{base_url}/identity',
        'compute': f'{base_url}/compute/v2.1',
    }
    if state.config.placement_in_catalog:
        urls['placement'] = f'{base_url}/placement'
    urls['image'] = f'{base_url}/image'
    return urls


_SERVICE_NAMES = {
    'identity': 'keystone',
    'compute': 'nova',
    'placement': 'placement',
    'image': 'glance',
}


def _catalog(state: CloudState, base_url: str) -> list[dict]:
    region = state.config.region
    catalog = []
    for service_type, url in endpoints(state, base_url).items():
        catalog.append(
            {
                'id': uuid.uuid5(uuid.NAMESPACE_URL, service_type).hex,
                'type': service_type,
                'name': _SERVICE_NAMES[service_type],
                'endpoints': [
                    {
                        'id': uuid.uuid5(
                            uuid.NAMESPACE_URL, f'{service_type}:{iface}'
                        ).hex,
                        'interface': iface,
                        'region_id': region,
                        'region': region,
                        'url': url,
                    }
                    for iface in ('public', 'internal', 'admin')
                ],
            }
        )
    return catalog


def _find_user(state: CloudState, user_ref: dict) -> User | None:
    for user in state.users.values():
        if 'id' in user_ref and user_ref['id'] == user.id:
            return user
        if user_ref.get('name') == user.name:
            domain = user_ref.get('domain') or {}
            if domain.get('id') in (None, DEFAULT_DOMAIN_ID) and domain.get(
                'name'
            ) in (None, DEFAULT_DOMAIN_NAME):
                return user
    return None


def _token_body(
    state: CloudState, user: User, scoped: bool, base_url: str
) -> dict:
    now = datetime.datetime.now(datetime.timezone.utc)
    expires = now + datetime.timedelta(hours=1)
    domain = {'id': DEFAULT_DOMAIN_ID, 'name': DEFAULT_DOMAIN_NAME}
    token = {
        'methods': ['password'],
        'user': {
            'domain': domain,
            'id': user.id,
            'name': user.name,
            'password_expires_at': None,
        },
        'audit_ids': [uuid.uuid4().hex[:22]],
        'expires_at': expires.strftime('%Y-%m-%dT%H:%M:%S.000000Z'),
        'issued_at': now.strftime('%Y-%m-%dT%H:%M:%S.000000Z'),
    }
    if scoped:
        token['project'] = {
            'domain': domain,
            'id': user.project_id,
            'name': user.project_name,
        }
        token['is_domain'] = False
        token['roles'] = [
            {'id': uuid.uuid5(uuid.NAMESPACE_URL, f'role:{r}').hex, 'name': r}
            for r in user.roles
        ]
        token['catalog'] = _catalog(state, base_url)
    return {'token': token}


def _issue_token(state: CloudState, req: wire.Request) -> wire.Response:
    try:
        auth = req.json()['auth']
        identity = auth['identity']
    except (ValueError, KeyError, TypeError):
        return error(
            400,
            'Bad Request',
            "Invalid input for field 'identity': required.",
        )
    if 'password' not in identity.get('methods', []):
        return unauthorized(req.base_url)
    user_ref = identity.get('password', {}).get('user', {})
    user = _find_user(state, user_ref)
    if user is None or user_ref.get('password') != user.password:
        return unauthorized(req.base_url)
    scope = auth.get('scope') or {}
    project = scope.get('project')
    if project is not None:
        if project.get('id', user.project_id) != user.project_id or (
            project.get('name', user.project_name) != user.project_name
        ):
            return unauthorized(req.base_url)
    token_id = uuid.uuid4().hex
    state.tokens[token_id] = user.name
    return wire.json_response(
        201,
        _token_body(state, user, project is not None, req.base_url),
        [('X-Subject-Token', token_id)],
    )


def authenticate(state: CloudState, req: wire.Request) -> User | None:
    """The user owning the request's ``X-Auth-Token``, if it is valid."""
    token = req.headers.get('X-Auth-Token')
    name = state.tokens.get(token) if token else None
    return state.users.get(name) if name else None


def handle(state: CloudState, req: wire.Request) -> wire.Response:
    route = req.route.rstrip('/')
    if req.method == 'GET' and route == '':
        return wire.json_response(
            300, {'versions': {'values': [_version_doc(req.base_url)]}}
        )
    if req.method == 'GET' and route == '/v3':
        return wire.json_response(200, {'version': _version_doc(req.base_url)})
    if route == '/v3/auth/tokens':
        if req.method == 'POST':
            return _issue_token(state, req)
        if req.method in ('GET', 'HEAD'):
            if authenticate(state, req) is None:
                return unauthorized(req.base_url)
            subject = req.headers.get('X-Subject-Token')
            name = state.tokens.get(subject or '')
            if name is None:
                return error(
                    404,
                    'Not Found',
                    f'Could not find token: {subject}.',
                )
            return wire.json_response(
                200,
                _token_body(state, state.users[name], True, req.base_url),
                [('X-Subject-Token', subject)],
            )
    return error(
        404,
        'Not Found',
        'The resource could not be found.',
    )
