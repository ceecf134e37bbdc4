"""``openstack image maxphysaddr set|unset|show``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from osc_lib.cli import format_columns
from osc_lib.command import command

from osc_maxphysaddr import lazy
from osc_maxphysaddr import options
from osc_maxphysaddr import output
from osc_maxphysaddr import writes

# Loaded on first use: see osc_maxphysaddr.lazy (type checkers read the
# modules themselves).
if TYPE_CHECKING:
    from osc_maxphysaddr import cloud
    from osc_maxphysaddr import core
    from osc_maxphysaddr import errors
else:
    cloud = lazy.load('osc_maxphysaddr.cloud')
    core = lazy.load('osc_maxphysaddr.core')
    errors = lazy.load('osc_maxphysaddr.errors')

CHANGE_COLUMNS = (
    'Image ID',
    'Image Name',
    'Key',
    'Action',
    'Old Value',
    'New Value',
)
SHOW_COLUMNS = ('ID', 'Name', 'Mode', 'Bits', 'Filter Properties', 'Status')

_NOVA_NOTE = """
Nova reads ``hw_maxphysaddr_mode`` and ``hw_maxphysaddr_bits`` from images
too, but the scheduler checks hosts only against the flavor's
``hw:maxphysaddr_bits``: an image's width is not checked at all, or, on an
image that names an architecture, makes scheduling fail. Configure the
width on flavors (``openstack flavor maxphysaddr set``) and use images for
the mode only; a flavor and an image whose modes differ cannot boot together
(the server ends in ERROR). See the "Images" section of the guide.
"""

_WRITE_NOTE = """
Each image is written with one Glance v2 JSON-patch request
(``application/openstack-images-v2.1-json-patch``) that adds, replaces or
removes only ``hw_maxphysaddr_mode`` and ``hw_maxphysaddr_bits``; every
other property is left as it is. Re-running the same command writes nothing.
An image whose write fails gets one line on stderr: what Glance refused and
why, or what failed; Glance applies a patch whole or not at all, so nothing
of that image was written.
"""


def _image_positional(parser: argparse.ArgumentParser, many: bool) -> None:
    parser.add_argument(
        'image',
        metavar='<image>',
        nargs='+' if many else None,
        help='Image to act on (name or ID)'
        + ('; repeat for several images' if many else ''),
    )


class _ChangeImages(writes.ChangeCommand):
    """Shared body of ``set`` and ``unset``.

    Each image gets one JSON-patch request (see
    :class:`writes.ChangeCommand` for the rest).
    """

    noun = 'image'
    columns = CHANGE_COLUMNS

    def target(self, parsed_args) -> dict[str, str]:
        """The maxphysaddr properties every image should end up with."""
        raise NotImplementedError

    def check(self, conn, parsed_args, images, target) -> None:
        """Refuse or warn about the images' new state before writing."""

    def desired(self, conn, parsed_args, found):
        target = self.target(parsed_args)
        self.check(conn, parsed_args, [image for image, _ in found], target)
        return [target for _ in found]

    def find(self, conn, refs):
        return cloud.image.find_images(conn, refs)

    def current(self, conn, resource):
        return resource  # the image's properties came with it

    def plan(self, current, target):
        return core.image_plan(current, target)

    def write(self, conn, image, plan) -> str | None:
        return writes.write_image(conn, image, plan)


