"""The options the commands share: the clouds.yaml section, --device-bar."""

import pytest

from osc_maxphysaddr import core
from osc_maxphysaddr import options

GIB = 1 << 30


@pytest.mark.parametrize(
    'text,expected',
    [
        ('h100=128GiB', ('h100', 128 * GIB)),
        ('h100=128G', ('h100', 128 * GIB)),
        (' nic = 512MiB', ('nic', 512 << 20)),
    ],
)
def test_parse_device_bar(text, expected):
    assert options.parse_device_bar(text) == expected


@pytest.mark.parametrize(
    'text', ['h100', '=128G', 'h100=', 'h100=12X', 'h100=0']
)
def test_parse_device_bar_refuses_a_malformed_one(text):
    with pytest.raises(core.MaxphysaddrError, match='--device-bar'):
        options.parse_device_bar(text)


def test_platform_defaults_are_novas():
    platform = options.platform_from(None)
    assert (platform.machine, platform.firmware) == ('pc', 'bios')
    assert platform.cpu_mode == 'host-model'
    assert platform.device_bars == {}


def test_options_win_over_the_config_section():
    section = {
        'machine_type': 'q35',
        'firmware': 'UEFI',
        'device_bars': {'h100': '128GiB', 'a100': '64GiB'},
    }
    from_config = options.platform_from(section)
    assert (from_config.machine, from_config.firmware) == ('q35', 'uefi')
    assert from_config.device_bars == {'h100': 128 * GIB, 'a100': 64 * GIB}
    overridden = options.platform_from(
        section, 'pc', 'bios', 'host-model', ['h100=80GiB']
    )
    assert (overridden.machine, overridden.firmware) == ('pc', 'bios')
    assert overridden.device_bars == {'h100': 80 * GIB, 'a100': 64 * GIB}


@pytest.mark.parametrize(
    'section,match',
    [
        ({'machine_type': 'virt'}, 'machine_type'),
        ({'firmware': 'coreboot'}, 'firmware'),
        ({'cpu_mode': 'maximum'}, 'cpu_mode'),
        ({'virt_type': 'xen'}, 'virt_type'),
        ({'seabios_version': 'latest'}, 'seabios_version.*SeaBIOS version'),
        ({'device_bars': {'h100': 'big'}}, 'device_bars: h100'),
        ({'device_bars': ['h100']}, 'device_bars'),
        ({'machine': 'q35'}, 'unknown keys: machine'),
        (['q35'], 'must be a mapping'),
    ],
)
def test_a_bad_config_section_is_one_error(section, match):
    with pytest.raises(core.MaxphysaddrError, match=match):
        options.platform_from(section)


def test_sdk_spelling_of_an_alias_is_found():
    # openstacksdk turns '-' into '_' in clouds.yaml keys
    platform = options.platform_from({'device_bars': {'a100_80g': '64G'}})
    assert platform.bar('a100-80g') == 64 * GIB
    assert platform.bar('a100') is None


def test_virt_type_comes_from_the_section_unless_given():
    assert options.platform_from(None).virt_type == 'kvm'
    section = {'virt_type': 'QEMU'}
    assert options.platform_from(section).virt_type == 'qemu'
    given = options.platform_from(section, virt_type='kvm')
    assert given.virt_type == 'kvm'


def test_cpu_mode_comes_from_the_section_unless_given():
    section = {'cpu_mode': 'Host-Passthrough'}
    assert options.platform_from(section).cpu_mode == 'host-passthrough'
    given = options.platform_from(section, cpu_mode='custom')
    assert given.cpu_mode == 'custom'


@pytest.mark.parametrize(
    'mode,bits,error',
    [
        ('emulate', None, '--bits is required with --mode emulate'),
        ('passthrough', 42, '--bits cannot be used with --mode passthrough'),
    ],
)
def test_the_options_are_named_where_the_core_refuses(mode, bits, error):
    with pytest.raises(core.MaxphysaddrError, match=error):
        options.config(mode, bits)
    assert options.config('emulate', 42) == core.Config('emulate', 42)


ALIAS = core.PCI_ALIAS_KEY


@pytest.mark.parametrize(
    'value,version',
    [
        ('1.16.2', (1, 16, 2)),
        ('rel-1.16.3', (1, 16, 3)),
        ('1.16.3-1', (1, 16, 3)),  # a Debian package version
        ('1.16.2-debian-1.16.2-1', (1, 16, 2)),  # as SeaBIOS prints it
        (1.17, (1, 17, 0)),  # YAML reads an unquoted 1.17 as a float
        ('2', (2, 0, 0)),
        (None, None),
    ],
)
def test_the_seabios_version_key(value, version):
    platform = options.platform_from({'seabios_version': value})
    assert platform.seabios == version
    context = core.guest_context(4096, {}, platform)
    assert context.guest(core.INTEL).seabios == version


def test_the_seabios_version_picks_one_rule():
    # 2 GiB q35 with one 64 GiB BAR at 39 bits (trusted on Intel): 1.16.2
    # puts it at 64 GiB, 1.16.3 at the top of 2^39, where it ends at 2^39
    specs = {ALIAS: 'gpu:1'}
    bars = {'device_bars': {'gpu': '64GiB'}, 'machine_type': 'q35'}
    old = core.guest_context(
        2048,
        specs,
        options.platform_from({**bars, 'seabios_version': '1.16.2'}),
    )
    new = core.guest_context(
        2048,
        specs,
        options.platform_from({**bars, 'seabios_version': '1.17.0'}),
    )
    either = core.guest_context(2048, specs, options.platform_from(bars))
    assert old.boots(39, core.INTEL)
    assert not new.boots(39, core.INTEL)
    assert not either.boots(39, core.INTEL)
    assert '1.17.0 and later' in new.boot(39, core.INTEL).reason
    assert '1.16.3' in either.boot(39, core.INTEL).reason
