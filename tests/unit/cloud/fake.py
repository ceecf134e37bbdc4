"""A service proxy that answers from a table and records every call.

Only what the cloud layer uses of an SDK proxy: ``get``/``post``/
``delete``/``patch`` and ``get_endpoint_data`` (for microversion
negotiation). A request the table does not hold fails the test.
"""

from __future__ import annotations

import json
import types

import requests
from keystoneauth1 import discover


def reply(status=200, body=None):
    """An answer as keystoneauth hands it over: a requests.Response."""
    response = requests.Response()
    response.status_code = status
    response.reason = 'Not Found' if status == 404 else 'Reason'
    if body is not None:
        response.headers['content-type'] = 'application/json'
        response._content = json.dumps(body).encode()
    else:
        response._content = b''
    return response


class FakeProxy:
    """Answers ``answers[(method, url)]``; ``calls`` lists what was sent."""

    def __init__(
        self, service_type, answers, max_version=None, min_version=None
    ):
        self.service_type = service_type
        self.service_name = None
        self.answers = dict(answers)
        self.calls = []
        self.endpoint = discover.EndpointData(
            service_type=service_type,
            min_microversion=_parsed(min_version),
            max_microversion=_parsed(max_version),
        )

    def get_endpoint_data(self):
        return self.endpoint

    def _answer(self, method, url, kwargs):
        self.calls.append((method, url, kwargs))
        try:
            return self.answers[method, url]
        except KeyError:
            raise AssertionError(
                f'unexpected request {method} {url}'
            ) from None

    def get(self, url, **kwargs):
        return self._answer('GET', url, kwargs)

    def post(self, url, **kwargs):
        return self._answer('POST', url, kwargs)

    def delete(self, url, **kwargs):
        return self._answer('DELETE', url, kwargs)

    def patch(self, url, **kwargs):
        return self._answer('PATCH', url, kwargs)

    def sent(self):
        """(method, url, microversion) of each call, in order."""
        return [(m, url, kw.get('microversion')) for m, url, kw in self.calls]


def _parsed(version):
    return (
        None if version is None else discover.normalize_version_number(version)
    )


def connection(**proxies):
    """What the cloud layer reads of an SDK connection: its proxies."""
    return types.SimpleNamespace(**proxies)
