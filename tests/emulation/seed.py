"""Deterministic seeding of flavors, hypervisors and resource providers.

The hypervisor mix (for ``n`` hosts, by position ``i``; fixed, no RNG):

* ~3% (every 32nd) have ``cpu_info`` without a ``maxphysaddr`` key
  (libvirt older than 8.7.0 does not report it);
* ~1% (every 97th) have malformed-but-valid-JSON cpu_info
  (``maxphysaddr`` with bits as a non-numeric string, or ``maxphysaddr``
  not a dict); Nova serves those as they are;
* the rest report ``maxphysaddr = {"mode": "emulate", "bits": b}`` with
  ``b`` cycling through ``BITS``;
* every 50th is down and every 40th is disabled (with a reason);
* placement: every 10th provider has ``COMPUTE_ADDRESS_SPACE_PASSTHROUGH``
  (plus EMULATED), every 25th none of the two traits, the rest EMULATED.

Use ``Hypervisor.cpu_info = '<not json>'`` for a corrupt row: Nova then
answers 500 at 2.28+, as it would.
"""

import ipaddress
from typing import Any

import os_traits

from tests.emulation.servers import Server
from tests.emulation.state import CloudState
from tests.emulation.state import Flavor
from tests.emulation.state import Hypervisor
from tests.emulation.state import ResourceProvider
from tests.emulation.state import stable_uuid

BITS = (39, 40, 42, 43, 46, 48, 52)

_BASE_TRAITS = frozenset(
    {
        os_traits.HW_CPU_X86_AVX2,
        os_traits.HW_CPU_X86_SSE42,
        os_traits.COMPUTE_VOLUME_MULTI_ATTACH,
        os_traits.COMPUTE_NET_ATTACH_INTERFACE,
    }
)


def libvirt_cpu_info(bits: int | None = 46) -> dict[str, Any]:
    """cpu_info as nova/virt/libvirt/driver.py _get_cpu_info builds it."""
    info: dict[str, Any] = {
        'arch': 'x86_64',
        'model': 'Cascadelake-Server-noTSX',
        'vendor': 'Intel',
        'topology': {'cells': 2, 'sockets': 1, 'cores': 16, 'threads': 2},
        'features': sorted(
            [
                'aes',
                'avx',
                'avx2',
                'avx512f',
                'fma',
                'pcid',
                'pdpe1gb',
                'sse4.2',
                'ssse3',
                'vmx',
                'x2apic',
                'xsave',
            ]
        ),
    }
    if bits is not None:
        info['maxphysaddr'] = {'mode': 'emulate', 'bits': bits}
    return info


def add_flavor(
    state: CloudState,
    name: str,
    *,
    ram: int = 2048,
    vcpus: int = 2,
    disk: int = 20,
    flavor_id: str | None = None,
    is_public: bool = True,
    description: str | None = None,
    extra_specs: dict[str, Any] | None = None,
) -> Flavor:
    flavor = Flavor(
        id=flavor_id or stable_uuid('flavor', len(state.flavors) + 1),
        name=name,
        ram=ram,
        vcpus=vcpus,
        disk=disk,
        is_public=is_public,
        description=description,
        extra_specs=dict(extra_specs or {}),
    )
    return state.add_flavor(flavor)


def add_flavors(state: CloudState, m: int) -> list[Flavor]:
    """``m`` flavors named ``m1.flavor-NNNN`` with growing sizes."""
    return [
        add_flavor(
            state,
            f'm1.flavor-{i:04d}',
            ram=512 * (1 + i % 64),
            vcpus=1 + i % 32,
            disk=10 * (1 + i % 20),
        )
        for i in range(1, m + 1)
    ]


def seeded_bits(i: int) -> int | None:
    """The width the ``i``-th host of :func:`add_hypervisors` was seeded
    with: None for the hosts seeded without one or with a malformed one."""
    if i % 97 == 0 or i % 32 == 0:
        return None
    return BITS[i % len(BITS)]


