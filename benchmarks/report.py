"""The results as RST tables (what benchmarks/README.rst shows)."""

from __future__ import annotations

REAL_CLOUD_COMMAND = (
    '(cd /path/to/checkout && python -m tests.functional.cloud up '
    '--hypervisors 1000) && python -m benchmarks --only hypervisors '
    '--sizes 1000 --latencies 0 --real-cloud '
    '<checkout>/.devcloud/clouds.yaml'
)


GOAL_NAMES = {
    'requests': 'requests',
    'rss': 'RSS',
    'faster_than_a': '< (a)',
    'vs_b': 'vs (b)',
}


def table(header: list[str], rows: list[list[str]]) -> str:
    """An RST simple table."""
    cells = [header] + rows
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    rule = '  '.join('=' * w for w in widths)

    def line(row):
        return '  '.join(
            c.ljust(w) for c, w in zip(row, widths, strict=True)
        ).rstrip()

    return '\n'.join(
        [rule, line(header), rule, *(line(r) for r in rows), rule, '']
    )


def split(requests: dict[str, int]) -> dict[str, int]:
    """Requests as compute / placement / image / setup (auth + discovery).

    Stock ``server list --long`` reads image names from Glance.
    """
    out = {'compute': 0, 'placement': 0, 'image': 0, 'setup': 0}
    for key, count in requests.items():
        if key in ('auth', 'discovery'):
            out['setup'] += count
        else:
            out[key.split(' ', 1)[0]] += count
    return out


def fmt_requests(requests: dict[str, int]) -> str:
    s = split(requests)
    image = f'+{s["image"]}i' if s['image'] else ''
    return f'{s["compute"]}c+{s["placement"]}p{image} (+{s["setup"]})'


def _s(seconds: float | None) -> str:
    return '-' if seconds is None else f'{seconds:.2f}'


def _mark(ok: bool) -> str:
    return 'met' if ok else 'MISSED'


def hypervisor_goals(row: dict) -> dict[str, bool | None]:
    plugin, stock, operator = row['plugin'], row['stock'], row['operator']
    split_plugin = split(plugin['requests'])
    pages = sum(
        count
        for key, count in plugin['requests'].items()
        if key.startswith('compute GET') and key.endswith('hypervisors/detail')
    )
    goals: dict[str, bool | None] = {
        'requests': pages == row['expected_compute_pages']
        and split_plugin['compute'] == pages
        and split_plugin['placement'] <= 2,
        'rss': plugin['peak_rss_mib'] <= 1.3 * stock['peak_rss_mib'],
        'faster_than_a': None,
        'vs_b': None,
    }
    if (row['n'] or 0) >= 1000:
        goals['faster_than_a'] = plugin['wall_s'] < stock['wall_s']
    if row['n'] == 5000 and row.get('cloud') != 'real':
        need = 10 if row['latency_ms'] else 5
        goals['vs_b'] = operator['wall_s'] >= need * plugin['wall_s']
    return goals


def server_goals(row: dict) -> dict[str, bool]:
    """Server pages + hypervisor pages + 2 Placement calls; wall <= stock;
    peak RSS <= 1.3x stock."""
    p, a = row['server_list'], row['stock']
    s = split(p['requests'])
    server_pages = p['requests'].get('compute GET /servers/detail', 0)
    return {
        'requests': server_pages == row['expected_server_pages']
        and s['compute'] == row['expected_compute_pages']
        and s['placement'] == 2
        and s['image'] == 0,
        'wall': p['wall_s'] <= a['wall_s'],
        'RSS': p['peak_rss_mib'] <= 1.3 * a['peak_rss_mib'],
    }


