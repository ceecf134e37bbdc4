"""Nova's capabilities operators, as ComputeCapabilitiesFilter applies them.

ComputeCapabilitiesFilter compares a host's ``cpu_info`` values with the
flavor's ``capabilities:`` extra specs through
``nova/scheduler/filters/extra_specs_ops.py``. A value is ``<operator>
<operand>``: Nova splits it on whitespace, so ``>=42`` is a plain string
compared for equality with the host's value, and matches no host.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

from osc_maxphysaddr.core.specs import DECIMAL


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
        return any(DECIMAL.fullmatch(w) for w in words[1::2])
    if op not in _OPERATORS:
        return DECIMAL.fullmatch(requirement) is not None
    if len(words) < 2:
        return False
    if op in _NUMERIC_OPERATORS:
        return _as_float(words[1]) is not None
    return True
