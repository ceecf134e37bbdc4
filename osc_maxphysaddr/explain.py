"""``flavor maxphysaddr show --explain``: the guest's layout and its verdict.

The platform, the address-space regions (a small table, or a list of
regions in bytes with ``-f json``) and why the guest boots or not, for the
guest of a flavor or of a flavor+image pair.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cliff import columns

from osc_maxphysaddr import lazy

# Loaded on first use: see osc_maxphysaddr.lazy (type checkers read the
# modules themselves).
if TYPE_CHECKING:
    from osc_maxphysaddr import core
else:
    core = lazy.load('osc_maxphysaddr.core')

#: The columns ``--explain`` adds.
COLUMNS = ('Platform', 'Layout', 'Verdict')


class LayoutColumn(columns.FormattableColumn):  # type: ignore[misc]
    """The regions of ``show --explain``: a small table, or a list of dicts.

    Each region is (region, start, size) in bytes; start is None for a BAR,
    whose address the firmware picks.
    """

    def human_readable(self) -> str:
        rows = [('Region', 'Start', 'End', 'Size')]
        for region, start, size in self._value:
            if start is None:
                rows.append((region, '', '', core.format_bytes(size)))
            else:
                rows.append(
                    (
                        region,
                        _address(start),
                        _address(start + size),
                        core.format_bytes(size),
                    )
                )
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        return '\n'.join(
            '  '.join(
                cell.ljust(w) for cell, w in zip(row, widths, strict=True)
            ).rstrip()
            for row in rows
        )

    def machine_readable(self) -> list[dict[str, object]]:
        return [
            {
                'region': region,
                'start': start,
                'end': None if start is None else start + size,
                'size': size,
            }
            for region, start, size in self._value
        ]


def _address(value: int) -> str:
    return core.format_bytes(value) if value else '0'


def values(
    context: core.GuestContext, verdict: core.PairVerdict
) -> list[object]:
    """The values of :data:`COLUMNS` for a flavor's guest (``context``)
    judged as ``verdict``."""
    if verdict.context is not None:
        context = verdict.context  # on the image's platform
    else:
        unknown = [
            f for f in verdict.findings if f.code == 'image-platform-unknown'
        ]
        if unknown:
            return ['not judged', LayoutColumn([]), unknown[0].message]
    bits = verdict.bits
    if (
        verdict.mode == core.EMULATE
        and bits is not None
        and not verdict.width_follows_host
    ):
        prefix = f'{bits} bits: '
    else:
        bits = context.min_bits() or core.MAX_BITS
        prefix = f'the smallest width that works, {bits} bits: '
        if verdict.mode == core.EMULATE and verdict.width_follows_host:
            prefix = "the guest gets its host's width; " + prefix
    # No host is read: the verdict is the stricter vendor's.
    vendor, answer, regions = core.layout(context, bits)
    if context.boots(bits, core.INTEL) == context.boots(bits, core.AMD):
        cpu = 'Intel or AMD CPU'
    else:
        name = 'Intel' if vendor == core.INTEL else 'AMD'
        cpu = f'{name} CPU (the stricter of Intel and AMD)'
    platform = context.platform
    return [
        f'{platform.machine}, {platform.firmware}, {cpu}',
        LayoutColumn([(r.region, r.start, r.size) for r in regions]),
        prefix
        + ('boots' if answer.boots else 'does not boot')
        + f': {answer.reason}',
    ]
