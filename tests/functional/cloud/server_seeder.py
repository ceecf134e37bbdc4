"""Seed Nova with servers, as a boot would have left them in its databases.

Run by the *cloud* virtualenv's python (it imports nova), never imported
by the tests::

    python server_seeder.py NOVA_CONF PLAN_JSON

PLAN_JSON is a list of ``servers.server()`` entries. For each server not
yet in the cell it creates, with Nova's own objects:

* the ``Instance`` in cell1, on its host and compute node, active (on no
  host when the plan says None, as if shelved); its flavor is
  stored in ``instance_extra`` (what ``GET /servers/detail`` embeds from
  2.47, extra specs included) and its image properties in the system
  metadata as ``image_<property>`` (what 2.98 shows in ``image``);
* the ``InstanceMapping`` to cell1 in the API database.

No build request or request spec: the instance is built. Prints a JSON
summary on stdout.
"""

import json
import sys


def main(conf_file, plan_file):
    from nova import config
    from nova import context
    from nova import objects
    from nova.compute import power_state
    from nova.compute import vm_states
    from nova.network import model as network_model
    from oslo_utils import timeutils

    config.parse_args(['nova-seeder', '--config-file', conf_file])
    objects.register_all()
    ctxt = context.get_admin_context()
    cell = next(
        c for c in objects.CellMappingList.get_all(ctxt) if not c.is_cell0()
    )
    with open(plan_file) as f:
        plan = json.load(f)

    created = 0
    with context.target_cell(ctxt, cell) as cctxt:
        have = {
            i.uuid
            for i in objects.InstanceList.get_all(cctxt, expected_attrs=[])
        }
        nodes = {
            cn.hypervisor_hostname: cn.id
            for cn in objects.ComputeNodeList.get_all(cctxt)
        }
        for entry in plan:
            if entry['uuid'] in have:
                continue
            spec = entry['flavor']
            flavor = objects.Flavor(
                id=spec['id'],
                flavorid=spec['flavorid'],
                name=spec['name'],
                memory_mb=spec['ram'],
                vcpus=spec['vcpus'],
                root_gb=spec['disk'],
                ephemeral_gb=0,
                swap=0,
                rxtx_factor=1.0,
                vcpu_weight=0,
                disabled=False,
                is_public=True,
                description=None,
                extra_specs=spec['extra_specs'],
            )
            system_metadata = {
                'image_' + key: str(value)
                for key, value in entry['image_properties'].items()
            }
            instance = objects.Instance(
                cctxt,
                uuid=entry['uuid'],
                display_name=entry['name'],
                hostname=entry['name'],
                project_id=entry['project_id'],
                user_id=entry['user_id'],
                host=entry['host'],
                node=entry['node'],
                compute_id=nodes.get(entry['node']),
                launched_on=entry['host'],
                availability_zone='nova',
                image_ref=entry['image_ref'],
                flavor=flavor,
                instance_type_id=flavor.id,
                memory_mb=flavor.memory_mb,
                vcpus=flavor.vcpus,
                root_gb=flavor.root_gb,
                ephemeral_gb=0,
                vm_state=vm_states.ACTIVE,
                power_state=power_state.RUNNING,
                task_state=None,
                launched_at=timeutils.utcnow(),
                system_metadata=system_metadata,
                metadata={},
                info_cache=objects.InstanceInfoCache(
                    network_info=network_model.NetworkInfo()
                ),
            )
            instance.create()
            objects.InstanceMapping(
                ctxt,
                instance_uuid=entry['uuid'],
                project_id=entry['project_id'],
                user_id=entry['user_id'],
                cell_mapping=cell,
                queued_for_delete=False,
            ).create()
            created += 1
    json.dump({'created': created, 'planned': len(plan)}, sys.stdout)


if __name__ == '__main__':
    main(*sys.argv[1:])
