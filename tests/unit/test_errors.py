"""Expected failures become one line each, never a traceback."""

import pytest
import requests
from keystoneauth1 import exceptions as ksa_exceptions
from openstack import exceptions as sdk_exceptions
from osc_lib import exceptions as osc_exceptions

from osc_maxphysaddr import core
from osc_maxphysaddr import errors
from osc_maxphysaddr.cloud import compute
from osc_maxphysaddr.cloud import http


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
        compute.FlavorNotFound("No flavor with a name or ID of 'x' exists."),
        compute.FlavorAmbiguous('More than one flavor'),
        http.NoUsableMicroversion('starts at 2.90'),
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


@pytest.mark.parametrize(
    'exc,transient',
    [
        (http_error(500, 'x'), True),
        (http_error(503, 'x'), True),
        (http_error(400, 'x'), False),
        (http_error(403, 'x'), False),
        (http_error(404, 'x'), False),
        (ksa_exceptions.ConnectFailure('refused'), True),
        (ksa_exceptions.ConnectTimeout('slow'), True),
        (core.MaxphysaddrError('no'), False),
    ],
)
def test_is_transient(exc, transient):
    assert errors.is_transient(exc) is transient


@pytest.mark.parametrize(
    'exc,wrote,ending',
    [
        # nothing written: say so, never suggest a re-run
        (http_error(400, 'no'), False, 'Nothing was written.'),
        (http_error(503, 'down'), False, 'Nothing was written.'),
        (ksa_exceptions.ConnectFailure('x'), False, 'Nothing was written.'),
        # written in part: the state, and a re-run only when it can help
        (
            http_error(503, 'down'),
            True,
            'stale keys remaining: k2. Run the same command again to finish.',
        ),
        (
            ksa_exceptions.ConnectFailure('x'),
            True,
            'stale keys remaining: k2. Run the same command again to finish.',
        ),
        (http_error(400, 'no'), True, 'stale keys remaining: k2.'),
        (http_error(403, 'no'), True, 'stale keys remaining: k2.'),
    ],
)
def test_write_failure_says_where_the_flavor_stands(exc, wrote, ending):
    line = errors.write_failure(
        exc,
        'flavor f (1)',
        'delete k2',
        now_set=['k1'] if wrote else [],
        remaining=['k2'] if wrote else [],
        wrote_something=wrote,
    )
    assert '\n' not in line
    assert line.startswith('flavor f (1): ')
    assert line.endswith(ending)
    if wrote:
        assert 'Now set: k1;' in line


def test_a_400_names_what_nova_refused():
    line = errors.write_failure(
        http_error(400, 'Quota exceeded\nfor keys'),
        'flavor f (1)',
        'set k1, k2',
        now_set=[],
        remaining=[],
        wrote_something=False,
    )
    assert line == (
        'flavor f (1): Nova refused to set k1, k2 (HTTP 400: Quota exceeded '
        'for keys). Nothing was written.'
    )


def glance_error(status, message):
    """An error as Glance's webob answers it: a plain-text page."""
    response = requests.Response()
    response.status_code = status
    response.reason = 'Reason'
    response.headers['content-type'] = 'text/plain; charset=UTF-8'
    response._content = f'{status} Reason\n\n{message}\n\n   '.encode()
    return sdk_exceptions.HttpException(
        message='boom', response=response, details='Reason'
    )


@pytest.mark.parametrize(
    'exc,middle,again',
    [
        (glance_error(400, 'Bad patch'), 'refused to set k (HTTP 400', False),
        (glance_error(403, 'Not yours'), 'refused to set k (HTTP 403', False),
        # the image changed since it was read: a re-run re-reads it
        (glance_error(409, 'Gone'), 'refused to set k (HTTP 409', True),
        (glance_error(500, 'Oops'), 'cannot set k: Glance answered', True),
        (ksa_exceptions.ConnectFailure('x'), 'cannot reach the cloud', True),
    ],
)
def test_image_write_failure_is_one_line_with_glances_message(
    exc, middle, again
):
    line = errors.image_write_failure(exc, 'image i (1)', 'set k')
    assert '\n' not in line
    assert line.startswith('image i (1): ')
    assert middle in line
    if isinstance(exc, sdk_exceptions.HttpException):
        # the message from the page, not the reason phrase
        assert exc.response.text.split('\n')[2] in line
    assert 'Nothing was written.' in line
    assert line.endswith('Run the same command again.') is again
