"""The deterministic mix of seeded hypervisors (pure: no I/O).

Host ``i`` gets profile ``PROFILES[i % len(PROFILES)]``, so any count from
3 up has emulated, passthrough and trait-less hosts, and from 10 up every
profile. Its hostname is ``mpa<i:05d>.devcloud`` and its compute node
uuid is a uuid5 of that name, so a re-seed yields the same hosts.

Each host also gets a CPU vendor and model (:data:`CPUS`).

Real libvirt hosts report both traits when libvirt >= 8.7.0 and their
``maxphysaddr`` from the host CPU capabilities; the one-trait and
bits-without-trait rows are there so listings meet every combination.
"""

import dataclasses
import uuid

import os_traits

EMULATED = os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
PASSTHROUGH = os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH
BOTH = (EMULATED, PASSTHROUGH)

NAMESPACE = uuid.UUID('6c1f4a52-3d0e-4c55-9a3e-2f8b1d7c0a10')


@dataclasses.dataclass(frozen=True)
class Profile:
    mode: str | None  # cpu_info maxphysaddr mode; None: no maxphysaddr
    bits: int | None
    traits: tuple[str, ...]
    state: str  # 'up' | 'down' (down = service forced down)
    status: str  # 'enabled' | 'disabled'


PROFILES = (
    Profile('emulate', 39, BOTH, 'up', 'enabled'),
    Profile('passthrough', 40, BOTH, 'up', 'enabled'),
    Profile('emulate', 42, (EMULATED,), 'up', 'enabled'),
    Profile('passthrough', 46, (PASSTHROUGH,), 'up', 'enabled'),
    Profile('emulate', 48, BOTH, 'down', 'enabled'),
    Profile(None, None, (), 'up', 'enabled'),
    Profile('emulate', 46, BOTH, 'up', 'disabled'),
    Profile('passthrough', 48, (), 'up', 'enabled'),
    Profile(None, None, (), 'down', 'disabled'),
    Profile('passthrough', 39, BOTH, 'up', 'enabled'),
)


#: CPU (vendor, model) of host ``i``: ``CPUS[i // len(PROFILES) % 3]``, so
#: from 30 hosts up every profile meets every CPU (passthrough guests may
#: only move between hosts of the same CPU).
CPUS = (
    ('Intel', 'Cascadelake-Server-noTSX'),
    ('AMD', 'EPYC-Milan'),
    ('Intel', 'Icelake-Server'),
)


def cpu(index):
    return CPUS[index // len(PROFILES) % len(CPUS)]


def hostname(index):
    return f'mpa{index:05d}.devcloud'


def host(index):
    """The manifest entry of host ``index``."""
    profile = PROFILES[index % len(PROFILES)]
    name = hostname(index)
    maxphysaddr = (
        {'mode': profile.mode, 'bits': profile.bits} if profile.mode else None
    )
    return {
        'index': index,
        'hostname': name,
        'uuid': str(uuid.uuid5(NAMESPACE, name)),
        'service_uuid': str(uuid.uuid5(NAMESPACE, 'service:' + name)),
        'maxphysaddr': maxphysaddr,
        'bits': profile.bits,
        'traits': sorted(profile.traits),
        'state': profile.state,
        'status': profile.status,
        'vendor': cpu(index)[0],
        'model': cpu(index)[1],
    }


def plan(count):
    """Manifest entries of hosts ``0 .. count-1``."""
    return [host(i) for i in range(count)]
