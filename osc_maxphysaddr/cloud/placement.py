"""Placement: which resource providers hold a trait.

Read as a stream: for 20,000 hosts the provider list is about 16 MiB of
JSON, of which only each provider's UUID and name are kept.
"""

from __future__ import annotations

import codecs
import json
import urllib.parse
from collections.abc import Iterator
from typing import Any
from typing import NamedTuple

from keystoneauth1 import exceptions as ksa_exceptions
from openstack import connection
from openstack import exceptions as sdk_exceptions

from osc_maxphysaddr.cloud import http

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


class Provider(NamedTuple):
    """What is kept of a resource provider: how Placement knows a host."""

    uuid: str
    name: str | None


class ServiceUnavailable(http.CloudError):
    """A service the command can do without is missing or failing."""


def _providers(response: Any) -> Iterator[Provider]:
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
        yield Provider(provider['uuid'], provider.get('name'))


def providers_with_trait(
    conn: connection.Connection, trait: str
) -> list[Provider]:
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
            log=http.bodies_logged(),
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
