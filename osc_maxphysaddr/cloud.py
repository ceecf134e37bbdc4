"""The few cloud calls the commands make, each with its own microversion.

A user's ``--os-compute-api-version`` applies to every SDK compute call, and
the maxphysaddr feature only works at some microversions, so every call here
goes through a proxy's own ``get``/``post``/``delete`` with an explicit
``microversion=``, negotiated down to what the cloud offers. Bodies are used
as the JSON they come in: at thousands of hypervisors, building SDK resource
objects costs more than the HTTP.
"""

from __future__ import annotations

import codecs
import json
import logging
import urllib.parse
import uuid
from collections.abc import Iterator

from keystoneauth1 import exceptions as ksa_exceptions
from openstack import exceptions as sdk_exceptions
from openstack import utils as sdk_utils

from osc_maxphysaddr import core

# Nova validates extra specs from 2.86 and has no validator for
# hw:maxphysaddr_*, so it rejects them there with HTTP 400 ("... does not
# appear to be a valid extra spec"). 2.85 is the newest microversion that
# accepts them; from 2.61 flavor bodies also carry their extra specs.
FLAVOR_MICROVERSION = '2.85'

# GET /os-hypervisors/detail carries cpu_info up to 2.87 (a JSON string
# before 2.28); 2.88 removed it, and 2.88 is the SDK's default there.
HYPERVISOR_MICROVERSION = '2.87'
# limit/marker paging of hypervisors starts at 2.33; from 2.53 a
# hypervisor's id is its compute node UUID, which is also the UUID of its
# resource provider in Placement.
HYPERVISOR_PAGING = (2, 33)
HYPERVISOR_ID_IS_UUID = (2, 53)
# Nova's [api]max_limit default: the most hypervisors one response holds.
PAGE_SIZE = 1000

# GET /resource_providers?required=TRAIT arrived in Placement 1.18.
PLACEMENT_REQUIRED_MICROVERSION = '1.18'

# What the SDK raises when a service is not in the catalog.
_NO_ENDPOINT = (
    ksa_exceptions.EndpointNotFound,
    ksa_exceptions.DiscoveryFailure,
    sdk_exceptions.EndpointNotFound,
    sdk_exceptions.ServiceDiscoveryException,
    sdk_exceptions.ServiceDisabledException,
)


class ServiceUnavailable(Exception):
    """A service the command can do without is missing or failing."""


class NoUsableMicroversion(Exception):
    """The cloud offers no microversion at which a call works."""


def version_tuple(version: str) -> tuple[int, int]:
    major, _, minor = version.partition('.')
    return int(major), int(minor or 0)


def negotiate(proxy, wanted: str) -> str:
    """``wanted`` or, on older clouds, the newest microversion they offer.

    Raises NoUsableMicroversion when the cloud's oldest microversion is
    already newer than ``wanted``.
    """
    best = sdk_utils.maximum_supported_microversion(proxy, wanted)
    if best:
        return best
    data = proxy.get_endpoint_data()
    minimum = data.min_microversion if data else None
    if minimum and version_tuple(_text(minimum)) > version_tuple(wanted):
        raise NoUsableMicroversion(
            f'the {proxy.service_type} API of this cloud starts at '
            f'microversion {_text(minimum)}, and this call needs {wanted} '
            'or older'
        )
    return '2.1' if proxy.service_type == 'compute' else '1.0'


def _text(version) -> str:
    if isinstance(version, str):
        return version
    return '.'.join(str(part) for part in version)


def _bodies_logged() -> bool:
    """Whether keystoneauth's debug log of response bodies is shown.

    OSC sets the root logger to DEBUG and filters in its handlers, so
    keystoneauth formats every response body for a debug record that no
    handler prints: for a 16 MiB provider list that doubled a listing's
    peak memory. The listing reads ask keystoneauth not to log unless a
    handler (``--debug``, ``--log-file``) would show the record.
    """
    logger: logging.Logger | None = logging.getLogger('keystoneauth.session')
    while logger is not None:
        if any(h.level <= logging.DEBUG for h in logger.handlers):
            return True
        logger = logger.parent if logger.propagate else None
    return False


