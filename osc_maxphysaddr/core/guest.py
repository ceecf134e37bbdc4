"""A flavor's guest as the address-space model sees it, and where from.

The model (:mod:`.address_space`) needs more than a flavor says:

* **RAM**: the flavor's.
* **Devices**: the flavor's ``pci_passthrough:alias`` (``name:count[,...]``,
  as Nova's ``_translate_alias_to_requests`` reads it), one 64-bit BAR a
  device, of the size the operator gives for the alias. An alias without a
  size is reported, never guessed.
* **Machine type and firmware**: Nova configuration the API does not show
  (``[libvirt]hw_machine_type``), so the operator states them:
  :class:`Platform`, Nova's defaults otherwise. An image's
  ``hw_machine_type`` and ``hw_firmware_type`` win over it, as in Nova:
  :func:`.nova_platform.image_platform`.
* **CPU mode**: Nova's ``[libvirt]cpu_mode``, also configuration the API
  does not show; with ``host-passthrough`` an emulate guest gets its host's
  width, not its own (:func:`width_follows_host`).
* **CPU vendor**: each hypervisor's ``cpu_info`` vendor. Where no host is
  read, the stricter of Intel and AMD: a width passes only when it works
  for both (they differ near 1 TiB and in which widths OVMF trusts).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from osc_maxphysaddr.core.address_space import Boot
from osc_maxphysaddr.core.address_space import Guest
from osc_maxphysaddr.core.address_space import boot
from osc_maxphysaddr.core.findings import Finding
from osc_maxphysaddr.core.findings import finding
from osc_maxphysaddr.core.ovmf import bar_size
from osc_maxphysaddr.core.ovmf import ovmf_window
from osc_maxphysaddr.core.qemu import BIOS
from osc_maxphysaddr.core.qemu import DEFAULT_FIRMWARE
from osc_maxphysaddr.core.qemu import DEFAULT_MACHINE_TYPE
from osc_maxphysaddr.core.qemu import UEFI
from osc_maxphysaddr.core.qemu import VENDORS
from osc_maxphysaddr.core.qemu import qemu_layout
from osc_maxphysaddr.core.seabios import seabios_placement
from osc_maxphysaddr.core.seabios import seabios_rules
from osc_maxphysaddr.core.specs import EMULATE
from osc_maxphysaddr.core.specs import MAX_BITS
from osc_maxphysaddr.core.specs import MIN_BITS
from osc_maxphysaddr.core.specs import PASSTHROUGH
from osc_maxphysaddr.core.specs import MaxphysaddrError

#: The flavor extra spec naming the PCI devices passed through.
PCI_ALIAS_KEY = 'pci_passthrough:alias'

#: Nova's ``[libvirt]cpu_mode``: the guest CPU libvirt asks QEMU for.
#: Nova's default for x86 kvm and qemu is host-model.
HOST_PASSTHROUGH = 'host-passthrough'
HOST_MODEL = 'host-model'
CUSTOM = 'custom'
CPU_MODES = (HOST_PASSTHROUGH, HOST_MODEL, CUSTOM)
DEFAULT_CPU_MODE = HOST_MODEL
#: Nova's ``[libvirt]virt_type``: KVM, or QEMU's own emulation (TCG).
KVM = 'kvm'
TCG = 'qemu'
VIRT_TYPES = (KVM, TCG)
DEFAULT_VIRT_TYPE = KVM
#: The width a guest gets under TCG with ``host-phys-bits=on``: QEMU
#: applies host-phys-bits in host_cpu_realizefn (target/i386/host-cpu.c),
#: which only KVM calls, so the CPU keeps TCG_PHYS_ADDR_BITS (measured:
#: the guide's "Booted through Nova").
TCG_BITS = 40


def parse_aliases(value: str) -> tuple[tuple[str, int], ...]:
    """``pci_passthrough:alias`` as (name, count) pairs.

    Nova splits on commas, then on the colon, strips the name and takes
    the count as an integer.
    """
    pairs = []
    for spec in value.split(','):
        name, colon, count = spec.partition(':')
        name, count = name.strip(), count.strip()
        if not colon or not name or not count.isdigit() or ':' in count:
            raise MaxphysaddrError(
                f'{PCI_ALIAS_KEY} is {value!r}, not name:count[,name:count]'
            )
        pairs.append((name, int(count)))
    return tuple(pairs)


@dataclasses.dataclass(frozen=True)
class Platform:
    """What the cloud's Nova configuration gives every guest."""

    machine: str = DEFAULT_MACHINE_TYPE
    firmware: str = DEFAULT_FIRMWARE
    #: alias -> BAR size in bytes
    device_bars: Mapping[str, int] = dataclasses.field(default_factory=dict)
    #: Nova's ``[libvirt]cpu_mode`` and ``virt_type`` on the compute nodes
    cpu_mode: str = DEFAULT_CPU_MODE
    virt_type: str = DEFAULT_VIRT_TYPE
    #: the SeaBIOS version of every host, or None: any (the stricter rule)
    seabios: tuple[int, ...] | None = None

    def bar(self, alias: str) -> int | None:
        """The BAR size of an alias, or None when it is not known.

        openstacksdk turns ``-`` into ``_`` in every key of a cloud's
        config (``openstack.config._util.normalize_keys``), so an alias
        from ``clouds.yaml`` may come spelt that way.
        """
        for key in (alias, alias.replace('-', '_')):
            if key in self.device_bars:
                return self.device_bars[key]
        return None