def _cpu_info_for(i: int) -> dict[str, Any] | str | None:
    if i % 97 == 0:
        info = libvirt_cpu_info(None)
        info['maxphysaddr'] = (
            {'mode': 'emulate', 'bits': 'forty-six'} if i % 2 else 'emulate'
        )
        return info
    if i % 32 == 0:
        return libvirt_cpu_info(None)
    return libvirt_cpu_info(seeded_bits(i))


def _traits_for(i: int) -> set[str]:
    traits = set(_BASE_TRAITS)
    if i % 25 == 0:
        return traits
    traits.add(os_traits.COMPUTE_ADDRESS_SPACE_EMULATED)
    if i % 10 == 0:
        traits.add(os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH)
    return traits


def make_hypervisor(
    i: int,
    *,
    cpu_info: dict[str, Any] | str | None = None,
    state: str = 'up',
    status: str = 'enabled',
) -> Hypervisor:
    """The ``i``-th compute node (1-based), ``compute-NNNNN``."""
    host = f'compute-{i:05d}'
    return Hypervisor(
        id=i,
        uuid=stable_uuid('compute-node', i),
        hypervisor_hostname=f'{host}.cloud.example.org',
        host=host,
        host_ip=str(ipaddress.IPv4Address('10.0.0.0') + i),
        service_id=i + 2,
        service_uuid=stable_uuid('service', i),
        state=state,
        status=status,
        disabled_reason='maintenance' if status == 'disabled' else None,
        cpu_info=cpu_info,
        vcpus_used=i % 48,
        memory_mb_used=512 + 2048 * (i % 64),
        local_gb_used=20 * (i % 30),
        running_vms=i % 24,
    )


def add_hypervisors(
    state: CloudState, n: int, *, start: int = 1, providers: bool = True
) -> list[Hypervisor]:
    """Add ``n`` hypervisors (ids ``start``..) and their providers."""
    hyps = []
    rps = []
    for i in range(start, start + n):
        hyp = make_hypervisor(
            i,
            cpu_info=_cpu_info_for(i),
            state='down' if i % 50 == 0 else 'up',
            status='disabled' if i % 40 == 0 else 'enabled',
        )
        hyps.append(hyp)
        if providers:
            rps.append(
                ResourceProvider(
                    uuid=hyp.uuid,
                    name=hyp.hypervisor_hostname,
                    generation=1 + i % 7,
                    traits=_traits_for(i),
                )
            )
    state.add_hypervisors(hyps)
    with state.lock:
        for rp in rps:
            state.resource_providers[rp.uuid] = rp
    return hyps


def add_hypervisor(
    state: CloudState,
    i: int,
    *,
    cpu_info: dict[str, Any] | str | None,
    traits: set[str] | None = None,
    state_: str = 'up',
    status: str = 'enabled',
) -> Hypervisor:
    """One hypervisor with exactly the given cpu_info and traits."""
    hyp = make_hypervisor(i, cpu_info=cpu_info, state=state_, status=status)
    state.add_hypervisors([hyp])
    state.add_resource_provider(
        ResourceProvider(
            uuid=hyp.uuid,
            name=hyp.hypervisor_hostname,
            traits=set(traits or ()),
        )
    )
    return hyp


def standard_cloud(
    n_hypervisors: int = 10, n_flavors: int = 0, **config: Any
) -> CloudState:
    """A CloudState with the usual flavors plus generated ones and hosts."""
    state = CloudState()
    for key, value in config.items():
        setattr(state.config, key, value)
    add_flavor(state, 'm1.small', ram=2048, vcpus=1, disk=20, flavor_id='2')
    add_flavor(state, 'm1.medium', ram=4096, vcpus=2, disk=40, flavor_id='3')
    add_flavor(
        state,
        'm1.large',
        ram=8192,
        vcpus=4,
        disk=80,
        flavor_id='4',
        extra_specs={'hw:cpu_policy': 'dedicated'},
    )
    add_flavor(
        state,
        'private.xl',
        ram=16384,
        vcpus=8,
        disk=160,
        flavor_id='5',
        is_public=False,
    )
    add_flavors(state, n_flavors)
    add_hypervisors(state, n_hypervisors)
    return state