def _check(response) -> dict:
    sdk_exceptions.raise_from_response(response)
    return response.json() if response.content else {}


def _flavor_url(flavor_id: str, *parts: str) -> str:
    segments = [urllib.parse.quote(flavor_id, safe='')]
    segments += [urllib.parse.quote(p, safe=':') for p in parts]
    return '/flavors/' + '/'.join(segments)


class FlavorNotFound(LookupError):
    pass


class FlavorAmbiguous(LookupError):
    pass


def _all_flavors(compute, microversion: str) -> list[dict]:
    flavors: list[dict] = []
    query = {'is_public': 'None', 'limit': PAGE_SIZE}
    while True:
        body = _check(
            compute.get(
                '/flavors/detail?' + urllib.parse.urlencode(query),
                microversion=microversion,
                log=_bodies_logged(),
            )
        )
        page = body.get('flavors', [])
        flavors.extend(page)
        if not page or not body.get('flavors_links'):
            return flavors
        query['marker'] = page[-1]['id']


def _only_match(kind, value, matches, not_found, ambiguous) -> dict:
    """The one resource named ``value``, as ``openstack <kind> set`` finds it.

    Raises ``not_found`` or ``ambiguous`` (a name shared by several).
    """
    if not matches:
        raise not_found(f'No {kind} with a name or ID of {value!r} exists.')
    if len(matches) > 1:
        raise ambiguous(
            f'More than one {kind} exists with the name {value!r}; '
            'use its ID instead.'
        )
    return matches[0]


def find_flavors(conn, names_or_ids: list[str]) -> list[dict]:
    """Resolve flavors by ID or name, as ``openstack flavor set`` does.

    Each value is first tried as an ID; the values that are not IDs are
    then looked up by name in one listing of all flavors (private ones
    included). Raises FlavorNotFound or FlavorAmbiguous.
    """
    compute = conn.compute
    microversion = negotiate(compute, FLAVOR_MICROVERSION)
    found: dict[str, dict] = {}
    for value in dict.fromkeys(names_or_ids):
        response = compute.get(_flavor_url(value), microversion=microversion)
        if response.status_code != 404:
            found[value] = _check(response)['flavor']
    missing = [v for v in names_or_ids if v not in found]
    if missing:
        flavors = _all_flavors(compute, microversion)
        for value in missing:
            found[value] = _only_match(
                'flavor',
                value,
                [f for f in flavors if f.get('name') == value],
                FlavorNotFound,
                FlavorAmbiguous,
            )
    return [found[v] for v in names_or_ids]


def flavor_extra_specs(conn, flavor: dict) -> dict[str, str]:
    """A flavor's extra specs: from its body (2.61+) or os-extra_specs."""
    if 'extra_specs' in flavor:
        return dict(flavor['extra_specs'])
    body = _check(
        conn.compute.get(
            _flavor_url(flavor['id'], 'os-extra_specs'),
            microversion=negotiate(conn.compute, FLAVOR_MICROVERSION),
        )
    )
    return dict(body.get('extra_specs', {}))


def all_flavors(conn) -> list[tuple[dict, dict[str, str]]]:
    """Every flavor (private ones included) with its extra specs.

    One paged listing; only clouds older than 2.61, whose flavor bodies
    lack extra specs, cost one more request a flavor.
    """
    microversion = negotiate(conn.compute, FLAVOR_MICROVERSION)
    return [
        (flavor, flavor_extra_specs(conn, flavor))
        for flavor in _all_flavors(conn.compute, microversion)
    ]


def set_extra_specs(conn, flavor_id: str, specs: dict[str, str]) -> None:
    """Create or update several extra specs in one request."""
    _check(
        conn.compute.post(
            _flavor_url(flavor_id, 'os-extra_specs'),
            json={'extra_specs': specs},
            microversion=negotiate(conn.compute, FLAVOR_MICROVERSION),
        )
    )


