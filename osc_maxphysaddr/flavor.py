"""``openstack flavor maxphysaddr set|unset|show|list``."""

from __future__ import annotations

import argparse
import logging

from cliff import columns
from osc_lib.cli import format_columns
from osc_lib.command import command

from osc_maxphysaddr import common
from osc_maxphysaddr import lazy

# Loaded on first use: see osc_maxphysaddr.lazy.
cloud = lazy.load('osc_maxphysaddr.cloud')
core = lazy.load('osc_maxphysaddr.core')
errors = lazy.load('osc_maxphysaddr.errors')

LOG = logging.getLogger(__name__)

AUTO = 'auto'

CHANGE_COLUMNS = (
    'Flavor ID',
    'Flavor Name',
    'Key',
    'Action',
    'Old Value',
    'New Value',
)
SHOW_COLUMNS = (
    'ID',
    'Name',
    'RAM',
    'Mode',
    'Bits',
    'Required Traits',
    'Capabilities',
    'Status',
    'Hosts',
)
LIST_COLUMNS = ('ID', 'Name', 'RAM', 'Mode', 'Bits', 'Status', 'Hosts')
LIST_LONG_COLUMNS = ('Required Traits', 'Capabilities')
EXPLAIN_COLUMNS = ('Platform', 'Layout', 'Verdict')

PASSTHROUGH_REMINDER = (
    'Reminder: passthrough needs compute nodes with '
    '[libvirt] cpu_mode = host-passthrough, and guests only migrate '
    'between hosts with the same address width.'
)

# The microversions in help texts are cloud.FLAVOR_MICROVERSION and
# cloud.HYPERVISOR_MICROVERSION, written out so that help does not load
# the SDK calls (a test keeps them equal).
_WRITE_NOTE = """
Writes always use compute microversion 2.85 (or the
cloud's newest, if older), whatever ``--os-compute-api-version`` says: from
2.86 Nova validates extra specs, has no validator for ``hw:maxphysaddr_*``,
and rejects them with HTTP 400.
"""

_HOSTS_NOTE = """
**Hosts** counts the hypervisors that can take the flavor now: up, enabled,
holding its mode's trait in Placement, for emulate reporting at least its
bits, and on which the guest boots (at the flavor's width for emulate, at
the host's own width for passthrough; a host that reports no width is
counted). It is an upper bound: capacity, host aggregates, other traits and
the other scheduler filters are not looked at. It is empty when the flavor
is not configured or has an error, when Placement cannot be read, and for
users who may read flavors but not hypervisors (admin-only by default).
"""

_CHECK_NOTE = """
``--check`` makes the exit status 1 when a flavor shown has an ``error:``
status, and names those flavors on stderr; the output is unchanged. Without
it the exit status is 0 whatever the status, as for any listing. With
``--image`` the status that counts is the pair's.
"""


def _add_check(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        '--check',
        action='store_true',
        help='Exit with status 1 when a flavor shown has an error status '
        '(for scripts; the output is unchanged)',
    )


class _Checked:
    """``--check``: exit 1 after the output when a shown flavor is broken.

    ``take_action`` fills :attr:`broken` with the labels of the flavors
    whose status is an error; cliff has printed the output by the time
    :meth:`run` returns, and OSC exits with what it returns.
    """

    broken: list[str]

    def run(self, parsed_args):
        self.broken = []
        result = super().run(parsed_args)  # type: ignore[misc]
        if parsed_args.check and self.broken:
            LOG.error(
                'Flavors with an error status: %s', ', '.join(self.broken)
            )
            return 1
        return result


class LayoutColumn(columns.FormattableColumn):
    """The regions of ``show --explain``: a small table, or a list of dicts.

    Each region is (region, start, size) in bytes; start is None for a BAR,
    whose address the firmware picks.
    """

    def human_readable(self):
        rows = [('Region', 'Start', 'End', 'Size')]
        for region, start, size in self._value:
            if start is None:
                rows.append((region, '', '', core.format_bytes(size)))
            else:
                rows.append(
                    (
                        region,
                        _address(start),
                        _address(start + size),
                        core.format_bytes(size),
                    )
                )
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        return '\n'.join(
            '  '.join(
                cell.ljust(w) for cell, w in zip(row, widths, strict=True)
            ).rstrip()
            for row in rows
        )

    def machine_readable(self):
        return [
            {
                'region': region,
                'start': start,
                'end': None if start is None else start + size,
                'size': size,
            }
            for region, start, size in self._value
        ]


