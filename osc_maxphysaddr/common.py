"""Helpers that several command modules share.

Imported by every command module on every ``openstack`` call (through
cliff), so like them it reaches the rest of the plugin lazily.
"""

from __future__ import annotations

import argparse
import logging

from osc_lib import exceptions as osc_exceptions
from osc_lib.cli import format_columns
from osc_lib.command import command

from osc_maxphysaddr import lazy

# Loaded on first use: see osc_maxphysaddr.lazy.
core = lazy.load('osc_maxphysaddr.core')
cloud = lazy.load('osc_maxphysaddr.cloud')
errors = lazy.load('osc_maxphysaddr.errors')

LOG = logging.getLogger(__name__)

# Help text of the commands that count a server's targets (RST).
TARGETS_NOTE = """
**Targets** counts the other hypervisors, up and enabled, that could take
the guest now:

* emulate: the host holds ``COMPUTE_ADDRESS_SPACE_EMULATED``, reports at
  least the guest's bits, and the guest boots at those bits on the host's
  CPU vendor: QEMU starts and, with ``uefi``, the firmware places the BARs
  of its passed-through devices (its flavor's RAM and
  ``pci_passthrough:alias``, on the guest platform below);
* passthrough: the host holds ``COMPUTE_ADDRESS_SPACE_PASSTHROUGH`` and
  reports exactly the width the guest sees now, with the same CPU vendor
  and model (the guest's CPUID must not change under it).

A server whose configuration has an error has 0 targets; Targets is empty
when Placement cannot be read. A passthrough guest whose host reports no
width or CPU has 0 targets: none can be shown to match.

Forced moves skip the scheduler: ``--force`` with a target host on live
migration or evacuation (compute microversions 2.29/2.30 to 2.67), or a
target host given at an older microversion. Nova checks neither traits nor
bits then, and a guest forced to a host that is not a target may not
start, or may see its width change under it.
"""


def bits_argument(text: str) -> int:
    """argparse type for a width QEMU accepts."""
    try:
        return core.parse_bits(text)
    except core.MaxphysaddrError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_mode_option(parser: argparse.ArgumentParser) -> None:
    """``--mode`` of ``flavor maxphysaddr set`` and ``image ... set``."""
    parser.add_argument(
        '--mode',
        metavar='<mode>',
        required=True,
        choices=core.MODES,
        help='Address-width mode: "emulate" gives the guest --bits '
        'address bits; "passthrough" gives it the host\'s width',
    )


def label(resource: dict) -> str:
    """``name (id)`` of a flavor, server or image, for messages."""
    return f'{resource["name"]} ({resource["id"]})'


def eligible(inventory, specs, diagnosis, context=None) -> list[dict] | None:
    """The hypervisors that can take a flavor now; None if unknowable.

    With the flavor's guest (``context``), only those on which it boots:
    at the flavor's width (emulate) or the host's own (passthrough).
    """
    if not diagnosis.configured or diagnosis.is_error:
        return None
    bits = diagnosis.bits if isinstance(diagnosis.bits, int) else None
    found = core.takers(
        core.host_requirement(specs), inventory.hosts(), context, bits
    )
    if found is None:
        return None
    return [inventory.hypervisors[i] for i in found]


