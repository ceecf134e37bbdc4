"""Expected failures become one line each, never a traceback."""

import pytest
import requests
from keystoneauth1 import exceptions as ksa_exceptions
from openstack import exceptions as sdk_exceptions
from osc_lib import exceptions as osc_exceptions

from osc_maxphysaddr import cloud
from osc_maxphysaddr import core
from osc_maxphysaddr import errors


def http_error(status, details):
    response = requests.Response()
    response.status_code = status
    return sdk_exceptions.HttpException(
        message='boom', response=response, details=details
    )


@pytest.mark.parametrize(
    'exc,line',
    [
        (
            http_error(403, 'Policy does not allow it.'),
            'listing: admin rights are needed '
            '(HTTP 403: Policy does not allow it.)',
        ),
        (
            http_error(401, 'no'),
            'listing: the cloud refused the credentials (HTTP 401)',
        ),
        (
            http_error(400, 'bad\nspec'),
            'listing: rejected with HTTP 400: bad spec',
        ),
        (
            http_error(503, 'down'),
            'listing: the cloud answered HTTP 503: down',
        ),
        (
            ksa_exceptions.ConnectFailure('refused'),
            'listing: cannot reach the cloud (refused)',
        ),
    ],
)
def test_describe(exc, line):
    assert errors.describe(exc, 'listing') == line
    assert '\n' not in errors.describe(exc, 'listing')


@pytest.mark.parametrize(
    'exc',
    [
        core.MaxphysaddrError('bits must be from 32 to 52, not 60'),
        cloud.FlavorNotFound("No flavor with a name or ID of 'x' exists."),
        cloud.FlavorAmbiguous('More than one flavor'),
        cloud.NoUsableMicroversion('starts at 2.90'),
    ],
)
def test_domain_errors_keep_their_own_message(exc):
    with pytest.raises(osc_exceptions.CommandError) as raised:
        with errors.as_command_error('ignored'):
            raise exc
    assert str(raised.value) == str(exc)


def test_cloud_errors_are_described():
    with pytest.raises(osc_exceptions.CommandError) as raised:
        with errors.as_command_error('cannot list hypervisors'):
            raise http_error(500, 'oops')
    assert str(raised.value) == (
        'cannot list hypervisors: the cloud answered HTTP 500: oops'
    )


def test_unexpected_errors_are_not_swallowed():
    with pytest.raises(KeyError):
        with errors.as_command_error('x'):
            raise KeyError('a bug must show as one')
