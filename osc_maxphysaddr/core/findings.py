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
            'qemu-does-not-start',
            ERROR,
            '{reason}, so the guest does not boot: {fix}',
        ),
        Rule(
            'devices-lose-bars',
            ERROR,
            'at {bits} bits {reason}, so passed-through devices lose their '
            'BARs (the firmware cannot place them): {fix}',
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
