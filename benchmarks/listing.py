"""2-4. Listing hypervisors and flavors, and flavor writes, on the emulation.

The emulated cloud (``tests.emulation``: Keystone, Nova and Placement on
127.0.0.1, Nagle disabled in its handler, Nova's paging of at most 1,000
hypervisors a page with a next link also after an exactly full last page)
runs in a thread of this process; every command runs as a child process
(``openstack`` or ``python benchmarks/operator_script.py``) against a
clouds.yaml, so its wall time and peak RSS are its own, and the
emulation's request log counts what it sent.
"""

from __future__ import annotations

import collections
import json
import re
import tempfile
from pathlib import Path

from benchmarks import runner
from tests.emulation import EmulatedCloud
from tests.emulation import seed

CLOUD = 'bench'
OPERATOR_SCRIPT = Path(__file__).with_name('operator_script.py')

#: The three ways to get the hypervisor listing, in table order.
VARIANTS = {
    'plugin': ['hypervisor', 'maxphysaddr', 'list', '-f', 'json'],
    # (a) the cheapest listing a user can run: one listing, no traits.
    'stock': [
        '--os-compute-api-version',
        '2.87',
        'hypervisor',
        'list',
        '--long',
        '-f',
        'json',
    ],
    # (b) the operator's script: the listing plus one traits call a host.
    'operator': None,
}
FLAVOR_LIST = ['flavor', 'maxphysaddr', 'list', '-f', 'json']

_ID = re.compile(r'/[0-9a-f]{8}-[0-9a-f-]{27}|/[0-9]+(?=/|$)')


def request_kinds(log) -> dict[str, int]:
    """Requests by kind: auth, discovery, then API calls by route shape."""
    counts: collections.Counter = collections.Counter()
    for record in log.records:
        if record.kind != 'api':
            counts[record.kind] += 1
        else:
            route = _ID.sub('/{id}', record.route)
            counts[f'{record.service} {record.method} {route}'] += 1
    return dict(sorted(counts.items()))


def compute_pages(n: int, page: int = 1000) -> int:
    """Nova's hypervisor pages for ``n`` hosts (a full last page gets a
    next link, so one more, empty, page is read)."""
    return n // page + 1


class Emulation:
    """An emulated cloud serving in this process, and a clouds.yaml."""

    def __init__(self, state, tmp: Path):
        self.cloud = EmulatedCloud(state)
        self.tmp = tmp

    def __enter__(self) -> Emulation:
        self.cloud.start()
        path = self.cloud.write_clouds_yaml(self.tmp / 'clouds.yaml', CLOUD)
        self.env = runner.child_env(
            {'OS_CLIENT_CONFIG_FILE': str(path), 'OS_CLOUD': CLOUD}
        )
        return self

    def __exit__(self, *exc_info) -> None:
        self.cloud.stop()

    def argv(self, variant: str) -> list[str]:
        if variant == 'operator':
            return [runner.sys.executable, str(OPERATOR_SCRIPT)]
        return [str(runner.BIN / 'openstack'), *VARIANTS[variant]]

    def run(
        self, argv: list[str], timeout: float = runner.TIMEOUT_S
    ) -> tuple[runner.Run, dict[str, int]]:
        self.cloud.log.clear()
        result = runner.run(argv, self.env, timeout=timeout).check()
        if self.cloud.errors:
            raise runner.CommandFailed(
                f'the emulation failed: {self.cloud.errors[-1]!r}'
            )
        return result, request_kinds(self.cloud.log)


def _rows(result: runner.Run, expected: int | None) -> list:
    rows = json.loads(result.stdout)
    if expected is not None and len(rows) != expected:
        raise runner.CommandFailed(
            f'{" ".join(result.argv)} printed {len(rows)} rows, not {expected}'
        )
    return rows


def _summarise(walls, rss, requests) -> dict:
    return {
        'runs': len(walls),
        'wall_s': runner.median(walls),
        'peak_rss_mib': max(rss) / 1024,
        'requests': requests,
        'samples_wall_s': walls,
    }


def hypervisor_listing(
    n: int, latency_ms: float, runs: int, operator_runs: int
) -> dict:
    """The three listings of ``n`` hosts, interleaved, order rotating."""
    state = seed.standard_cloud(n, latency_ms=latency_ms)
    with (
        tempfile.TemporaryDirectory() as tmp,
        Emulation(state, Path(tmp)) as emu,
    ):
        walls = {v: [] for v in VARIANTS}
        rss = {v: [] for v in VARIANTS}
        requests = {}
        for i in range(runs):
            order = list(VARIANTS)
            order = order[i % 3 :] + order[: i % 3]
            for variant in order:
                if variant == 'operator' and i >= operator_runs:
                    continue
                result, kinds = emu.run(emu.argv(variant))
                _rows(result, n)
                runner.progress(
                    f'hypervisors N={n} latency={latency_ms:g} ms '
                    f'run {i + 1}: {variant} {result.wall_s:.2f} s'
                )
                walls[variant].append(result.wall_s)
                rss[variant].append(result.maxrss_kib)
                requests[variant] = kinds
    out = {v: _summarise(walls[v], rss[v], requests[v]) for v in VARIANTS}
    out['n'] = n
    out['latency_ms'] = latency_ms
    out['expected_compute_pages'] = compute_pages(n)
    return out