@dataclasses.dataclass(frozen=True)
class GuestContext:
    """A flavor's guest on a platform: everything but width and vendor."""

    ram_mib: int
    platform: Platform
    #: (alias, BAR size) for each passed-through device of known size
    devices: tuple[tuple[str, int], ...] = ()
    #: aliases whose BAR size is unknown (their devices are not checked)
    unknown_aliases: tuple[str, ...] = ()
    #: why ``pci_passthrough:alias`` could not be read, if it could not
    alias_error: str | None = None

    @property
    def bars(self) -> tuple[int, ...]:
        return tuple(size for _, size in self.devices)

    @property
    def checks_devices(self) -> bool:
        """Whether BAR placement is modelled: OVMF's and SeaBIOS's."""
        return self.platform.firmware in (UEFI, BIOS)

    def guest(self, vendor: str) -> Guest:
        return Guest(
            self.ram_mib,
            self.platform.machine,
            vendor,
            self.platform.firmware,
            self.bars,
            self.platform.seabios,
        )

    def boot(self, bits: int, vendor: str | None = None) -> Boot:
        """Whether the guest boots; vendor None: the stricter of the two."""
        return self.judge(bits, vendor)[1]

    def judge(self, bits: int, vendor: str | None = None) -> tuple[str, Boot]:
        """(vendor, boot), the failing vendor's when vendor is None."""
        vendors = VENDORS if vendor is None else (vendor,)
        answers = [(v, boot(self.guest(v), bits)) for v in vendors]
        for v, answer in answers:
            if not answer.starts:
                return v, answer
        for v, answer in answers:
            if not answer.boots:
                return v, answer
        return answers[0]

    def boots(self, bits: int, vendor: str | None = None) -> bool:
        return self.boot(bits, vendor).boots

    def min_bits(
        self, start: int = MIN_BITS, vendor: str | None = None
    ) -> int | None:
        """The smallest width from ``start`` up to QEMU's most that boots."""
        for bits in range(max(start, MIN_BITS), MAX_BITS + 1):
            if self.boots(bits, vendor):
                return bits
        return None


def guest_context(
    ram_mib: int, specs: Mapping[str, str], platform: Platform
) -> GuestContext:
    """The guest of a flavor with this RAM and these extra specs."""
    devices: list[tuple[str, int]] = []
    unknown: list[str] = []
    error = None
    raw = specs.get(PCI_ALIAS_KEY)
    if raw is not None:
        try:
            pairs = parse_aliases(raw)
        except MaxphysaddrError as exc:
            pairs, error = (), str(exc)
        for name, count in pairs:
            size = platform.bar(name)
            if size is None:
                if name not in unknown:
                    unknown.append(name)
            else:
                devices.extend([(name, size)] * count)
    return GuestContext(
        int(ram_mib), platform, tuple(devices), tuple(unknown), error
    )


def fix_for(
    context: GuestContext, bits: int, vendor: str | None = None
) -> str:
    """What to write instead of ``bits``: the smallest width that works.

    The next width up that works, and the smallest of all when it is
    lower (OVMF does not trust every width, so a narrower one can work).
    """
    up = context.min_bits(bits + 1, vendor)
    low = context.min_bits(MIN_BITS, vendor)
    if up is None and (low is None or low >= bits):
        return f'no width up to {MAX_BITS} bits works'
    if up is None:
        return f'use {low} bits'
    if low is not None and low < bits:
        return f'use {up} bits (or {low})'
    return f'use {up} bits'


def width_finding(
    context: GuestContext, bits: int, vendor: str | None = None
) -> Finding | None:
    """The error finding when the guest does not boot at ``bits``."""
    _, answer = context.judge(bits, vendor)
    if answer.boots:
        return None
    fix = fix_for(context, bits, vendor)
    if not answer.starts:
        return finding('qemu-does-not-start', reason=answer.reason, fix=fix)
    return finding(
        'devices-lose-bars', bits=bits, reason=answer.reason, fix=fix
    )


