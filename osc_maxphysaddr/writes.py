"""The write loop shared by ``flavor`` and ``image maxphysaddr set|unset``.

Every resource is resolved and read, and every plan made, before anything
is written, so a refused request writes nothing; then each resource is
written on its own, and every failure is one line.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING
from typing import Any

from osc_lib import exceptions as osc_exceptions
from osc_lib.command import command

from osc_maxphysaddr import lazy
from osc_maxphysaddr import output

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

    def find(self, conn, refs: list[str]) -> list[dict[str, Any]]:
        """The resources named (one each, in order; may raise)."""
        raise NotImplementedError

    def current(self, conn, resource: dict[str, Any]) -> dict[str, Any]:
        """The keys of a resource that a plan compares (may send a read)."""
        raise NotImplementedError

    def desired(self, conn, parsed_args, found) -> list[dict[str, str]]:
        """The keys each (resource, current) of ``found`` should end with.

        May refuse (raise MaxphysaddrError) or warn; nothing is written yet.
        """
        raise NotImplementedError

    def plan(self, current: dict[str, Any], keys: dict[str, str]):
        """The changes that turn ``current`` into ``keys``."""
        raise NotImplementedError

    def write(self, conn, resource: dict[str, Any], plan) -> str | None:
        """Write one plan: None when it went through, else the one line
        that says what failed, why, and whether anything was written."""
        raise NotImplementedError

    def take_action(self, parsed_args):
        with errors.as_command_error('invalid request'):
            self.validate(parsed_args)
        conn = self.app.client_manager.sdk_connection
        with errors.as_command_error(f'cannot read the {self.noun}s'):
            found: list[tuple[dict[str, Any], dict[str, Any]]] = []
            for resource in self.find(conn, getattr(parsed_args, self.noun)):
                if all(resource['id'] != r['id'] for r, _ in found):
                    found.append((resource, self.current(conn, resource)))
            wanted = self.desired(conn, parsed_args, found)
        plans = [
            (resource, self.plan(current, keys))
            for (resource, current), keys in zip(found, wanted, strict=True)
        ]
        rows = [
            (r['id'], r.get('name'), c.key, c.action, c.old, c.new)
            for r, plan in plans
            for c in plan.changes
        ]
        failures = []
        for resource, plan in plans:
            if plan.is_noop:
                output.notice(
                    f'{self.noun.capitalize()} {output.label(resource)} '
                    'already has this configuration; nothing to write.'
                )
            elif not parsed_args.dry_run:
                failure = self.write(conn, resource, plan)
                if failure is not None:
                    failures.append(failure)
        if parsed_args.dry_run:
            output.notice('Dry run: nothing was written.')
        if len(plans) == 1 and failures:
            # One resource, one line: the failure itself.
            raise osc_exceptions.CommandError(failures[0])
        for failure in failures:
            output.LOG.error(failure)
        if failures:
            raise osc_exceptions.CommandError(
                f'{len(failures)} of {len(plans)} {self.noun}s failed'
            )
        return self.columns, rows


def write_flavor(conn, flavor: dict[str, Any], spec_plan) -> str | None:
    """Write a flavor's plan: the new keys first, then delete stale ones.

    Returns None when every write went through, else the one line that
    says what failed (see :func:`errors.write_failure`).
    """
    done: list[str] = []
    step = ''
    try:
        if spec_plan.to_set:
            step = 'set ' + ', '.join(sorted(spec_plan.to_set))
            cloud.compute.set_extra_specs(conn, flavor['id'], spec_plan.to_set)
            done = sorted(spec_plan.to_set)
        for key in spec_plan.to_delete:
            step = 'delete ' + key
            cloud.compute.delete_extra_spec(conn, flavor['id'], key)
            done.append(key)
    except errors.EXPECTED as exc:
        return errors.write_failure(
            exc,
            f'flavor {output.label(flavor)}',
            step,
            now_set=[k for k in done if k in spec_plan.to_set],
            remaining=[k for k in spec_plan.to_delete if k not in done],
            wrote_something=bool(done),
        )
    return None


def write_image(conn, image: dict[str, Any], plan) -> str | None:
    """Write an image's plan in one JSON-patch request, which Glance applies
    whole or not at all; None, or the one line that says what failed."""
    try:
        cloud.image.patch_image(conn, image['id'], plan.json_patch())
    except errors.EXPECTED as exc:
        return errors.image_write_failure(
            exc, f'image {output.label(image)}', _image_step(plan)
        )
    return None


def _image_step(plan) -> str:
    """What an image write does, for messages: ``set a, b and remove c``."""
    written = [c.key for c in plan.changes if c.new is not None]
    removed = [c.key for c in plan.changes if c.new is None]
    steps = []
    if written:
        steps.append('set ' + ', '.join(written))
    if removed:
        steps.append('remove ' + ', '.join(removed))
    return ' and '.join(steps)


def warn_mode_conflicts(pairs) -> None:
    """Warn about each (flavor, its specs, image, its properties) whose
    modes Nova refuses together, before anything is written."""
    for flavor, specs, image, props in pairs:
        conflict = core.mode_conflict(specs, props)
        if conflict is not None:
            output.LOG.warning(
                'Flavor %s with %s=%s and image %s with %s=%s: Nova accepts '
                'a boot of the two, then its scheduler raises '
                'FlavorImageConflict and the server ends in ERROR.',
                output.label(flavor),
                core.MODE_KEY,
                conflict[0],
                output.label(image),
                core.IMAGE_MODE_KEY,
                conflict[1],
            )


def warn_image_conflicts(conn, mode: str, refs: list[str], flavors) -> None:
    """``set --image``: warn about the images whose mode differs.

    Read after the request is checked, before anything is written; an
    image that cannot be read fails the command.
    """
    if not refs:
        return
    with errors.as_command_error('cannot read the images'):
        images = cloud.image.find_images(conn, list(refs))
    specs = {core.MODE_KEY: mode}
    warn_mode_conflicts(
        (flavor, specs, image, image)
        for flavor, _ in flavors
        for image in images
    )
