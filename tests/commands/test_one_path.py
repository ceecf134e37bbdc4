"""One judgement path: a flavor with and without ``--image`` reads the
same, bad input sends no request, notices obey ``-q`` (issue 20).

Each test failed before the flavor+image and flavor-alone paths became one.
"""

import os_traits

from osc_maxphysaddr import core
from tests.emulation import seed

E = os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
P = os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH


def show(cloud, *args):
    return cloud.run('flavor', 'maxphysaddr', 'show', *args, '-f', 'json')


def test_a_trait_value_nova_ignores_reads_the_same_with_an_image(make_cloud):
    cloud = make_cloud(n_hypervisors=0)
    for i in (1, 2):
        seed.add_hypervisor(
            cloud.state, i, cpu_info=seed.libvirt_cpu_info(46), traits={E, P}
        )
    cloud.state.add_image('plain', {'os_distro': 'ubuntu'})
    specs = core.Config('emulate', 42).extra_specs()
    specs[core.TRAIT_KEYS[core.PASSTHROUGH]] = ' forbidden'
    cloud.state.flavor_by_name('m1.small').extra_specs.update(specs)

    alone = show(cloud, 'm1.small').json()
    paired = show(cloud, 'm1.small', '--image', 'plain').json()
    expected = 'warning: ' + core.RULES['trait-value-ignored'].template.format(
        key=core.TRAIT_KEYS[core.PASSTHROUGH], value=' forbidden'
    )
    assert alone['Status'] == paired['Status'] == expected
    assert alone['Hosts'] == paired['Hosts'] == 2


def test_explain_with_an_image_lays_out_the_pairs_guest(make_cloud):
    cloud = make_cloud(n_hypervisors=0)
    cloud.state.add_image('q35-image', {'hw_machine_type': 'q35'})
    cloud.state.flavor_by_name('m1.small').extra_specs.update(
        core.Config('emulate', 36).extra_specs()
    )
    result = show(cloud, 'm1.small', '--image', 'q35-image', '--explain')
    assert result.code == 0, result.err
    data = result.json()
    assert data['Platform'].startswith('q35, bios, ')
    assert data['Verdict'].startswith('36 bits: boots')
    assert {r['region'] for r in data['Layout']} >= {'64-bit PCI hole (q35)'}


def test_a_bad_set_sends_no_request_even_with_images(make_cloud):
    cloud = make_cloud(n_hypervisors=0)
    cloud.state.add_image('plain', {})
    result = cloud.run(
        'flavor', 'maxphysaddr', 'set', 'm1.small', '--mode', 'emulate',
        '--image', 'plain',
    )  # fmt: skip
    assert result.code == 1
    assert result.err.startswith('--bits is required with --mode emulate')
    assert cloud.api_requests() == []


def test_quiet_hides_notices_not_the_check_failure(make_cloud, tmp_path):
    cloud = make_cloud(n_hypervisors=0)
    hyp = seed.add_hypervisor(
        cloud.state, 1, cpu_info=seed.libvirt_cpu_info(46), traits={E, P}
    )
    seed.add_server(
        cloud.state, 'alone', hyp, extra_specs=seed.emulate_specs(46)
    )
    check = ('hypervisor', 'maxphysaddr', 'show', hyp.hypervisor_hostname)
    loud = cloud.run(*check, '--check', '-f', 'json')
    quiet = cloud.run(*check, '--check', '-f', 'json', global_args=['-q'])
    assert loud.code == quiet.code == 1
    line = 'No other host can take these servers now: alone ('
    assert loud.err.startswith(line) and quiet.err.startswith(line)
    # through the one logger: --log-file records it like OSC's own errors
    log = tmp_path / 'osc.log'
    cloud.run(*check, '--check', global_args=['--log-file', str(log)])
    assert line in log.read_text()
    # a notice: the summary of hypervisor list
    listing = ('hypervisor', 'maxphysaddr', 'list', '-f', 'json')
    assert cloud.run(*listing).err == '1 hypervisor, bits 46 to 46\n'
    assert cloud.run(*listing, global_args=['-q']).err == ''
