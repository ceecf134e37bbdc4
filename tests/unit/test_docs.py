"""Keep the documentation in step with the code, without building it.

* The operator guide's troubleshooting section has an entry for every status
  ``openstack flavor maxphysaddr show`` can print: ``ok``, ``not configured``
  and each rule of ``core.RULES``, quoting the rule's message.
* The command reference documents every command registered in setup.cfg.
"""

from __future__ import annotations

import configparser
import fnmatch
import re
import string
from pathlib import Path

import pytest

from osc_maxphysaddr import core
from osc_maxphysaddr.core.findings import IMAGE_RULES

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / 'doc' / 'source' / 'user' / 'guide.rst'
CLI_REFERENCE = ROOT / 'doc' / 'source' / 'cli' / 'index.rst'
SETUP_CFG = ROOT / 'setup.cfg'
COMMAND_GROUP = 'openstack.maxphysaddr.v1'
SPECIAL_STATUSES = {core.OK: 'ok', core.NOT_CONFIGURED: 'not-configured'}


def _troubleshooting() -> str:
    """The guide's troubleshooting section, from its label to the end."""
    text = GUIDE.read_text(encoding='utf-8')
    start = text.find('.. _troubleshooting:')
    assert start != -1, 'guide.rst has no ".. _troubleshooting:" section'
    return text[start:]


def _normalise(text: str) -> str:
    """Every run of whitespace as one space (literal blocks wrap lines)."""
    return re.sub(r'\s+', ' ', text)


def _message_pattern(rule: core.Rule) -> re.Pattern[str]:
    """The printed finding, with every template field as a wildcard."""
    parts = [rule.severity + ': ']
    for literal, field, _spec, _conv in string.Formatter().parse(
        rule.template
    ):
        parts.append(re.escape(_normalise(literal)))
        if field is not None:
            # A value from the flavor, written as <...> in the guide.
            parts.append(r'\S.{0,39}?')
    return re.compile(''.join(parts))


@pytest.mark.parametrize('code', sorted(core.RULES))
def test_guide_documents_rule(code):
    section = _troubleshooting()
    assert f'.. _status-{code}:' in section, (
        f'guide.rst troubleshooting has no entry (".. _status-{code}:") '
        f'for the {code!r} finding'
    )
    pattern = _message_pattern(core.RULES[code])
    assert pattern.search(_normalise(section)), (
        f'guide.rst troubleshooting does not quote the {code!r} message: '
        f'{core.RULES[code].severity}: {core.RULES[code].template}'
    )


@pytest.mark.parametrize('status', sorted(SPECIAL_STATUSES))
def test_guide_documents_plain_status(status):
    section = _troubleshooting()
    label = SPECIAL_STATUSES[status]
    assert f'.. _status-{label}:' in section
    # A section titled with the status exactly as it is printed.
    title = re.escape(status)
    assert re.search(rf'^{title}\n-{{{len(status)}}}-*$', section, re.M), (
        f'guide.rst troubleshooting has no section titled {status!r}'
    )


def _status_table() -> str:
    section = _troubleshooting()
    start = section.find('.. _reading-the-keys:')
    assert start != -1, 'guide.rst has no ".. _reading-the-keys:" table'
    return section[start : section.index('.. _status-ok:', start)]


# The table reads flavor extra specs; the image findings have their own
# section ("Images"), which the tests above keep documented.
@pytest.mark.parametrize('code', sorted(set(core.RULES) - set(IMAGE_RULES)))
def test_status_table_has_a_row_for_every_finding(code):
    assert f':ref:`status-{code}`' in _status_table(), (
        f'the status table of guide.rst has no row for {code!r}'
    )


def test_guide_documents_no_unknown_status():
    labels = set(
        re.findall(r'^\.\. _status-([\w-]+):', _troubleshooting(), re.M)
    )
    known = set(core.RULES) | set(SPECIAL_STATUSES.values())
    assert labels <= known, (
        f'guide.rst documents statuses the code cannot print: '
        f'{sorted(labels - known)}'
    )


def _registered_commands() -> list[str]:
    config = configparser.ConfigParser()
    config.read(SETUP_CFG, encoding='utf-8')
    lines = config['entry_points'][COMMAND_GROUP].strip().splitlines()
    names = [line.split('=', 1)[0].strip() for line in lines if line.strip()]
    assert names, f'no commands in setup.cfg [{COMMAND_GROUP}]'
    return [name.replace('_', ' ') for name in names]


def _documented_patterns() -> list[str]:
    """The command patterns of each autoprogram-cliff directive on the group.

    A directive without ``:command:`` documents the whole group, as cliff's
    Sphinx extension does; patterns are matched with fnmatch, as there.
    """
    text = CLI_REFERENCE.read_text(encoding='utf-8')
    directive = re.compile(
        r'^\.\. autoprogram-cliff:: *(\S+)\n((?:[ \t]+:.*\n?)*)', re.M
    )
    patterns = []
    for group, options in directive.findall(text):
        if group != COMMAND_GROUP:
            continue
        command = re.search(r':command: *(.+)', options)
        patterns.append(command.group(1).strip() if command else '*')
    return patterns


@pytest.mark.parametrize('command', _registered_commands())
def test_cli_reference_documents_command(command):
    patterns = _documented_patterns()
    assert any(fnmatch.fnmatch(command, p) for p in patterns), (
        f'doc/source/cli/index.rst has no autoprogram-cliff directive on '
        f'{COMMAND_GROUP} that covers {command!r} (patterns: {patterns})'
    )
