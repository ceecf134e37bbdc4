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
    ]


@pytest.mark.parametrize('command', COMMANDS)
def test_help_renders_without_a_cloud(cloud, command):
    result = cloud.run(*command.split(), '--help')
    assert result.code == 0, result.err
    assert f' {command} [-h]' in result.out
    assert 'osc-maxphysaddr' in result.out
    assert cloud.api_requests() == []


def test_complete_lists_the_commands(cloud):
    result = cloud.run('complete')
    assert result.code == 0, result.err
    assert "cmds_flavor_maxphysaddr='list set show unset'" in result.out
    assert "cmds_hypervisor_maxphysaddr='list'" in result.out
    assert '--bits' in result.out and '--dry-run' in result.out


def test_plugin_module_imports_nothing_heavy():
    import subprocess
    import sys

    code = (
        'import sys; before = set(sys.modules); '
        'import osc_maxphysaddr.plugin; '
        'print(sorted(set(sys.modules) - before))'
    )
    out = subprocess.run(
        [sys.executable, '-c', code],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    loaded = eval(out)  # noqa: S307 - our own subprocess's repr
    assert loaded == ['osc_maxphysaddr', 'osc_maxphysaddr.plugin']