def _address(value: int) -> str:
    return core.format_bytes(value) if value else '0'


def _explain(context, diagnosis) -> list:
    """The values of EXPLAIN_COLUMNS for a flavor's guest."""
    bits = diagnosis.bits
    if diagnosis.mode == core.EMULATE and isinstance(bits, int):
        prefix = f'{bits} bits: '
    else:
        bits = context.min_bits() or core.MAX_BITS
        prefix = f'the smallest width that works, {bits} bits: '
    # No host is read: the verdict is the stricter vendor's.
    vendor, verdict, regions = core.layout(context, bits)
    if context.boots(bits, core.INTEL) == context.boots(bits, core.AMD):
        cpu = 'Intel or AMD CPU'
    else:
        name = 'Intel' if vendor == core.INTEL else 'AMD'
        cpu = f'{name} CPU (the stricter of Intel and AMD)'
    platform = context.platform
    return [
        f'{platform.machine}, {platform.firmware}, {cpu}',
        LayoutColumn([(r.region, r.start, r.size) for r in regions]),
        prefix
        + ('boots' if verdict.boots else 'does not boot')
        + f': {verdict.reason}',
    ]


def bits_or_auto(text: str) -> int | str:
    """argparse type for ``--bits``: a width or ``auto``."""
    return AUTO if text.strip() == AUTO else common.bits_argument(text)


def _flavor_positional(parser: argparse.ArgumentParser, many: bool) -> None:
    parser.add_argument(
        'flavor',
        metavar='<flavor>',
        nargs='+' if many else None,
        help='Flavor to act on (name or ID)'
        + ('; repeat for several flavors' if many else ''),
    )


class _ChangeFlavors(common.ChangeCommand):
    """Shared body of ``set`` and ``unset``.

    Each flavor gets its new keys in one request, then its stale keys
    deleted (see :class:`common.ChangeCommand` for the rest).
    """

    noun = 'flavor'
    columns = CHANGE_COLUMNS

    def find(self, conn, refs):
        return cloud.find_flavors(conn, refs)

    def current(self, conn, resource):
        return cloud.flavor_extra_specs(conn, resource)

    def plan(self, current, target):
        return core.plan(current, target)

    def write(self, conn, flavor, spec_plan) -> str | None:
        """Add or change the new keys first, then delete stale ones.

        Returns None when every write went through, else the one line that
        says what failed (see :func:`errors.write_failure`).
        """
        done: list[str] = []
        step = ''
        try:
            if spec_plan.to_set:
                step = 'set ' + ', '.join(sorted(spec_plan.to_set))
                cloud.set_extra_specs(conn, flavor['id'], spec_plan.to_set)
                done = sorted(spec_plan.to_set)
            for key in spec_plan.to_delete:
                step = 'delete ' + key
                cloud.delete_extra_spec(conn, flavor['id'], key)
                done.append(key)
        except errors.EXPECTED as exc:
            return errors.write_failure(
                exc,
                f'flavor {common.label(flavor)}',
                step,
                now_set=[k for k in done if k in spec_plan.to_set],
                remaining=[k for k in spec_plan.to_delete if k not in done],
                wrote_something=bool(done),
            )
        return None