def render(results: dict, real_cloud: str | None = None) -> str:
    m = results['machine']
    load = ', '.join(f'{x:.2f}' for x in m['loadavg_start'])
    load_end = ', '.join(f'{x:.2f}' for x in m['loadavg_end'])
    out = [
        f'Machine: {m["nproc"]} CPUs ({m["cpu"]}), Python {m["python"]}, '
        f'{m["date"]}; load average {load} at the start, {load_end} at '
        f'the end; {m.get("duration_s", "?")} s in all'
        + (
            ' (SMOKE: one run, small clouds; not numbers)'
            if results['smoke']
            else ''
        )
        + '.',
        '',
    ]
    missed = []

    if 'startup' in results:
        st = results['startup']
        imp = st['imports_ms']
        wall = st['help_wall_s']
        tax = imp['plugin.py (every call)']
        out += [
            f'1. Start-up tax (medians of {st["runs"]} fresh processes, '
            'interleaved; bytecode cached)',
            '',
            table(
                ['measure', 'value', 'goal', ''],
                [
                    [
                        'import osc_maxphysaddr.plugin after OSC',
                        f'{tax:.2f} ms',
                        '<= 1 ms',
                        _mark(tax <= 1),
                    ],
                    *[
                        [f'import {label} after OSC', f'{v:.1f} ms', '', '']
                        for label, v in imp.items()
                        if label != 'plugin.py (every call)'
                    ],
                    [
                        'flavor maxphysaddr show --help',
                        f'{_s(wall["plugin"])} s',
                        '',
                        '',
                    ],
                    ['flavor show --help', f'{_s(wall["stock"])} s', '', ''],
                    [
                        'ratio',
                        f'{st["help_ratio"]:.3f}',
                        '<= 1.03',
                        _mark(st['help_ratio'] <= 1.03),
                    ],
                ],
            ),
        ]
        if tax > 1:
            missed.append('start-up: plugin.py import')
        if st['help_ratio'] > 1.03:
            missed.append('start-up: --help ratio')

    if 'hypervisors' in results:
        rows = []
        for row in results['hypervisors']:
            p, a, b = row['plugin'], row['stock'], row['operator']
            goals = hypervisor_goals(row)
            cloud = row.get('cloud', 'emulated')
            lat = (
                '-' if row['latency_ms'] is None else f'{row["latency_ms"]:g}'
            )
            b_wall = _s(b['wall_s'])
            if b['runs'] != p['runs']:
                b_wall += f' ({b["runs"]} run)'
            rows.append(
                [
                    cloud,
                    f'{row["n"]:,}',
                    lat,
                    fmt_requests(p['requests']),
                    fmt_requests(a['requests']),
                    fmt_requests(b['requests']),
                    _s(p['wall_s']),
                    _s(a['wall_s']),
                    b_wall,
                    f'{p["wall_s"] / a["wall_s"]:.2f}',
                    f'{b["wall_s"] / p["wall_s"]:.1f}',
                    f'{p["peak_rss_mib"]:.0f} / {a["peak_rss_mib"]:.0f}',
                    ', '.join(
                        f'{GOAL_NAMES[k]} {_mark(v)}'
                        for k, v in goals.items()
                        if v is not None
                    ),
                ]
            )
            for key, ok in goals.items():
                if ok is False:
                    missed.append(
                        f'hypervisors {cloud} N={row["n"]} '
                        f'latency={lat}: {key}'
                    )
        if not any(r.get('cloud') == 'real' for r in results['hypervisors']):
            rows.append(
                [
                    'real',
                    '1,000',
                    '-',
                    *['not measured'] * 3,
                    *['-'] * 6,
                    'see below',
                ]
            )
        runs = results['hypervisors'][0]['plugin']['runs']
        out += [
            '2. Hypervisor listing (wall: median of '
            f'{runs} interleaved runs; requests: c = compute API, '
            'p = Placement API, (+auth and version discovery); '
            'emulation on 127.0.0.1 with Nagle disabled in its handler, '
            'latency = ms added to each request)',
            '',
            'plugin = ``openstack hypervisor maxphysaddr list -f json``; '
            '(a) = ``openstack --os-compute-api-version 2.87 hypervisor '
            'list --long -f json``; (b) = ``benchmarks/operator_script.py``'
            ' (SDK listing + one traits call a host)',
            '',
            table(
                [
                    'cloud',
                    'N',
                    'ms',
                    'req plugin',
                    'req (a)',
                    'req (b)',
                    'plugin s',
                    '(a) s',
                    '(b) s',
                    'plugin/(a)',
                    '(b)/plugin',
                    'RSS MiB plugin / (a)',
                    'goals',
                ],
                rows,
            ),
        ]
        if not any(r.get('cloud') == 'real' for r in results['hypervisors']):
            out += [
                'Real cloud not measured in this run; to measure it: '
                f'``{REAL_CLOUD_COMMAND}``',
                '',
            ]

    if 'flavors' in results:
        fl = results['flavors']
        p, a = fl['flavor_list'], fl['stock']
        per_flavor = sum(
            v
            for k, v in p['requests'].items()
            if k.startswith('compute') and '/flavors/{id}' in k
        )
        listings = p['requests'].get('compute GET /flavors/detail', 0)
        ratio = p['wall_s'] / a['wall_s']
        out += [
            f'3. ``flavor maxphysaddr list -f json``: {fl["flavors"]} '
            f'flavors ({fl["configured"]} configured), {fl["n"]:,} '
            f'hypervisors (median of {p["runs"]} interleaved runs)',
            '',
            table(
                ['measure', 'value', 'goal', ''],
                [
                    ['requests', fmt_requests(p['requests']), '', ''],
                    [
                        'flavor listings / per-flavor calls',
                        f'{listings} / {per_flavor}',
                        '1 / 0',
                        _mark(listings == 1 and per_flavor == 0),
                    ],
                    [
                        'wall (a) hypervisor list --long',
                        f'{_s(a["wall_s"])} s',
                        '',
                        '',
                    ],
                    [
                        'wall flavor maxphysaddr list',
                        f'{_s(p["wall_s"])} s',
                        '',
                        '',
                    ],
                    [
                        'ratio to (a)',
                        f'{ratio:.2f}',
                        '<= 1.1',
                        _mark(ratio <= 1.1),
                    ],
                ],
            ),
        ]
        if not (listings == 1 and per_flavor == 0):
            missed.append('flavor list: requests')
        if ratio > 1.1:
            missed.append('flavor list: wall')

    if 'writes' in results:
        rows = []
        for case, data in results['writes'].items():
            w = data['writes']
            posts = [x for x in w if x.startswith('POST')]
            deletes = [x for x in w if x.startswith('DELETE')]
            if case == 'no-op':
                ok = not w
            else:
                # One POST with every new key, then a DELETE per stale key.
                ok = (
                    w[:1] == posts
                    and len(deletes) == data['stale_keys']
                    and len(w) == 1 + data['stale_keys']
                )
            summary = (
                ' + '.join(
                    f'{count} {method}'
                    for method, count in (
                        ('POST', len(posts)),
                        ('DELETE', len(deletes)),
                    )
                    if count
                )
                or 'none'
            )
            rows.append(
                [case, summary, fmt_requests(data['requests']), _mark(ok)]
            )
            if not ok:
                missed.append(f'writes: {case}')
        out += [
            '4. Writes sent by ``flavor maxphysaddr set`` (emulation)',
            '',
            table(['case', 'writes', 'all requests', 'goal'], rows),
        ]

    if 'servers' in results:
        rows = []
        for row in results['servers']:
            goals = server_goals(row)
            p, a = row['server_list'], row['stock']
            rows.append(
                [
                    f'{row["servers"]:,}',
                    f'{row["n"]:,}',
                    f'{row["configured"]:,}',
                    fmt_requests(p['requests']),
                    fmt_requests(a['requests']),
                    _s(p['wall_s']),
                    _s(a['wall_s']),
                    f'{p["wall_s"] / a["wall_s"]:.2f}',
                    f'{p["peak_rss_mib"]:.0f} / {a["peak_rss_mib"]:.0f}',
                    f'{p["peak_rss_mib"] / a["peak_rss_mib"]:.2f}',
                    ', '.join(f'{k} {_mark(v)}' for k, v in goals.items()),
                ]
            )
            for key, ok in goals.items():
                if not ok:
                    missed.append(
                        f'servers S={row["servers"]} N={row["n"]}: {key}'
                    )
        runs = results['servers'][0]['server_list']['runs']
        out += [
            '5. Server listing (emulation; wall: median of '
            f'{runs} interleaved runs; requests as in 2.)',
            '',
            'plugin = ``openstack server maxphysaddr list -f json``; '
            'stock = ``openstack server list --all-projects --long -f '
            'json``',
            '',
            table(
                [
                    'servers',
                    'hosts',
                    'configured',
                    'req plugin',
                    'req stock',
                    'plugin s',
                    'stock s',
                    'plugin/stock',
                    'RSS MiB plugin / stock',
                    'RSS ratio',
                    'goals',
                ],
                rows,
            ),
        ]

    out += [
        'Goals missed: ' + ('; '.join(missed) if missed else 'none'),
        '',
    ]
    return '\n'.join(out)
