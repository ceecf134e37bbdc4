"""python -m tests.functional.cloud {up,down,status,seed,cpu-mode,clean}"""

import argparse
import json
import sys

from tests.functional.cloud import cloud as cloud_mod
from tests.functional.cloud import compute as compute_mod
from tests.functional.cloud import layout as lay


def _parser():
    parser = argparse.ArgumentParser(
        prog='python -m tests.functional.cloud',
        description='A real Keystone + Placement + Nova API on 127.0.0.1 '
        f'for the functional tests. State dir: ${lay.STATE_ENV} (default '
        f'<repo>/.devcloud); server virtualenv: ${lay.VENV_ENV} (default '
        '~/.cache/osc-maxphysaddr/devcloud-venv).',
    )
    sub = parser.add_subparsers(dest='command', required=True)
    up = sub.add_parser('up', help='install if needed, start, and seed')
    up.add_argument(
        '--hypervisors',
        type=int,
        default=None,
        metavar='<count>',
        help='hypervisors to seed (default 10, with --compute 0: its '
        'one real hypervisor is enough; 0 seeds none)',
    )
    up.add_argument(
        '--compute',
        action='store_true',
        help='with the compute profile: RabbitMQ, libvirt, nova-conductor, '
        'nova-scheduler and one libvirt nova-compute (root; the apt '
        f'packages {", ".join(compute_mod.APT_PACKAGES)}); a state dir '
        'keeps the profile it was made with',
    )
    cpu = sub.add_parser(
        'cpu-mode', help='restart nova-compute with another [libvirt]cpu_mode'
    )
    cpu.add_argument('cpu_mode', choices=compute_mod.CPU_MODES)
    seed = sub.add_parser('seed', help='seed hypervisors (additive)')
    seed.add_argument(
        '--hypervisors',
        type=int,
        required=True,
        metavar='<count>',
        help='make hosts 0..count-1 exist in Nova and Placement',
    )
    sub.add_parser('down', help='stop every process of the cloud')
    sub.add_parser('status', help='print the state as JSON')
    sub.add_parser('clean', help='stop and delete the state directory')
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    cloud = cloud_mod.DevCloud(
        compute=getattr(args, 'compute', False),
    )
    try:
        if args.command == 'up':
            cloud.up()
            count = args.hypervisors
            if count is None:
                count = 0 if cloud.compute else 10
            if count:
                cloud.seed(count)
            print(cloud.usage())
        elif args.command == 'seed':
            cloud.seed(args.hypervisors)
            print(f'manifest: {cloud.layout.manifest}')
        elif args.command == 'down':
            stopped = cloud.down()
            print('stopped: ' + (', '.join(stopped) or 'nothing was running'))
        elif args.command == 'status':
            print(json.dumps(cloud.status(), indent=2))
            return 0 if cloud.is_running() else 3
        elif args.command == 'cpu-mode':
            changed = cloud.set_cpu_mode(args.cpu_mode)
            print(f'cpu_mode {args.cpu_mode}' + ('' if changed else ' (was)'))
        elif args.command == 'clean':
            cloud.clean()
            print(f'removed {cloud.layout.state}')
    except (cloud_mod.CloudError, compute_mod.ComputeError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
