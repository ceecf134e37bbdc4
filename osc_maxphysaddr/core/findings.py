"""Every finding the plugin can report about a configuration.

One :class:`Rule` per finding: its code, severity and message template.
The operator guide documents each of them (a test keeps the two in sync).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from osc_maxphysaddr.core.specs import BITS_KEY
from osc_maxphysaddr.core.specs import CAPABILITY_KEY
from osc_maxphysaddr.core.specs import MAX_BITS
from osc_maxphysaddr.core.specs import MIN_BITS
from osc_maxphysaddr.core.specs import MODE_KEY

OK = 'ok'
NOT_CONFIGURED = 'not configured'
ERROR = 'error'
WARNING = 'warning'


@dataclasses.dataclass(frozen=True)
class Rule:
    """One finding the diagnosis can report, and how it reads."""

    code: str
    severity: str
    template: str


#: Every finding the core can emit.
RULES = {
    rule.code: rule
    for rule in (
        Rule(
            'bits-without-mode',
            ERROR,
            f'{BITS_KEY} is set without {MODE_KEY}: the guest keeps '
            "QEMU's default width, yet Nova still filters hosts by the bits",
        ),
        Rule(
            'keys-without-mode',
            ERROR,
            f'{{keys}} set without {MODE_KEY}: the guest keeps '
            "QEMU's default width",
        ),
        # nova/virt/hardware.py get_maxphysaddr_mode compares the raw
        # value with fields.MaxPhyAddrMode.ALL and raises Invalid, which
        # fails the request in the scheduler (scheduler/utils.py
        # _translate_maxphysaddr_request): no stripping, no case folding.
        Rule(
            'invalid-mode',
            ERROR,
            f'{MODE_KEY} is {{value!r}}, not exactly emulate or passthrough: '
            'Nova cannot schedule the flavor',
        ),
        # libvirt's docs/formatdomain.rst (<maxphysaddr>): bits is
        # optional for mode='emulate' only since 9.2.0; older libvirt
        # refuses the domain XML. Without bits libvirt 9.2.0+ writes
        # host-phys-bits=off (qemu_command.c qemuBuildCpuCommandLine; test
        # cpu-phys-bits-emulate-bare.x86_64-latest.args), which overrides
        # the host model's own host-phys-bits=on, so x86_cpu_realizefn
        # falls back to TCG_PHYS_ADDR_BITS (40).
        Rule(
            'emulate-without-bits',
            ERROR,
            f'emulate mode without {BITS_KEY}: libvirt older than 9.2.0 '
            'refuses the guest, 9.2.0 and later pass host-phys-bits=off, so '
            "the guest gets QEMU's fallback of 40 bits on every CPU mode",
        ),
        # src/qemu/qemu_validate.c: "CPU maximum physical address bits
        # number specification cannot be used with mode='passthrough'".
        Rule(
            'passthrough-with-bits',
            ERROR,
            f'passthrough mode cannot take {BITS_KEY}: libvirt refuses a '
            'width with passthrough, so the guest does not boot',
        ),
        # Three failure points (Nova 29.0.0 to 34.0.0): '42.0' passes the
        # scheduler (extra_specs_ops '>=' is float() >= float()) and fails
        # int() in the compute's _get_guest_cpu_config_maxphysaddr; 'forty'
        # makes float() raise inside ComputeCapabilitiesFilter (server
        # ERROR); '' gives '>= ' with no operand, which matches no host
        # (NoValidHost), as does 60 (above QEMU's 52).
        Rule(
            'invalid-bits',
            ERROR,
            f'{BITS_KEY} is {{value!r}}, not an integer from {MIN_BITS} '
            f'to {MAX_BITS}',
        ),
        # nova/scheduler/utils.py adds the mode's trait as required after
        # the trait: keys; a trait both required and forbidden leaves
        # Placement no candidate.
        Rule(
            'mode-trait-forbidden',
            ERROR,
            "{key} is 'forbidden', but Nova itself requires that trait for "
            '{mode} mode: no host qualifies',
        ),
        # nova/virt/libvirt/driver.py reports supports_address_space_
        # passthrough and _emulated from one libvirt version check, so
        # every host that can take either mode holds both traits.
        Rule(
            'other-mode-trait-forbidden',
            ERROR,
            "{key} is 'forbidden', but every libvirt host that supports "
            '{mode} mode has that trait too: no host qualifies',
        ),
        Rule(
            'capability-matches-nothing',
            ERROR,
            f'{CAPABILITY_KEY} is {{value!r}}, which matches no host '
            "(write operator, space, number: '>= 42')",
        ),
        # extra_specs_ops.match() calls float() on the operand of a
        # numeric operator and pops the values of '<or>'; the filter does
        # not catch what they raise.
        Rule(
            'capability-breaks-filter',
            ERROR,
            f'{CAPABILITY_KEY} is {{value!r}}: ComputeCapabilitiesFilter '
            'raises on it and the build fails (a numeric operator needs a '
            "number: '>= 42')",
        ),
        # RequestGroup.add_trait (nova/objects/request_spec.py) honours
        # exactly 'required' and 'forbidden' and logs a warning for any
        # other value.
        Rule(
            'trait-value-ignored',
            WARNING,
            "{key} is {value!r}: Nova honours only 'required' and "
            "'forbidden' and ignores this value",
        ),
        Rule(
            'other-mode-trait',
            WARNING,
            '{key}=required belongs to the other mode: every libvirt host '
            'that supports one mode has both traits, so it narrows nothing '
            'and only misleads',
        ),
        Rule(
            'capability-differs',
            WARNING,
            f'{CAPABILITY_KEY} is {{value!r}}, but Nova ignores it and '
            f"uses '{{effective}}' from {BITS_KEY}",
        ),
        Rule(
            'capability-on-passthrough',
            WARNING,
            f'{CAPABILITY_KEY} on a passthrough flavor narrows the hosts '
            'for nothing',
        ),
        Rule(
            'qemu-does-not-start',
            ERROR,
            '{reason}, so the guest does not boot: {fix}',
        ),
        Rule(
            'devices-lose-bars',
            ERROR,
            'at {bits} bits {reason}, so passed-through devices lose their '
            'BARs (the firmware cannot place them within reach): {fix}',
        ),
        Rule(
            'emulate-width-follows-host',
            WARNING,
            'on compute nodes with [libvirt] cpu_mode = host-passthrough '
            "the guest gets its host's width, not {bits} bits (libvirt 9.0 "
            'and QEMU 7.2, measured): the width only selects hosts that '
            "report at least {bits}, and the guest's width follows the host "
            'it starts on',
        ),
        Rule(
            'passthrough-under-tcg',
            WARNING,
            'under [libvirt] virt_type = qemu (TCG) QEMU ignores '
            "host-phys-bits, so the guest gets QEMU's {bits} bits, not its "
            "host's width (measured)",
        ),
        # Nova's ResourceRequest reads resources<N>: and trait<N>: (and
        # named suffixes) as request groups of their own, each satisfied by
        # one resource provider, with group_policy; the plugin only reads
        # the unnumbered trait: keys.
        Rule(
            'numbered-groups-not-judged',
            WARNING,
            'the request groups {keys} are not judged: Hosts counts hosts '
            'by the unnumbered trait: keys and the width alone',
        ),
        # nova/virt/libvirt/driver.py _guest_add_vpmems adds <maxMemory>,
        # which puts a device-memory region before the 64-bit PCI hole.
        Rule(
            'pmem-not-modelled',
            WARNING,
            'hw:pmem gives the guest a device-memory region (libvirt '
            '<maxMemory>) before the 64-bit PCI hole, which the address-'
            'space model does not lay out: whether the guest boots at its '
            'width is not checked',
        ),
        Rule(
            'device-bar-unknown',
            WARNING,
            'no BAR size is known for PCI alias {aliases}, so its devices '
            'are not checked: give one with --device-bar ALIAS=SIZE or '
            'device_bars in clouds.yaml',
        ),
        Rule(
            'pci-alias-unreadable',
            WARNING,
            '{error}, so its devices are not checked',
        ),
    )
}


@dataclasses.dataclass(frozen=True)
class Finding:
    code: str
    message: str

    @property
    def severity(self) -> str:
        return RULES[self.code].severity

    def __str__(self) -> str:
        return f'{self.severity}: {self.message}'


def finding(code: str, **values: Any) -> Finding:
    """The finding ``code`` with its template filled in."""
    return Finding(code, RULES[code].template.format(**values))


# Findings about the width on Glance images and about a flavor+image pair
# (see :mod:`.images` for the Nova code behind each).
_IMAGE_MODE = 'hw_maxphysaddr_mode'
_IMAGE_BITS = 'hw_maxphysaddr_bits'
IMAGE_RULES = {
    rule.code: rule
    for rule in (
        Rule(
            'image-invalid-mode',
            ERROR,
            f'{_IMAGE_MODE} is {{value!r}}, not emulate or passthrough: '
            'Nova refuses to boot the image (HTTP 400, invalid image '
            'metadata)',
        ),
        Rule(
            'image-invalid-bits',
            ERROR,
            f'{_IMAGE_BITS} is {{value!r}}, not an integer: Nova refuses '
            'to boot the image (HTTP 400, invalid image metadata)',
        ),
        Rule(
            'image-bits-out-of-range',
            ERROR,
            f"{_IMAGE_BITS} is {{value}}, outside QEMU's {MIN_BITS} to "
            f'{MAX_BITS}: the guest does not boot',
        ),
        Rule(
            'image-bits-with-filter-properties',
            ERROR,
            f"{_IMAGE_BITS} together with {{properties}}: Nova's "
            'ImagePropertiesFilter fails on every host when it checks '
            'image bits, so no server boots from the image; remove '
            f'{_IMAGE_BITS} and put the width on the flavor',
        ),
        Rule(
            'image-bits',
            WARNING,
            f'Nova does not schedule by {_IMAGE_BITS} on an image: it '
            "checks hosts only against the flavor's width, so a host with "
            'fewer bits can take the guest and libvirt then refuses it; put '
            f'the width on the flavor ({BITS_KEY})',
        ),
        Rule(
            'image-bits-without-mode',
            ERROR,
            f'{_IMAGE_BITS} is set without {_IMAGE_MODE}: libvirt uses it '
            'only with a flavor that sets a mode, and refuses it with '
            'passthrough',
        ),
        Rule(
            'image-passthrough-with-bits',
            ERROR,
            f'passthrough mode cannot take {_IMAGE_BITS}: libvirt refuses '
            'a width with passthrough, so the guest does not boot',
        ),
        Rule(
            'image-emulate-without-bits',
            WARNING,
            f'emulate mode without {_IMAGE_BITS}: the width must come '
            f"from the flavor's {BITS_KEY}; with a flavor without one, "
            'libvirt older than 9.2.0 refuses the guest and 9.2.0 and later '
            "give it QEMU's fallback of 40 bits (host-phys-bits=off)",
        ),
        Rule(
            'flavor-image-mode-conflict',
            ERROR,
            f"the flavor's {MODE_KEY} is {{flavor!r}} and the image's "
            f'{_IMAGE_MODE} is {{image!r}}: Nova accepts the boot, then '
            'its scheduler raises FlavorImageConflict and the server ends '
            'in ERROR',
        ),
        Rule(
            'pair-emulate-without-bits',
            ERROR,
            'emulate mode with no width on the flavor or the image: libvirt '
            'older than 9.2.0 refuses the guest and 9.2.0 and later give it '
            "QEMU's fallback of 40 bits (host-phys-bits=off)",
        ),
        Rule(
            'pair-passthrough-with-bits',
            ERROR,
            'passthrough mode with a width of {bits} from the other side: '
            'libvirt refuses a width with passthrough, so the guest does '
            'not boot',
        ),
        # nova/virt/libvirt/utils.py get_machine_type: the image's
        # hw_machine_type over [libvirt]hw_machine_type; the driver takes
        # the image's hw_firmware_type (ImageMetaProps' FirmwareType).
        Rule(
            'image-platform-unknown',
            WARNING,
            "the image's {key} is {value!r}, which the address-space model "
            'does not know (machine types: pc, pc-i440fx-*, q35, pc-q35-*; '
            "firmware: bios, uefi): the guest's address space is not "
            'checked',
        ),
        # A boot-from-volume server's image is "" at compute 2.98: the
        # volume's image properties, which Nova applies, are not shown.
        Rule(
            'image-not-visible',
            WARNING,
            'the server boots from a volume, whose image properties Nova '
            "does not show: the verdict is the flavor's alone",
        ),
        Rule(
            'image-bits-ignored',
            WARNING,
            "libvirt uses the flavor's {flavor} bits; the image's "
            '{image} bits are ignored',
        ),
    )
}
RULES.update(IMAGE_RULES)


class Judged:
    """The Status of a diagnosis: ``ok``, ``not configured``, or findings.

    Shared by flavor, image and flavor+image diagnoses; a subclass has
    ``configured`` and ``findings``.
    """

    configured: bool
    findings: tuple[Finding, ...]

    @property
    def status(self) -> str:
        if not self.configured:
            return NOT_CONFIGURED
        if not self.findings:
            return OK
        return '; '.join(str(f) for f in self.findings)

    @property
    def is_error(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)