class ChangeCommand(command.Lister):
    """Shared body of ``set`` and ``unset`` for flavors and images.

    Every resource is resolved and read, and every plan made, before
    anything is written; then each resource is written on its own. A
    failed write is one line (see :meth:`write`): the only line when one
    resource was given, else each is logged and the command ends with
    ``N of M <noun>s failed``. The output lists each key added, changed or
    removed, for a dry run too.
    """

    #: ``flavor`` or ``image``: the messages' noun, and the positional's
    #: dest, which holds the names or IDs given
    noun: str
    #: the output's columns: resource ID and name, then those of a Change
    columns: tuple[str, ...]

    def validate(self, parsed_args: argparse.Namespace) -> None:
        """Refuse a bad request before anything is sent to the cloud."""

    def find(self, conn, refs: list[str]) -> list[dict]:
        """The resources named (one each, in order; may raise)."""
        raise NotImplementedError

    def current(self, conn, resource: dict) -> dict:
        """The keys of a resource that a plan compares (may send a read)."""
        raise NotImplementedError

    def targets(self, conn, parsed_args, found) -> list[dict[str, str]]:
        """The keys each (resource, current) of ``found`` should end with.

        May refuse (raise MaxphysaddrError) or warn; nothing is written yet.
        """
        raise NotImplementedError

    def plan(self, current: dict, target: dict[str, str]):
        """The changes that turn ``current`` into ``target``."""
        raise NotImplementedError

    def write(self, conn, resource: dict, plan) -> str | None:
        """Write one plan: None when it went through, else the one line
        that says what failed, why, and whether anything was written."""
        raise NotImplementedError

    def notice(self, text: str) -> None:
        if self.app.options.verbose_level >= 1:
            self.app.stderr.write(text + '\n')

    def take_action(self, parsed_args):
        with errors.as_command_error('invalid request'):
            self.validate(parsed_args)
        conn = self.app.client_manager.sdk_connection
        with errors.as_command_error(f'cannot read the {self.noun}s'):
            found: list[tuple[dict, dict]] = []
            for resource in self.find(conn, getattr(parsed_args, self.noun)):
                if all(resource['id'] != r['id'] for r, _ in found):
                    found.append((resource, self.current(conn, resource)))
            targets = self.targets(conn, parsed_args, found)
        plans = [
            (resource, self.plan(current, target))
            for (resource, current), target in zip(found, targets, strict=True)
        ]
        rows = [
            (r['id'], r.get('name'), c.key, c.action, c.old, c.new)
            for r, plan in plans
            for c in plan.changes
        ]
        failures = []
        for resource, plan in plans:
            if plan.is_noop:
                self.notice(
                    f'{self.noun.capitalize()} {label(resource)} already has '
                    'this configuration; nothing to write.'
                )
            elif not parsed_args.dry_run:
                failure = self.write(conn, resource, plan)
                if failure is not None:
                    failures.append(failure)
        if parsed_args.dry_run:
            self.notice('Dry run: nothing was written.')
        if len(plans) == 1 and failures:
            # One resource, one line: the failure itself.
            raise osc_exceptions.CommandError(failures[0])
        for failure in failures:
            LOG.error(failure)
        if failures:
            raise osc_exceptions.CommandError(
                f'{len(failures)} of {len(plans)} {self.noun}s failed'
            )
        return self.columns, rows


#: The ``clouds.yaml`` section of a cloud that holds the Nova
#: configuration the API does not show.
CONFIG_SECTION = 'maxphysaddr'

PLATFORM_HELP = """
**The guest's platform.** Whether a guest boots at a width depends on its
machine type and firmware, which are Nova configuration the API does not
show, and on the BAR sizes of its passed-through devices
(``pci_passthrough:alias``). They come from the ``maxphysaddr:`` section of
the cloud's entry in ``clouds.yaml`` (``machine_type``, ``firmware``,
``device_bars: {alias: size}``); ``--machine-type``, ``--firmware`` and
``--device-bar`` override it. Without either, Nova's defaults: machine type
``pc``, firmware ``bios``. Device BARs are only checked with ``uefi``. With
a flavor judged together with an image (``show --image``, ``list
--image``, a server's own image), the image's ``hw_machine_type`` and
``hw_firmware_type`` win over these, as in Nova.
"""


def add_platform_options(parser: argparse.ArgumentParser) -> None:
    """``--machine-type``, ``--firmware`` and ``--device-bar``."""
    group = parser.add_argument_group(
        'guest platform',
        'Override the maxphysaddr section of the cloud in clouds.yaml',
    )
    group.add_argument(
        '--machine-type',
        metavar='<machine-type>',
        choices=core.MACHINE_TYPES,
        help="The guests' machine type, pc or q35: Nova's "
        '[libvirt]hw_machine_type (default: clouds.yaml, else pc); an '
        "image's hw_machine_type wins over it",
    )
    group.add_argument(
        '--firmware',
        metavar='<firmware>',
        choices=core.FIRMWARES,
        help="The guests' firmware, bios or uefi, where images do not say "
        "(default: clouds.yaml, else bios); an image's hw_firmware_type "
        'wins over it',
    )
    group.add_argument(
        '--device-bar',
        metavar='<alias=size>',
        action='append',
        default=[],
        help='The 64-bit BAR size of the devices of a PCI alias, such as '
        'h100=128GiB (units: MiB, GiB, TiB or M, G, T); repeat for '
        'several aliases',
    )


