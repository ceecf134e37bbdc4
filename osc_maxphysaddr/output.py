"""How the commands name things, tell the operator, and exit.

Every notice goes through one logger, so ``-q`` hides it and ``--log-file``
records it like OSC's own messages; ``--check`` is one mechanism for every
command that takes it.
"""

from __future__ import annotations

import logging

from osc_lib.cli import format_columns

#: The plugin's one logger: notices (shown by default, hidden by
#: ``--quiet``), warnings and ``--check``'s errors.
LOG = logging.getLogger('osc_maxphysaddr')


def label(resource) -> str:
    """``name (id)`` of a flavor, server or image, for messages."""
    return f'{resource["name"]} ({resource["id"]})'


def notice(text: str) -> None:
    """Tell the operator something on stderr; ``--quiet`` hides it.

    OSC shows warnings at its default verbosity and only errors with
    ``-q``, so a notice is logged as a warning.
    """
    LOG.warning(text)


def host_names(hosts) -> format_columns.ListColumn:
    """The ``Host Names`` column: the hostnames of hosts."""
    return format_columns.ListColumn([h.hostname for h in hosts or ()])


class Checked:
    """``--check``: exit 1 after the output when something shown failed.

    ``take_action`` calls :meth:`failed` with the label of each flagged
    item; cliff has printed the output by the time :meth:`run` returns,
    and OSC exits with what it returns. :attr:`check_message` introduces
    the flagged items on stderr.
    """

    check_message: str
    _flagged: list[str]

    def failed(self, what: str) -> None:
        self._flagged.append(what)

    def run(self, parsed_args):
        self._flagged = []
        result = super().run(parsed_args)  # type: ignore[misc]
        if parsed_args.check and self._flagged:
            LOG.error('%s: %s', self.check_message, ', '.join(self._flagged))
            return 1
        return result
