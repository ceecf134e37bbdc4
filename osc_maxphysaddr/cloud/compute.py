"""Nova: flavors and their extra specs, hypervisors, servers.

Each call names its microversion (negotiated down, see
:func:`.http.negotiate`) and why; the listings keep only the fields the
commands read (:func:`_slim`, :func:`_slim_server`).
"""

from __future__ import annotations

from openstack import connection

from osc_maxphysaddr import core
from osc_maxphysaddr.cloud import http
from osc_maxphysaddr.cloud.http import Body

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

# GET /servers/detail embeds each server's flavor, with its extra_specs and
# original_name, from 2.47: the copy the guest runs with, even if the
# flavor changed or was deleted since. From 2.98 the embedded image
# carries its properties (hw_maxphysaddr_* among them). 2.98 is asked for
# and negotiated down; below 2.47 servers cannot be read usefully.
SERVER_MICROVERSION = '2.98'
SERVER_FLAVOR_EMBEDDED = (2, 47)
SERVER_IMAGE_PROPERTIES = (2, 98)

# Nova's [api]max_limit default: the most items one response holds.
PAGE_SIZE = 1000


class FlavorNotFound(http.CloudError):
    pass


class FlavorAmbiguous(http.CloudError):
    pass


class PolicyHidesData(http.CloudError):
    """The cloud's policy hides from the caller what a command needs."""


# --- flavors ----------------------------------------------------------------


def _flavor_url(flavor_id: str, *parts: str) -> str:
    return http.resource_url('flavors', flavor_id, *parts)


def _all_flavors(conn: connection.Connection, microversion: str) -> list[Body]:
    """Every flavor, private ones included, all pages followed."""
    flavors: list[Body] = []
    for page in http.pages(
        conn.compute,
        '/flavors/detail',
        {'is_public': 'None', 'limit': PAGE_SIZE},
        'flavors',
        'flavors_links',
        microversion,
    ):
        flavors.extend(page)
    return flavors


def find_flavors(
    conn: connection.Connection, names_or_ids: list[str]
) -> list[Body]:
    """Resolve flavors by ID or name, as ``openstack flavor set`` does.

    Each value is first tried as an ID; the values that are not IDs are
    then looked up by name in one listing of all flavors (private ones
    included). Raises FlavorNotFound or FlavorAmbiguous.
    """
    compute = conn.compute
    microversion = http.negotiate(compute, FLAVOR_MICROVERSION)
    found: dict[str, Body] = {}
    for value in dict.fromkeys(names_or_ids):
        response = compute.get(_flavor_url(value), microversion=microversion)
        if response.status_code != 404:
            found[value] = http.check(response)['flavor']
    missing = [v for v in names_or_ids if v not in found]
    if missing:
        flavors = _all_flavors(conn, microversion)
        for value in missing:
            found[value] = http.only_match(
                'flavor',
                value,
                [f for f in flavors if f.get('name') == value],
                FlavorNotFound,
                FlavorAmbiguous,
            )
    return [found[v] for v in names_or_ids]


def flavor_extra_specs(
    conn: connection.Connection, flavor: Body
) -> dict[str, str]:
    """A flavor's extra specs: from its body (2.61+) or os-extra_specs."""
    if 'extra_specs' in flavor:
        return dict(flavor['extra_specs'])
    body = http.check(
        conn.compute.get(
            _flavor_url(flavor['id'], 'os-extra_specs'),
            microversion=http.negotiate(conn.compute, FLAVOR_MICROVERSION),
        )
    )
    return dict(body.get('extra_specs', {}))


def all_flavors(
    conn: connection.Connection,
) -> list[tuple[Body, dict[str, str]]]:
    """Every flavor (private ones included) with its extra specs.

    One paged listing; only clouds older than 2.61, whose flavor bodies
    lack extra specs, cost one more request a flavor.
    """
    microversion = http.negotiate(conn.compute, FLAVOR_MICROVERSION)
    return [
        (flavor, flavor_extra_specs(conn, flavor))
        for flavor in _all_flavors(conn, microversion)
    ]


def set_extra_specs(
    conn: connection.Connection, flavor_id: str, specs: dict[str, str]
) -> None:
    """Create or update several extra specs in one request."""
    http.check(
        conn.compute.post(
            _flavor_url(flavor_id, 'os-extra_specs'),
            json={'extra_specs': specs},
            microversion=http.negotiate(conn.compute, FLAVOR_MICROVERSION),
        )
    )