def platform(conn, parsed_args):
    """The guests' platform: options over clouds.yaml over Nova's defaults.

    openstacksdk keeps the keys of a cloud's entry it does not know in the
    connection's config, so the ``maxphysaddr:`` section is read from
    there; no request is made. Raises MaxphysaddrError for a bad value.
    """
    section = conn.config.config.get(CONFIG_SECTION)
    return core.platform_from(
        section,
        parsed_args.machine_type,
        parsed_args.firmware,
        parsed_args.device_bar,
    )


def warn_devices(resource: dict, context) -> None:
    """Say on stderr which of a flavor's devices the model cannot check."""
    for found in core.device_findings(context):
        LOG.warning('Flavor %s: %s', label(resource), found.message)


def host_names(hypervisors) -> format_columns.ListColumn:
    """The ``Host Names`` column of ``--long``: hypervisor hostnames."""
    return format_columns.ListColumn(
        [h.get('hypervisor_hostname') for h in hypervisors or ()]
    )


def warn_placement(inventory) -> None:
    """Say on stderr why the hosts are unknown, if they are."""
    if not inventory.traits_known:
        LOG.warning(
            'Hosts are unknown: %s', inventory.placement_error or 'no traits'
        )


def read_hosts(conn):
    """The inventory for a Hosts count, or None when it is admin-only.

    Reading flavor extra specs is open to project readers
    (``os_compute_api:os-flavor-extra-specs:index/show``), hypervisor
    details are not: a member still gets every status, with Hosts empty
    and a warning.
    """
    try:
        inventory = cloud.read_inventory(conn)
    except errors.EXPECTED as exc:
        if not errors.is_forbidden(exc):
            raise
        LOG.warning(
            'Hosts are unknown: reading the hypervisors needs admin rights '
            '(HTTP 403)'
        )
        return None
    warn_placement(inventory)
    return inventory


# --- flavors with images ---------------------------------------------------

IMAGE_OPTION_HELP = (
    'Judge the flavor as booted with this image (name or ID): the image '
    'may set hw_maxphysaddr_mode and hw_maxphysaddr_bits too (see '
    '"openstack image maxphysaddr show"). The width libvirt uses, the '
    "flavor's bits else the image's, is checked on the guest platform like "
    "a flavor's, Hosts counts the hosts on which the pair boots, and "
    "--check looks at the pair's status"
)

PAIR_SHOW_COLUMNS = (
    'ID',
    'Name',
    'RAM',
    'Mode',
    'Bits',
    'Image ID',
    'Image Name',
    'Image Mode',
    'Image Bits',
    'Guest Mode',
    'Guest Bits',
    'Required Traits',
    'Capabilities',
    'Status',
    'Hosts',
)
PAIR_LIST_COLUMNS = (
    'ID',
    'Name',
    'RAM',
    'Mode',
    'Bits',
    'Guest Mode',
    'Guest Bits',
    'Status',
    'Hosts',
)
PAIR_LIST_LONG_COLUMNS = ('Required Traits', 'Capabilities')


def _traits(verdict) -> list[str]:
    requirement = verdict.requirement
    return sorted(requirement.required_traits) if requirement else []


def _capability(verdict) -> str | None:
    return verdict.requirement.capability if verdict.requirement else None


def pair_eligible(inventory, verdict, context) -> list[dict] | None:
    """The hypervisors that can take a flavor+image pair now.

    As :func:`eligible`: only those on which the guest boots, at the
    width libvirt uses (emulate) or the host's own (passthrough).
    """
    if inventory is None or verdict.requirement is None:
        return None
    if not verdict.configured:
        return None
    if verdict.mode is None:
        context = None  # no <maxphysaddr> element: nothing to judge
    bits = verdict.bits if verdict.mode == core.EMULATE else None
    found = core.takers(verdict.requirement, inventory.hosts(), context, bits)
    if found is None:
        return None
    return [inventory.hypervisors[i] for i in found]


