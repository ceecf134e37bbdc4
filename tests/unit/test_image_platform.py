"""The guest's machine type and firmware from its image, as Nova takes them.

``nova/virt/libvirt/utils.py`` ``get_machine_type``: the image's
``hw_machine_type`` over ``[libvirt]hw_machine_type``; the firmware is the
image's ``hw_firmware_type``. A 2 GiB guest boots at 35 bits on pc and
needs 36 on q35 (the address-space issue's measurement).
"""

import pytest

from osc_maxphysaddr import core
from osc_maxphysaddr.core.nova_platform import machine_family

PC = core.Platform()  # Nova's defaults: pc, bios
Q35_UEFI = core.Platform('q35', 'uefi', {'h100': 128 << 30})


@pytest.mark.parametrize(
    'value,family',
    [
        ('pc', 'pc'),
        ('q35', 'q35'),
        ('pc-i440fx-8.2', 'pc'),
        ('pc-q35-8.2', 'q35'),
        ('pc-q35-noble', 'q35'),
        ('pc-i440fx-', None),
        ('pc-q35-', None),
        ('virt', None),
        ('ubuntu', None),
        ('Q35', None),
        ('microvm', None),
        ('', None),
    ],
)
def test_machine_family(value, family):
    assert machine_family(value) == family


@pytest.mark.parametrize(
    'props,platform,expected',
    [
        ({}, PC, ('pc', 'bios')),
        ({'hw_machine_type': 'pc-q35-8.2'}, PC, ('q35', 'bios')),
        ({'hw_firmware_type': 'uefi'}, PC, ('pc', 'uefi')),
        # the image wins over the configuration both ways
        (
            {'hw_machine_type': 'pc-i440fx-7.2', 'hw_firmware_type': 'bios'},
            Q35_UEFI,
            ('pc', 'bios'),
        ),
    ],
)
def test_image_platform_wins_over_the_configuration(props, platform, expected):
    got = core.image_platform(props, platform)
    assert isinstance(got, core.Platform)
    assert (got.machine, got.firmware) == expected
    # the device BAR sizes are the configuration's
    assert got.device_bars == platform.device_bars


@pytest.mark.parametrize(
    'props,key',
    [
        ({'hw_machine_type': 'virt'}, 'hw_machine_type'),
        ({'hw_machine_type': 'ubuntu'}, 'hw_machine_type'),
        ({'hw_firmware_type': 'efi'}, 'hw_firmware_type'),
        (
            {'hw_machine_type': 'q35', 'hw_firmware_type': 'UEFI'},
            'hw_firmware_type',
        ),
    ],
)
def test_an_unknown_image_platform_is_a_warning(props, key):
    got = core.image_platform(props, PC)
    assert isinstance(got, core.Finding)
    assert got.code == 'image-platform-unknown'
    assert got.severity == core.WARNING
    assert key in got.message and repr(props[key]) in got.message


def small_context(platform=PC):
    return core.guest_context(2048, {}, platform)


def test_pair_is_judged_on_the_images_machine_type():
    specs = core.Config('emulate', 35).extra_specs()
    plain = core.diagnose_pair(specs, {}, context=small_context())
    assert not plain.is_error
    assert plain.context.platform.machine == 'pc'

    q35 = core.diagnose_pair(
        specs, {'hw_machine_type': 'pc-q35-8.2'}, context=small_context()
    )
    assert q35.is_error
    assert [f.code for f in q35.findings] == ['qemu-does-not-start']
    assert 'use 36 bits' in q35.status
    assert q35.context.platform.machine == 'q35'
    # the guest judged on each host is the one on the image's q35
    host = core.Host(46, frozenset(core.MODE_TRAITS.values()))
    assert not q35.requirement.admits(host)
    assert plain.requirement.admits(host)


def test_image_pc_overrides_a_q35_configuration():
    specs = core.Config('emulate', 35).extra_specs()
    configured = small_context(core.Platform('q35'))
    assert core.diagnose_pair(specs, {}, context=configured).is_error
    verdict = core.diagnose_pair(
        specs, {'hw_machine_type': 'pc'}, context=configured
    )
    assert verdict.status == 'ok'


def test_an_unknown_machine_type_is_not_guessed():
    specs = core.Config('emulate', 35).extra_specs()
    verdict = core.diagnose_pair(
        specs, {'hw_machine_type': 'virt'}, context=small_context()
    )
    assert [f.code for f in verdict.findings] == ['image-platform-unknown']
    assert not verdict.is_error
    # the width is not checked: no guest for the hosts' boot check
    assert verdict.context is None
    assert verdict.requirement is not None


def test_an_unconfigured_pair_ignores_the_image_platform():
    verdict = core.diagnose_pair(
        {}, {'hw_machine_type': 'virt'}, context=small_context()
    )
    assert verdict.status == 'not configured'


def test_a_servers_configuration_uses_its_images_platform():
    specs = core.Config('emulate', 35).extra_specs()
    config = core.server_verdict(specs, {'hw_machine_type': 'q35'}, 2048)
    assert config.is_error
    assert config.context.platform.machine == 'q35'
    assert core.server_verdict(specs, {}, 2048).status == 'ok'


def test_server_image_keeps_the_platform_properties():
    assert 'hw_machine_type' in core.IMAGE_PROPERTIES
    assert 'hw_firmware_type' in core.IMAGE_PROPERTIES