def seed_flavors(state, count: int) -> None:
    """``count`` flavors in all, every third one configured (both modes)."""
    extra = count - len(state.flavors)
    seed.add_flavors(state, extra)
    for i, flavor in enumerate(sorted(state.flavors.values(), key=_key)):
        if i % 3 != 0:
            continue
        if i % 2:
            flavor.extra_specs.update(
                {
                    'hw:maxphysaddr_mode': 'passthrough',
                    'trait:COMPUTE_ADDRESS_SPACE_PASSTHROUGH': 'required',
                }
            )
        else:
            bits = (40, 42, 46)[i // 3 % 3]
            flavor.extra_specs.update(
                {
                    'hw:maxphysaddr_mode': 'emulate',
                    'hw:maxphysaddr_bits': str(bits),
                    'trait:COMPUTE_ADDRESS_SPACE_EMULATED': 'required',
                    'capabilities:cpu_info:maxphysaddr:bits': f'>= {bits}',
                }
            )


def _key(flavor):
    return flavor.name


def flavor_listing(n: int, flavors: int, runs: int) -> dict:
    """``flavor maxphysaddr list`` against (a), over the same hosts."""
    state = seed.standard_cloud(n)
    seed_flavors(state, flavors)
    configured = sum(
        1
        for f in state.flavors.values()
        if any(k.startswith('hw:maxphysaddr') for k in f.extra_specs)
    )
    variants = {
        'flavor_list': [str(runner.BIN / 'openstack'), *FLAVOR_LIST],
        'stock': [str(runner.BIN / 'openstack'), *VARIANTS['stock']],
    }
    with (
        tempfile.TemporaryDirectory() as tmp,
        Emulation(state, Path(tmp)) as emu,
    ):
        walls = {v: [] for v in variants}
        rss = {v: [] for v in variants}
        requests = {}
        for i in range(runs):
            order = list(variants) if i % 2 == 0 else list(reversed(variants))
            for variant in order:
                result, kinds = emu.run(variants[variant])
                runner.progress(
                    f'flavors run {i + 1}: {variant} {result.wall_s:.2f} s'
                )
                _rows(result, configured if variant == 'flavor_list' else n)
                walls[variant].append(result.wall_s)
                rss[variant].append(result.maxrss_kib)
                requests[variant] = kinds
    out = {v: _summarise(walls[v], rss[v], requests[v]) for v in variants}
    out.update(n=n, flavors=len(state.flavors), configured=configured)
    return out


#: (case, arguments of ``flavor maxphysaddr set``), run in this order on
#: one flavor that starts with no maxphysaddr key.
WRITE_CASES = (
    ('fresh', ['--mode', 'emulate', '--bits', '42']),
    ('switch', ['--mode', 'passthrough']),
    ('no-op', ['--mode', 'passthrough']),
)


def flavor_writes() -> dict:
    """Requests sent by ``flavor maxphysaddr set`` in three situations."""
    state = seed.standard_cloud(10)
    seed.add_flavor(state, 'bench.writes', ram=4096)
    out = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        Emulation(state, Path(tmp)) as emu,
    ):
        for case, args in WRITE_CASES:
            argv = [
                str(runner.BIN / 'openstack'),
                'flavor',
                'maxphysaddr',
                'set',
                'bench.writes',
                *args,
                '-f',
                'json',
            ]
            result, kinds = emu.run(argv)
            log = emu.cloud.log.select(service='compute')
            writes = [
                f'{r.method} {_ID.sub("/{id}", r.route)}'
                for r in log
                if r.method in ('POST', 'PUT', 'PATCH', 'DELETE')
            ]
            out[case] = {
                'writes': writes,
                'stale_keys': sum(
                    1
                    for row in json.loads(result.stdout)
                    if row['Action'] == 'remove'
                ),
                'requests': kinds,
                'specs_after': dict(
                    state.flavor_by_name('bench.writes').extra_specs
                ),
            }
    return out


#: ``server maxphysaddr list`` against stock ``server list``, same cloud.
SERVER_VARIANTS = {
    'server_list': ['server', 'maxphysaddr', 'list', '-f', 'json'],
    'stock': ['server', 'list', '--all-projects', '--long', '-f', 'json'],
}


#: Stock ``server list --long`` of 50,000 servers takes many minutes on a
#: busy 2-core machine.
SERVER_TIMEOUT_S = 3600


def server_listing(servers: int, hosts: int, runs: int) -> dict:
    """The two server listings over ``servers`` servers on ``hosts``.

    The cloud offers compute microversion 2.100, so each command reads at
    its newest: 2.98 for the plugin (image properties), the SDK's newest
    for stock OSC.
    """
    state = seed.standard_cloud(hosts, compute_max_version='2.100')
    seed.add_servers(state, servers)
    configured = sum(
        1 for s in state.servers if s.extra_specs or s.image_properties
    )
    expected = {'server_list': configured, 'stock': servers}
    with (
        tempfile.TemporaryDirectory() as tmp,
        Emulation(state, Path(tmp)) as emu,
    ):
        walls = {v: [] for v in SERVER_VARIANTS}
        rss = {v: [] for v in SERVER_VARIANTS}
        requests = {}
        for i in range(runs):
            order = list(SERVER_VARIANTS)
            if i % 2:
                order.reverse()
            for variant in order:
                argv = [
                    str(runner.BIN / 'openstack'),
                    *SERVER_VARIANTS[variant],
                ]
                result, kinds = emu.run(argv, timeout=SERVER_TIMEOUT_S)
                _rows(result, expected[variant])
                runner.progress(
                    f'servers S={servers} N={hosts} run {i + 1}: {variant} '
                    f'{result.wall_s:.2f} s'
                )
                walls[variant].append(result.wall_s)
                rss[variant].append(result.maxrss_kib)
                requests[variant] = kinds
    out = {
        v: _summarise(walls[v], rss[v], requests[v]) for v in SERVER_VARIANTS
    }
    out.update(
        servers=servers,
        n=hosts,
        configured=configured,
        expected_server_pages=compute_pages(servers),
        expected_compute_pages=compute_pages(servers) + compute_pages(hosts),
    )
    return out
