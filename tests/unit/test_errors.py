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
from osc_maxphysaddr.cloud import image
from osc_maxphysaddr.cloud import placement


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


def subclasses(base):
    found = {base}
    for sub in base.__subclasses__():
        found |= subclasses(sub)
    return found


# Every exception as_command_error turns into a CommandError, with the line
# the user sees: the plugin's own keep their message, the SDK's and
# keystoneauth's are described with the action ('listing').
COMMAND_ERRORS = [
    (core.MaxphysaddrError('bits must be from 32 to 52'), None),
    (core.NoReportingHost(), None),
    (core.NoWidthBoots(45, 42, follows=False), None),
    (core.EmulateNeedsBits(), None),
    (core.PassthroughTakesNoBits(), None),
    (http.CloudError('a cloud layer failure'), None),
    (http.NoUsableMicroversion('starts at 2.90'), None),
    (compute.FlavorNotFound("No flavor with a name or ID of 'x'"), None),
    (compute.FlavorAmbiguous('More than one flavor'), None),
    (compute.PolicyHidesData('policy hides extra specs'), None),
    (image.ImageNotFound("No image with a name or ID of 'x'"), None),
    (image.ImageAmbiguous('More than one image'), None),
    (placement.ServiceUnavailable('Placement cannot be reached'), None),
    (
        http_error(403, 'Policy does not allow it.'),
        'listing: admin rights are needed '
        '(HTTP 403: Policy does not allow it.)',
    ),
    (
        sdk_exceptions.NotFoundException(
            message='x', response=http_error(404, 'x').response, details='gone'
        ),
        'listing: the cloud answered HTTP 404: gone',
    ),
    (
        sdk_exceptions.EndpointNotFound('no compute endpoint'),
        'listing: no compute endpoint',
    ),
    (sdk_exceptions.SDKException('odd'), 'listing: odd'),
    (
        ksa_exceptions.ConnectFailure('refused'),
        'listing: cannot reach the cloud (refused)',
    ),
    (
        ksa_exceptions.ConnectTimeout('slow'),
        'listing: cannot reach the cloud (slow)',
    ),
    (
        ksa_exceptions.EndpointNotFound('no image endpoint'),
        'listing: no image endpoint',
    ),
    (
        ksa_exceptions.DiscoveryFailure('no versions'),
        'listing: no versions',
    ),
    (
        ksa_exceptions.Unauthorized('bad token'),
        'listing: bad token (HTTP 401)',
    ),
]


@pytest.mark.parametrize('exc,line', COMMAND_ERRORS, ids=repr)
def test_each_expected_error_becomes_one_command_error(exc, line):
    with pytest.raises(osc_exceptions.CommandError) as raised:
        with errors.as_command_error('listing'):
            raise exc
    assert str(raised.value) == (str(exc) if line is None else line)
    assert raised.value.__cause__ is exc
    assert isinstance(exc, errors.EXPECTED)


def test_the_table_holds_every_error_of_the_plugin():
    listed = {type(exc) for exc, _ in COMMAND_ERRORS}
    own = subclasses(core.MaxphysaddrError) | subclasses(http.CloudError)
    assert own <= listed, own - listed
    assert errors.OWN == (core.MaxphysaddrError, http.CloudError)


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


def test_a_400_on_an_unknown_extra_spec_says_what_may_rewrite_it():
    details = "'hw:maxphysaddr_bits' does not appear to be a valid extra spec"
    line = errors.write_failure(
        http_error(400, details),
        'flavor f (1)',
        'set hw:maxphysaddr_bits',
        now_set=[],
        remaining=[],
        wrote_something=False,
    )
    assert line == (
        f'flavor f (1): Nova refused to set hw:maxphysaddr_bits (HTTP 400: '
        f'{details}); Nova validates extra specs only from compute '
        f'microversion 2.86 and this plugin writes at '
        f'{compute.FLAVOR_MICROVERSION} or older: something between you and '
        'Nova may rewrite the microversion. Nothing was written.'
    )


@pytest.mark.parametrize(
    'exc,line',
    [
        (
            glance_error(413, 'Too many'),
            'image i (1): Glance refused to set k (HTTP 413: Too many): the '
            'image has as many properties as Glance allows. Nothing was '
            'written.',
        ),
        # a 401 is the credentials, not Glance refusing the change
        (
            glance_error(401, 'Who?'),
            'image i (1): cannot set k: the cloud refused the credentials '
            '(HTTP 401). Nothing was written.',
        ),
        # a JSON error body: the SDK's details
        (
            http_error(400, 'Invalid JSON pointer'),
            'image i (1): Glance refused to set k (HTTP 400: Invalid JSON '
            'pointer). Nothing was written.',
        ),
        (
            ksa_exceptions.EndpointNotFound('no image endpoint'),
            'image i (1): cannot set k: no image endpoint. Nothing was '
            'written.',
        ),
    ],
)
def test_image_write_failure_lines(exc, line):
    assert errors.image_write_failure(exc, 'image i (1)', 'set k') == line