class SetFlavorMaxphysaddr(_ChangeFlavors):
    _description = 'Give flavors a guest CPU physical-address width'
    _epilog = (
        """``--mode emulate --bits N`` sets ``hw:maxphysaddr_mode=emulate``,
``hw:maxphysaddr_bits=N``, ``trait:COMPUTE_ADDRESS_SPACE_EMULATED=required``
and ``capabilities:cpu_info:maxphysaddr:bits='>= N'``: the guest sees N
address bits and is only scheduled to hosts that report at least N (on
compute nodes with ``cpu_mode=host-passthrough`` QEMU keeps the host's
width, so there the setting only picks the hosts).
``--mode passthrough`` sets ``hw:maxphysaddr_mode=passthrough`` and
``trait:COMPUTE_ADDRESS_SPACE_PASSTHROUGH=required``: the guest sees its
host's width (needs ``cpu_mode=host-passthrough`` on the compute nodes).

Stale keys of another configuration are removed; keys unrelated to
maxphysaddr are never touched. Re-running the same command writes nothing.
The output lists each key added, changed or removed. A flavor whose write
fails gets one line on stderr: what Nova refused and why, or what failed,
and whether anything was written.

An emulated width is checked with the address-space model: it is refused,
and nothing is written for any of the flavors, when QEMU would not start the
guest (its RAM and 64-bit PCI hole reach 2^bits) or the UEFI firmware could
not place the BARs of its passed-through devices; the message names the
smallest width that works. ``--force`` writes it anyway. Without hypervisors
to read, a width must work for Intel and AMD guest CPUs alike.

``--bits auto`` picks, for each flavor, the smallest width from the lowest
one that up, enabled hypervisors with ``COMPUTE_ADDRESS_SPACE_EMULATED``
report upward at which the guest boots on every hypervisor the scheduler
would then admit (whatever its state), and says how many up, enabled
hypervisors can take it.
"""
        + common.PLATFORM_HELP
        + _WRITE_NOTE
    )

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _flavor_positional(parser, many=True)
        common.add_mode_option(parser)
        parser.add_argument(
            '--bits',
            metavar='<bits>',
            type=bits_or_auto,
            help=f'Guest physical-address bits, {core.MIN_BITS} to '
            f'{core.MAX_BITS}, or "auto" for the smallest width, from the '
            'lowest any up, enabled hypervisor with the '
            'COMPUTE_ADDRESS_SPACE_EMULATED trait reports, at which the '
            'guest boots on every hypervisor that admits it '
            '(required with --mode emulate, refused with passthrough)',
        )
        parser.add_argument(
            '--force',
            action='store_true',
            help='Write a width even when the guest would not boot at it '
            '(QEMU would not start, or devices would lose their BARs)',
        )
        parser.add_argument(
            '--image',
            metavar='<image>',
            action='append',
            default=[],
            help='Warn if this image (name or ID) sets a different '
            'hw_maxphysaddr_mode (repeat for several images)',
        )
        parser.add_argument(
            '--dry-run',
            action='store_true',
            help='Show the keys that would be added, changed and removed; '
            'write nothing',
        )
        common.add_platform_options(parser)
        return parser

    def validate(self, parsed_args):
        if parsed_args.bits == AUTO and parsed_args.mode != core.EMULATE:
            raise core.MaxphysaddrError(
                '--bits auto only works with --mode emulate'
            )
        if parsed_args.bits != AUTO:
            core.Config(parsed_args.mode, parsed_args.bits)
        self.platform = common.platform(
            self.app.client_manager.sdk_connection, parsed_args
        )

    def targets(self, conn, parsed_args, flavors):
        if parsed_args.mode != core.EMULATE:
            config = core.Config(parsed_args.mode, parsed_args.bits)
            return [config.extra_specs() for _ in flavors]
        contexts = []
        for flavor, specs in flavors:
            context = core.guest_context(flavor['ram'], specs, self.platform)
            common.warn_devices(flavor, context)
            contexts.append(context)
        if parsed_args.bits == AUTO:
            widths = self._auto(conn, flavors, contexts)
        else:
            widths = [parsed_args.bits for _ in flavors]
            self._guard(widths, flavors, contexts, parsed_args.force)
        return [
            core.Config(core.EMULATE, bits).extra_specs() for bits in widths
        ]

    def _auto(self, conn, flavors, contexts) -> list[int]:
        """Each flavor's ``--bits auto`` width; refuse if one has none."""
        # Not "cannot read the flavors": a 403 or an unreachable compute
        # API here is about the hypervisors.
        with errors.as_command_error(
            '--bits auto cannot read the hypervisors'
        ):
            inventory = cloud.read_inventory(conn)
        if not inventory.traits_known:
            raise core.MaxphysaddrError(
                '--bits auto cannot read which hypervisors have the '
                f'{core.MODE_TRAITS[core.EMULATE]} trait: '
                f'{inventory.placement_error}. Nothing was written.'
            )
        hosts = inventory.hosts()
        widths, refused = [], []
        for (flavor, _), context in zip(flavors, contexts, strict=True):
            try:
                bits = core.auto_bits(hosts, context)
            except core.MaxphysaddrError as exc:
                refused.append(f'flavor {common.label(flavor)}: {exc}')
                continue
            requirement = core.host_requirement(
                core.Config(core.EMULATE, bits).extra_specs()
            )
            taking = core.takers(requirement, hosts, context, bits) or ()
            self.notice(
                f'--bits auto: {bits} bits for flavor '
                f'{common.label(flavor)}; {len(taking)} up, enabled '
                'hypervisors can take it.'
            )
            widths.append(bits)
        if refused:
            raise core.MaxphysaddrError(
                '; '.join(refused) + '. Nothing was written.'
            )
        return widths

    def _guard(self, widths, flavors, contexts, force) -> None:
        """Refuse widths at which a guest would not boot (unless forced)."""
        refused = []
        for bits, (flavor, _), context in zip(
            widths, flavors, contexts, strict=True
        ):
            found = core.width_finding(context, bits)
            if found is None:
                continue
            message = f'flavor {common.label(flavor)}: {found.message}'
            if force:
                LOG.warning('%s (written anyway: --force)', message)
            else:
                refused.append(message)
        if refused:
            raise core.MaxphysaddrError(
                '; '.join(refused)
                + '. Nothing was written (--force writes it anyway).'
            )

    def take_action(self, parsed_args):
        if parsed_args.image:
            common.warn_flavor_set_conflicts(
                self.app.client_manager.sdk_connection,
                parsed_args.mode,
                parsed_args.image,
            )
        result = super().take_action(parsed_args)
        if parsed_args.mode == core.PASSTHROUGH:
            self.notice(PASSTHROUGH_REMINDER)
        return result


