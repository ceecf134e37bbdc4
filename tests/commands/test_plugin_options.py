"""The plugin adds no global option to ``openstack``, yet its commands load.

OSC reads ``API_NAME``, ``API_VERSION_OPTION`` and ``DEFAULT_API_VERSION``
from plugin.py to pick the command group; it needs no command-line option.
"""

import argparse

from openstackclient import shell

from osc_maxphysaddr import plugin


def option_strings(parser):
    return {opt for action in parser._actions for opt in action.option_strings}


def test_build_option_parser_adds_nothing():
    parser = argparse.ArgumentParser()
    before = option_strings(parser)
    assert plugin.build_option_parser(parser) is parser
    assert option_strings(parser) == before


def test_openstack_parser_has_no_maxphysaddr_option():
    app = shell.OpenStackShell()
    parser = app.build_option_parser('description', '1.0')
    options = option_strings(parser)
    # The parser is OSC's real one, with every plugin's options.
    assert '--os-compute-api-version' in options
    assert [opt for opt in options if 'maxphysaddr' in opt] == []


def test_help_lists_no_maxphysaddr_option_but_every_command(cloud):
    result = cloud.run('--help')
    assert result.code in (0, None), result.err  # SystemExit() is success
    assert '--os-maxphysaddr' not in result.out
    assert 'OS_MAXPHYSADDR' not in result.out
    commands = [
        line.split('  ')[1].strip()
        for line in result.out.splitlines()
        if line.startswith('  ') and 'maxphysaddr' in line
    ]
    assert sorted(commands) == sorted(
        name.replace('_', ' ') for name in _registered()
    )


def test_commands_run_without_the_option(cloud):
    result = cloud.run('flavor', 'maxphysaddr', 'list', '--all', '-f', 'json')
    assert result.code == 0, result.err
    names = {row['Name'] for row in result.json()}
    assert names == {flavor.name for flavor in cloud.state.flavors.values()}
    assert cloud.api_requests('compute')


def test_the_removed_option_is_refused(cloud):
    result = cloud.run(
        '--os-maxphysaddr-api-version', '1', 'flavor', 'maxphysaddr', 'list'
    )
    assert result.code != 0
    assert cloud.api_requests() == []


def _registered():
    from tests.commands.test_entry_points import entry_points

    return entry_points()
