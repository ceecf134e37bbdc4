"""2 (real). The hypervisor listing against the real local dev cloud.

The dev cloud (``python -m tests.functional.cloud up --hypervisors 1000``:
real Keystone, Nova API and Placement under gunicorn on 127.0.0.1) is
started beforehand, by hand; this module only reads its clouds.yaml.
The timed runs are plain; one more run of each variant with HTTP debug
logging counts the requests it sends (the servers keep no request log we
could read).
"""

from __future__ import annotations

import collections
import json
import re
import urllib.parse

from benchmarks import listing
from benchmarks import runner

_REQ = re.compile(r'REQ: curl -g -i (?:--insecure )?-X (\w+) (\S+)')
# Version documents: a service's root, or one version's root.
_API_ROOTS = ('', '/', '/identity', '/compute', '/placement')


def request_kinds(debug_output: str) -> dict[str, int]:
    """Requests by kind from keystoneauth's ``REQ: curl`` debug lines.

    keystoneauth does not log the token request itself, so 'auth' stays 0
    here, where the emulation counts one.
    """
    counts: collections.Counter = collections.Counter()
    for method, url in _REQ.findall(debug_output):
        path = urllib.parse.urlsplit(url.strip('"\'')).path
        if path.endswith('/auth/tokens'):
            counts['auth'] += 1
        elif method == 'GET' and (
            path.rstrip('/') in _API_ROOTS or re.search(r'/v[0-9.]+/?$', path)
        ):
            counts['discovery'] += 1
        else:
            service = 'placement' if 'resource_provider' in path else 'compute'
            route = listing._ID.sub('/{id}', path)
            counts[f'{service} {method} {route}'] += 1
    return dict(sorted(counts.items()))


def hypervisor_listing(
    clouds_yaml: str, cloud: str, runs: int, operator_runs: int
) -> dict:
    env = runner.child_env(
        {'OS_CLIENT_CONFIG_FILE': clouds_yaml, 'OS_CLOUD': cloud}
    )

    def argv(variant: str, debug: bool = False) -> list[str]:
        if variant == 'operator':
            return [
                runner.sys.executable,
                str(listing.OPERATOR_SCRIPT),
                *(['--debug'] if debug else []),
            ]
        return [
            str(runner.BIN / 'openstack'),
            *(['--debug'] if debug else []),
            *listing.VARIANTS[variant],
        ]

    walls = {v: [] for v in listing.VARIANTS}
    rss = {v: [] for v in listing.VARIANTS}
    n = None
    for i in range(runs):
        order = list(listing.VARIANTS)
        order = order[i % 3 :] + order[: i % 3]
        for variant in order:
            if variant == 'operator' and i >= operator_runs:
                continue
            result = runner.run(argv(variant), env).check()
            runner.progress(
                f'real cloud run {i + 1}: {variant} {result.wall_s:.2f} s'
            )
            rows = json.loads(result.stdout)
            if n is None:
                n = len(rows)
            elif len(rows) != n:
                raise runner.CommandFailed(
                    f'{variant}: {len(rows)} rows, others {n}'
                )
            walls[variant].append(result.wall_s)
            rss[variant].append(result.maxrss_kib)
    requests = {
        v: request_kinds(runner.run(argv(v, debug=True), env).check().stderr)
        for v in listing.VARIANTS
    }
    out = {
        v: listing._summarise(walls[v], rss[v], requests[v])
        for v in listing.VARIANTS
    }
    out['n'] = n
    out['latency_ms'] = None
    out['expected_compute_pages'] = listing.compute_pages(n or 0)
    return out