def delete_extra_spec(conn, flavor_id: str, key: str) -> None:
    """Delete one extra spec (Nova's API has no bulk delete)."""
    _check(
        conn.compute.delete(
            _flavor_url(flavor_id, 'os-extra_specs', key),
            microversion=negotiate(conn.compute, FLAVOR_MICROVERSION),
        )
    )


def list_hypervisors(conn) -> tuple[list[dict], str]:
    """Every hypervisor's detail view, following all pages.

    Each hypervisor keeps only the fields the commands read: id,
    hypervisor_hostname, state, status and cpu_info (of which, when it is
    an object, maxphysaddr, vendor and model).

    Returns the hypervisors and the microversion they were read at. Nova
    returns at most [api]max_limit (1,000) hypervisors a response, with a
    next link whenever a page is full, so every page is followed; the next
    page is asked for with the marker on our own endpoint, since a next
    link's host may be wrong behind a proxy.
    """
    compute = conn.compute
    microversion = negotiate(compute, HYPERVISOR_MICROVERSION)
    paged = version_tuple(microversion) >= HYPERVISOR_PAGING
    query: dict[str, object] = {'limit': PAGE_SIZE} if paged else {}
    hypervisors: list[dict] = []
    while True:
        url = '/os-hypervisors/detail'
        if query:
            url += '?' + urllib.parse.urlencode(query)
        body = _check(
            compute.get(url, microversion=microversion, log=_bodies_logged())
        )
        page = body.get('hypervisors', [])
        hypervisors.extend(_slim(h) for h in page)
        if not paged or not page or not body.get('hypervisors_links'):
            return hypervisors, microversion
        query['marker'] = page[-1]['id']


# What the commands read of a hypervisor, and of its cpu_info. A detail
# view with cpu_info is ~6 KiB of Python objects; keeping all of it for
# 20,000 hosts doubled the peak RSS of a listing.
_HYPERVISOR_FIELDS = ('id', 'hypervisor_hostname', 'state', 'status')
_CPU_INFO_FIELDS = ('maxphysaddr', 'vendor', 'model')


def _slim(hypervisor: dict) -> dict:
    slim = {k: hypervisor[k] for k in _HYPERVISOR_FIELDS if k in hypervisor}
    if 'cpu_info' in hypervisor:
        cpu_info = hypervisor['cpu_info']
        if isinstance(cpu_info, dict):
            cpu_info = {
                k: cpu_info[k] for k in _CPU_INFO_FIELDS if k in cpu_info
            }
        slim['cpu_info'] = cpu_info
    return slim


def _providers(response) -> Iterator[tuple[str, str | None]]:
    """Decode Placement's provider list one provider at a time.

    For 20,000 hosts the list is about 16 MiB of JSON (links, generation,
    root and parent UUIDs for each provider); held whole, as bytes, text and
    objects, it tripled a listing's peak memory. Only the (uuid, name) of
    each provider is kept.
    """
    decoder = json.JSONDecoder()
    text = codecs.getincrementaldecoder('utf-8')()
    chunks = response.iter_content(chunk_size=1 << 16)
    buffer, pos = '', 0

    def more() -> bool:
        nonlocal buffer, pos
        chunk = next(chunks, None)
        buffer = buffer[pos:] + text.decode(chunk or b'', final=not chunk)
        pos = 0
        return chunk is not None

    while '[' not in buffer:  # {"resource_providers": [
        if not more():
            raise ValueError('no resource_providers list in the response')
    pos = buffer.index('[') + 1
    while True:
        while pos < len(buffer) and buffer[pos] in ' \t\r\n,':
            pos += 1
        if pos == len(buffer):
            if not more():
                raise ValueError('the provider list ends early')
            continue
        if buffer[pos] == ']':
            return
        try:
            provider, pos = decoder.raw_decode(buffer, pos)
        except json.JSONDecodeError:
            if not more():  # not a partial object: a broken one
                raise
            continue
        yield provider['uuid'], provider.get('name')


