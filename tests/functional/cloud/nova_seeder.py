"""Seed Nova with compute hosts, as nova-compute would have registered them.

Run by the *cloud* virtualenv's python (it imports nova), never imported
by the tests::

    python nova_seeder.py NOVA_CONF PLAN_JSON

PLAN_JSON is a list of ``hosts.host()`` entries. For each host not yet in
the cell it creates the nova-compute ``Service`` (forced down / disabled
as planned), the ``ComputeNode`` (``cpu_info`` with or without
``maxphysaddr``; ``stats.uptime`` so detail views at 2.88+ need no RPC)
and the ``HostMapping`` to cell1, all with Nova's own objects. Prints a
JSON summary on stdout.
"""

import json
import sys


def _cpu_info(entry):
    info = {
        'arch': 'x86_64',
        'model': entry.get('model', 'Cascadelake-Server-noTSX'),
        'vendor': entry.get('vendor', 'Intel'),
        'topology': {'cells': 1, 'sockets': 1, 'cores': 8, 'threads': 2},
        'features': ['pdpe1gb', 'vmx'],
    }
    if entry['maxphysaddr']:
        info['maxphysaddr'] = entry['maxphysaddr']
    return json.dumps(info)


def main(conf_file, plan_file):
    from nova import config
    from nova import context
    from nova import objects

    config.parse_args(['nova-seeder', '--config-file', conf_file])
    objects.register_all()
    ctxt = context.get_admin_context()
    cell = next(
        c for c in objects.CellMappingList.get_all(ctxt) if not c.is_cell0()
    )
    with open(plan_file) as f:
        plan = json.load(f)

    mapped = {hm.host for hm in objects.HostMappingList.get_all(ctxt)}
    created = 0
    with context.target_cell(ctxt, cell) as cctxt:
        have = {cn.uuid for cn in objects.ComputeNodeList.get_all(cctxt)}
        for entry in plan:
            name = entry['hostname']
            if entry['uuid'] not in have:
                disabled = entry['status'] == 'disabled'
                objects.Service(
                    cctxt,
                    uuid=entry['service_uuid'],
                    host=name,
                    binary='nova-compute',
                    topic='compute',
                    report_count=1,
                    disabled=disabled,
                    disabled_reason='seeded disabled' if disabled else None,
                    forced_down=entry['state'] == 'down',
                ).create()
                objects.ComputeNode(
                    cctxt,
                    uuid=entry['uuid'],
                    host=name,
                    hypervisor_hostname=name,
                    hypervisor_type='QEMU',
                    hypervisor_version=8002000,
                    host_ip='127.0.0.1',
                    vcpus=16,
                    memory_mb=65536,
                    local_gb=500,
                    vcpus_used=0,
                    memory_mb_used=512,
                    local_gb_used=0,
                    free_ram_mb=65024,
                    free_disk_gb=500,
                    current_workload=0,
                    running_vms=0,
                    disk_available_least=500,
                    cpu_info=_cpu_info(entry),
                    stats={'uptime': ' 10:00:00 up 1 day, load average: 0'},
                    supported_hv_specs=[],
                    cpu_allocation_ratio=4.0,
                    ram_allocation_ratio=1.0,
                    disk_allocation_ratio=1.0,
                    mapped=1,
                ).create()
                created += 1
            if name not in mapped:
                hm = objects.HostMapping(ctxt, host=name, cell_mapping=cell)
                hm.create()
    json.dump({'created': created, 'planned': len(plan)}, sys.stdout)


if __name__ == '__main__':
    main(*sys.argv[1:])
