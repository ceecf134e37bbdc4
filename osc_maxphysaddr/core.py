"""The maxphysaddr domain: pure functions, no I/O, no SDK.

Everything that decides something lives here: parsing and validating a
mode/bits request, the exact extra specs a request stands for, the diff
between a flavor's specs and that target, the diagnosis of a flavor's specs
(what Nova's scheduler and libvirt will really do with them), which hosts a
flavor admits, and reading the address width out of a hypervisor's
``cpu_info``. The command modules only parse, call this, call the cloud and
format.

The Nova behaviour behind the rules (Nova 2024.1 and later):

* ``hw:maxphysaddr_mode`` (``emulate`` or ``passthrough``) makes Nova
  require the matching ``COMPUTE_ADDRESS_SPACE_*`` trait in Placement and
  write ``<maxphysaddr mode=.../>`` into the guest's libvirt XML.
* Whenever ``hw:maxphysaddr_bits`` is set, Nova replaces
  ``capabilities:cpu_info:maxphysaddr:bits`` with ``>= <bits>`` before
  ComputeCapabilitiesFilter runs, mode or no mode.
* libvirt needs ``bits`` with ``emulate`` and refuses them with
  ``passthrough``; QEMU takes 32 to 52 phys-bits on x86_64.
* A ``capabilities:`` value is ``<operator> <operand>``: Nova splits it on
  whitespace, so ``>=42`` is a plain string compared for equality with the
  host's value, and matches no host.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import operator
import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

EMULATE = 'emulate'
PASSTHROUGH = 'passthrough'
MODES = (EMULATE, PASSTHROUGH)

#: QEMU's accepted ``phys-bits`` range on x86_64.
MIN_BITS = 32
MAX_BITS = 52

MODE_KEY = 'hw:maxphysaddr_mode'
BITS_KEY = 'hw:maxphysaddr_bits'
CAPABILITY_KEY = 'capabilities:cpu_info:maxphysaddr:bits'


@functools.cache
def _trait_names() -> tuple[dict[str, str], dict[str, str], tuple[str, ...]]:
    # os_traits costs ~10 ms to import (it walks its whole package), and
    # OSC imports the plugin's command modules on every call: so it is
    # imported on the first use of a trait name, not with this module.
    import os_traits

    mode_traits = {
        EMULATE: os_traits.COMPUTE_ADDRESS_SPACE_EMULATED,
        PASSTHROUGH: os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH,
    }
    trait_keys = {m: 'trait:' + trait for m, trait in mode_traits.items()}
    managed = (
        MODE_KEY,
        BITS_KEY,
        trait_keys[EMULATE],
        trait_keys[PASSTHROUGH],
        CAPABILITY_KEY,
    )
    return mode_traits, trait_keys, managed


def mode_traits() -> dict[str, str]:
    """Each mode's Placement trait (the ``MODE_TRAITS`` attribute)."""
    return _trait_names()[0]


def trait_keys() -> dict[str, str]:
    """Each mode's ``trait:`` extra spec (the ``TRAIT_KEYS`` attribute)."""
    return _trait_names()[1]


def managed_keys() -> tuple[str, ...]:
    """Every extra spec this plugin owns; ``unset`` removes exactly these.

    Also the ``MANAGED_KEYS`` attribute.
    """
    return _trait_names()[2]


_LAZY_CONSTANTS = {
    'MODE_TRAITS': mode_traits,
    'TRAIT_KEYS': trait_keys,
    'MANAGED_KEYS': managed_keys,
}


def __getattr__(name: str) -> Any:
    if name in _LAZY_CONSTANTS:
        return _LAZY_CONSTANTS[name]()
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


REQUIRED = 'required'
FORBIDDEN = 'forbidden'

OK = 'ok'
NOT_CONFIGURED = 'not configured'
ERROR = 'error'
WARNING = 'warning'

_DECIMAL = re.compile(r'[0-9]+')


class MaxphysaddrError(ValueError):
    """A request the plugin refuses, with a message for the operator."""