def providers_with_trait(conn, trait: str) -> list[tuple[str, str | None]]:
    """The (uuid, name) of the resource providers that have ``trait``.

    One request, however many providers. Raises ServiceUnavailable when
    Placement is not in the catalog or does not answer; callers treat
    traits as unknown then.
    """
    try:
        placement = conn.placement
        response = placement.get(
            '/resource_providers?'
            + urllib.parse.urlencode({'required': trait}),
            microversion=PLACEMENT_REQUIRED_MICROVERSION,
            stream=True,
            log=_bodies_logged(),
        )
    except _NO_ENDPOINT as exc:
        raise ServiceUnavailable(
            f'Placement is not in the service catalog ({exc})'
        ) from exc
    except ksa_exceptions.ConnectionError as exc:
        raise ServiceUnavailable(
            f'Placement cannot be reached ({exc})'
        ) from exc
    try:
        sdk_exceptions.raise_from_response(response)
    except sdk_exceptions.HttpException as exc:
        raise ServiceUnavailable(
            f'Placement answered HTTP {exc.status_code}: {exc.details}'
        ) from exc
    try:
        return list(_providers(response))
    except (ValueError, KeyError, ksa_exceptions.ConnectionError) as exc:
        raise ServiceUnavailable(
            f'Placement sent an unreadable provider list ({exc})'
        ) from exc
    finally:
        response.close()


# --- images (Glance v2) -----------------------------------------------------

# Glance's JSON-patch media type (glance/api/v2/images.py,
# RequestDeserializer.update). With v2.1, unlike 2.0, "add" overwrites an
# existing property; "replace" and "remove" of a missing one answer 409.
IMAGE_PATCH_CONTENT_TYPE = 'application/openstack-images-v2.1-json-patch'
# Glance's [DEFAULT] api_limit_max default: the most images one page holds.
IMAGE_PAGE_SIZE = 1000


class ImageNotFound(LookupError):
    pass


class ImageAmbiguous(LookupError):
    pass


def _image_url(image_id: str) -> str:
    return '/images/' + urllib.parse.quote(image_id, safe='')


def _images(conn, query: dict[str, object]) -> list[dict]:
    """Every image a listing with ``query`` gives, following each page.

    Glance sets ``next`` while more images may follow; the next page is
    asked for with the last image as marker on our own endpoint.
    """
    images: list[dict] = []
    query = {**query, 'limit': IMAGE_PAGE_SIZE}
    while True:
        body = _check(
            conn.image.get('/images?' + urllib.parse.urlencode(query))
        )
        page = body.get('images', [])
        images.extend(page)
        if not page or not body.get('next'):
            return images
        query['marker'] = page[-1]['id']


def _is_uuid(value: str) -> bool:
    # Glance's image schema makes every image ID a UUID, so other values
    # can only be names.
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def find_images(conn, names_or_ids: list[str]) -> list[dict]:
    """Resolve images by ID or name, as ``openstack image set`` does.

    A UUID is first tried as an ID; names are looked up with Glance's
    ``name`` filter. Each image is its Glance v2 body, with the properties
    at the top level. Raises ImageNotFound or ImageAmbiguous.
    """
    found: dict[str, dict] = {}
    for value in dict.fromkeys(names_or_ids):
        if _is_uuid(value):
            response = conn.image.get(_image_url(value))
            if response.status_code != 404:
                found[value] = _check(response)
                continue
        found[value] = _only_match(
            'image',
            value,
            _images(conn, {'name': value}),
            ImageNotFound,
            ImageAmbiguous,
        )
    return [found[v] for v in names_or_ids]


def patch_image(conn, image_id: str, ops: list[dict[str, str]]) -> dict:
    """Apply JSON-patch ``ops`` to an image in one request; its new body."""
    return _check(
        conn.image.patch(
            _image_url(image_id),
            json=ops,
            headers={'Content-Type': IMAGE_PATCH_CONTENT_TYPE},
        )
    )


# GET /servers/detail embeds each server's flavor, with its extra_specs and
# original_name, from 2.47: the copy the guest runs with, even if the
# flavor changed or was deleted since. From 2.98 the embedded image
# carries its properties (hw_maxphysaddr_* among them). 2.98 is asked for
# and negotiated down; below 2.47 servers cannot be read usefully.
SERVER_MICROVERSION = '2.98'
SERVER_FLAVOR_EMBEDDED = (2, 47)
SERVER_IMAGE_PROPERTIES = (2, 98)

