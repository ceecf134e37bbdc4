"""Standalone emulated cloud: ``python -m tests.emulation [options]``.

Prints one line, the Keystone auth URL, once it serves requests, then runs
until SIGINT or SIGTERM.
"""

import argparse
import signal
import sys
import threading

from tests.emulation import seed
from tests.emulation.server import EmulatedCloud


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='python -m tests.emulation',
        description='Serve an emulated Keystone v3 + Nova + Placement.',
    )
    parser.add_argument(
        '--hypervisors',
        type=int,
        default=10,
        metavar='<count>',
        help='Number of seeded hypervisors (default: 10)',
    )
    parser.add_argument(
        '--flavors',
        type=int,
        default=0,
        metavar='<count>',
        help='Generated flavors on top of the four standard ones',
    )
    parser.add_argument(
        '--latency-ms',
        type=float,
        default=0.0,
        metavar='<ms>',
        help='Delay added to every request (default: 0)',
    )
    parser.add_argument(
        '--port',
        type=int,
        default=0,
        metavar='<port>',
        help='Port on 127.0.0.1 (default: a free one)',
    )
    parser.add_argument(
        '--compute-max-version',
        default='2.96',
        metavar='<version>',
        help='Maximum Nova API microversion (default: 2.96)',
    )
    parser.add_argument(
        '--no-placement',
        action='store_true',
        help='Leave placement out of the service catalog',
    )
    parser.add_argument(
        '--clouds-yaml',
        metavar='<path>',
        help='Write a clouds.yaml for this cloud to <path>',
    )
    parser.add_argument(
        '--cloud-name',
        default='emulated',
        metavar='<name>',
        help='Cloud name in the clouds.yaml (default: emulated)',
    )
    parser.add_argument(
        '--user',
        default='admin',
        choices=('admin', 'member'),
        help='User written to the clouds.yaml (default: admin)',
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    state = seed.standard_cloud(
        args.hypervisors,
        args.flavors,
        compute_max_version=args.compute_max_version,
        latency_ms=args.latency_ms,
        placement_in_catalog=not args.no_placement,
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with EmulatedCloud(state, port=args.port) as cloud:
        if args.clouds_yaml:
            cloud.write_clouds_yaml(
                args.clouds_yaml, args.cloud_name, user=args.user
            )
        sys.stdout.write(cloud.auth_url + '\n')
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
