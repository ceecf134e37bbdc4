"""Data model of the emulated cloud: what the services serve and remember.

Everything the HTTP handlers read or change lives in one ``CloudState``
guarded by one re-entrant lock.  Handlers take ``state.lock`` for the whole
of a request, so tests can read and change the state between requests
without races.
"""

import dataclasses
import json
import re
import threading
import uuid
from typing import Any

from tests.emulation.servers import Server

# Nova's CONF.api.max_limit default.
DEFAULT_MAX_LIMIT = 1000
# Nova API microversion window served by default (2023.2 "Bobcat" .. 2.96).
DEFAULT_COMPUTE_MIN_VERSION = '2.1'
DEFAULT_COMPUTE_MAX_VERSION = '2.96'
# Placement microversion window (placement/microversion.py VERSIONS).
DEFAULT_PLACEMENT_MIN_VERSION = '1.0'
DEFAULT_PLACEMENT_MAX_VERSION = '1.39'

DEFAULT_PASSWORD = 'secret'  # noqa: S105 - a throw-away test credential
DEFAULT_DOMAIN_ID = 'default'
DEFAULT_DOMAIN_NAME = 'Default'


def stable_uuid(namespace: str, n: int) -> str:
    """A deterministic UUID string for the ``n``-th object of a kind."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f'emulation:{namespace}:{n}'))


@dataclasses.dataclass
class Flavor:
    id: str
    name: str
    ram: int
    vcpus: int
    disk: int
    ephemeral: int = 0
    swap: int = 0
    rxtx_factor: float = 1.0
    is_public: bool = True
    disabled: bool = False
    description: str | None = None
    extra_specs: dict[str, Any] = dataclasses.field(default_factory=dict)
    # Project ids granted access to a private flavor.
    projects: set[str] = dataclasses.field(default_factory=set)


@dataclasses.dataclass
class Hypervisor:
    """A compute node joined with its nova-compute service record.

    ``cpu_info`` is what the libvirt driver stores (a dict, serialised to
    JSON as Nova does), ``None``, or a raw string kept verbatim (use that to
    emulate a corrupt database row).
    """

    id: int
    uuid: str
    hypervisor_hostname: str
    host: str
    host_ip: str
    service_id: int
    service_uuid: str
    state: str = 'up'
    status: str = 'enabled'
    disabled_reason: str | None = None
    hypervisor_type: str = 'QEMU'
    hypervisor_version: int = 8002000
    vcpus: int = 64
    vcpus_used: int = 0
    memory_mb: int = 262144
    memory_mb_used: int = 512
    local_gb: int = 1800
    local_gb_used: int = 0
    disk_available_least: int = 1700
    running_vms: int = 0
    current_workload: int = 0
    cpu_info: dict[str, Any] | str | None = None
    # What `uptime` prints on the host (libvirt driver get_host_uptime).
    uptime: str | None = (
        ' 10:00:00 up 12 days,  3:04,  0 users,  '
        'load average: 0.10, 0.20, 0.30'
    )

    @property
    def cpu_info_text(self) -> str | None:
        """The cpu_info column as the compute_nodes table holds it."""
        if self.cpu_info is None or isinstance(self.cpu_info, str):
            return self.cpu_info
        return json.dumps(self.cpu_info)


@dataclasses.dataclass
class ResourceProvider:
    uuid: str
    name: str
    generation: int = 1
    traits: set[str] = dataclasses.field(default_factory=set)
    parent_provider_uuid: str | None = None

    @property
    def root_provider_uuid(self) -> str:
        return self.parent_provider_uuid or self.uuid


@dataclasses.dataclass
class Image:
    """A Glance image record; ``properties`` are its additional ones."""

    id: str
    name: str | None
    owner: str  # project id
    visibility: str = 'public'
    status: str = 'active'
    protected: bool = False
    properties: dict[str, str] = dataclasses.field(default_factory=dict)
    created_at: str = '2026-01-01T00:00:00Z'
    updated_at: str = '2026-01-01T00:00:00Z'


@dataclasses.dataclass
class User:
    name: str
    id: str
    password: str
    project_name: str
    project_id: str
    roles: list[str]

    @property
    def is_admin(self) -> bool:
        return 'admin' in self.roles


@dataclasses.dataclass
class Fault:
    method: str
    path_regex: str
    status: int
    times: int
    message: str

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ('*', method)) and bool(
            re.search(self.path_regex, path)
        )


@dataclasses.dataclass
class Config:
    compute_min_version: str = DEFAULT_COMPUTE_MIN_VERSION
    compute_max_version: str = DEFAULT_COMPUTE_MAX_VERSION
    placement_min_version: str = DEFAULT_PLACEMENT_MIN_VERSION
    placement_max_version: str = DEFAULT_PLACEMENT_MAX_VERSION
    placement_in_catalog: bool = True
    max_limit: int = DEFAULT_MAX_LIMIT
    latency_ms: float = 0.0
    region: str = 'RegionOne'
    # A policy that hides flavor extra specs (embedded in servers) from
    # the caller: os_compute_api:os-flavor-extra-specs:index.
    hide_server_extra_specs: bool = False


class CloudState:
    """Flavors, hypervisors, providers, users, config and injected faults."""

    def __init__(self, config: Config | None = None) -> None:
        self.lock = threading.RLock()
        self.config = config or Config()
        self.flavors: dict[str, Flavor] = {}
        # Kept sorted by integer id (Nova pages compute nodes by id).
        self._hypervisors: list[Hypervisor] = []
        self._hv_index_by_id: dict[int, int] = {}
        self._hv_index_by_uuid: dict[str, int] = {}
        self.resource_providers: dict[str, ResourceProvider] = {}
        self.custom_traits: set[str] = set()
        self.users: dict[str, User] = {}
        self.faults: list[Fault] = []
        # Glance images by id, in creation order.
        self.images: dict[str, Image] = {}
        self._clock = 0
        # Issued Keystone tokens: token id -> user name.
        self.tokens: dict[str, str] = {}
        # Bumped on every hypervisor change; serialisation caches key on it.
        self.hypervisor_revision = 0
        # Oldest first (Nova lists newest first); see add_servers.
        self.servers: list[Server] = []
        self.server_revision = 0
        self.add_user('admin', roles=['admin', 'member', 'reader'])
        self.add_user(
            'member', project_name='demo', roles=['member', 'reader']
        )

    # -- users ------------------------------------------------------------
    def add_user(
        self,
        name: str,
        *,
        password: str = DEFAULT_PASSWORD,
        project_name: str = 'admin',
        roles: list[str] | None = None,
    ) -> User:
        user = User(
            name=name,
            id=uuid.uuid5(uuid.NAMESPACE_URL, f'user:{name}').hex,
            password=password,
            project_name=project_name,
            project_id=uuid.uuid5(
                uuid.NAMESPACE_URL, f'project:{project_name}'
            ).hex,
            roles=list(roles or ['member', 'reader']),
        )
        with self.lock:
            self.users[name] = user
        return user

    # -- flavors ----------------------------------------------------------
    def add_flavor(self, flavor: Flavor) -> Flavor:
        with self.lock:
            self.flavors[flavor.id] = flavor
        return flavor

    def flavor_by_name(self, name: str) -> Flavor:
        with self.lock:
            for flavor in self.flavors.values():
                if flavor.name == name:
                    return flavor
        raise KeyError(name)

    # -- hypervisors ------------------------------------------------------
    @property
    def hypervisors(self) -> list[Hypervisor]:
        """Hypervisors in id order (a copy of the list; items are live)."""
        with self.lock:
            return list(self._hypervisors)

    def add_hypervisors(self, hypervisors: list[Hypervisor]) -> None:
        with self.lock:
            self._hypervisors.extend(hypervisors)
            self._hypervisors.sort(key=lambda h: h.id)
            self._reindex()

    def remove_hypervisor(self, hypervisor_id: int) -> None:
        with self.lock:
            self._hypervisors = [
                h for h in self._hypervisors if h.id != hypervisor_id
            ]
            self._reindex()

    def hypervisor_changed(self) -> None:
        """Call after mutating a Hypervisor in place (drops JSON caches)."""
        with self.lock:
            self.hypervisor_revision += 1

    def _reindex(self) -> None:
        self._hv_index_by_id = {
            h.id: i for i, h in enumerate(self._hypervisors)
        }
        self._hv_index_by_uuid = {
            h.uuid: i for i, h in enumerate(self._hypervisors)
        }
        self.hypervisor_revision += 1

    def hypervisor_position(self, key: str) -> int | None:
        """Index in id order of the node whose id or uuid is ``key``."""
        if key in self._hv_index_by_uuid:
            return self._hv_index_by_uuid[key]
        if key.isdigit():
            return self._hv_index_by_id.get(int(key))
        return None

    def hypervisor_slice(self, start: int, stop: int | None) -> list:
        return self._hypervisors[start:stop]

    def hypervisor_count(self) -> int:
        return len(self._hypervisors)

    # -- servers ----------------------------------------------------------
    def add_servers(self, servers: list[Server]) -> None:
        with self.lock:
            self.servers.extend(servers)
            self.server_revision += 1

    # -- placement --------------------------------------------------------
    def add_resource_provider(self, rp: ResourceProvider) -> ResourceProvider:
        with self.lock:
            self.resource_providers[rp.uuid] = rp
            self.custom_traits.update(
                t for t in rp.traits if t.startswith('CUSTOM_')
            )
        return rp

    # -- images -----------------------------------------------------------
    def add_image(
        self,
        name: str | None,
        properties: dict[str, str] | None = None,
        *,
        owner_user: str = 'admin',
        visibility: str = 'public',
        image_id: str | None = None,
    ) -> Image:
        with self.lock:
            stamp = self.next_timestamp()
            image = Image(
                id=image_id or stable_uuid('image', len(self.images)),
                name=name,
                owner=self.users[owner_user].project_id,
                visibility=visibility,
                properties=dict(properties or {}),
                created_at=stamp,
                updated_at=stamp,
            )
            self.images[image.id] = image
        return image

    def image_by_name(self, name: str) -> Image:
        with self.lock:
            for image in self.images.values():
                if image.name == name:
                    return image
        raise KeyError(name)

    def next_timestamp(self) -> str:
        """A later timestamp on each call, as Glance writes them."""
        with self.lock:
            self._clock += 1
            minutes, seconds = divmod(self._clock, 60)
            return f'2026-01-01T00:{minutes:02d}:{seconds:02d}Z'

    # -- faults -----------------------------------------------------------
    def inject_fault(
        self,
        method: str,
        path_regex: str,
        status: int,
        times: int = 1,
        message: str | None = None,
    ) -> Fault:
        """Fail the next ``times`` requests whose path matches the regex.

        ``method`` may be ``'*'``.  The path is the full request path
        without the query string (e.g. ``/compute/v2.1/flavors/detail``).
        The error body is shaped like the owning service's errors.
        """
        fault = Fault(
            method=method.upper() if method != '*' else '*',
            path_regex=path_regex,
            status=status,
            times=times,
            message=message or f'Injected fault ({status})',
        )
        with self.lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.matches(method, path):
                    fault.times -= 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                    return fault
        return None
