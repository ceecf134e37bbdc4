"""Turn the failures a user can expect into one clear line each."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from keystoneauth1 import exceptions as ksa_exceptions
from openstack import exceptions as sdk_exceptions
from osc_lib import exceptions as osc_exceptions

from osc_maxphysaddr import core
from osc_maxphysaddr.cloud import compute
from osc_maxphysaddr.cloud import http


def describe(exc: BaseException, action: str) -> str:
    """One line saying what failed while doing ``action``, and why."""
    if isinstance(exc, sdk_exceptions.HttpException):
        status = exc.status_code
        details = (exc.details or '').strip().replace('\n', ' ')
        if status == 401:
            return f'{action}: the cloud refused the credentials (HTTP 401)'
        if status == 403:
            return f'{action}: admin rights are needed (HTTP 403: {details})'
        if status == 400:
            return f'{action}: rejected with HTTP 400: {details}'
        return f'{action}: the cloud answered HTTP {status}: {details}'
    if isinstance(exc, ksa_exceptions.ConnectionError):
        return f'{action}: cannot reach the cloud ({exc})'
    if isinstance(exc, ksa_exceptions.ClientException):
        return f'{action}: {exc}'
    return f'{action}: {exc}'


def is_forbidden(exc: BaseException) -> bool:
    """Whether the cloud refused the request to this user (HTTP 403)."""
    return (
        isinstance(exc, sdk_exceptions.HttpException)
        and exc.status_code == 403
    )


def is_transient(exc: BaseException) -> bool:
    """Whether the same request may well work when sent again.

    A 5xx answer or a connection that failed or timed out; a 4xx answer
    (Nova's 400 on an extra spec above all) comes back every time.
    """
    if isinstance(exc, sdk_exceptions.HttpException):
        return (exc.status_code or 0) >= 500
    return isinstance(
        exc, (ksa_exceptions.ConnectionError, ksa_exceptions.RequestTimeout)
    )


# Nova's extra spec validator, from compute microversion 2.86
# (nova/api/validation/extra_specs/validators.py).
_UNKNOWN_EXTRA_SPEC = 'valid extra spec'


def write_failure(
    exc: BaseException,
    subject: str,
    step: str,
    now_set: list[str],
    remaining: list[str],
    wrote_something: bool,
) -> str:
    """One line on a failed flavor write: what failed, why, and the state.

    ``step`` is what was being done (``set k1, k2`` or ``delete k``).
    "Run the same command again" is said only when it can help: after a
    transient failure (see :func:`is_transient`) once some keys were
    written. When nothing was written, the line says so.
    """
    if (
        isinstance(exc, sdk_exceptions.HttpException)
        and exc.status_code == 400
    ):
        details = (exc.details or '').strip().replace('\n', ' ')
        line = f'{subject}: Nova refused to {step} (HTTP 400: {details})'
        if _UNKNOWN_EXTRA_SPEC in details:
            line += (
                '; Nova validates extra specs only from compute '
                'microversion 2.86 and this plugin writes at '
                f'{compute.FLAVOR_MICROVERSION} or older: something between '
                'you and Nova may rewrite the microversion'
            )
    else:
        line = describe(exc, f'{subject}: cannot {step}')
    if not wrote_something:
        return line + '. Nothing was written.'
    line += (
        f'. Now set: {", ".join(now_set) or "nothing"}; stale keys '
        f'remaining: {", ".join(remaining) or "none"}.'
    )
    if is_transient(exc):
        line += ' Run the same command again to finish.'
    return line


#: Why Glance refuses a JSON-patch of image properties, by HTTP status
#: (glance/api/v2/images.py, ImagesController.update and its ``_do_*``
#: operations).
_GLANCE_REFUSALS = {
    403: (
        "only the image's owner or an admin may change it, and property "
        'protections may forbid these properties'
    ),
    409: (
        'a property this command replaces or removes was removed after it '
        'read the image (Glance refuses to replace or remove a property '
        'that is gone)'
    ),
    413: 'the image has as many properties as Glance allows',
}


def _glance_details(exc: sdk_exceptions.HttpException) -> str:
    """Glance's own message for an error answer.

    webob's plain-text error page (``409 Conflict``, a blank line, the
    message) leaves openstacksdk with only the reason phrase as details,
    so the message is read from the page itself.
    """
    details = (exc.details or '').strip()
    response = exc.response
    if response is not None and 'text/plain' in response.headers.get(
        'content-type', ''
    ):
        lines = [line.strip() for line in response.text.splitlines()]
        lines = [line for line in lines if line]
        if lines and lines[0].startswith(str(exc.status_code)):
            lines = lines[1:]
        details = ' '.join(lines) or details
    return details.replace('\n', ' ')


def image_write_failure(exc: BaseException, subject: str, step: str) -> str:
    """One line on a failed image write: what Glance refused and why.

    An image is written with one JSON-patch request, which Glance applies
    whole or not at all, so nothing was written. "Run the same command
    again" is said only when it can help: after a transient failure (see
    :func:`is_transient`), or a 409, since the command reads the image
    again before writing.
    """
    status = getattr(exc, 'status_code', None) or 0
    if isinstance(exc, sdk_exceptions.HttpException) and status != 401:
        details = _glance_details(exc)
        if status < 500:
            line = f'{subject}: Glance refused to {step} (HTTP {status}: '
            line += details + ')'
            if status in _GLANCE_REFUSALS:
                line += f': {_GLANCE_REFUSALS[status]}'
        else:
            line = f'{subject}: cannot {step}: Glance answered HTTP {status}'
            line += f': {details}'
    else:
        line = describe(exc, f'{subject}: cannot {step}')
    line += '. Nothing was written.'
    if is_transient(exc) or status == 409:
        line += ' Run the same command again.'
    return line


# The plugin's own failures: their message is the line the user sees. The
# core (which imports no cloud code) and the cloud layer each have a base.
OWN = (core.MaxphysaddrError, http.CloudError)
# The SDK's and keystoneauth's: described with the action that failed.
CLIENT = (sdk_exceptions.SDKException, ksa_exceptions.ClientException)
# Everything a command may raise that the user should see as one line.
EXPECTED = OWN + CLIENT


@contextlib.contextmanager
def as_command_error(action: str) -> Iterator[None]:
    """Re-raise expected failures as CommandError, without a traceback."""
    try:
        yield
    except OWN as exc:
        raise osc_exceptions.CommandError(str(exc)) from exc
    except CLIENT as exc:
        raise osc_exceptions.CommandError(describe(exc, action)) from exc
