"""``flavor maxphysaddr show|list --image``: the pair judged by the
address-space model on the guests' platform, its Hosts count, ``--check``.

The numbers are the measured facts (tests/facts.py): a 2 GiB guest
(m1.small) does not start at 35 bits on q35, needs 36, and starts at 35 on
pc; a 1012 GiB pc guest needs 40 bits on Intel and 41 on AMD.
"""

import os_traits
import pytest

from osc_maxphysaddr import core
from tests import facts
from tests.commands.test_flavor_show import configure
from tests.emulation import seed

E = os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
P = os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH
IMODE = core.IMAGE_MODE_KEY
IBITS = core.IMAGE_BITS_KEY
FAILS, NEEDS = facts.SMALL_Q35_FAILS, facts.SMALL_Q35_NEEDS
# The image's width (the flavor sets none) as the user reads it.
IMAGE_BITS_WARNING = (
    'warning: Nova does not schedule by hw_maxphysaddr_bits on an image: it '
    "checks hosts only against the flavor's width, so a host with fewer "
    'bits can take the guest and libvirt then refuses it; put the width on '
    'the flavor (hw:maxphysaddr_bits)'
)
CONFLICT = (
    "error: the flavor's hw:maxphysaddr_mode is 'emulate' and the image's "
    "hw_maxphysaddr_mode is 'passthrough': Nova accepts the boot, then its "
    'scheduler raises FlavorImageConflict and the server ends in ERROR'
)
#: m1.small (2 GiB) at 35 bits on q35, as the user reads it.
Q35_REFUSAL = (
    'error: QEMU refuses to start: its highest address 36 GiB (RAM to 4 GiB '
    'plus the 32 GiB 64-bit PCI hole of q35) is not below '
    f'2^{FAILS} = 32 GiB, so the guest does not boot: use {NEEDS} bits'
)
Q35_STATUS = Q35_REFUSAL + '; ' + IMAGE_BITS_WARNING


def pair(cloud, command, *args, **kwargs):
    return cloud.run('flavor', 'maxphysaddr', command, *args, **kwargs)


def add_hosts(cloud, widths):
    for i, bits in enumerate(widths, start=1):
        seed.add_hypervisor(
            cloud.state, i, cpu_info=seed.libvirt_cpu_info(bits), traits={E, P}
        )


@pytest.fixture
def small_cloud(make_cloud):
    """Three hosts of 35, 36 and 46 bits with both traits, an image."""
    cloud = make_cloud(n_hypervisors=0)
    add_hosts(cloud, (FAILS, NEEDS, 46))
    cloud.state.add_image('ubuntu', {'os_distro': 'ubuntu'})
    return cloud


def set_image(cloud, props):
    cloud.state.image_by_name('ubuntu').properties.update(props)


def short_names(names):
    return {name.split('.')[0] for name in names}


def test_pair_width_is_judged_on_the_machine_type(small_cloud):
    # whose width wins, with or without a mode: tests/unit/test_images.py
    cloud = small_cloud
    set_image(cloud, {IMODE: 'emulate', IBITS: str(FAILS)})
    args = ('show', 'm1.small', '--image', 'ubuntu', '-f', 'json')

    on_q35 = pair(cloud, *args, '--machine-type', 'q35')
    assert on_q35.code == 0, on_q35.err
    data = on_q35.json()
    assert data['Guest Bits'] == FAILS
    assert data['Status'] == Q35_STATUS
    assert data['Hosts'] is None
    # a pair that does not boot reads no hosts
    assert cloud.api_requests('placement') == []

    on_pc = pair(cloud, *args, '--machine-type', 'pc')
    assert on_pc.code == 0, on_pc.err
    data = on_pc.json()
    assert data['Status'] == IMAGE_BITS_WARNING
    assert data['Hosts'] == 3  # the width boots on pc: every host
    assert len(cloud.api_requests('placement')) == 2


def test_pair_platform_comes_from_clouds_yaml(
    small_cloud, tmp_path, monkeypatch
):
    cloud = small_cloud
    set_image(cloud, {IMODE: 'emulate', IBITS: str(FAILS)})
    q35 = cloud.with_config({'machine_type': 'q35'}, tmp_path, monkeypatch)
    args = ('show', 'm1.small', '--image', 'ubuntu', '-f', 'json')
    data = pair(cloud, *args, global_args=q35).json()
    assert data['Status'] == Q35_STATUS
    # the option wins over clouds.yaml
    data = pair(cloud, *args, '--machine-type', 'pc', global_args=q35).json()
    assert data['Status'] == IMAGE_BITS_WARNING


def test_pair_with_a_bad_platform_sends_nothing(small_cloud):
    result = pair(
        small_cloud, 'show', 'm1.small', '--image', 'ubuntu',
        '--device-bar', 'h100=lots',
    )  # fmt: skip
    assert result.code == 1
    assert '--device-bar' in result.err
    assert small_cloud.api_requests() == []


