"""``openstack hypervisor maxphysaddr list``."""

from __future__ import annotations

import logging

from osc_lib import exceptions as osc_exceptions
from osc_lib.cli import format_columns
from osc_lib.command import command

from osc_maxphysaddr import common
from osc_maxphysaddr import lazy

# Loaded on first use: see osc_maxphysaddr.lazy.
cloud = lazy.load('osc_maxphysaddr.cloud')
core = lazy.load('osc_maxphysaddr.core')
errors = lazy.load('osc_maxphysaddr.errors')

LOG = logging.getLogger(__name__)

COLUMNS = (
    'ID',
    'Hypervisor Hostname',
    'State',
    'Status',
    'Bits',
    'Emulated',
    'Passthrough',
)
LONG_COLUMNS = ('CPU Vendor', 'CPU Model')
UNKNOWN = 'unknown'


class ListHypervisorMaxphysaddr(command.Lister):
    _description = 'List hypervisors with their physical-address width'
    _epilog = (
        """One row a hypervisor: its reported address bits (from
``cpu_info``; empty when the host reports none, e.g. libvirt older than
8.7.0) and whether Placement gives it the ``COMPUTE_ADDRESS_SPACE_EMULATED``
and ``COMPUTE_ADDRESS_SPACE_PASSTHROUGH`` traits (``unknown`` when Placement
cannot be read).

Hypervisors are read at compute microversion 2.87 (the last one with
``cpu_info``; older clouds at their newest), all pages followed, and traits
with one Placement request per trait, so the request count does not grow
with the cloud. A summary of the widths goes to stderr (hidden by
``--quiet``).

With ``--flavor``, a host is listed when Nova's scheduler would admit the
flavor there and its guest boots there: at the flavor's width for emulate
(for the host's CPU vendor), at the host's own width for passthrough (a host
that reports no width is listed).
"""
        + common.PLATFORM_HELP
    )

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--min-bits',
            metavar='<bits>',
            type=common.bits_argument,
            help='Only hosts that report at least this many address bits',
        )
        parser.add_argument(
            '--mode',
            metavar='<mode>',
            choices=core.MODES,
            help="Only hosts with this mode's trait in Placement "
            '(emulate or passthrough)',
        )
        parser.add_argument(
            '--flavor',
            metavar='<flavor>',
            help="Only hosts that meet this flavor's maxphysaddr "
            "requirements (its mode's trait and, for emulate, at least its "
            'bits) and on which its guest boots, whatever their state '
            '(name or ID); refused for a flavor whose status is an error, '
            'and a flavor without maxphysaddr keys lists every host with a '
            'warning',
        )
        parser.add_argument(
            '--long',
            action='store_true',
            help='Also list the CPU vendor and model',
        )
        common.add_platform_options(parser)
        return parser

    def take_action(self, parsed_args):
        conn = self.app.client_manager.sdk_connection
        requirement = context = bits = None
        if parsed_args.flavor:
            with errors.as_command_error('invalid request'):
                platform = common.platform(conn, parsed_args)
            with errors.as_command_error(
                f'cannot read flavor {parsed_args.flavor}'
            ):
                (flavor,) = cloud.find_flavors(conn, [parsed_args.flavor])
                specs = cloud.flavor_extra_specs(conn, flavor)
                requirement = core.host_requirement(specs)
                context = core.guest_context(flavor['ram'], specs, platform)
                common.warn_devices(flavor, context)
                diagnosis = core.diagnose(specs, context=context)
                if isinstance(diagnosis.bits, int):
                    bits = diagnosis.bits
            if not diagnosis.configured:
                # Say so: a typo in --flavor must not pass for a listing
                # of that flavor's hosts.
                LOG.warning(
                    'Flavor %s has no maxphysaddr keys (not configured): '
                    'every hypervisor is listed',
                    common.label(flavor),
                )
        with errors.as_command_error('cannot list hypervisors'):
            inventory = cloud.read_inventory(conn)
        if not inventory.traits_known:
            LOG.warning('Traits are unknown: %s', inventory.placement_error)
            if parsed_args.mode or requirement:
                raise osc_exceptions.CommandError(
                    'cannot filter by trait without Placement; run without '
                    '--mode and --flavor'
                )

        boots = None if context is None else core.boots_on(context, bits)
        columns = COLUMNS + (LONG_COLUMNS if parsed_args.long else ())
        rows = []
        for hypervisor, host in zip(
            inventory.hypervisors, inventory.hosts(), strict=True
        ):
            if parsed_args.min_bits is not None and (
                host.bits is None or host.bits < parsed_args.min_bits
            ):
                continue
            if parsed_args.mode and (
                core.MODE_TRAITS[parsed_args.mode] not in host.traits
            ):
                continue
            if requirement is not None and not (
                requirement.admits(host.bits, host.traits) and boots(host)
            ):
                continue
            row = [
                hypervisor['id'],
                hypervisor.get('hypervisor_hostname'),
                host.state,
                host.status,
                host.bits,
            ] + [
                UNKNOWN if host.traits is None else trait in host.traits
                for trait in core.MODE_TRAITS.values()
            ]
            if parsed_args.long:
                row += core.cpu_vendor_model(hypervisor.get('cpu_info'))
            rows.append(tuple(row))
        return columns, rows

    def produce_output(self, parsed_args, column_names, data):
        """Print the table, then a summary of the widths on stderr."""
        data = list(data)
        result = super().produce_output(parsed_args, column_names, data)
        if self.app.options.verbose_level >= 1:
            self._summary(data)
        return result

    def _summary(self, rows):
        widths = [row[4] for row in rows if row[4] is not None]
        text = f'{len(rows)} hypervisor' + ('' if len(rows) == 1 else 's')
        if widths:
            text += f', bits {min(widths)} to {max(widths)}'
        if len(widths) < len(rows):
            text += f', {len(rows) - len(widths)} reporting no bits'
        self.app.stderr.write(text + '\n')


