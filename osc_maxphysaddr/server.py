"""``openstack server maxphysaddr list``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from osc_lib.cli import format_columns
from osc_lib.command import command

from osc_maxphysaddr import lazy
from osc_maxphysaddr import options
from osc_maxphysaddr import output

# Loaded on first use: see osc_maxphysaddr.lazy (type checkers read the
# modules themselves).
if TYPE_CHECKING:
    from osc_maxphysaddr import cloud
    from osc_maxphysaddr import core
    from osc_maxphysaddr import errors
    from osc_maxphysaddr import inventory
else:
    cloud = lazy.load('osc_maxphysaddr.cloud')
    core = lazy.load('osc_maxphysaddr.core')
    errors = lazy.load('osc_maxphysaddr.errors')
    inventory = lazy.load('osc_maxphysaddr.inventory')

COLUMNS = ('ID', 'Name', 'Host', 'Mode', 'Bits', 'Status', 'Targets')
LONG_COLUMNS = (
    'Flavor',
    'RAM',
    'CPU Vendor',
    'CPU Model',
    'Target Hosts',
)
#: How many target hosts ``--long`` names.
TARGET_NAMES = 3

# The microversion in the help text is cloud.compute.SERVER_MICROVERSION,
# written out so that help does not load the SDK calls (a test keeps them
# equal).
READ_NOTE = """
Servers are read with ``GET /servers/detail?all_tenants=1`` (admin) at
compute microversion 2.98 (negotiated down to 2.47 on older clouds), all
pages followed: each server embeds the flavor it runs with, extra specs
included, and from 2.98 its image's properties (``hw_maxphysaddr_mode``,
``hw_maxphysaddr_bits``). On clouds older than 2.98 only the flavor's
configuration is seen. Hosts are read as ``hypervisor maxphysaddr list``
reads them: the request count does not grow with the number of servers.
"""


class ListServerMaxphysaddr(command.Lister):
    _description = 'List servers with a physical-address width configuration'
    _epilog = (
        """One row a server whose flavor (or image) carries a maxphysaddr
configuration, across all projects: its mode; its bits (emulate: the
flavor's, else the image's; passthrough: its host's reported width, which
the guest sees); the status of the configuration (as ``flavor maxphysaddr
show FLAVOR --image IMAGE`` gives it for the flavor and image the server
runs with, on the same guest platform); and how many hosts could take it
if its host were drained.
"""
        + options.TARGETS_NOTE
        + READ_NOTE
        + options.PLATFORM_HELP
    )

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--host',
            metavar='<host>',
            help='Only servers on this compute host (exact name, as '
            '"openstack server list --host" takes it)',
        )
        parser.add_argument(
            '--project',
            metavar='<project>',
            help='Only servers of this project (name or ID; a name costs '
            'one Identity request)',
        )
        parser.add_argument(
            '--long',
            action='store_true',
            help='Also list the flavor name and RAM, the CPU vendor and '
            f'model of the host, and up to {TARGET_NAMES} target hosts',
        )
        options.add_platform_options(parser)
        return parser

    def take_action(self, parsed_args):
        conn = self.app.client_manager.sdk_connection
        with errors.as_command_error('invalid request'):
            platform = options.platform(conn, parsed_args)
        with errors.as_command_error('cannot list servers'):
            project_id = None
            if parsed_args.project:
                project_id = cloud.identity.find_project_id(
                    conn, parsed_args.project
                )
            servers, _ = cloud.compute.list_servers(
                conn, host=parsed_args.host, project_id=project_id
            )
            hosts = inventory.read_inventory(conn)
        inventory.warn_placement(hosts)
        placed = core.placed_servers(hosts.hosts, servers, platform)
        columns = COLUMNS + (LONG_COLUMNS if parsed_args.long else ())
        rows = [_row(p, parsed_args.long) for p in placed]
        stranded = [output.label(p.server) for p in placed if p.targets == 0]
        if stranded:
            output.LOG.warning(
                'No other host can take these servers now: %s',
                ', '.join(stranded),
            )
        return columns, rows


def _row(placed, long):
    server = placed.server
    row = [
        server['id'],
        server['name'],
        server['host'],
        placed.verdict.mode,
        placed.bits,
        placed.verdict.status,
        placed.targets,
    ]
    if long:
        host = placed.host
        names = (
            []
            if placed.reach is None
            else [h.hostname for h in placed.reach.first(TARGET_NAMES)]
        )
        row += [
            server['flavor'],
            server['ram'],
            *((None, None) if host is None else host.cpu),
            format_columns.ListColumn(names),
        ]
    return tuple(row)