# --- requests ---------------------------------------------------------------


def parse_bits(text: str) -> int:
    """Parse an address width: a plain decimal integer from 32 to 52."""
    stripped = text.strip()
    if not _DECIMAL.fullmatch(stripped):
        raise MaxphysaddrError(
            f'bits must be a decimal integer from {MIN_BITS} to {MAX_BITS}, '
            f'not {text!r}'
        )
    bits = int(stripped)
    if not MIN_BITS <= bits <= MAX_BITS:
        raise MaxphysaddrError(
            f'bits must be from {MIN_BITS} to {MAX_BITS} '
            f"(QEMU's range on x86_64), not {bits}"
        )
    return bits


@dataclasses.dataclass(frozen=True)
class Config:
    """A validated maxphysaddr configuration."""

    mode: str
    bits: int | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise MaxphysaddrError(
                f'mode must be one of {", ".join(MODES)}, not {self.mode!r}'
            )
        if self.mode == EMULATE and self.bits is None:
            raise MaxphysaddrError(
                '--bits is required with --mode emulate '
                '(libvirt needs a width to emulate)'
            )
        if self.mode == PASSTHROUGH and self.bits is not None:
            raise MaxphysaddrError(
                '--bits cannot be used with --mode passthrough '
                "(the guest takes the host's width; libvirt refuses bits)"
            )
        if self.bits is not None and not MIN_BITS <= self.bits <= MAX_BITS:
            raise MaxphysaddrError(
                f'bits must be from {MIN_BITS} to {MAX_BITS}, not {self.bits}'
            )

    def extra_specs(self) -> dict[str, str]:
        """The exact maxphysaddr extra specs this configuration stands for."""
        specs = {MODE_KEY: self.mode, trait_keys()[self.mode]: REQUIRED}
        if self.bits is not None:
            specs[BITS_KEY] = str(self.bits)
            specs[CAPABILITY_KEY] = capability_for(self.bits)
        return specs


def capability_for(bits: int) -> str:
    """The ComputeCapabilitiesFilter value Nova derives from a width."""
    return f'>= {bits}'


# --- diffs -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Change:
    """One extra spec to add, change or remove."""

    key: str
    action: str  # 'add', 'change' or 'remove'
    old: str | None
    new: str | None


@dataclasses.dataclass(frozen=True)
class SpecPlan:
    """The writes that turn a flavor's specs into the target.

    Writes go in this order so that the flavor is never left without its
    new configuration: first one request setting :attr:`to_set`, then one
    delete per key in :attr:`to_delete`.
    """

    changes: tuple[Change, ...]

    @property
    def to_set(self) -> dict[str, str]:
        return {
            c.key: c.new
            for c in self.changes
            if c.action != 'remove' and c.new is not None
        }

    @property
    def to_delete(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.changes if c.action == 'remove')

    @property
    def is_noop(self) -> bool:
        return not self.changes


def plan(current: Mapping[str, str], target: Mapping[str, str]) -> SpecPlan:
    """Diff a flavor's specs against the target maxphysaddr specs.

    Only :data:`MANAGED_KEYS` are ever touched: a managed key missing from
    ``target`` is removed, every other key of the flavor is left alone.
    """
    unknown = set(target) - set(managed_keys())
    if unknown:
        raise MaxphysaddrError(f'not maxphysaddr keys: {sorted(unknown)}')
    changes = []
    for key in managed_keys():
        old = current.get(key)
        new = target.get(key)
        if old == new:
            continue
        if new is None:
            changes.append(Change(key, 'remove', old, None))
        elif old is None:
            changes.append(Change(key, 'add', None, new))
        else:
            changes.append(Change(key, 'change', old, new))
    return SpecPlan(tuple(changes))


def apply(current: Mapping[str, str], spec_plan: SpecPlan) -> dict[str, str]:
    """The specs a flavor holds once ``spec_plan`` is fully written."""
    result = dict(current)
    result.update(spec_plan.to_set)
    for key in spec_plan.to_delete:
        result.pop(key, None)
    return result