def width_follows_host(
    mode: str | None, cpu_mode: str, virt_type: str = DEFAULT_VIRT_TYPE
) -> bool:
    """Whether a guest in ``mode`` gets its host's width, not its own.

    Only under KVM (TCG has no host-passthrough and ignores
    ``host-phys-bits``: :data:`TCG_BITS`). Passthrough always does there:
    libvirt writes ``host-phys-bits=on`` on every CPU mode. So does emulate
    on
    ``[libvirt]cpu_mode = host-passthrough``: libvirt 9.0 writes
    ``-cpu host,...,phys-bits=N`` without ``host-phys-bits=off``, and
    QEMU 7.2's ``host`` CPU model turns ``host-phys-bits`` on, so N is
    ignored (measured with Debian 12's libvirt 9.0 and QEMU 7.2 under KVM;
    the guide's platform section has the table).
    """
    if virt_type != KVM:
        return False
    return mode == PASSTHROUGH or (
        mode == EMULATE and cpu_mode == HOST_PASSTHROUGH
    )


def guest_width(
    mode: str | None,
    bits: int | None,
    cpu_mode: str,
    host_bits: int | None,
    virt_type: str = DEFAULT_VIRT_TYPE,
) -> int | None:
    """The width a guest in ``mode`` at ``bits`` gets on a host.

    None when it is unknown: no mode (QEMU's default), or a width that
    follows a host that reports none.
    """
    if width_follows_host(mode, cpu_mode, virt_type):
        return host_bits
    if mode == PASSTHROUGH:
        return TCG_BITS  # not KVM: host-phys-bits is ignored
    return bits if mode == EMULATE else None


def model_findings(
    context: GuestContext, mode: str, bits: int | None
) -> tuple[list[Finding], list[Finding]]:
    """The model's (errors, warnings) for a guest in ``mode`` at ``bits``.

    An emulated width must let the guest boot (:func:`width_finding`),
    except where the guest gets its host's width instead
    (:func:`width_follows_host`): that is a warning, and whether the guest
    boots is judged on each host at its own width. Devices the model
    cannot check are warnings.
    """
    errors = []
    warnings = []
    platform = context.platform
    follows = width_follows_host(mode, platform.cpu_mode, platform.virt_type)
    if mode == PASSTHROUGH and platform.virt_type != KVM:
        # the width is known: QEMU's own under TCG
        warnings.append(finding('passthrough-under-tcg', bits=TCG_BITS))
        bits = TCG_BITS
    if mode == EMULATE and bits is not None and follows:
        warnings.append(finding('emulate-width-follows-host', bits=bits))
    elif bits is not None and not follows:
        too_few = width_finding(context, bits)
        if too_few is not None:
            errors.append(too_few)
    return errors, warnings + device_findings(context)


#: The codes of :func:`device_findings`.
DEVICE_FINDINGS = ('pci-alias-unreadable', 'device-bar-unknown')


def device_findings(context: GuestContext) -> list[Finding]:
    """Warnings about devices the model cannot check."""
    if not context.checks_devices:
        return []
    found = []
    if context.alias_error is not None:
        found.append(
            finding('pci-alias-unreadable', error=context.alias_error)
        )
    if context.unknown_aliases:
        found.append(
            finding(
                'device-bar-unknown',
                aliases=', '.join(context.unknown_aliases),
            )
        )
    return found


@dataclasses.dataclass(frozen=True)
class Region:
    """One line of the layout ``flavor maxphysaddr show --explain`` shows."""

    region: str
    start: int | None  # None: the firmware picks the address
    size: int

    @property
    def end(self) -> int | None:
        return None if self.start is None else self.start + self.size


def layout(
    context: GuestContext, bits: int, vendor: str | None = None
) -> tuple[str, Boot, list[Region]]:
    """The guest's address space at ``bits``: (vendor, boot, regions).

    With vendor None, the vendor for which the guest fares worse.
    """
    vendor, answer = context.judge(bits, vendor)
    qemu = qemu_layout(context.ram_mib, context.platform.machine, vendor)
    machine = context.platform.machine
    regions = [Region('RAM below 4 GiB', 0, qemu.below_4g)]
    if qemu.above_4g:
        regions.append(
            Region('RAM above 4 GiB', qemu.above_4g_start, qemu.above_4g)
        )
    regions.append(
        Region(
            f'64-bit PCI hole ({machine})',
            qemu.hole64_start,
            qemu.hole64_size,
        )
    )
    if context.checks_devices and context.platform.firmware == BIOS:
        for rule in seabios_rules(context.platform.seabios):
            place = seabios_placement(qemu, bits, vendor, context.bars, rule)
            if context.bars:
                regions.append(
                    Region(
                        f'firmware 64-bit BARs (SeaBIOS {rule.name}: '
                        f'{place.why})',
                        place.base,
                        place.end - place.base,
                    )
                )
        regions += [
            Region(f'BAR of {alias}', None, bar_size(size))
            for alias, size in context.devices
        ]
    elif context.checks_devices:
        window = ovmf_window(qemu, bits, vendor)
        kind = 'dynamic' if window.dynamic else 'classic'
        regions.append(
            Region(
                f'firmware 64-bit PCI window ({kind})',
                window.base,
                window.size,
            )
        )
        regions += [
            Region(f'BAR of {alias}', None, bar_size(size))
            for alias, size in context.devices
        ]
    regions.append(Region(f'address space (2^{bits})', 0, 1 << bits))
    return vendor, answer, regions