SHOW_COLUMNS = (
    'ID',
    'Hypervisor Hostname',
    'State',
    'Status',
    'Bits',
    'Traits',
    'CPU Vendor',
    'CPU Model',
    'Servers',
    'Stranded',
)


class ShowHypervisorMaxphysaddr(command.ShowOne):
    _description = (
        "Show a hypervisor's width and the servers that could not leave it"
    )
    _epilog = (
        """The "can I drain this host" answer: the hypervisor's width,
mode traits, state and status, CPU vendor and model; **Servers**, the
number of servers on it that carry a maxphysaddr configuration; and
**Stranded**, those of them with no target, by name and ID. With
``--check`` the command exits 1 when any server is stranded, naming them
on stderr, with the same output.

Servers are those of ``server maxphysaddr list`` on this hypervisor
(matched by hypervisor hostname), with the same targets; the request count
is the server pages, the hypervisor pages and one Placement request per
trait.
"""
        + common.TARGETS_NOTE
        + common.PLATFORM_HELP
    )

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'hypervisor',
            metavar='<hypervisor>',
            help='Hypervisor to show (hostname or ID)',
        )
        parser.add_argument(
            '--check',
            action='store_true',
            help='Exit 1 when a server on the hypervisor has no target',
        )
        common.add_platform_options(parser)
        return parser

    def take_action(self, parsed_args):
        conn = self.app.client_manager.sdk_connection
        wanted = parsed_args.hypervisor
        with errors.as_command_error('invalid request'):
            platform = common.platform(conn, parsed_args)
        with errors.as_command_error(f'cannot show hypervisor {wanted}'):
            inventory = cloud.read_inventory(conn)
            matches = [
                h
                for h in inventory.hypervisors
                if wanted in (str(h['id']), h.get('hypervisor_hostname'))
            ]
            if len(matches) != 1:
                raise core.MaxphysaddrError(
                    f'No hypervisor with a hostname or ID of {wanted!r} '
                    'exists.'
                    if not matches
                    else f'More than one hypervisor is named {wanted!r}; '
                    'use its ID instead.'
                )
            (hypervisor,) = matches
            servers, _ = cloud.list_servers(
                conn, node=hypervisor.get('hypervisor_hostname')
            )
        common.warn_placement(inventory)
        placed = common.placed_servers(inventory, servers, platform)
        host = inventory.hosts()[inventory.hypervisors.index(hypervisor)]
        stranded = [common.label(p.server) for p in placed if p.targets == 0]
        if parsed_args.check and stranded:
            self.app.stderr.write(
                'No other host can take these servers now: '
                + ', '.join(stranded)
                + '\n'
            )
            self._exit_code = 1
        traits = (
            UNKNOWN
            if host.traits is None
            else format_columns.ListColumn(
                sorted(
                    t for t in host.traits if t in core.MODE_TRAITS.values()
                )
            )
        )
        return SHOW_COLUMNS, (
            hypervisor['id'],
            hypervisor.get('hypervisor_hostname'),
            host.state,
            host.status,
            host.bits,
            traits,
            *core.cpu_vendor_model(hypervisor.get('cpu_info')),
            len(placed),
            format_columns.ListColumn(stranded),
        )

    def run(self, parsed_args):
        self._exit_code = 0
        code = super().run(parsed_args)
        return code or self._exit_code