class SetImageMaxphysaddr(_ChangeImages):
    _description = 'Set the guest physical-address mode on images'
    _epilog = (
        """``--mode emulate --bits N`` sets ``hw_maxphysaddr_mode=emulate`` and
``hw_maxphysaddr_bits=N``; ``--mode passthrough`` sets
``hw_maxphysaddr_mode=passthrough`` and removes ``hw_maxphysaddr_bits``.
The output lists each property added, changed or removed.

A configuration whose status would be an error is refused and nothing is
written (``--force`` writes it anyway): for example a width on an image
that names ``hw_architecture``, ``img_hv_type`` or ``hw_vm_mode``, which
makes Nova's ImagePropertiesFilter fail for every host. A width on an image
is written with a warning, since Nova does not schedule by it.

With ``--flavor``, each named flavor whose ``hw:maxphysaddr_mode`` differs
from ``--mode`` is reported on stderr.
"""
        + _NOVA_NOTE
        + _WRITE_NOTE
    )

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _image_positional(parser, many=True)
        options.add_mode_option(parser)
        parser.add_argument(
            '--bits',
            metavar='<bits>',
            type=options.bits_argument,
            help=f'Guest physical-address bits, {core.MIN_BITS} to '
            f'{core.MAX_BITS} (required with --mode emulate, refused with '
            'passthrough); better set on the flavor, since Nova does not '
            "schedule by an image's width",
        )
        parser.add_argument(
            '--flavor',
            metavar='<flavor>',
            action='append',
            default=[],
            help='Warn if this flavor (name or ID) sets a different mode '
            '(repeat for several flavors)',
        )
        parser.add_argument(
            '--force',
            action='store_true',
            help='Write a configuration whose status would be an error',
        )
        options.add_dry_run(
            parser, 'properties that would be added, changed and removed'
        )
        return parser

    def validate(self, parsed_args):
        options.config(parsed_args.mode, parsed_args.bits)

    def target(self, parsed_args):
        return core.image_properties(
            options.config(parsed_args.mode, parsed_args.bits)
        )

    def check(self, conn, parsed_args, images, target):
        refused = []
        for image in images:
            after = {
                k: v for k, v in image.items() if k not in core.IMAGE_KEYS
            }
            after.update(target)
            diagnosis = core.diagnose_image(after)
            if diagnosis.is_error and not parsed_args.force:
                refused.append(
                    f'image {output.label(image)}: {diagnosis.status}'
                )
            elif diagnosis.findings:
                output.LOG.warning(
                    'Image %s: %s', output.label(image), diagnosis.status
                )
        if refused:
            raise core.MaxphysaddrError(
                '; '.join(refused)
                + '. Nothing was written (--force writes it anyway).'
            )
        if parsed_args.flavor:
            with errors.as_command_error('cannot read the flavors'):
                flavors = [
                    (flavor, cloud.compute.flavor_extra_specs(conn, flavor))
                    for flavor in cloud.compute.find_flavors(
                        conn, parsed_args.flavor
                    )
                ]
            writes.warn_mode_conflicts(
                (flavor, specs, image, target)
                for flavor, specs in flavors
                for image in images
            )


class UnsetImageMaxphysaddr(_ChangeImages):
    _description = 'Remove the guest physical-address mode from images'
    _epilog = (
        """Removes ``hw_maxphysaddr_mode`` and ``hw_maxphysaddr_bits``; other
properties stay. Running it on an image without them writes nothing.
"""
        + _WRITE_NOTE
    )

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _image_positional(parser, many=True)
        options.add_dry_run(parser, 'properties that would be removed')
        return parser

    def target(self, parsed_args):
        return {}


class ShowImageMaxphysaddr(command.ShowOne):
    _description = "Show an image's guest physical-address mode and status"
    _epilog = (
        """Status tells what Nova will do with the image's
``hw_maxphysaddr_*`` properties: ``ok``, ``not configured``, or
``error: ...`` / ``warning: ...`` with the reasons, errors first, joined
with semicolons. **Filter Properties** lists the image properties that make
Nova's ImagePropertiesFilter check (and fail on) an image's width.

The image alone says little about a boot: ``openstack flavor maxphysaddr
show <flavor> --image <image>`` gives the verdict of a flavor and an image
together, and the hosts that can take them.
"""
        + _NOVA_NOTE
    )

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _image_positional(parser, many=False)
        return parser

    def take_action(self, parsed_args):
        conn = self.app.client_manager.sdk_connection
        with errors.as_command_error(f'cannot show image {parsed_args.image}'):
            (image,) = cloud.image.find_images(conn, [parsed_args.image])
        diagnosis = core.diagnose_image(image)
        return SHOW_COLUMNS, (
            image['id'],
            image.get('name'),
            diagnosis.mode,
            diagnosis.bits,
            format_columns.ListColumn(list(diagnosis.filter_properties)),
            diagnosis.status,
        )