def _judge_pair(flavor, specs, image, platform):
    """(guest context, pair verdict) of a flavor and an image."""
    context = core.guest_context(flavor['ram'], specs, platform)
    verdict = core.diagnose_pair(specs, image, context=context)
    # The guest as judged: on the image's machine type and firmware.
    return verdict.context, verdict


def _pair_label(flavor, image) -> str:
    return f'{label(flavor)} with image {label(image)}'


def show_flavor_with_image(conn, parsed_args, platform, broken: list[str]):
    """``flavor maxphysaddr show FLAVOR --image IMAGE``: the pair's verdict.

    Mode and bits are the flavor's, the image's, and what the guest gets
    (Guest Mode and Guest Bits: the flavor's value, else the image's, as
    Nova's libvirt driver takes them). Status and Hosts are the pair's,
    judged by the address-space model on ``platform``. A pair whose status
    is an error is added to ``broken`` (for ``--check``).
    """
    action = f'cannot show flavor {parsed_args.flavor}'
    with errors.as_command_error(action):
        (flavor,) = cloud.find_flavors(conn, [parsed_args.flavor])
        specs = cloud.flavor_extra_specs(conn, flavor)
        (image,) = cloud.find_images(conn, [parsed_args.image])
        context, verdict = _judge_pair(flavor, specs, image, platform)
        if verdict.is_error:
            broken.append(_pair_label(flavor, image))
        inventory = None
        if verdict.configured and verdict.requirement is not None:
            inventory = read_hosts(conn)
    flavor_diagnosis = core.diagnose(specs)
    eligible = pair_eligible(inventory, verdict, context)
    columns = PAIR_SHOW_COLUMNS
    values = [
        flavor['id'],
        flavor['name'],
        flavor.get('ram'),
        flavor_diagnosis.mode,
        flavor_diagnosis.bits,
        image['id'],
        image.get('name'),
        image.get(core.IMAGE_MODE_KEY),
        image.get(core.IMAGE_BITS_KEY),
        verdict.mode,
        verdict.bits,
        format_columns.ListColumn(_traits(verdict)),
        _capability(verdict),
        verdict.status,
        None if eligible is None else len(eligible),
    ]
    if parsed_args.long:
        columns += ('Host Names',)
        values.append(host_names(eligible))
    return columns, values


def list_flavors_with_image(conn, parsed_args, platform, broken: list[str]):
    """``flavor maxphysaddr list --image IMAGE``: each flavor's pair verdict.

    Without ``--all``, the flavors whose pair with the image is configured
    (every flavor, when the image carries a mode or width). Pairs whose
    status is an error are added to ``broken`` (for ``--check``).
    """
    with errors.as_command_error('cannot list flavors'):
        (image,) = cloud.find_images(conn, [parsed_args.image])
        judged = [
            (flavor, specs, *_judge_pair(flavor, specs, image, platform))
            for flavor, specs in cloud.all_flavors(conn)
        ]
        if not parsed_args.all:
            judged = [j for j in judged if j[3].configured]
        inventory = None
        if any(v.requirement is not None for *_, v in judged):
            inventory = read_hosts(conn)
    columns = PAIR_LIST_COLUMNS + (
        PAIR_LIST_LONG_COLUMNS if parsed_args.long else ()
    )
    rows = []
    stranded = []
    for flavor, specs, context, verdict in judged:
        own = core.diagnose(specs)
        eligible = pair_eligible(inventory, verdict, context)
        if eligible == []:
            stranded.append(label(flavor))
        if verdict.is_error:
            broken.append(_pair_label(flavor, image))
        row = [
            flavor['id'],
            flavor['name'],
            flavor.get('ram'),
            own.mode,
            own.bits,
            verdict.mode,
            verdict.bits,
            verdict.status,
            None if eligible is None else len(eligible),
        ]
        if parsed_args.long:
            row += [
                format_columns.ListColumn(_traits(verdict)),
                _capability(verdict),
            ]
        rows.append(tuple(row))
    if stranded:
        LOG.warning(
            'No hypervisor can take these flavors with image %s now: %s',
            label(image),
            ', '.join(stranded),
        )
    return columns, rows