class UnsetFlavorMaxphysaddr(_ChangeFlavors):
    _description = 'Remove the guest physical-address width from flavors'
    _epilog = (
        """Removes every maxphysaddr key: ``hw:maxphysaddr_mode``,
``hw:maxphysaddr_bits``, both ``trait:COMPUTE_ADDRESS_SPACE_*`` keys and
``capabilities:cpu_info:maxphysaddr:bits``. Other keys stay. Running it on
a flavor without these keys writes nothing.
"""
        + _WRITE_NOTE
    )

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _flavor_positional(parser, many=True)
        parser.add_argument(
            '--dry-run',
            action='store_true',
            help='Show the keys that would be removed; write nothing',
        )
        return parser

    def targets(self, conn, parsed_args, flavors):
        return [{} for _ in flavors]


class ShowFlavorMaxphysaddr(_Checked, command.ShowOne):
    _description = "Show a flavor's guest physical-address width and status"
    _epilog = (
        """Status tells whether Nova will honour the flavor as
written: ``ok``, ``not configured``, or ``error: ...`` / ``warning: ...``
with the reasons, errors first, joined with semicolons.

``--explain`` adds the guest's platform, its address-space layout (RAM below
and above 4 GiB, QEMU's 64-bit PCI hole, the firmware's 64-bit PCI window,
each device BAR and 2^bits) and the verdict with its numbers; with ``-f
json`` the layout is a list of regions in bytes.
"""
        + common.PLATFORM_HELP
        + _HOSTS_NOTE
        + _CHECK_NOTE
    )

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _flavor_positional(parser, many=False)
        _add_check(parser)
        parser.add_argument(
            '--long',
            action='store_true',
            help='Also list the hostnames of the hypervisors that can take '
            'the flavor now',
        )
        parser.add_argument(
            '--explain',
            action='store_true',
            help="Also show the guest's platform, its address-space layout "
            'and why it boots or not at its width (for passthrough: at the '
            'smallest width that works)',
        )
        common.add_platform_options(parser)
        parser.add_argument(
            '--image', metavar='<image>', help=common.IMAGE_OPTION_HELP
        )
        return parser

    def take_action(self, parsed_args):
        conn = self.app.client_manager.sdk_connection
        with errors.as_command_error('invalid request'):
            platform = common.platform(conn, parsed_args)
        if parsed_args.image:
            return common.show_flavor_with_image(
                conn, parsed_args, platform, self.broken
            )
        action = f'cannot show flavor {parsed_args.flavor}'
        with errors.as_command_error(action):
            (flavor,) = cloud.find_flavors(conn, [parsed_args.flavor])
            specs = cloud.flavor_extra_specs(conn, flavor)
            context = core.guest_context(flavor['ram'], specs, platform)
            diagnosis = core.diagnose(specs, context=context)
            if diagnosis.is_error:
                self.broken.append(common.label(flavor))
            eligible = None
            if diagnosis.configured and not diagnosis.is_error:
                inventory = common.read_hosts(conn)
                if inventory is not None:
                    eligible = common.eligible(
                        inventory, specs, diagnosis, context
                    )
        columns = SHOW_COLUMNS
        values = [
            flavor['id'],
            flavor['name'],
            flavor.get('ram'),
            diagnosis.mode,
            diagnosis.bits,
            format_columns.ListColumn(list(diagnosis.required_traits)),
            diagnosis.capability,
            diagnosis.status,
            None if eligible is None else len(eligible),
        ]
        if parsed_args.long:
            columns += ('Host Names',)
            values.append(common.host_names(eligible))
        if parsed_args.explain:
            columns += EXPLAIN_COLUMNS
            values += _explain(context, diagnosis)
        return columns, values


