"""The guide's example session is real: replay it and compare.

Every ``$ openstack ...`` line of doc/source/user/examples.rst is run, in
order, against a fresh emulated cloud (``seed.standard_cloud(12)``), and
its output (stdout and stderr as a terminal shows them) must be what the
file says. After a deliberate change of output, regenerate the file with::

    REGENERATE_EXAMPLES=1 python -m pytest tests/commands/test_examples.py
"""

import contextlib
import io
import os
import pathlib
import re
import shlex

import os_traits
from openstackclient import shell

from tests.emulation import EmulatedCloud
from tests.emulation import seed
from tests.emulation.osc import reset_client_caches

EXAMPLES = (
    pathlib.Path(__file__).parents[2]
    / 'doc'
    / 'source'
    / 'user'
    / 'examples.rst'
)
COMMAND = re.compile(r'^   \$ openstack (.*)$', re.M)
E = os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
P = os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH
PORT = re.compile(r'127\.0\.0\.1:\d+')


def run(cloud, argv):
    reset_client_caches()
    terminal = io.StringIO()  # one stream: the order a terminal shows
    with (
        contextlib.redirect_stdout(terminal),
        contextlib.redirect_stderr(terminal),
    ):
        shell.main(cloud.os_args() + argv)
    return [line.rstrip() for line in terminal.getvalue().splitlines()]


def libvirt_traits(state):
    """Give both address-space traits to every host that has one.

    The libvirt driver reports both from one version check
    (``supports_address_space_*`` in nova/virt/libvirt/driver.py); the
    docs must not show a host that a real cloud cannot have.
    """
    both = {E, P}
    for provider in state.resource_providers.values():
        if provider.traits & both:
            provider.traits |= both
    return state


def replay(text):
    """The examples file with every command's output produced anew."""
    lines = text.splitlines()
    result = []
    with EmulatedCloud(libvirt_traits(seed.standard_cloud(12))) as cloud:
        i = 0
        while i < len(lines):
            line = lines[i]
            result.append(line)
            i += 1
            match = COMMAND.match(line)
            if not match:
                continue
            # drop the recorded output: indented lines up to a blank line
            while i < len(lines) and lines[i].startswith('   '):
                i += 1
            output = run(cloud, shlex.split(match.group(1)))
            while output and not output[-1]:
                output.pop()
            result += ['   ' + out if out else '' for out in output]
    return '\n'.join(result) + '\n'


def test_examples_are_real_output():
    text = EXAMPLES.read_text()
    assert len(COMMAND.findall(text)) >= 10
    fresh = replay(text)
    if os.environ.get('REGENERATE_EXAMPLES'):
        EXAMPLES.write_text(fresh)
    assert PORT.sub('127.0.0.1:PORT', fresh) == PORT.sub(
        '127.0.0.1:PORT', text
    )


def test_examples_show_no_host_with_only_one_trait():
    rows = [
        line
        for line in EXAMPLES.read_text().splitlines()
        if '.cloud.example.org' in line
    ]
    assert rows
    for row in rows:
        emulated, passthrough = row.split('|')[6:8]
        assert emulated.strip() == passthrough.strip(), row


def test_readme_output_is_taken_from_the_examples():
    readme = (EXAMPLES.parents[3] / 'README.rst').read_text()
    start = readme.index(
        '   $ openstack flavor maxphysaddr show m1.large\n   +'
    )
    block = readme[start : readme.index('\n\n', start)]
    assert block in EXAMPLES.read_text()