def warn_mode_conflicts(pairs) -> int:
    """Warn about each (flavor, flavor specs, image, image props) pair
    whose modes Nova would refuse together; return how many."""
    count = 0
    for flavor, specs, image, props in pairs:
        conflict = core.mode_conflict(specs, props)
        if conflict is not None:
            count += 1
            LOG.warning(
                'Flavor %s has %s=%s and image %s has %s=%s: Nova accepts '
                'a boot of the two, then its scheduler raises '
                'FlavorImageConflict and the server ends in ERROR.',
                label(flavor),
                core.MODE_KEY,
                conflict[0],
                label(image),
                core.IMAGE_MODE_KEY,
                conflict[1],
            )
    return count


def warn_flavor_set_conflicts(conn, mode: str, image_refs) -> None:
    """``flavor maxphysaddr set --image``: warn about conflicting images.

    Read before anything is written; an image that cannot be read fails
    the command.
    """
    with errors.as_command_error('cannot read the images'):
        images = cloud.find_images(conn, list(image_refs))
    for image in images:
        conflict = core.mode_conflict({core.MODE_KEY: mode}, image)
        if conflict is not None:
            LOG.warning(
                'Image %s has %s=%s, and the flavors get %s=%s: Nova '
                'accepts a boot of the two, then its scheduler raises '
                'FlavorImageConflict and the server ends in ERROR.',
                label(image),
                core.IMAGE_MODE_KEY,
                conflict[1],
                core.MODE_KEY,
                conflict[0],
            )


class PlacedServer:
    """A configured server, where it runs, and where it could go."""

    __slots__ = ('server', 'config', 'position', 'bits', 'reach')

    def __init__(self, server, config, position, bits, reach):
        self.server = server
        self.config = config
        self.position = position  # of its hypervisor in the inventory
        self.bits = bits
        self.reach = reach  # core.Reach, or None when unknowable

    @property
    def targets(self) -> int | None:
        return None if self.reach is None else self.reach.count


def placed_servers(inventory, servers, platform) -> list[PlacedServer]:
    """The servers that carry a maxphysaddr configuration, with targets.

    Each server gets the verdict of its embedded flavor and image on the
    guests' ``platform``, as ``flavor maxphysaddr show FLAVOR --image
    IMAGE`` gives it. Servers are matched to hypervisors by hypervisor
    hostname; the targets follow ``core.Finder``'s rules over the whole
    inventory.
    """
    hosts = inventory.hosts()
    cpus = [
        core.Cpu(*core.cpu_vendor_model(h.get('cpu_info')))
        for h in inventory.hypervisors
    ]
    finder = core.Finder(hosts, cpus)
    positions = {
        h.get('hypervisor_hostname'): i
        for i, h in enumerate(inventory.hypervisors)
    }
    placed = []
    # Servers share a few flavors: diagnosing each distinct configuration
    # once saved 1.7 s of 50,000 diagnoses (a loaded 2-core machine).
    configs: dict[tuple, object] = {}
    for server in servers:
        image = server['image_properties'] or {}
        key = (
            tuple(sorted(server['extra_specs'].items())),
            # repr: Nova's 2.98 properties are typed (bits: 42, not '42')
            tuple(sorted((k, repr(v)) for k, v in image.items())),
            server['ram'],
        )
        config = configs.get(key)
        if config is None:
            config = configs[key] = core.configuration(
                server['extra_specs'], image, server['ram'], platform
            )
        if not config.configured:
            continue
        position = positions.get(server['node'])
        current_bits = None if position is None else hosts[position].bits
        placed.append(
            PlacedServer(
                server,
                config,
                position,
                core.guest_bits(config, current_bits),
                finder.reach(
                    config,
                    position,
                    elsewhere=server['node'] is not None,
                ),
            )
        )
    return placed
