"""Nova's capabilities operators, as ComputeCapabilitiesFilter applies them.

ComputeCapabilitiesFilter (``nova/scheduler/filters/
compute_capabilities_filter.py``, ``_satisfies_extra_specs``) compares
``str()`` of a host's ``cpu_info`` value with the flavor's
``capabilities:`` extra spec through ``match()`` in
``nova/scheduler/filters/extra_specs_ops.py``. A value is ``<operator>
<operand>``: Nova splits it on whitespace, so ``>=42`` is a plain string
compared for equality with the host's value, and matches no host.

Two failures do not just filter hosts out, they break the build: Nova
calls ``float()`` on the operand of a numeric operator (``=``, ``==``,
``!=``, ``>=``, ``<=``) and ``<or>`` with nothing after it pops from an
empty list. Neither is caught by the filter, so the scheduler fails the
request.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

#: Every width a host could report, as ComputeCapabilitiesFilter sees it:
#: ``str()`` of the int in cpu_info.
_WIDTHS = tuple(str(bits) for bits in range(100))

# The operators of Nova's extra_specs_ops._op_methods ('=' means "at
# least" there, as for RAM or CPU counts). '<or>' is handled apart, as
# in Nova's match().
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    '=': lambda x, y: float(x) >= float(y),
    '<in>': lambda x, y: y in x,
    '<all-in>': lambda x, y: all(v in x for v in y),
    '==': lambda x, y: float(x) == float(y),
    '!=': lambda x, y: float(x) != float(y),
    '>=': lambda x, y: float(x) >= float(y),
    '<=': lambda x, y: float(x) <= float(y),
    's==': operator.eq,
    's!=': operator.ne,
    's<': operator.lt,
    's<=': operator.le,
    's>': operator.gt,
    's>=': operator.ge,
}
#: Every operator Nova knows, '<or>' included.
OPERATORS = frozenset(_OPERATORS) | {'<or>'}
NUMERIC_OPERATORS = frozenset(('=', '==', '!=', '>=', '<='))

#: What :func:`check_requirement` can say of a requirement.
CAN_MATCH = 'can-match'
MATCHES_NOTHING = 'matches-nothing'
BREAKS_FILTER = 'breaks-filter'


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _or_values(words: list[str]) -> list[str]:
    """The values ``<or> v1 <or> v2 ...`` compares, as Nova's loop pops
    them: every other word after the operator, whatever the words between.
    """
    return words[1::2]


def capability_matches(host_value: str | None, requirement: str) -> bool:
    """Whether a host's capability value satisfies a ``capabilities:`` spec.

    Mirrors ``match()`` of Nova's extra_specs_ops: the requirement is split
    on whitespace; a first word that is no operator makes the whole
    requirement a literal compared for equality. Where Nova raises (see
    :func:`check_requirement`), the host does not match.
    """
    words = requirement.split()
    op = words[0] if words else None
    if op not in OPERATORS:
        return host_value == requirement
    if host_value is None:
        return False
    if op == '<or>':
        return host_value in _or_values(words)
    if len(words) < 2:
        return False
    operand: str | list[str] = words[1:] if op == '<all-in>' else words[1]
    try:
        return _OPERATORS[op](host_value, operand)
    except ValueError:  # float() of a word that is no number
        return False


def check_requirement(requirement: str) -> str:
    """Whether a width requirement can match a host's reported bits.

    A libvirt host reports its width as ``str()`` of an integer, so:

    * :data:`BREAKS_FILTER`: Nova raises inside the filter (a numeric
      operator with an operand ``float()`` rejects, or a bare ``<or>``), so
      the build fails instead of filtering hosts;
    * :data:`CAN_MATCH`: some width from 0 to 99 (more than any x86 CPU
      has) satisfies it, whether or not one of your hosts has that width;
    * :data:`MATCHES_NOTHING`: none does (``>=42``, ``042``, ``s== x``).
    """
    words = requirement.split()
    op = words[0] if words else None
    if op == '<or>' and len(words) < 2:
        return BREAKS_FILTER  # Nova pops from the empty list
    if op in NUMERIC_OPERATORS and len(words) > 1 and not _is_float(words[1]):
        return BREAKS_FILTER
    if any(capability_matches(w, requirement) for w in _WIDTHS):
        return CAN_MATCH
    return MATCHES_NOTHING
