"""Every registered command builds its parser, renders --help, completes."""

import configparser
import pathlib

import pytest

SETUP_CFG = pathlib.Path(__file__).parents[2] / 'setup.cfg'


def entry_points():
    config = configparser.ConfigParser()
    config.read(SETUP_CFG)
    raw = config['entry_points']['openstack.maxphysaddr.v1']
    return [
        line.split('=')[0].strip() for line in raw.splitlines() if line.strip()
    ]


COMMANDS = [name.replace('_', ' ') for name in entry_points()]


def test_the_four_commands_and_list_are_registered():
    assert sorted(COMMANDS) == [
        'flavor maxphysaddr list',
        'flavor maxphysaddr set',
        'flavor maxphysaddr show',
        'flavor maxphysaddr unset',
        'hypervisor maxphysaddr list',
        'hypervisor maxphysaddr show',
        'image maxphysaddr set',
        'image maxphysaddr show',
        'image maxphysaddr unset',
        'server maxphysaddr list',
    ]


@pytest.mark.parametrize('command', COMMANDS)
def test_help_renders_without_a_cloud(cloud, command):
    result = cloud.run(*command.split(), '--help')
    assert result.code == 0, result.err
    assert f' {command} [-h]' in result.out
    # argparse wraps the epilog, breaking lines after hyphens too
    assert 'osc-maxphysaddr' in result.out.replace('-\n', '-')
    assert cloud.api_requests() == []


def test_complete_lists_the_commands(cloud):
    result = cloud.run('complete')
    assert result.code == 0, result.err
    assert "cmds_flavor_maxphysaddr='list set show unset'" in result.out
    assert "cmds_hypervisor_maxphysaddr='list show'" in result.out
    assert "cmds_image_maxphysaddr='set show unset'" in result.out
    assert "cmds_server_maxphysaddr='list'" in result.out
    assert '--bits' in result.out and '--dry-run' in result.out


def modules_loaded_by(statement):
    """The modules a fresh interpreter loads for ``statement``."""
    import subprocess
    import sys

    code = (
        'import sys, types; before = set(sys.modules); '
        f'{statement}; '
        'print(sorted(name for name in set(sys.modules) - before '
        'if type(sys.modules[name]) is types.ModuleType))'
    )
    out = subprocess.run(
        [sys.executable, '-c', code],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return eval(out)  # noqa: S307 - our own subprocess's repr


def test_plugin_module_imports_nothing_heavy():
    loaded = modules_loaded_by('import osc_maxphysaddr.plugin')
    assert loaded == ['osc_maxphysaddr', 'osc_maxphysaddr.plugin']


def test_the_core_loads_no_cloud_code():
    # hence two error bases: core.MaxphysaddrError and cloud.http.CloudError
    loaded = modules_loaded_by('import osc_maxphysaddr.core')
    assert not [
        name
        for name in loaded
        if name.startswith(('openstack', 'keystoneauth1'))
        or name.startswith('osc_maxphysaddr.cloud')
    ]
    assert 'osc_maxphysaddr.core' in loaded


def test_command_modules_defer_the_rest_of_the_plugin():
    # OSC imports every plugin's command modules on every call, so they
    # must not load the core, os-traits or the SDK calls until used.
    loaded = modules_loaded_by(
        'import openstackclient.shell, osc_lib.cli.format_columns; '
        'import osc_maxphysaddr.flavor, osc_maxphysaddr.hypervisor, '
        'osc_maxphysaddr.image, osc_maxphysaddr.server'
    )
    ours = [name for name in loaded if 'maxphysaddr' in name]
    assert ours == [
        'osc_maxphysaddr',
        'osc_maxphysaddr.flavor',
        'osc_maxphysaddr.hypervisor',
        'osc_maxphysaddr.image',
        'osc_maxphysaddr.lazy',
        'osc_maxphysaddr.options',
        'osc_maxphysaddr.output',
        'osc_maxphysaddr.planning',
        'osc_maxphysaddr.plugin',  # OSC's shell loads every plugin.py
        'osc_maxphysaddr.server',
        'osc_maxphysaddr.writes',
    ]
    assert 'os_traits' not in loaded
    loaded = modules_loaded_by(
        'import osc_maxphysaddr.flavor as f; f.core.MODE_TRAITS'
    )
    assert 'osc_maxphysaddr.core' in loaded
    # The trait names are plain constants: os-traits is never imported.
    assert 'os_traits' not in loaded


def test_help_texts_name_the_pins_and_traits_the_code_uses():
    import os_traits

    from osc_maxphysaddr import cloud
    from osc_maxphysaddr import flavor
    from osc_maxphysaddr import hypervisor

    assert (
        f'microversion {cloud.compute.FLAVOR_MICROVERSION} '
        in flavor._WRITE_NOTE
    )
    epilog = ' '.join(hypervisor.ListHypervisorMaxphysaddr._epilog.split())
    assert f'microversion {cloud.compute.HYPERVISOR_MICROVERSION} ' in epilog
    assert os_traits.COMPUTE_ADDRESS_SPACE_EMULATED in epilog
    assert os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH in epilog


def test_image_help_names_glance_patch_media_type():
    from osc_maxphysaddr import cloud
    from osc_maxphysaddr import image

    note = ' '.join(image._WRITE_NOTE.split())
    assert f'``{cloud.image.IMAGE_PATCH_CONTENT_TYPE}``' in note


def test_server_help_names_the_pin_traits_and_forced_moves():
    import os_traits

    from osc_maxphysaddr import cloud
    from osc_maxphysaddr import hypervisor
    from osc_maxphysaddr import server

    for epilog in (
        server.ListServerMaxphysaddr._epilog,
        hypervisor.ShowHypervisorMaxphysaddr._epilog,
    ):
        text = ' '.join(epilog.split())
        assert os_traits.COMPUTE_ADDRESS_SPACE_EMULATED in text
        assert os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH in text
        assert 'Forced moves skip the scheduler' in text
    text = ' '.join(server.ListServerMaxphysaddr._epilog.split())
    assert f'microversion {cloud.compute.SERVER_MICROVERSION} ' in text
    assert '2.47' in text
