"""``python -m benchmarks``: measure osc-maxphysaddr and print a table.

Run from the repository root. See benchmarks/README.rst. Exits 1 when a
benchmarked command fails or prints the wrong thing, never because of a
time: no number is asserted.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import listing  # noqa: E402
from benchmarks import realcloud  # noqa: E402
from benchmarks import report  # noqa: E402
from benchmarks import runner  # noqa: E402
from benchmarks import startup  # noqa: E402

SECTIONS = ('startup', 'hypervisors', 'flavors', 'writes', 'servers')


def _sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(',') if part]


def _pairs(text: str) -> list[tuple[int, int]]:
    pairs = []
    for part in text.split(','):
        if part:
            servers, _, hosts = part.partition(':')
            pairs.append((int(servers), int(hosts)))
    return pairs


def _latencies(text: str) -> list[float]:
    return [float(part) for part in text.split(',') if part]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='python -m benchmarks', description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        '--smoke',
        action='store_true',
        help='Small clouds, one run each: only checks that every '
        'benchmark still works (for CI)',
    )
    parser.add_argument(
        '--only',
        metavar='<section>',
        action='append',
        choices=SECTIONS,
        help='Run only this section (repeatable)',
    )
    parser.add_argument(
        '--runs',
        type=int,
        default=3,
        metavar='<n>',
        help='Interleaved runs per listing variant (default: 3)',
    )
    parser.add_argument(
        '--startup-runs',
        type=int,
        default=15,
        metavar='<n>',
        help='Interleaved runs of each --help command (default: 15)',
    )
    parser.add_argument(
        '--sizes',
        type=_sizes,
        default=[100, 1000, 5000, 20000],
        metavar='<n,n,...>',
        help='Hypervisor counts (default: 100,1000,5000,20000)',
    )
    parser.add_argument(
        '--latencies',
        type=_latencies,
        default=[0.0, 5.0],
        metavar='<ms,ms,...>',
        help='Delays added to each emulated request (default: 0,5)',
    )
    parser.add_argument(
        '--operator-runs-large',
        type=int,
        default=1,
        metavar='<n>',
        help="Runs of the operator's script above 5,000 hypervisors, "
        'where one run takes minutes (default: 1)',
    )
    parser.add_argument(
        '--server-sizes',
        type=_pairs,
        default=[(10000, 5000), (50000, 5000)],
        metavar='<servers:hosts,...>',
        help='Server listing sizes (default: 10000:5000,50000:5000)',
    )
    parser.add_argument(
        '--real-cloud',
        metavar='<clouds.yaml>',
        help="Also list the dev cloud's hypervisors, with this clouds.yaml "
        '(start it first: python -m tests.functional.cloud up '
        '--hypervisors 1000)',
    )
    parser.add_argument(
        '--real-cloud-name',
        default='maxphysaddr-devcloud',
        metavar='<cloud>',
        help='Admin cloud in that clouds.yaml',
    )
    parser.add_argument(
        '--from-json',
        metavar='<path>',
        help='Measure nothing: print the tables of an earlier --json file',
    )
    parser.add_argument(
        '--json',
        metavar='<path>',
        help='Also write every number, samples included, as JSON '
        '("-" for stdout, instead of the table)',
    )
    return parser


def machine() -> dict:
    model = platform.processor() or ''
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                model = line.split(':', 1)[1].strip()
                break
    except OSError:
        pass
    return {
        'nproc': os.cpu_count(),
        'cpu': model,
        'python': platform.python_version(),
        'loadavg_start': os.getloadavg(),
        'date': datetime.datetime.now(datetime.UTC).isoformat(
            timespec='minutes'
        ),
    }


def measure(args) -> dict:
    sections = args.only or SECTIONS
    if args.smoke:
        args.sizes, args.latencies = [100], [0.0]
        args.runs = args.startup_runs = 1
    results: dict = {'machine': machine(), 'smoke': args.smoke}
    if 'startup' in sections:
        results['startup'] = startup.measure(args.startup_runs)
    if 'hypervisors' in sections:
        rows = []
        for latency in args.latencies:
            for n in args.sizes:
                operator_runs = (
                    args.runs if n <= 5000 else args.operator_runs_large
                )
                rows.append(
                    listing.hypervisor_listing(
                        n, latency, args.runs, operator_runs
                    )
                )
        if args.real_cloud:
            row = realcloud.hypervisor_listing(
                args.real_cloud,
                args.real_cloud_name,
                args.runs,
                args.runs,
            )
            row['cloud'] = 'real'
            rows.append(row)
        results['hypervisors'] = rows
    if 'flavors' in sections:
        n, flavors = (100, 20) if args.smoke else (5000, 200)
        results['flavors'] = listing.flavor_listing(n, flavors, args.runs)
    if 'writes' in sections:
        results['writes'] = listing.flavor_writes()
    if 'servers' in sections:
        grid = [(200, 50)] if args.smoke else args.server_sizes
        results['servers'] = [
            listing.server_listing(servers, hosts, args.runs)
            for servers, hosts in grid
        ]
    results['machine']['loadavg_end'] = os.getloadavg()
    return results


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.from_json:
        results = json.loads(Path(args.from_json).read_text())
        sys.stdout.write(report.render(results))
        return 0
    started = time.monotonic()
    try:
        results = measure(args)
    except runner.CommandFailed as exc:
        print(f'benchmark broken: {exc}', file=sys.stderr)
        return 1
    results['machine']['duration_s'] = round(time.monotonic() - started)
    if args.json == '-':
        json.dump(results, sys.stdout, indent=1)
        sys.stdout.write('\n')
        return 0
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + '\n')
    sys.stdout.write(report.render(results, real_cloud=args.real_cloud))
    return 0


if __name__ == '__main__':
    sys.exit(main())