_HOST = 'OS-EXT-SRV-ATTR:host'
_NODE = 'OS-EXT-SRV-ATTR:hypervisor_hostname'


class PolicyHidesData(Exception):
    """The cloud's policy hides from the caller what a command needs."""


def _slim_server(server: dict) -> dict:
    """What the commands read of a server's detail view.

    A detail view at 2.98 is ~3 KiB of Python objects; 50,000 of them
    would dominate a listing's memory. The flavor keeps only its name,
    RAM and the extra specs its verdict reads (maxphysaddr keys, PCI
    aliases; None when the policy hides extra specs), the image only the
    properties its verdict reads (core.IMAGE_PROPERTIES).
    """
    flavor = server.get('flavor') or {}
    specs = flavor.get('extra_specs')
    image = server.get('image')
    properties = image.get('properties') if isinstance(image, dict) else None
    return {
        'id': server['id'],
        'name': server.get('name'),
        'status': server.get('status'),
        'project_id': server.get('tenant_id'),
        'host': server.get(_HOST),
        'node': server.get(_NODE),
        'has_host_fields': _NODE in server,
        'flavor': flavor.get('original_name'),
        'ram': flavor.get('ram'),
        'extra_specs': (
            None
            if specs is None
            else {k: v for k, v in specs.items() if k in core.SERVER_SPEC_KEYS}
        ),
        'image_properties': (
            None
            if properties is None
            else {
                k: v
                for k, v in properties.items()
                if k in core.IMAGE_PROPERTIES
            }
        ),
    }


def list_servers(
    conn,
    host: str | None = None,
    node: str | None = None,
    project_id: str | None = None,
) -> tuple[list[dict], str]:
    """Every server of every project (or on ``host``/``node``, in
    ``project_id``), slimmed, with the microversion they were read at.

    ``host`` is Nova's exact match on the compute service host, ``node``
    on the hypervisor hostname; both and ``all_tenants`` are admin-only.
    Pages of at most [api]max_limit servers are followed with the marker
    on our own endpoint. Raises PolicyHidesData when the servers come
    without their hosts or their flavors' extra specs.
    """
    compute = conn.compute
    microversion = negotiate(compute, SERVER_MICROVERSION)
    if version_tuple(microversion) < SERVER_FLAVOR_EMBEDDED:
        raise NoUsableMicroversion(
            f'the compute API of this cloud stops at microversion '
            f'{microversion}; servers embed their flavors only from 2.47'
        )
    query: dict[str, object] = {'all_tenants': 1, 'limit': PAGE_SIZE}
    for name, value in (
        ('host', host),
        ('node', node),
        ('project_id', project_id),
    ):
        if value is not None:
            query[name] = value
    servers: list[dict] = []
    while True:
        body = _check(
            compute.get(
                '/servers/detail?' + urllib.parse.urlencode(query),
                microversion=microversion,
                log=_bodies_logged(),
            )
        )
        page = body.get('servers', [])
        for server in page:
            slim = _slim_server(server)
            if slim['extra_specs'] is None:
                raise PolicyHidesData(
                    "the cloud's policy hides flavor extra specs from you "
                    '(os_compute_api:os-flavor-extra-specs:index), so '
                    "servers' maxphysaddr configurations cannot be read"
                )
            if not slim.pop('has_host_fields'):
                raise PolicyHidesData(
                    "the cloud's policy hides the servers' hosts from you "
                    '(os_compute_api:os-extended-server-attributes)'
                )
            servers.append(slim)
        if not page or not body.get('servers_links'):
            return servers, microversion
        query['marker'] = page[-1]['id']


def find_project_id(conn, name_or_id: str) -> str:
    """A project's ID: ``name_or_id`` itself when it looks like one, else
    one Identity lookup by name."""
    text = name_or_id.strip().replace('-', '')
    if len(text) == 32 and all(c in '0123456789abcdef' for c in text):
        return name_or_id
    return conn.identity.find_project(name_or_id, ignore_missing=False).id
