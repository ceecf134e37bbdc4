"""What every cloud call shares: microversions, answers, pages, lookups.

A user's ``--os-compute-api-version`` applies to every SDK compute call, and
the maxphysaddr feature only works at some microversions, so every call
goes through a proxy's own ``get``/``post``/``delete``/``patch`` with an
explicit ``microversion=``, negotiated down to what the cloud offers
(:func:`negotiate`). Bodies are used as the JSON they come in: at thousands
of hypervisors, building SDK resource objects costs more than the HTTP.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Iterator
from typing import Any

from openstack import exceptions as sdk_exceptions
from openstack import proxy as sdk_proxy
from openstack import utils as sdk_utils

#: A resource as the cloud's JSON holds it.
Body = dict[str, Any]


class CloudError(Exception):
    """A failure of the cloud layer's own; its message is for the user."""


class NoUsableMicroversion(CloudError):
    """The cloud offers no microversion at which a call works."""


def version_tuple(version: str) -> tuple[int, int]:
    major, _, minor = version.partition('.')
    return int(major), int(minor or 0)


def _text(version: str | tuple[int | float, ...]) -> str:
    if isinstance(version, str):
        return version
    return '.'.join(str(part) for part in version)


def negotiate(proxy: sdk_proxy.Proxy, wanted: str) -> str:
    """``wanted`` or, on older clouds, the newest microversion they offer.

    A cloud that announces no microversions gets the service's first one.
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


def bodies_logged() -> bool:
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


def check(response: Any) -> Body:
    """The JSON body of a successful answer; raise the SDK's error else."""
    sdk_exceptions.raise_from_response(response)
    body: Body = response.json() if response.content else {}
    return body


def resource_url(collection: str, ident: str, *parts: str) -> str:
    """``/collection/ident/parts...``, each segment quoted.

    An ID may hold a '/' (Nova's flavor IDs are free text); a part keeps
    its ':' (``hw:maxphysaddr_bits``), as Nova's routes take it.
    """
    segments = [urllib.parse.quote(ident, safe='')]
    segments += [urllib.parse.quote(p, safe=':') for p in parts]
    return f'/{collection}/' + '/'.join(segments)


def pages(
    proxy: sdk_proxy.Proxy,
    url: str,
    query: dict[str, object],
    items_key: str,
    next_key: str | None,
    microversion: str | None = None,
) -> Iterator[list[Body]]:
    """Each page of a listing, as long as the service says more follow.

    ``next_key`` is where the service says so (Nova's ``servers_links``,
    Glance's ``next``); None reads one page (Nova's hypervisors below
    2.33). The next page is asked for with the last item's ID as marker on
    our own endpoint, since a next link's host may be wrong behind a
    proxy. A short page with a next link is followed too: the service's
    own page limit may be below the ``limit`` asked for.
    """
    query = dict(query)
    extra: dict[str, object] = {'log': bodies_logged()}
    if microversion is not None:
        extra['microversion'] = microversion
    while True:
        full_url = url
        if query:
            full_url += '?' + urllib.parse.urlencode(query)
        body = check(proxy.get(full_url, **extra))
        page: list[Body] = body.get(items_key, [])
        yield page
        if next_key is None or not page or not body.get(next_key):
            return
        query['marker'] = page[-1]['id']


def only_match(
    kind: str,
    value: str,
    matches: list[Body],
    not_found: type[CloudError],
    ambiguous: type[CloudError],
) -> Body:
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
