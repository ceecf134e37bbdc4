"""What an operator writes today without the plugin (benchmark baseline b).

List every hypervisor at compute microversion 2.87 (the last one with
``cpu_info``) through openstacksdk, then ask Placement for each one's
traits (``GET /resource_providers/{uuid}/traits``), and print one JSON row
per hypervisor: the same facts as ``openstack hypervisor maxphysaddr
list -f json``.

It is written the way a competent operator would: the SDK's own resources
and paging, one connection (so one token and kept-alive HTTP connections),
no per-request re-authentication. Usage::

    OS_CLOUD=mycloud python benchmarks/operator_script.py
"""

import argparse
import json
import sys

import openstack

EMULATED = 'COMPUTE_ADDRESS_SPACE_EMULATED'
PASSTHROUGH = 'COMPUTE_ADDRESS_SPACE_PASSTHROUGH'


def address_bits(cpu_info):
    """The host's maxphysaddr bits from its cpu_info, or None."""
    if isinstance(cpu_info, str):
        try:
            cpu_info = json.loads(cpu_info)
        except ValueError:
            return None
    if not isinstance(cpu_info, dict):
        return None
    maxphysaddr = cpu_info.get('maxphysaddr')
    if not isinstance(maxphysaddr, dict):
        return None
    bits = maxphysaddr.get('bits')
    return bits if isinstance(bits, int) else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--os-cloud', help='Cloud in clouds.yaml')
    parser.add_argument(
        '--debug', action='store_true', help='Log every HTTP request'
    )
    args = parser.parse_args(argv)
    if args.debug:
        openstack.enable_logging(http_debug=True)
    # 2.88 dropped cpu_info from the hypervisor view.
    conn = openstack.connect(cloud=args.os_cloud, compute_api_version='2.87')
    rows = []
    for hypervisor in conn.compute.hypervisors(details=True):
        traits = set(
            conn.placement.get_resource_provider_trait(hypervisor.id).traits
        )
        rows.append(
            {
                'ID': hypervisor.id,
                'Hypervisor Hostname': hypervisor.name,
                'State': hypervisor.state,
                'Status': hypervisor.status,
                'Bits': address_bits(hypervisor.cpu_info),
                'Emulated': EMULATED in traits,
                'Passthrough': PASSTHROUGH in traits,
            }
        )
    json.dump(rows, sys.stdout, indent=4)
    sys.stdout.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