# -- servers ----------------------------------------------------------------

EMULATE_SPECS = {
    'hw:maxphysaddr_mode': 'emulate',
    'trait:COMPUTE_ADDRESS_SPACE_EMULATED': 'required',
}
PASSTHROUGH_SPECS = {
    'hw:maxphysaddr_mode': 'passthrough',
    'trait:COMPUTE_ADDRESS_SPACE_PASSTHROUGH': 'required',
}


def emulate_specs(bits: int) -> dict[str, str]:
    """The extra specs ``flavor maxphysaddr set --mode emulate`` writes."""
    return {
        **EMULATE_SPECS,
        'hw:maxphysaddr_bits': str(bits),
        'capabilities:cpu_info:maxphysaddr:bits': f'>= {bits}',
    }


def add_server(
    state: CloudState,
    name: str,
    hypervisor: Hypervisor | None,
    *,
    flavor: Flavor | None = None,
    extra_specs: dict[str, str] | None = None,
    ram: int = 2048,
    image_properties: dict[str, Any] | None = None,
    project: str = 'admin',
    volume_backed: bool = False,
) -> Server:
    """One server on ``hypervisor`` (None: on no host, e.g. shelved).

    Its embedded flavor is a copy of ``flavor`` (or one made of
    ``extra_specs`` and ``ram``), as Nova keeps it in instance_extra. A
    ``volume_backed`` server boots from a volume: it has no image, and
    Nova shows its image as ``""``.
    """
    n = len(state.servers) + 1
    user = next(
        (u for u in state.users.values() if u.project_name == project), None
    )
    project_id = user.project_id if user else stable_uuid('project', n)
    server = Server(
        id=stable_uuid('server', n),
        name=name,
        project_id=project_id,
        user_id=user.id if user else stable_uuid('user', n),
        host=hypervisor.host if hypervisor else None,
        node=hypervisor.hypervisor_hostname if hypervisor else None,
        flavor_id=flavor.id if flavor else stable_uuid('server-flavor', n),
        flavor_name=flavor.name if flavor else f'flavor-of-{name}',
        ram=flavor.ram if flavor else ram,
        extra_specs=dict(
            flavor.extra_specs if flavor else (extra_specs or {})
        ),
        image_properties=dict(image_properties or {}),
        created=f'2026-01-01T00:00:00.{n:06d}Z',
    )
    if volume_backed:
        server.image_id = None
        server.image_properties = {}
    state.add_servers([server])
    return server


def add_servers(state: CloudState, n: int) -> list[Server]:
    """``n`` servers spread over the hypervisors, a fixed mix:

    every 3rd with an emulated width (40, 42 or 46 bits), every 7th with
    passthrough, every 11th configured by its image only (2.98), the rest
    not configured; two projects. Built in one go (fast at 50,000).
    """
    hyps = state.hypervisors
    users = [state.users['admin'], state.users['member']]
    servers = []
    start = len(state.servers)
    for i in range(start + 1, start + n + 1):
        hyp = hyps[i % len(hyps)] if hyps else None
        specs: dict[str, str] = {}
        image: dict[str, Any] = {}
        if i % 3 == 0:
            specs = emulate_specs((40, 42, 46)[i // 3 % 3])
        elif i % 7 == 0:
            specs = dict(PASSTHROUGH_SPECS)
        elif i % 11 == 0:
            image = {'hw_maxphysaddr_mode': 'passthrough'}
        user = users[i % 2]
        servers.append(
            Server(
                id=stable_uuid('server', i),
                name=f'vm-{i:06d}',
                project_id=user.project_id,
                user_id=user.id,
                host=hyp.host if hyp else None,
                node=hyp.hypervisor_hostname if hyp else None,
                flavor_id=str(1 + i % 4),
                flavor_name=f'm1.flavor-{i % 4:04d}',
                ram=2048 * (1 + i % 4),
                extra_specs=specs,
                image_properties=image,
                created=f'2026-01-01T00:00:00.{i:06d}Z',
            )
        )
    state.add_servers(servers)
    return servers