def delete_extra_spec(
    conn: connection.Connection, flavor_id: str, key: str
) -> None:
    """Delete one extra spec (Nova's API has no bulk delete)."""
    http.check(
        conn.compute.delete(
            _flavor_url(flavor_id, 'os-extra_specs', key),
            microversion=http.negotiate(conn.compute, FLAVOR_MICROVERSION),
        )
    )


# --- hypervisors ------------------------------------------------------------

# What the commands read of a hypervisor, and of its cpu_info. A detail
# view with cpu_info is ~6 KiB of Python objects; keeping all of it for
# 20,000 hosts doubled the peak RSS of a listing.
_HYPERVISOR_FIELDS = ('id', 'hypervisor_hostname', 'state', 'status')
_CPU_INFO_FIELDS = ('maxphysaddr', 'vendor', 'model')


def _slim(hypervisor: Body) -> Body:
    slim = {k: hypervisor[k] for k in _HYPERVISOR_FIELDS if k in hypervisor}
    if 'cpu_info' in hypervisor:
        cpu_info = hypervisor['cpu_info']
        if isinstance(cpu_info, dict):
            cpu_info = {
                k: cpu_info[k] for k in _CPU_INFO_FIELDS if k in cpu_info
            }
        slim['cpu_info'] = cpu_info
    return slim


def list_hypervisors(conn: connection.Connection) -> tuple[list[Body], str]:
    """Every hypervisor's detail view, following all pages.

    Each hypervisor keeps only the fields the commands read: id,
    hypervisor_hostname, state, status and cpu_info (of which, when it is
    an object, maxphysaddr, vendor and model).

    Returns the hypervisors and the microversion they were read at. Nova
    returns at most [api]max_limit (1,000) hypervisors a response, with a
    next link whenever a page is full, so every page is followed; below
    2.33 Nova does not page hypervisors and one response holds them all.
    """
    microversion = http.negotiate(conn.compute, HYPERVISOR_MICROVERSION)
    paged = http.version_tuple(microversion) >= HYPERVISOR_PAGING
    hypervisors: list[Body] = []
    for page in http.pages(
        conn.compute,
        '/os-hypervisors/detail',
        {'limit': PAGE_SIZE} if paged else {},
        'hypervisors',
        'hypervisors_links' if paged else None,
        microversion,
    ):
        hypervisors.extend(_slim(h) for h in page)
    return hypervisors, microversion


# --- servers ----------------------------------------------------------------

_HOST = 'OS-EXT-SRV-ATTR:host'
_NODE = 'OS-EXT-SRV-ATTR:hypervisor_hostname'


def _slim_server(server: Body) -> Body:
    """What the commands read of a server's detail view.

    A detail view at 2.98 is ~3 KiB of Python objects; 50,000 of them
    would dominate a listing's memory. The flavor keeps only its name,
    RAM and the extra specs its verdict reads (maxphysaddr keys, PCI
    aliases; None when the policy hides extra specs), the image only the
    properties its verdict reads (core.IMAGE_PROPERTIES). A server that
    boots from a volume has ``"image": ""`` (Nova's views/servers.py
    ``_get_image``): it is ``volume_backed``, with no image properties.
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
        'volume_backed': image == '',
    }


def _readable(server: Body) -> Body:
    """A slimmed server; PolicyHidesData when it lacks what is judged."""
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
    return slim


def list_servers(
    conn: connection.Connection,
    host: str | None = None,
    node: str | None = None,
    project_id: str | None = None,
) -> tuple[list[Body], str]:
    """Every server of every project (or on ``host``/``node``, in
    ``project_id``), slimmed, with the microversion they were read at.

    ``host`` is Nova's exact match on the compute service host, ``node``
    on the hypervisor hostname; both and ``all_tenants`` are admin-only.
    Pages of at most [api]max_limit servers are followed. Raises
    PolicyHidesData when the servers come without their hosts or their
    flavors' extra specs.
    """
    microversion = http.negotiate(conn.compute, SERVER_MICROVERSION)
    if http.version_tuple(microversion) < SERVER_FLAVOR_EMBEDDED:
        raise http.NoUsableMicroversion(
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
    servers: list[Body] = []
    for page in http.pages(
        conn.compute,
        '/servers/detail',
        query,
        'servers',
        'servers_links',
        microversion,
    ):
        servers.extend(_readable(s) for s in page)
    return servers, microversion
