"""Glance v2 images: list (paged), show, and JSON-patch update.

Shaped after glance/api/v2/images.py (Glance 33, 2026.2):

* ``GET /v2/images``: newest first, ``limit`` capped at ``api_limit_max``
  (1,000), ``next`` whenever a page is full, ``?name=`` filters exactly;
  a marker that is not a visible image answers 400.
* ``GET /v2/images/{id}``: 404 for a missing image and for one the caller
  cannot see (another project's private image).
* ``PATCH /v2/images/{id}``: only the two JSON-patch media types (else
  415 with ``Accept-Patch``); additional properties are strings (else
  400); with v2.1 ``add`` overwrites, with v2.0 it answers 409 when the
  property exists; ``replace`` and ``remove`` of a missing property answer
  409; read-only attributes 403; an image of another project that the
  caller can see (public) answers 403. Either every op applies or none.
* Image bodies carry the additional properties at the top level.
"""

from __future__ import annotations

import json
import urllib.parse

from tests.emulation import identity
from tests.emulation import wire
from tests.emulation.state import CloudState
from tests.emulation.state import Image

API_LIMIT_MAX = 1000
DEFAULT_LIMIT = 25
PATCH_TYPES = {
    'application/openstack-images-v2.0-json-patch': 4,
    'application/openstack-images-v2.1-json-patch': 10,
}
# Core attributes a PATCH may change; the others are read-only.
MUTABLE = ('name', 'visibility', 'protected', 'min_disk', 'min_ram')
READ_ONLY = (
    'id',
    'status',
    'owner',
    'created_at',
    'updated_at',
    'checksum',
    'size',
    'virtual_size',
    'file',
    'schema',
    'self',
    'direct_url',
    'os_hash_algo',
    'os_hash_value',
)


def error(status: int, message: str, headers=None) -> wire.Response:
    """Glance's errors: webob's plain-text pages."""
    titles = {
        400: 'Bad Request',
        403: 'Forbidden',
        404: 'Not Found',
        409: 'Conflict',
        415: 'Unsupported Media Type',
    }
    title = titles.get(status, 'Error')
    body = f'{status} {title}\n\n{message}\n\n   '
    return wire.Response(
        status,
        body.encode(),
        headers=list(headers or []),
        content_type='text/plain; charset=UTF-8',
    )


def image_body(image: Image) -> dict:
    body = {
        'id': image.id,
        'name': image.name,
        'status': image.status,
        'visibility': image.visibility,
        'owner': image.owner,
        'protected': image.protected,
        'min_disk': 0,
        'min_ram': 0,
        'created_at': image.created_at,
        'updated_at': image.updated_at,
        'tags': [],
        'self': f'/v2/images/{image.id}',
        'file': f'/v2/images/{image.id}/file',
        'schema': '/v2/schemas/image',
    }
    body.update(image.properties)
    return body


