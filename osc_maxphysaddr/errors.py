"""Turn the failures a user can expect into one clear line each."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from keystoneauth1 import exceptions as ksa_exceptions
from openstack import exceptions as sdk_exceptions
from osc_lib import exceptions as osc_exceptions

from osc_maxphysaddr import cloud
from osc_maxphysaddr import core


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


# Everything a command may raise that the user should see as one line.
EXPECTED = (
    sdk_exceptions.SDKException,
    ksa_exceptions.ClientException,
    core.MaxphysaddrError,
    cloud.FlavorNotFound,
    cloud.FlavorAmbiguous,
    cloud.NoUsableMicroversion,
    cloud.PolicyHidesData,
)


@contextlib.contextmanager
def as_command_error(action: str) -> Iterator[None]:
    """Re-raise expected failures as CommandError, without a traceback."""
    try:
        yield
    except (
        core.MaxphysaddrError,
        cloud.FlavorNotFound,
        cloud.FlavorAmbiguous,
        cloud.NoUsableMicroversion,
        cloud.PolicyHidesData,
    ) as exc:
        raise osc_exceptions.CommandError(str(exc)) from exc
    except EXPECTED as exc:
        raise osc_exceptions.CommandError(describe(exc, action)) from exc