# --- Nova's capabilities operators -------------------------------------------


def _as_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _numeric(op: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def compare(host: str, wanted: str) -> bool:
        left, right = _as_float(host), _as_float(wanted)
        return left is not None and right is not None and op(left, right)

    return compare


# The operators of nova/scheduler/filters/extra_specs_ops.py ('=' means
# "at least" there, as for RAM or CPU counts).
_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    '=': _numeric(operator.ge),
    '==': _numeric(operator.eq),
    '!=': _numeric(operator.ne),
    '>=': _numeric(operator.ge),
    '<=': _numeric(operator.le),
    's==': operator.eq,
    's!=': operator.ne,
    's<': operator.lt,
    's<=': operator.le,
    's>': operator.gt,
    's>=': operator.ge,
    '<in>': lambda host, wanted: wanted in host,
}
_NUMERIC_OPERATORS = frozenset(('=', '==', '!=', '>=', '<='))


def capability_matches(host_value: str | None, requirement: str) -> bool:
    """Whether a host's capability value satisfies a ``capabilities:`` spec.

    Mirrors Nova's extra_specs_ops: the requirement is split on whitespace;
    a first word that is no operator makes the whole requirement a literal
    compared for equality.
    """
    words = requirement.split()
    op = words[0] if words else None
    if op != '<or>' and op not in _OPERATORS:
        return host_value == requirement
    if host_value is None:
        return False
    if op == '<or>':
        return host_value in words[1::2]
    if len(words) < 2:
        return False
    return _OPERATORS[op](host_value, words[1])


def capability_can_match(requirement: str) -> bool:
    """Whether a width requirement can match any host's reported bits.

    A host reports its width as a decimal integer, so a requirement is
    usable when it is ``<operator> <number>``, an ``<or>`` list, or a bare
    number.
    """
    words = requirement.split()
    if not words:
        return False
    op = words[0]
    if op == '<or>':
        return any(_DECIMAL.fullmatch(w) for w in words[1::2])
    if op not in _OPERATORS:
        return _DECIMAL.fullmatch(requirement) is not None
    if len(words) < 2:
        return False
    if op in _NUMERIC_OPERATORS:
        return _as_float(words[1]) is not None
    return True


# --- diagnosis ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Rule:
    """One finding the diagnosis can report, and how it reads."""

    code: str
    severity: str
    template: str