class ImageService:
    def __init__(self, state: CloudState) -> None:
        self.state = state

    def handle(self, req: wire.Request) -> wire.Response:
        route = req.route.rstrip('/')
        if route == '':
            return self._versions(req)
        user = identity.authenticate(self.state, req)
        if user is None:
            return identity.unauthorized(req.base_url)
        if route == '/v2/images' and req.method == 'GET':
            return self._list(req, user)
        prefix = '/v2/images/'
        if route.startswith(prefix) and '/' not in route[len(prefix) :]:
            image_id = urllib.parse.unquote(route[len(prefix) :])
            if req.method == 'GET':
                return self._show(image_id, user)
            if req.method == 'PATCH':
                return self._patch(req, image_id, user)
            return error(405, 'The method is not allowed.')
        return error(404, 'The resource could not be found.')

    # -- helpers -------------------------------------------------------
    def _versions(self, req: wire.Request) -> wire.Response:
        href = f'{req.base_url}/image/v2/'
        doc = {
            'versions': [
                {
                    'id': 'v2.17',
                    'status': 'CURRENT',
                    'links': [{'rel': 'self', 'href': href}],
                }
            ]
        }
        return wire.json_response(300, doc)

    def _visible(self, image: Image, user) -> bool:
        return (
            user.is_admin
            or image.owner == user.project_id
            or image.visibility in ('public', 'community')
        )

    def _get(self, image_id: str, user) -> Image | None:
        image = self.state.images.get(image_id)
        if image is None or not self._visible(image, user):
            return None
        return image

    # -- handlers ------------------------------------------------------
    def _list(self, req: wire.Request, user) -> wire.Response:
        try:
            limit = int(req.arg('limit') or DEFAULT_LIMIT)
        except ValueError:
            return error(400, 'limit param must be an integer')
        if limit < 0:
            return error(400, 'limit param must be positive')
        limit = min(limit, API_LIMIT_MAX)
        images = [
            i
            for i in reversed(list(self.state.images.values()))
            if self._visible(i, user)
        ]
        name = req.arg('name')
        if name is not None:
            images = [i for i in images if i.name == name]
        marker = req.arg('marker')
        if marker is not None:
            ids = [i.id for i in images]
            if marker not in ids:
                return error(
                    400, f'Invalid marker. Image {marker} could not be found.'
                )
            images = images[ids.index(marker) + 1 :]
        page = images[:limit]
        body: dict = {
            'images': [image_body(i) for i in page],
            'first': '/v2/images',
            'schema': '/v2/schemas/images',
        }
        if page and len(page) == limit:
            query = {'marker': page[-1].id, 'limit': limit}
            if name is not None:
                query['name'] = name
            body['next'] = '/v2/images?' + urllib.parse.urlencode(query)
        return wire.json_response(200, body)

    def _show(self, image_id: str, user) -> wire.Response:
        image = self._get(image_id, user)
        if image is None:
            return error(404, f'No image found with ID {image_id}')
        return wire.json_response(200, image_body(image))

    def _patch(self, req: wire.Request, image_id: str, user) -> wire.Response:
        content_type = (req.headers.get('Content-Type') or '').split(';')[0]
        if content_type not in PATCH_TYPES:
            allowed = ', '.join(sorted(PATCH_TYPES))
            return error(
                415,
                f'Unsupported Content-Type {content_type}',
                headers=[('Accept-Patch', allowed)],
            )
        schema_version = PATCH_TYPES[content_type]
        image = self._get(image_id, user)
        if image is None:
            return error(404, f'No image found with ID {image_id}')
        if not (user.is_admin or image.owner == user.project_id):
            return error(403, 'You are not permitted to modify this image.')
        try:
            ops = json.loads(req.body or b'null')
        except ValueError:
            return error(400, 'Malformed JSON in request body.')
        if not isinstance(ops, list):
            return error(400, 'Request body must be a JSON array of op.')
        props = dict(image.properties)
        core = {'name': image.name}
        for op in ops:
            failure = self._apply(op, props, core, schema_version)
            if failure is not None:
                return failure
        image.properties = props
        image.name = core['name']
        image.updated_at = self.state.next_timestamp()
        return wire.json_response(200, image_body(image))

    @staticmethod
    def _apply(op, props, core, schema_version) -> wire.Response | None:
        """Apply one op to the copies; an error response if it fails."""
        if not isinstance(op, dict) or op.get('op') not in (
            'add',
            'replace',
            'remove',
        ):
            return error(400, f'Unable to find operation in {op!r}')
        path = op.get('path')
        if not isinstance(path, str) or not path.startswith('/'):
            return error(
                400, f'Invalid JSON pointer for this resource: {path}'
            )
        key = path[1:]
        if not key or '/' in key:
            return error(
                400, f'Invalid JSON pointer for this resource: {path}'
            )
        if key in READ_ONLY:
            return error(403, f"Attribute '{key}' is read-only.")
        if key in MUTABLE:
            if key == 'name' and op['op'] != 'remove':
                core['name'] = op.get('value')
                return None
            return error(403, f'Property {key} may not be removed.')
        if op['op'] != 'remove' and not isinstance(op.get('value'), str):
            return error(
                400, 'Provided object does not match schema: not a string'
            )
        if op['op'] == 'add':
            if key in props and schema_version == 4:
                return error(409, f'Property {key} already present.')
            props[key] = op['value']
        elif op['op'] == 'replace':
            if key not in props:
                return error(409, f'Property {key} does not exist.')
            props[key] = op['value']
        else:
            if key not in props:
                return error(409, f'Property {key} does not exist.')
            del props[key]
        return None
