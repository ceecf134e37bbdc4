"""Rolling upgrades: hosts that hold the traits but apply no width.

Nova 28.0.0 computes report both COMPUTE_ADDRESS_SPACE_* traits and no
width (issue 21 item 2); the rule is tabled in tests/unit/test_planning.py
and test_migration.py, this is the wiring.
"""

import os_traits

from osc_maxphysaddr import core
from tests.emulation import seed

E = os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
P = os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH


def test_a_nova_28_host_is_not_counted_for_passthrough_and_named(make_cloud):
    # Nova 28.0.0 computes hold both traits and report no width: Nova
    # schedules a passthrough guest there by the trait, and the guest gets
    # QEMU's default width, not its host's.
    cloud = make_cloud(n_hypervisors=0)
    seed.add_hypervisor(
        cloud.state, 1, cpu_info=seed.libvirt_cpu_info(46), traits={E, P}
    )
    old = seed.add_hypervisor(
        cloud.state, 2, cpu_info=seed.libvirt_cpu_info(None), traits={E, P}
    )
    cloud.state.flavor_by_name('m1.small').extra_specs.update(
        core.Config('passthrough').extra_specs()
    )
    result = cloud.run(
        'flavor', 'maxphysaddr', 'show', 'm1.small', '-f', 'json'
    )
    assert result.json()['Hosts'] == 1
    (line,) = [x for x in result.err.splitlines() if 'Not counted' in x]
    assert old.hypervisor_hostname in line
    listed = cloud.run(
        'hypervisor', 'maxphysaddr', 'list', '-f', 'json'
    ).json()
    applies = {r['Hypervisor Hostname']: r['Applies Width'] for r in listed}
    assert applies[old.hypervisor_hostname] is False
    assert list(applies.values()).count(True) == 1
