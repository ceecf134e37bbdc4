"""``openstack hypervisor maxphysaddr list|show``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from osc_lib import exceptions as osc_exceptions
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

COLUMNS = (
    'ID',
    'Hypervisor Hostname',
    'State',
    'Status',
    'Bits',
    'Emulated',
    'Passthrough',
    'Applies Width',
)
LONG_COLUMNS = ('CPU Vendor', 'CPU Model')
UNKNOWN = 'unknown'


class ListHypervisorMaxphysaddr(command.Lister):
    _description = 'List hypervisors with their physical-address width'
    _epilog = (
        """One row a hypervisor: its reported address bits (from
``cpu_info``; empty when the host reports none: a compute older than Nova
29.0.0, which has both traits from 28.0.0 but reports no width and writes
no ``<maxphysaddr>``, or libvirt older than 8.7.0) and whether Placement
gives it the ``COMPUTE_ADDRESS_SPACE_EMULATED`` and
``COMPUTE_ADDRESS_SPACE_PASSTHROUGH`` traits (``unknown`` when Placement
cannot be read). **Applies Width** is False for a host that holds a mode
trait but reports no width, as Nova 28.0.0 computes do: Nova schedules a
passthrough guest there by the trait alone and the guest silently gets
QEMU's default width; it is empty for a host without either trait.

Hypervisors are read at compute microversion 2.87 (the last one with
``cpu_info``; older clouds at their newest), all pages followed, and traits
with one Placement request per trait, so the request count does not grow
with the cloud. A summary of the widths goes to stderr (hidden by
``--quiet``).