#: Every finding :func:`diagnose` can emit. The operator guide documents
#: each of them (a test keeps the two in sync).
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
        Rule(
            'invalid-mode',
            ERROR,
            f'{MODE_KEY} is {{value!r}}, not emulate or passthrough: '
            'Nova cannot schedule the flavor',
        ),
        Rule(
            'emulate-without-bits',
            ERROR,
            f'emulate mode needs {BITS_KEY}: libvirt refuses emulate '
            'without a width, so the guest does not boot',
        ),
        Rule(
            'passthrough-with-bits',
            ERROR,
            f'passthrough mode cannot take {BITS_KEY}: libvirt refuses a '
            'width with passthrough, so the guest does not boot',
        ),
        Rule(
            'invalid-bits',
            ERROR,
            f'{BITS_KEY} is {{value!r}}, not an integer from {MIN_BITS} '
            f'to {MAX_BITS}',
        ),
        Rule(
            'trait-not-required',
            ERROR,
            '{key} is {value!r}, but Nova requires that trait for {mode} '
            'mode: no host qualifies',
        ),
        Rule(
            'capability-matches-nothing',
            ERROR,
            f'{CAPABILITY_KEY} is {{value!r}}, which matches no host '
            "(write operator, space, number: '>= 42')",
        ),
        Rule(
            'other-mode-trait',
            WARNING,
            '{key}={value} belongs to the other mode: it narrows the hosts '
            'for nothing',
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
            'ram-exceeds-width',
            ERROR,
            '{bits} bits address {space}, too little for {ram} of RAM plus '
            'the 4 GiB PCI hole, so the guest does not boot: use {fix}',
        ),
        Rule(
            'ram-crowds-pci-window',
            WARNING,
            '{bits} bits address {space}: enough for {ram} of RAM plus the '
            '4 GiB PCI hole, but little room is left for the 64-bit PCI '
            'window (GPU BARs); {roomy} bits leave as much again',
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


def _finding(code: str, **values: Any) -> Finding:
    return Finding(code, RULES[code].template.format(**values))


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """What Nova will do with a flavor's maxphysaddr specs."""

    mode: str | None
    bits: int | str | None
    required_traits: tuple[str, ...]
    capability: str | None
    findings: tuple[Finding, ...]
    configured: bool

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


def _bits_value(raw: str | None) -> int | str | None:
    """A stored width as an int when it is one, else the raw text."""
    if raw is None:
        return None
    stripped = raw.strip()
    return int(stripped) if _DECIMAL.fullmatch(stripped) else raw


def diagnose(
    specs: Mapping[str, str], ram_mib: int | None = None
) -> Diagnosis:
    """Read a flavor's extra specs back into a maxphysaddr diagnosis.

    With the flavor's RAM, an emulated width is also checked against it
    (see :func:`check_ram`).
    """
    present = [k for k in managed_keys() if k in specs]
    mode = specs.get(MODE_KEY)
    raw_bits = specs.get(BITS_KEY)
    bits = _bits_value(raw_bits)
    capability = specs.get(CAPABILITY_KEY)
    required = tuple(
        mode_traits()[m]
        for m in MODES
        if specs.get(trait_keys()[m], '').strip() == REQUIRED
    )
    errors: list[Finding] = []
    warnings: list[Finding] = []
    valid_bits: int | None = None
    if raw_bits is not None:
        try:
            valid_bits = parse_bits(raw_bits)
        except MaxphysaddrError:
            errors.append(_finding('invalid-bits', value=raw_bits))

    if mode is None:
        if raw_bits is not None:
            errors.insert(0, _finding('bits-without-mode'))
        elif present:
            errors.append(
                _finding('keys-without-mode', keys=', '.join(present))
            )
    elif mode.strip() not in MODES:
        errors.insert(0, _finding('invalid-mode', value=mode))
    else:
        mode = mode.strip()
        if mode == EMULATE and raw_bits is None:
            errors.append(_finding('emulate-without-bits'))
        if mode == PASSTHROUGH and raw_bits is not None:
            errors.append(_finding('passthrough-with-bits'))
        own_key = trait_keys()[mode]
        if own_key in specs and specs[own_key].strip() != REQUIRED:
            errors.append(
                _finding(
                    'trait-not-required',
                    key=own_key,
                    value=specs[own_key],
                    mode=mode,
                )
            )
        other_key = trait_keys()[PASSTHROUGH if mode == EMULATE else EMULATE]
        if other_key in specs:
            warnings.append(
                _finding(
                    'other-mode-trait', key=other_key, value=specs[other_key]
                )
            )

    if capability is not None:
        if valid_bits is not None:
            effective = capability_for(valid_bits)
            if capability.split() != effective.split():
                warnings.append(
                    _finding(
                        'capability-differs',
                        value=capability,
                        effective=effective,
                    )
                )
        elif raw_bits is None:
            if not capability_can_match(capability):
                errors.append(
                    _finding('capability-matches-nothing', value=capability)
                )
            elif mode is not None and mode.strip() == PASSTHROUGH:
                warnings.append(_finding('capability-on-passthrough'))

    if ram_mib is not None and valid_bits is not None and mode == EMULATE:
        ram = check_ram(ram_mib, valid_bits).finding
        if ram is not None:
            (errors if ram.severity == ERROR else warnings).append(ram)

    return Diagnosis(
        mode=mode,
        bits=bits,
        required_traits=required,
        capability=capability,
        findings=tuple(errors + warnings),
        configured=bool(present),
    )


# --- hosts -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class HostRequirement:
    """What a host needs to take a flavor, as Nova's scheduler checks it."""

    required_traits: frozenset[str]
    forbidden_traits: frozenset[str]
    capability: str | None

    def admits(self, bits: int | None, traits: Iterable[str]) -> bool:
        """Whether a host with this width and these traits qualifies."""
        if self.capability is not None and not capability_matches(
            None if bits is None else str(bits), self.capability
        ):
            return False
        held = set(traits)
        return self.required_traits <= held and not (
            self.forbidden_traits & held
        )


def host_requirement(specs: Mapping[str, str]) -> HostRequirement:
    """The host requirement of a flavor whose diagnosis has no error."""
    diagnosis = diagnose(specs)
    if diagnosis.is_error:
        raise MaxphysaddrError(
            f'the flavor cannot be scheduled as written: {diagnosis.status}'
        )
    required = set(diagnosis.required_traits)
    forbidden = set()
    if diagnosis.mode is not None:
        required.add(mode_traits()[diagnosis.mode.strip()])
    for mode in MODES:
        if specs.get(trait_keys()[mode], '').strip() == FORBIDDEN:
            forbidden.add(mode_traits()[mode])
    capability = diagnosis.capability
    if isinstance(diagnosis.bits, int):
        capability = capability_for(diagnosis.bits)
    return HostRequirement(
        frozenset(required), frozenset(forbidden), capability
    )


# --- cpu_info ----------------------------------------------------------------


def _cpu_info_dict(cpu_info: object) -> dict[str, Any] | None:
    if isinstance(cpu_info, str):
        try:
            cpu_info = json.loads(cpu_info)
        except ValueError:
            return None
    return cpu_info if isinstance(cpu_info, dict) else None


def bits_from_cpu_info(cpu_info: object) -> int | None:
    """The address width a hypervisor reports, or None.

    ``cpu_info`` is a JSON string before compute microversion 2.28 and an
    object from 2.28 to 2.87. Hosts whose libvirt predates maxphysaddr
    report none; anything malformed also gives None, never an exception.
    """
    info = _cpu_info_dict(cpu_info)
    if info is None:
        return None
    maxphysaddr = info.get('maxphysaddr')
    if not isinstance(maxphysaddr, dict):
        return None
    bits = maxphysaddr.get('bits')
    if isinstance(bits, bool):
        return None
    if isinstance(bits, int):
        return bits
    if isinstance(bits, str) and _DECIMAL.fullmatch(bits.strip()):
        return int(bits.strip())
    return None


def cpu_vendor_model(cpu_info: object) -> tuple[str | None, str | None]:
    """The CPU vendor and model a hypervisor reports (None when absent)."""
    info = _cpu_info_dict(cpu_info) or {}
    vendor, model = info.get('vendor'), info.get('model')
    return (
        vendor if isinstance(vendor, str) else None,
        model if isinstance(model, str) else None,
    )


# --- capacity planning -------------------------------------------------------

MIB = 1 << 20
GIB = 1 << 30
#: The 32-bit PCI hole below 4 GiB: a guest's RAM that would sit there is
#: relocated above 4 GiB, so RAM + 4 GiB must fit inside 2**bits.
PCI_HOLE_BYTES = 4 * GIB
UP = 'up'
ENABLED = 'enabled'


@dataclasses.dataclass(frozen=True)
class Host:
    """What the planning rules need to know of a hypervisor."""

    bits: int | None
    traits: frozenset[str] | None  # None: Placement could not be read
    state: str | None = UP
    status: str | None = ENABLED

    @property
    def available(self) -> bool:
        """Whether the host can take a new guest now (up and enabled)."""
        return self.state == UP and self.status == ENABLED


def takers(
    requirement: HostRequirement, hosts: Sequence[Host]
) -> list[int] | None:
    """The positions of the hosts that can take a flavor now.

    A host qualifies when it is available and meets the requirement. None
    when the traits of the hosts are unknown.
    """
    if any(host.traits is None for host in hosts):
        return None
    return [
        i
        for i, host in enumerate(hosts)
        if host.available and requirement.admits(host.bits, host.traits or ())
    ]


def auto_pool(hosts: Iterable[Host]) -> list[Host]:
    """The hosts ``--bits auto`` chooses for: available, EMULATED, a width."""
    trait = mode_traits()[EMULATE]
    return [
        h
        for h in hosts
        if h.available
        and h.traits is not None
        and trait in h.traits
        and h.bits is not None
    ]


def auto_bits(hosts: Iterable[Host]) -> int:
    """The widest emulate width every host of :func:`auto_pool` can give.

    The lowest width any of them reports keeps all of them schedulable, so
    guests can live-migrate among them.
    """
    widths = [h.bits for h in auto_pool(hosts) if h.bits is not None]
    if not widths:
        raise MaxphysaddrError(
            '--bits auto needs at least one up, enabled hypervisor with '
            f'the {mode_traits()[EMULATE]} trait that reports its address '
            'bits; none does (see "openstack hypervisor maxphysaddr list")'
        )
    return max(MIN_BITS, min(widths))


def bytes_needed(ram_mib: int) -> int:
    """The guest-physical span a guest of this RAM needs."""
    return ram_mib * MIB + PCI_HOLE_BYTES


def min_bits_for_ram(ram_mib: int) -> int:
    """The smallest width whose 2**bits is above RAM + 4 GiB."""
    return max(MIN_BITS, bytes_needed(ram_mib).bit_length())


def roomy_bits_for_ram(ram_mib: int) -> int:
    """The smallest width that leaves the PCI window as much as the RAM."""
    return max(MIN_BITS, (2 * bytes_needed(ram_mib) - 1).bit_length())


def format_bytes(size: int) -> str:
    """A power-of-two size the way the guide's table writes it."""
    for unit, shift in (('PiB', 50), ('TiB', 40), ('GiB', 30), ('MiB', 20)):
        if size >= 1 << shift:
            value = size / (1 << shift)
            text = f'{value:.1f}'.rstrip('0').rstrip('.')
            return f'{text} {unit}'
    return f'{size} B'


@dataclasses.dataclass(frozen=True)
class RamCheck:
    """The RAM guard's verdict for one flavor at one width."""

    needed_bits: int
    finding: Finding | None

    @property
    def refuse(self) -> bool:
        return self.finding is not None and self.finding.severity == ERROR

    @property
    def warn(self) -> bool:
        return self.finding is not None and self.finding.severity == WARNING

    @property
    def message(self) -> str | None:
        return None if self.finding is None else self.finding.message


def check_ram(ram_mib: int, bits: int) -> RamCheck:
    """Whether a guest of ``ram_mib`` fits in ``bits`` address bits.

    Refuse when 2**bits <= RAM + 4 GiB: the guest does not boot. Warn when
    2**bits < 2 * (RAM + 4 GiB): it boots, but the 64-bit PCI window for
    device BARs (GPUs) has to share what is left.
    """
    needed = bytes_needed(ram_mib)
    needed_bits = min_bits_for_ram(ram_mib)
    space = 1 << bits
    sizes = {
        'bits': bits,
        'space': format_bytes(space),
        'ram': format_bytes(ram_mib * MIB),
    }
    if space <= needed:
        fix = (
            f'at least {needed_bits} bits'
            if needed_bits <= MAX_BITS
            else f"more than QEMU's {MAX_BITS} bits"
        )
        return RamCheck(
            needed_bits, _finding('ram-exceeds-width', fix=fix, **sizes)
        )
    if space < 2 * needed:
        roomy = roomy_bits_for_ram(ram_mib)
        return RamCheck(
            needed_bits,
            _finding('ram-crowds-pci-window', roomy=roomy, **sizes),
        )
    return RamCheck(needed_bits, None)