@pytest.mark.parametrize(
    'machine,expected',
    [
        ('q35', {'compute-00002', 'compute-00003'}),
        ('pc', {'compute-00001', 'compute-00002', 'compute-00003'}),
    ],
)
def test_passthrough_pair_hosts_count_where_the_guest_boots(
    small_cloud, machine, expected
):
    # An image-only passthrough mode: each host's own width decides.
    cloud = small_cloud
    set_image(cloud, {IMODE: 'passthrough'})
    show = pair(
        cloud, 'show', 'm1.small', '--image', 'ubuntu', '--long',
        '-f', 'json', '--machine-type', machine,
    )  # fmt: skip
    assert show.code == 0, show.err
    data = show.json()
    assert (data['Guest Mode'], data['Status']) == ('passthrough', 'ok')
    assert data['Hosts'] == len(expected)
    assert short_names(data['Host Names']) == expected

    listed = pair(
        cloud, 'list', '--image', 'ubuntu', '-f', 'json',
        '--machine-type', machine,
    )  # fmt: skip
    assert listed.code == 0, listed.err
    row = next(r for r in listed.json() if r['Name'] == 'm1.small')
    assert row['Hosts'] == len(expected)
    # the inventory is read once for the whole listing
    assert len(cloud.api_requests('placement')) == 2


def test_emulate_pair_is_judged_at_the_images_width(make_cloud):
    # A 1012 GiB pc guest starts at 40 bits on Intel and needs 41 on AMD;
    # the image's 41 bits boot on both, so every host counts.
    intel, amd = facts.AMD_HOLE_INTEL_NEEDS, facts.AMD_HOLE_AMD_NEEDS
    cloud = make_cloud(n_hypervisors=0)
    for i, vendor in enumerate(('Intel', 'AMD'), start=1):
        info = seed.libvirt_cpu_info(46)
        info['vendor'] = vendor
        seed.add_hypervisor(cloud.state, i, cpu_info=info, traits={E, P})
    seed.add_flavor(
        cloud.state, 'big', ram=facts.AMD_HOLE_RAM_MIB, flavor_id='big'
    )
    cloud.state.add_image('wide', {IMODE: 'emulate', IBITS: str(amd)})
    cloud.state.add_image('narrow', {IMODE: 'emulate', IBITS: str(intel)})
    wide = pair(cloud, 'show', 'big', '--image', 'wide', '-f', 'json').json()
    assert wide['Hosts'] == 2
    narrow = pair(cloud, 'show', 'big', '--image', 'narrow', '-f', 'json')
    data = narrow.json()
    errors = [p for p in data['Status'].split('; ') if p.startswith('error')]
    assert len(errors) == 1 and errors[0].endswith(f': use {amd} bits')
    assert data['Hosts'] is None


def test_a_member_reads_the_pair_status_without_hosts(small_cloud):
    cloud = small_cloud
    set_image(cloud, {IMODE: 'passthrough'})
    args = ('show', 'm1.small', '--image', 'ubuntu', '-f', 'json')
    as_admin = pair(cloud, *args).json()
    result = pair(cloud, *args, user='member')
    assert result.code == 0, result.err
    data = result.json()
    assert data['Status'] == as_admin['Status'] == 'ok'
    assert data['Hosts'] is None and as_admin['Hosts'] == 3
    assert result.err.splitlines() == [
        'Hosts are unknown: reading the hypervisors needs admin rights '
        '(HTTP 403)'
    ]


# --- --check ---------------------------------------------------------------


def test_show_check_with_image_exits_1_on_a_pair_error(small_cloud):
    cloud = small_cloud
    cloud.state.flavor_by_name('m1.small').extra_specs.update(
        core.Config('emulate', 42).extra_specs()
    )
    set_image(cloud, {IMODE: 'passthrough'})
    args = ('show', 'm1.small', '--image', 'ubuntu', '-f', 'json')
    plain = pair(cloud, *args)
    checked = pair(cloud, *args, '--check')
    assert plain.code == 0, plain.err
    assert checked.code == 1
    assert checked.out == plain.out
    assert checked.json()['Status'] == CONFLICT
    image = cloud.state.image_by_name('ubuntu')
    assert checked.err.splitlines() == [
        'Flavors with an error status: m1.small (2) with image '
        f'ubuntu ({image.id})'
    ]
    # the flavor alone is fine: the error is the pair's
    alone = pair(cloud, 'show', 'm1.small', '--check', '-f', 'json')
    assert alone.code == 0, alone.err


def test_show_check_with_image_exits_0_on_a_warning(small_cloud):
    cloud = small_cloud
    set_image(cloud, {IMODE: 'emulate', IBITS: '46'})
    result = pair(
        small_cloud, 'show', 'm1.small', '--image', 'ubuntu', '--check',
        '-f', 'json',
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.json()['Status'] == IMAGE_BITS_WARNING


def test_list_check_with_image_names_the_broken_pairs(small_cloud):
    cloud = small_cloud
    configure(cloud, 'm1.large', core.Config('emulate', 42).extra_specs())
    set_image(cloud, {IMODE: 'passthrough'})
    args = ('list', '--image', 'ubuntu', '-f', 'json')
    plain = pair(cloud, *args)
    checked = pair(cloud, *args, '--check')
    assert plain.code == 0, plain.err
    assert checked.code == 1
    assert checked.out == plain.out
    statuses = {r['Name']: r['Status'] for r in checked.json()}
    assert statuses['m1.large'] == CONFLICT
    large = cloud.state.flavor_by_name('m1.large')
    image = cloud.state.image_by_name('ubuntu')
    assert checked.err.splitlines()[-1] == (
        f'Flavors with an error status: m1.large ({large.id}) with image '
        f'ubuntu ({image.id})'
    )
    # an image that agrees with every flavor: exit 0
    set_image(cloud, {IMODE: 'emulate', IBITS: '46'})
    result = pair(cloud, 'list', '--image', 'ubuntu', '--check', '-f', 'json')
    assert result.code == 0, result.err
    assert 'error' not in result.err