With ``--flavor``, a host is listed when Nova's scheduler would admit the
flavor there and its guest boots there, for the host's CPU vendor, at the
width it gets there: the flavor's for emulate, the host's own for
passthrough and for emulate with ``cpu_mode = host-passthrough`` (a host
that reports no width is then not listed). These are the rules of the
flavor's Hosts count, whatever the host's state.
"""
        + options.PLATFORM_HELP
    )

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--min-bits',
            metavar='<bits>',
            type=options.bits_argument,
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
            '(name or ID), by the same rules as its Hosts count; refused for '
            'a flavor Nova cannot schedule as written (any error but the '
            'guest not booting at its width, which is judged host by host), '
            'and a flavor without maxphysaddr keys lists every host with a '
            'warning',
        )
        parser.add_argument(
            '--long',
            action='store_true',
            help='Also list the CPU vendor and model',
        )
        options.add_platform_options(parser)
        return parser

    def take_action(self, parsed_args):
        conn = self.app.client_manager.sdk_connection
        requirement = None
        if parsed_args.flavor:
            requirement = self._requirement(conn, parsed_args)
        with errors.as_command_error('cannot list hypervisors'):
            hosts = inventory.read_inventory(conn)
        if not hosts.traits_known:
            output.LOG.warning('Traits are unknown: %s', hosts.placement_error)
            if parsed_args.mode or requirement:
                raise osc_exceptions.CommandError(
                    'cannot filter by trait without Placement; run without '
                    '--mode and --flavor'
                )
        columns = COLUMNS + (LONG_COLUMNS if parsed_args.long else ())
        rows = []
        for host in hosts.hosts:
            if parsed_args.min_bits is not None and (
                host.bits is None or host.bits < parsed_args.min_bits
            ):
                continue
            if parsed_args.mode and (
                core.MODE_TRAITS[parsed_args.mode] not in (host.traits or ())
            ):
                continue
            if requirement is not None and not requirement.admits(host):
                continue
            row = [
                host.id,
                host.hostname,
                host.state,
                host.status,
                host.bits,
                *_traits_held(host),
                _applies_width(host),
            ]
            if parsed_args.long:
                row += host.cpu
            rows.append(tuple(row))
        return columns, rows

    def _requirement(self, conn, parsed_args):
        """``--flavor``: the flavor's requirement, as its Hosts count's."""
        with errors.as_command_error('invalid request'):
            platform = options.platform(conn, parsed_args)
        with errors.as_command_error(
            f'cannot read flavor {parsed_args.flavor}'
        ):
            (flavor,) = cloud.compute.find_flavors(conn, [parsed_args.flavor])
            specs = cloud.compute.flavor_extra_specs(conn, flavor)
        verdict = core.judge(specs, None, flavor['ram'], platform)
        if verdict.requirement is None:
            raise osc_exceptions.CommandError(
                f'Flavor {output.label(flavor)} cannot be scheduled as '
                f'written: {verdict.status}'
            )
        for found in verdict.findings:
            if found.code in core.DEVICE_FINDINGS:
                output.LOG.warning(
                    'Flavor %s: %s', output.label(flavor), found.message
                )
        if not verdict.configured:
            # Say so: a typo in --flavor must not pass for a listing
            # of that flavor's hosts.
            output.LOG.warning(
                'Flavor %s has no maxphysaddr keys (not configured): '
                'every hypervisor is listed',
                output.label(flavor),
            )
        return verdict.requirement

    def produce_output(self, parsed_args, column_names, data):
        """Print the table, then a summary of the widths on stderr."""
        data = list(data)
        result = super().produce_output(parsed_args, column_names, data)
        self._summary(data)
        return result

    def _summary(self, rows):
        widths = [row[4] for row in rows if row[4] is not None]
        text = f'{len(rows)} hypervisor' + ('' if len(rows) == 1 else 's')
        if widths:
            text += f', bits {min(widths)} to {max(widths)}'
        if len(widths) < len(rows):
            text += f', {len(rows) - len(widths)} reporting no bits'
        output.notice(text)


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


def _applies_width(host) -> bool | str | None:
    """Whether a host that may take maxphysaddr guests reports a width."""
    if host.bits is not None:
        return True
    if host.traits is None:
        return UNKNOWN
    if any(t in host.traits for t in core.MODE_TRAITS.values()):
        return False
    return None


def _traits_held(host: core.Host) -> list[bool | str]:
    """Whether the host holds each mode trait (``unknown`` if unknown)."""
    return [
        UNKNOWN if host.traits is None else trait in host.traits
        for trait in core.MODE_TRAITS.values()
    ]


class ShowHypervisorMaxphysaddr(output.Checked, command.ShowOne):
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
        + options.TARGETS_NOTE
        + options.PLATFORM_HELP
    )
    check_message = 'No other host can take these servers now'

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'hypervisor',
            metavar='<hypervisor>',
            help='Hypervisor to show (hostname or ID)',
        )
        options.add_check(parser, 'a server on the hypervisor has no target')
        options.add_platform_options(parser)
        return parser

    def take_action(self, parsed_args):
        conn = self.app.client_manager.sdk_connection
        wanted = parsed_args.hypervisor
        with errors.as_command_error('invalid request'):
            platform = options.platform(conn, parsed_args)
        with errors.as_command_error(f'cannot show hypervisor {wanted}'):
            hosts = inventory.read_inventory(conn)
            matches = [
                h for h in hosts.hosts if wanted in (str(h.id), h.hostname)
            ]
            if len(matches) != 1:
                raise core.MaxphysaddrError(
                    f'No hypervisor with a hostname or ID of {wanted!r} '
                    'exists.'
                    if not matches
                    else f'More than one hypervisor is named {wanted!r}; '
                    'use its ID instead.'
                )
            (host,) = matches
            servers, _ = cloud.compute.list_servers(conn, node=host.hostname)
        inventory.warn_placement(hosts)
        placed = core.placed_servers(hosts.hosts, servers, platform)
        stranded = [output.label(p.server) for p in placed if p.targets == 0]
        for label in stranded:
            self.failed(label)
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
            host.id,
            host.hostname,
            host.state,
            host.status,
            host.bits,
            traits,
            *host.cpu,
            len(placed),
            format_columns.ListColumn(stranded),
        )
