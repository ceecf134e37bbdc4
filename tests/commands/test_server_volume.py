"""A server that boots from a volume is judged by its flavor, with a warning.

Nova shows such a server's image as ``""`` at every microversion, 2.98
included (nova/api/openstack/compute/views/servers.py ``_get_image``), so
the image properties the guest may carry cannot be read.
"""

import os_traits

from tests.commands.conftest import running
from tests.emulation import seed

BOTH = {
    os_traits.COMPUTE_ADDRESS_SPACE_EMULATED,
    os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH,
}


def test_a_volume_backed_server_gets_the_image_not_visible_warning():
    state = seed.standard_cloud(0, compute_max_version='2.100')
    hosts = [
        seed.add_hypervisor(
            state, i, cpu_info=seed.libvirt_cpu_info(46), traits=BOTH
        )
        for i in (1, 2)
    ]
    specs = seed.emulate_specs(40)
    seed.add_server(state, 'from-image', hosts[0], extra_specs=specs)
    seed.add_server(
        state, 'from-volume', hosts[0], extra_specs=specs, volume_backed=True
    )
    with running(state) as cloud:
        result = cloud.run('server', 'maxphysaddr', 'list', '-f', 'json')
        assert result.code == 0, result.err
        rows = {r['Name']: r for r in result.json()}
        sent = [(r.route, r.microversion) for r in cloud.api_requests()]
    assert ('/servers/detail', '2.98') in sent
    assert rows['from-image']['Status'] == 'ok'
    assert rows['from-volume']['Status'] == (
        'warning: the server boots from a volume, whose image properties '
        "Nova does not show: the verdict is the flavor's alone"
    )
    # judged by its flavor all the same: same bits, same targets
    for column in ('Mode', 'Bits', 'Targets'):
        assert rows['from-volume'][column] == rows['from-image'][column]
