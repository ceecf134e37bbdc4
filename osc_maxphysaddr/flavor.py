"""``openstack flavor maxphysaddr set|unset|show``."""

from __future__ import annotations

import argparse
import logging

from osc_lib import exceptions as osc_exceptions
from osc_lib.cli import format_columns
from osc_lib.command import command

from osc_maxphysaddr import cloud
from osc_maxphysaddr import core
from osc_maxphysaddr import errors

LOG = logging.getLogger(__name__)

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
    'Mode',
    'Bits',
    'Required Traits',
    'Capabilities',
    'Status',
)

PASSTHROUGH_REMINDER = (
    'Reminder: passthrough needs compute nodes with '
    '[libvirt] cpu_mode = host-passthrough, and guests only migrate '
    'between hosts with the same address width.'
)

_WRITE_NOTE = f"""
Writes always use compute microversion {cloud.FLAVOR_MICROVERSION} (or the
cloud's newest, if older), whatever ``--os-compute-api-version`` says: from
2.86 Nova validates extra specs, has no validator for ``hw:maxphysaddr_*``,
and rejects them with HTTP 400.
"""


def bits_argument(text: str) -> int:
    """argparse type for ``--bits``: a width QEMU accepts."""
    try:
        return core.parse_bits(text)
    except core.MaxphysaddrError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _flavor_positional(parser: argparse.ArgumentParser, many: bool) -> None:
    parser.add_argument(
        'flavor',
        metavar='<flavor>',
        nargs='+' if many else None,
        help='Flavor to act on (name or ID)'
        + ('; repeat for several flavors' if many else ''),
    )


class _ChangeFlavors(command.Lister):
    """Shared body of ``set`` and ``unset``: plan, then write in order."""

    def target(self, parsed_args: argparse.Namespace) -> dict[str, str]:
        raise NotImplementedError

    def notice(self, text: str) -> None:
        if self.app.options.verbose_level >= 1:
            self.app.stderr.write(text + '\n')

    def take_action(self, parsed_args):
        # Validate the request before anything is sent to the cloud.
        with errors.as_command_error('invalid request'):
            target = self.target(parsed_args)
        conn = self.app.client_manager.sdk_connection
        with errors.as_command_error('cannot look up the flavors'):
            flavors = cloud.find_flavors(conn, parsed_args.flavor)
        rows = []
        failures = 0
        seen = set()
        for flavor in flavors:
            if flavor['id'] in seen:
                continue
            seen.add(flavor['id'])
            label = f'{flavor["name"]} ({flavor["id"]})'
            try:
                specs = cloud.flavor_extra_specs(conn, flavor)
            except errors.EXPECTED as exc:
                LOG.error(errors.describe(exc, f'flavor {label}'))
                failures += 1
                continue
            spec_plan = core.plan(specs, target)
            rows += [
                (flavor['id'], flavor['name'], c.key, c.action, c.old, c.new)
                for c in spec_plan.changes
            ]
            if spec_plan.is_noop:
                self.notice(
                    f'Flavor {label} already has this configuration; '
                    'nothing to write.'
                )
            elif not parsed_args.dry_run:
                failures += not self._write(conn, flavor, label, spec_plan)
        if parsed_args.dry_run:
            self.notice('Dry run: nothing was written.')
        if failures:
            raise osc_exceptions.CommandError(
                f'{failures} of {len(seen)} flavors failed'
            )
        return CHANGE_COLUMNS, rows

    def _write(self, conn, flavor, label, spec_plan) -> bool:
        """Add or change the new keys first, then delete stale ones."""
        written: list[str] = []
        try:
            if spec_plan.to_set:
                cloud.set_extra_specs(conn, flavor['id'], spec_plan.to_set)
                written = sorted(spec_plan.to_set)
            for key in spec_plan.to_delete:
                cloud.delete_extra_spec(conn, flavor['id'], key)
                written.append(key)
        except errors.EXPECTED as exc:
            message = errors.describe(exc, f'flavor {label}')
            if getattr(exc, 'status_code', None) == 400:
                message += (
                    ' (Nova rejects hw:maxphysaddr_* from compute '
                    'microversion 2.86 and this plugin writes at '
                    f'{cloud.FLAVOR_MICROVERSION} or older: something '
                    'between you and Nova may rewrite the microversion)'
                )
            LOG.error(message)
            done = [k for k in written if k in spec_plan.to_set]
            remaining = [k for k in spec_plan.to_delete if k not in written]
            LOG.error(
                'Flavor %s: now set: %s; stale keys remaining: %s. '
                'Run the same command again to finish.',
                label,
                ', '.join(done) or 'nothing',
                ', '.join(remaining) or 'none',
            )
            return False
        return True


