"""``openstack flavor maxphysaddr set|unset|show|list``.

``show`` and ``list``, with or without ``--image``, build every row from
one pair verdict (:func:`core.diagnose_pair`; no image is an empty one),
judged once per flavor.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from osc_lib.cli import format_columns
from osc_lib.command import command

from osc_maxphysaddr import lazy
from osc_maxphysaddr import options
from osc_maxphysaddr import output
from osc_maxphysaddr import planning
from osc_maxphysaddr import writes

# Loaded on first use: see osc_maxphysaddr.lazy (type checkers read the
# modules themselves).
if TYPE_CHECKING:
    from osc_maxphysaddr import cloud
    from osc_maxphysaddr import core
    from osc_maxphysaddr import errors
    from osc_maxphysaddr import explain
    from osc_maxphysaddr import inventory
else:
    cloud = lazy.load('osc_maxphysaddr.cloud')
    core = lazy.load('osc_maxphysaddr.core')
    errors = lazy.load('osc_maxphysaddr.errors')
    explain = lazy.load('osc_maxphysaddr.explain')
    inventory = lazy.load('osc_maxphysaddr.inventory')

CHANGE_COLUMNS = (
    'Flavor ID', 'Flavor Name', 'Key', 'Action', 'Old Value', 'New Value',
)  # fmt: skip
SHOW_COLUMNS = (
    'ID', 'Name', 'RAM', 'Mode', 'Bits', 'Required Traits', 'Capabilities',
    'Status', 'Hosts',
)  # fmt: skip
IMAGE_SHOW_COLUMNS = (
    'ID', 'Name', 'RAM', 'Mode', 'Bits', 'Image ID', 'Image Name',
    'Image Mode', 'Image Bits', 'Guest Mode', 'Guest Bits', 'Required Traits',
    'Capabilities', 'Status', 'Hosts',
)  # fmt: skip
LIST_COLUMNS = ('ID', 'Name', 'RAM', 'Mode', 'Bits', 'Status', 'Hosts')
IMAGE_LIST_COLUMNS = (
    'ID', 'Name', 'RAM', 'Mode', 'Bits', 'Guest Mode', 'Guest Bits', 'Status',
    'Hosts',
)  # fmt: skip
LIST_LONG_COLUMNS = ('Required Traits', 'Capabilities')

PASSTHROUGH_REMINDER = (
    'Reminder: a passthrough guest gets the width of the host it boots on, '
    'whatever [libvirt] cpu_mode is, and keeps it when it live-migrates; '
    'Nova compares no widths, so keep passthrough flavors on hosts with the '
    'same width.'
)

# The microversions in help texts are cloud.compute.FLAVOR_MICROVERSION
# and cloud.compute.HYPERVISOR_MICROVERSION, written out so that help does
# not load the SDK calls (a test keeps them equal).
_WRITE_NOTE = """
Writes always use compute microversion 2.85 (or the
cloud's newest, if older), whatever ``--os-compute-api-version`` says: from
2.86 Nova validates extra specs, has no validator for ``hw:maxphysaddr_*``,
and rejects them with HTTP 400.
"""


_CHECK_WHAT = 'a flavor shown has an error status'


def _fields(flavor, image, verdict, hosts) -> dict[str, object]:
    """Every column a flavor's row may show, by name."""
    image = image or {}
    return {
        'ID': flavor['id'],
        'Name': flavor['name'],
        'RAM': flavor.get('ram'),
        'Mode': verdict.flavor.mode,
        'Bits': verdict.flavor.bits,
        'Image ID': image.get('id'),
        'Image Name': image.get('name'),
        'Image Mode': image.get(core.IMAGE_MODE_KEY),
        'Image Bits': image.get(core.IMAGE_BITS_KEY),
        'Guest Mode': verdict.mode,
        'Guest Bits': verdict.bits,
        'Required Traits': format_columns.ListColumn(
            list(verdict.required_traits)
        ),
        'Capabilities': verdict.capability,
        'Status': verdict.status,
        'Hosts': None if hosts is None else len(hosts),
        'Host Names': output.host_names(hosts),
    }


def _subject(flavor, image) -> str:
    if image is None:
        return output.label(flavor)
    return f'{output.label(flavor)} with image {output.label(image)}'


def _add_view_options(parser: argparse.ArgumentParser, long: str) -> None:
    """The options ``show`` and ``list`` share."""
    options.add_check(parser, _CHECK_WHAT)
    parser.add_argument('--long', action='store_true', help=long)
    options.add_platform_options(parser)
    parser.add_argument(
        '--image', metavar='<image>', help=options.IMAGE_OPTION_HELP
    )


def _flavor_positional(parser: argparse.ArgumentParser, many: bool) -> None:
    parser.add_argument(
        'flavor',
        metavar='<flavor>',
        nargs='+' if many else None,
        help='Flavor to act on (name or ID)'
        + ('; repeat for several flavors' if many else ''),
    )


class _ChangeFlavors(writes.ChangeCommand):
    """Shared body of ``set`` and ``unset``.

    Each flavor gets its new keys in one request, then its stale keys
    deleted (see :class:`writes.ChangeCommand` for the rest).
    """

    noun = 'flavor'
    columns = CHANGE_COLUMNS

    def find(self, conn, refs):
        return cloud.compute.find_flavors(conn, refs)

    def current(self, conn, resource):
        return cloud.compute.flavor_extra_specs(conn, resource)

    def plan(self, current, target):
        return core.plan(current, target)

    def write(self, conn, flavor, spec_plan) -> str | None:
        return writes.write_flavor(conn, flavor, spec_plan)


class SetFlavorMaxphysaddr(_ChangeFlavors):
    _description = 'Give flavors a guest CPU physical-address width'
    _epilog = (
        """``--mode emulate --bits N`` sets ``hw:maxphysaddr_mode=emulate``,
``hw:maxphysaddr_bits=N``, ``trait:COMPUTE_ADDRESS_SPACE_EMULATED=required``
and ``capabilities:cpu_info:maxphysaddr:bits='>= N'``: the guest sees N
address bits and is only scheduled to hosts that report at least N. On
compute nodes with ``cpu_mode = host-passthrough`` the guest gets its
host's width instead (libvirt 9.0 and QEMU 7.2, measured), so there the
setting only picks the hosts, and the command says so.
``--mode passthrough`` sets ``hw:maxphysaddr_mode=passthrough`` and
``trait:COMPUTE_ADDRESS_SPACE_PASSTHROUGH=required``: the guest sees its
host's width, with any ``cpu_mode`` (libvirt passes ``host-phys-bits=on``),
and keeps it across live migrations, which Nova does not check.

Stale keys of another configuration are removed; keys unrelated to
maxphysaddr are never touched. Re-running the same command writes nothing.
The output lists each key added, changed or removed. A flavor whose write
fails gets one line on stderr: what Nova refused and why, or what failed,
and whether anything was written.

An emulated width is checked with the address-space model: it is refused,
and nothing is written for any of the flavors, when QEMU would not start the
guest (its RAM and 64-bit PCI hole reach 2^bits) or the firmware (OVMF or
SeaBIOS) could not place the BARs of its passed-through devices within
reach; the message names the smallest width that works. ``--force`` writes
it anyway. Without hypervisors to read, a width must work for Intel and AMD
guest CPUs alike.

``--bits auto`` picks, for each flavor, the smallest width from the lowest
one that up, enabled hypervisors with ``COMPUTE_ADDRESS_SPACE_EMULATED``
report upward at which the guest boots on every hypervisor the scheduler
would then admit (whatever its state), and says how many up, enabled
hypervisors can take it.

With ``--image``, each named image whose ``hw_maxphysaddr_mode`` differs
from ``--mode`` is reported on stderr; the images are read after the
request is checked, before anything is written.
"""
        + options.PLATFORM_HELP
        + _WRITE_NOTE
    )

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _flavor_positional(parser, many=True)
        options.add_mode_option(parser)
        parser.add_argument(
            '--bits',
            metavar='<bits>',
            type=planning.bits_or_auto,
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
        options.add_dry_run(
            parser, 'keys that would be added, changed and removed'
        )
        options.add_platform_options(parser)
        return parser

    def validate(self, parsed_args):
        if (
            parsed_args.bits == planning.AUTO
            and parsed_args.mode != core.EMULATE
        ):
            raise core.MaxphysaddrError(
                '--bits auto only works with --mode emulate'
            )
        if parsed_args.bits != planning.AUTO:
            options.config(parsed_args.mode, parsed_args.bits)
        self.platform = options.platform(
            self.app.client_manager.sdk_connection, parsed_args
        )

    def desired(self, conn, parsed_args, flavors):
        writes.warn_image_conflicts(
            conn, parsed_args.mode, parsed_args.image, flavors
        )
        if parsed_args.mode != core.EMULATE:
            return [core.Config(parsed_args.mode).extra_specs()] * len(flavors)
        contexts = [
            core.guest_context(flavor['ram'], specs, self.platform)
            for flavor, specs in flavors
        ]
        if parsed_args.bits == planning.AUTO:
            widths = planning.auto_widths(conn, flavors, contexts)
        else:
            widths = [parsed_args.bits] * len(flavors)
        refused = []
        for width, (flavor, _), context in zip(
            widths, flavors, contexts, strict=True
        ):
            refusals, warnings = core.model_findings(
                context, core.EMULATE, width
            )
            for found in warnings:
                output.LOG.warning(
                    'Flavor %s: %s', output.label(flavor), found.message
                )
            if parsed_args.bits == planning.AUTO:
                continue  # auto_bits judged the hosts' own vendors
            for found in refusals:
                message = f'flavor {output.label(flavor)}: {found.message}'
                if parsed_args.force:
                    output.LOG.warning('%s (written anyway: --force)', message)
                else:
                    refused.append(message)
        if refused:
            raise core.MaxphysaddrError(
                '; '.join(refused)
                + '. Nothing was written (--force writes it anyway).'
            )
        return [core.Config(core.EMULATE, w).extra_specs() for w in widths]

    def take_action(self, parsed_args):
        result = super().take_action(parsed_args)
        if parsed_args.mode == core.PASSTHROUGH:
            output.notice(PASSTHROUGH_REMINDER)
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
        options.add_dry_run(parser, 'keys that would be removed')
        return parser

    def desired(self, conn, parsed_args, flavors):
        return [{} for _ in flavors]


class ShowFlavorMaxphysaddr(output.Checked, command.ShowOne):
    _description = "Show a flavor's guest physical-address width and status"
    _epilog = (
        """Status tells whether Nova will honour the flavor as
written: ``ok``, ``not configured``, or ``error: ...`` / ``warning: ...``
with the reasons, errors first, joined with semicolons.

``--explain`` adds the guest's platform, its address-space layout (RAM below
and above 4 GiB, QEMU's 64-bit PCI hole, the firmware's 64-bit PCI window,
each device BAR and 2^bits) and the verdict with its numbers; with ``-f
json`` the layout is a list of regions in bytes. With ``--image`` it is the
guest of the pair, on the image's machine type and firmware.
"""
        + options.PLATFORM_HELP
        + options.HOSTS_NOTE
        + options.CHECK_NOTE
    )
    check_message = 'Flavors with an error status'

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _flavor_positional(parser, many=False)
        _add_view_options(
            parser,
            'Also list the hostnames of the hypervisors that can take the '
            'flavor now',
        )
        parser.add_argument(
            '--explain',
            action='store_true',
            help="Also show the guest's platform, its address-space layout "
            'and why it boots or not at its width (for passthrough: at the '
            'smallest width that works)',
        )
        return parser

    def take_action(self, parsed_args):
        conn = self.app.client_manager.sdk_connection
        with errors.as_command_error('invalid request'):
            platform = options.platform(conn, parsed_args)
        with errors.as_command_error(
            f'cannot show flavor {parsed_args.flavor}'
        ):
            (flavor,) = cloud.compute.find_flavors(conn, [parsed_args.flavor])
            specs = cloud.compute.flavor_extra_specs(conn, flavor)
            image = None
            if parsed_args.image:
                (image,) = cloud.image.find_images(conn, [parsed_args.image])
            verdict = core.judge(specs, image, flavor['ram'], platform)
            hosts = None
            if verdict.configured and not verdict.is_error:
                hosts = inventory.read_hosts(conn)
        if verdict.is_error:
            self.failed(_subject(flavor, image))
        if hosts is not None:
            inventory.warn_without_width(hosts, verdict.mode)
        fields = _fields(
            flavor, image, verdict, inventory.eligible(hosts, verdict)
        )
        columns: tuple[str, ...] = (
            SHOW_COLUMNS if image is None else IMAGE_SHOW_COLUMNS
        )
        if parsed_args.long:
            columns += ('Host Names',)
        values = [fields[c] for c in columns]
        if parsed_args.explain:
            columns += explain.COLUMNS
            context = core.guest_context(flavor['ram'], specs, platform)
            values += explain.values(context, verdict)
        return columns, values


class ListFlavorMaxphysaddr(output.Checked, command.Lister):
    _description = 'List flavors with their physical-address width'
    _epilog = (
        """One row a flavor that carries any maxphysaddr key (``--all``: every
flavor; with ``--image``, every flavor when the image carries a mode or
width), with the same status as ``flavor maxphysaddr show`` and the number
of hypervisors that can take it now. Flavors that no hypervisor can take are
named on stderr.

The hypervisors and their traits are read once for the whole listing, with
the same requests as ``hypervisor maxphysaddr list``, never per flavor.
"""
        + options.PLATFORM_HELP
        + options.HOSTS_NOTE
        + options.CHECK_NOTE
    )
    check_message = 'Flavors with an error status'

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--all',
            action='store_true',
            help='List every flavor, configured or not',
        )
        _add_view_options(
            parser, 'Also list the required traits and capabilities'
        )
        return parser

    def take_action(self, parsed_args):
        conn = self.app.client_manager.sdk_connection
        with errors.as_command_error('invalid request'):
            platform = options.platform(conn, parsed_args)
        with errors.as_command_error('cannot list flavors'):
            image = None
            if parsed_args.image:
                (image,) = cloud.image.find_images(conn, [parsed_args.image])
            judged = [
                (flavor, core.judge(specs, image, flavor['ram'], platform))
                for flavor, specs in cloud.compute.all_flavors(conn)
            ]
            if not parsed_args.all:
                judged = [(f, v) for f, v in judged if v.configured]
            hosts = None
            if any(v.configured and not v.is_error for _, v in judged):
                hosts = inventory.read_hosts(conn)
        columns: tuple[str, ...] = (
            LIST_COLUMNS if image is None else IMAGE_LIST_COLUMNS
        )
        if parsed_args.long:
            columns += LIST_LONG_COLUMNS
        rows = []
        stranded = []
        for flavor, verdict in judged:
            eligible = inventory.eligible(hosts, verdict)
            if eligible == []:
                stranded.append(output.label(flavor))
            if verdict.is_error:
                self.failed(_subject(flavor, image))
            fields = _fields(flavor, image, verdict, eligible)
            rows.append(tuple(fields[c] for c in columns))
        if hosts is not None and any(
            v.mode == core.PASSTHROUGH for _, v in judged
        ):
            inventory.warn_without_width(hosts, core.PASSTHROUGH)
        if stranded:
            output.LOG.warning(
                'No hypervisor can take these flavors%s now: %s',
                '' if image is None else f' with image {output.label(image)}',
                ', '.join(stranded),
            )
        return columns, rows