class ListFlavorMaxphysaddr(_Checked, command.Lister):
    _description = 'List flavors with their physical-address width'
    _epilog = (
        """One row a flavor that carries any maxphysaddr key (``--all``: every
flavor), with the same status as ``flavor maxphysaddr show`` and the number
of hypervisors that can take it now. Flavors that no hypervisor can take are
named on stderr.

The hypervisors and their traits are read once for the whole listing, with
the same requests as ``hypervisor maxphysaddr list``, never per flavor.
"""
        + common.PLATFORM_HELP
        + _HOSTS_NOTE
        + _CHECK_NOTE
    )

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_check(parser)
        parser.add_argument(
            '--all',
            action='store_true',
            help='List every flavor, configured or not',
        )
        parser.add_argument(
            '--long',
            action='store_true',
            help='Also list the required traits and capabilities',
        )
        common.add_platform_options(parser)
        parser.add_argument(
            '--image', metavar='<image>', help=common.IMAGE_OPTION_HELP
        )
        return parser

    def take_action(self, parsed_args):
        conn = self.app.client_manager.sdk_connection
        with errors.as_command_error('invalid request'):
            platform = common.platform(conn, parsed_args)
        if parsed_args.image:
            return common.list_flavors_with_image(
                conn, parsed_args, platform, self.broken
            )
        with errors.as_command_error('cannot list flavors'):
            flavors = cloud.all_flavors(conn)
            diagnosed = []
            for flavor, specs in flavors:
                context = core.guest_context(flavor['ram'], specs, platform)
                diagnosed.append(
                    (
                        flavor,
                        specs,
                        context,
                        core.diagnose(specs, context=context),
                    )
                )
            if not parsed_args.all:
                diagnosed = [d for d in diagnosed if d[3].configured]
            inventory = None
            if any(d.configured and not d.is_error for *_, d in diagnosed):
                inventory = common.read_hosts(conn)
        columns = LIST_COLUMNS + (
            LIST_LONG_COLUMNS if parsed_args.long else ()
        )
        rows = []
        stranded = []
        for flavor, specs, context, diagnosis in diagnosed:
            eligible = (
                None
                if inventory is None
                else common.eligible(inventory, specs, diagnosis, context)
            )
            if eligible == []:
                stranded.append(common.label(flavor))
            if diagnosis.is_error:
                self.broken.append(common.label(flavor))
            row = [
                flavor['id'],
                flavor['name'],
                flavor.get('ram'),
                diagnosis.mode,
                diagnosis.bits,
                diagnosis.status,
                None if eligible is None else len(eligible),
            ]
            if parsed_args.long:
                row += [
                    format_columns.ListColumn(list(diagnosis.required_traits)),
                    diagnosis.capability,
                ]
            rows.append(tuple(row))
        if stranded:
            LOG.warning(
                'No hypervisor can take these flavors now: %s',
                ', '.join(stranded),
            )
        return columns, rows