class SetFlavorMaxphysaddr(_ChangeFlavors):
    _description = 'Give flavors a guest CPU physical-address width'
    _epilog = (
        """``--mode emulate --bits N`` sets ``hw:maxphysaddr_mode=emulate``,
``hw:maxphysaddr_bits=N``, ``trait:COMPUTE_ADDRESS_SPACE_EMULATED=required``
and ``capabilities:cpu_info:maxphysaddr:bits='>= N'``: the guest sees N
address bits and is only scheduled to hosts that report at least N.
``--mode passthrough`` sets ``hw:maxphysaddr_mode=passthrough`` and
``trait:COMPUTE_ADDRESS_SPACE_PASSTHROUGH=required``: the guest sees its
host's width (needs ``cpu_mode=host-passthrough`` on the compute nodes).

Stale keys of another configuration are removed; keys unrelated to
maxphysaddr are never touched. Re-running the same command writes nothing.
The output lists each key added, changed or removed.
"""
        + _WRITE_NOTE
    )

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _flavor_positional(parser, many=True)
        parser.add_argument(
            '--mode',
            metavar='<mode>',
            required=True,
            choices=core.MODES,
            help='Address-width mode: "emulate" gives the guest --bits '
            'address bits; "passthrough" gives it the host\'s width',
        )
        parser.add_argument(
            '--bits',
            metavar='<bits>',
            type=bits_argument,
            help=f'Guest physical-address bits, {core.MIN_BITS} to '
            f'{core.MAX_BITS} (required with --mode emulate, refused with '
            'passthrough). Use the lowest width among the hosts that '
            'should run the flavor: see "openstack hypervisor maxphysaddr '
            'list"',
        )
        parser.add_argument(
            '--dry-run',
            action='store_true',
            help='Show the keys that would be added, changed and removed; '
            'write nothing',
        )
        return parser

    def target(self, parsed_args):
        config = core.Config(parsed_args.mode, parsed_args.bits)
        return config.extra_specs()

    def take_action(self, parsed_args):
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

    def target(self, parsed_args):
        return {}


class ShowFlavorMaxphysaddr(command.ShowOne):
    _description = "Show a flavor's guest physical-address width and status"
    _epilog = """Status tells whether Nova will honour the flavor as
written: ``ok``, ``not configured``, or ``error: ...`` / ``warning: ...``
with the reasons, errors first, joined with ``; ``.
"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _flavor_positional(parser, many=False)
        return parser

    def take_action(self, parsed_args):
        conn = self.app.client_manager.sdk_connection
        action = f'cannot show flavor {parsed_args.flavor}'
        with errors.as_command_error(action):
            (flavor,) = cloud.find_flavors(conn, [parsed_args.flavor])
            specs = cloud.flavor_extra_specs(conn, flavor)
        diagnosis = core.diagnose(specs)
        return SHOW_COLUMNS, (
            flavor['id'],
            flavor['name'],
            diagnosis.mode,
            diagnosis.bits,
            format_columns.ListColumn(list(diagnosis.required_traits)),
            diagnosis.capability,
            diagnosis.status,
        )
