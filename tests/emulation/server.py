"""One HTTP server on 127.0.0.1: /identity, /compute, /placement, /image."""

import collections
import dataclasses
import http.server
import json
import threading
import time
import traceback
import urllib.parse
from pathlib import Path
from typing import Any

import yaml

from tests.emulation import compute
from tests.emulation import identity
from tests.emulation import image
from tests.emulation import placement
from tests.emulation import wire
from tests.emulation.state import DEFAULT_DOMAIN_NAME
from tests.emulation.state import CloudState

SERVICES = ('identity', 'compute', 'placement', 'image')


@dataclasses.dataclass(frozen=True)
class RequestRecord:
    """One request the emulation answered.

    ``kind`` is 'discovery' (version documents), 'auth' (token requests)
    or 'api'.  ``route`` is the path below the service's API root
    (``/flavors/detail`` for ``/compute/v2.1/flavors/detail``,
    ``/resource_providers``, ``/v3/auth/tokens``).  ``user`` is the
    name of the user whose token the request carried.
    ``query`` maps each parameter to its last value.
    """

    service: str
    kind: str
    method: str
    path: str
    route: str
    query: dict[str, str]
    microversion: str | None
    status: int
    user: str | None
    #: The request body as sent (bytes; empty for GET and DELETE).
    body: bytes = b''

    def json(self) -> Any:
        """The request body decoded as JSON (None when empty)."""
        return json.loads(self.body) if self.body else None


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    @property
    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def select(
        self,
        service: str | None = None,
        method: str | None = None,
        kind: str | None = 'api',
        route: str | None = None,
    ) -> list[RequestRecord]:
        """Records matching every given criterion (``kind`` 'api' by
        default; pass ``kind=None`` for all kinds)."""
        return [
            r
            for r in self.records
            if (service is None or r.service == service)
            and (method is None or r.method == method)
            and (kind is None or r.kind == kind)
            and (route is None or r.route == route)
        ]

    def count(
        self,
        service: str | None = None,
        method: str | None = None,
        kind: str | None = 'api',
        route: str | None = None,
    ) -> int:
        return len(self.select(service, method, kind, route))

    def counts(self, kind: str | None = 'api') -> collections.Counter:
        """Counter of (service, method) pairs."""
        return collections.Counter(
            (r.service, r.method)
            for r in self.records
            if kind is None or r.kind == kind
        )


def _kind(service: str, route: str) -> str:
    route = route.rstrip('/')
    if service == 'identity':
        return 'auth' if route.startswith('/v3/auth') else 'discovery'
    if service == 'compute' and route in ('', compute.API_ROOT):
        return 'discovery'
    if service in ('placement', 'image') and route == '':
        return 'discovery'
    return 'api'


def _make_handler(cloud: 'EmulatedCloud') -> type:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'
        # Without this every small response waits ~40 ms for delayed ACK.
        disable_nagle_algorithm = True
        server_version = 'EmulatedOpenStack/1.0'

        def log_message(self, format, *args):  # noqa: A002 - stdlib name
            pass

        def _handle(self) -> None:
            length = int(self.headers.get('Content-Length') or 0)
            body = self.rfile.read(length) if length else b''
            resp, record = cloud.dispatch(
                self.command, self.path, self.headers, body
            )
            # Log before answering: a client may act on the response (and
            # a test read the log) before this thread runs again.
            cloud.log.append(record)
            self.send_response(resp.status)
            if resp.content_type and resp.body:
                self.send_header('Content-Type', resp.content_type)
            for name, value in resp.headers:
                self.send_header(name, value)
            self.send_header('Content-Length', str(len(resp.body)))
            self.end_headers()
            if self.command != 'HEAD':
                self.wfile.write(resp.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

    return Handler


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A client hanging up mid-response is routine; stay quiet.  Handler
        # bugs never get here: EmulatedCloud.dispatch turns them into 500s.
        pass


# What clouds.yaml puts under ``auth:`` of connect_kwargs()'s settings.
_AUTH_KEYS = (
    'auth_url',
    'username',
    'password',
    'project_name',
    'user_domain_name',
    'project_domain_name',
)


class EmulatedCloud:
    """Keystone v3 + Nova + Placement + Glance emulation on one local port.

    >>> with EmulatedCloud(state) as cloud:
    ...     shell.main(cloud.os_args() + ['flavor', 'list'])
    """

    def __init__(self, state: CloudState | None = None, port: int = 0) -> None:
        self.state = state or CloudState()
        self.log = RequestLog()
        # Exceptions raised by the emulation's own handlers (should stay
        # empty; tests may assert on it).
        self.errors: list[BaseException] = []
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._compute = compute.ComputeService(self.state)
        self._placement = placement.PlacementService(self.state)
        self._image = image.ImageService(self.state)

    # -- lifecycle ------------------------------------------------------
    def start(self) -> 'EmulatedCloud':
        self._server = _Server(('127.0.0.1', self._port), _make_handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={'poll_interval': 0.05},
            name='emulated-cloud',
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> 'EmulatedCloud':
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- addresses and credentials --------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None, 'EmulatedCloud is not started'
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f'http://127.0.0.1:{self.port}'

    @property
    def auth_url(self) -> str:
        return f'{self.base_url}/identity'

    def os_args(self, user: str = 'admin') -> list[str]:
        """OSC global options authenticating as ``user``."""
        account = self.state.users[user]
        return [
            '--os-auth-url',
            self.auth_url,
            '--os-username',
            account.name,
            '--os-password',
            account.password,
            '--os-project-name',
            account.project_name,
            '--os-user-domain-name',
            DEFAULT_DOMAIN_NAME,
            '--os-project-domain-name',
            DEFAULT_DOMAIN_NAME,
            '--os-identity-api-version',
            '3',
            '--os-region-name',
            self.state.config.region,
            '--os-interface',
            'public',
        ]

    def connect_kwargs(self, user: str = 'admin') -> dict:
        """Keyword arguments for ``openstack.connect(**kwargs)``."""
        account = self.state.users[user]
        return {
            'auth_url': self.auth_url,
            'username': account.name,
            'password': account.password,
            'project_name': account.project_name,
            'user_domain_name': DEFAULT_DOMAIN_NAME,
            'project_domain_name': DEFAULT_DOMAIN_NAME,
            'identity_api_version': '3',
            'region_name': self.state.config.region,
            'interface': 'public',
        }

    def write_clouds_yaml(
        self,
        path: str | Path,
        cloud_name: str = 'emulated',
        user='admin',
        extra: dict | None = None,
    ) -> Path:
        """A clouds.yaml for this cloud; ``extra`` adds keys to its entry
        (such as the plugin's ``maxphysaddr:`` section)."""
        settings = self.connect_kwargs(user)
        auth = {k: settings.pop(k) for k in _AUTH_KEYS}
        entry = {'auth': auth, **settings, **(extra or {})}
        data = {'clouds': {cloud_name: entry}}
        path = Path(path)
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    # -- request handling -----------------------------------------------
    def dispatch(
        self, method: str, raw_path: str, headers, body: bytes
    ) -> tuple[wire.Response, RequestRecord]:
        parsed = urllib.parse.urlsplit(raw_path)
        path = parsed.path
        query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        service = path.split('/', 2)[1] if path.startswith('/') else ''
        route = path[len(service) + 1 :]
        req = wire.Request(
            method=method,
            path=path,
            route=route,
            query=query,
            headers=headers,
            body=body,
            base_url=self.base_url,
        )
        latency = self.state.config.latency_ms
        if latency:
            time.sleep(latency / 1000.0)
        if service not in SERVICES:
            resp = wire.Response(404, b'Not Found', content_type='text/plain')
        else:
            resp = self._fault_response(service, method, path)
            if resp is None:
                try:
                    with self.state.lock:
                        resp = self._route(service, req)
                except Exception as exc:  # a bug in the emulation itself
                    resp = wire.Response(
                        500,
                        f'Emulation error: {traceback.format_exc()}'.encode(),
                        content_type='text/plain',
                    )
                    self.errors.append(exc)
        user = identity.authenticate(self.state, req)
        api_route = route
        if service == 'compute' and route.startswith(compute.API_ROOT + '/'):
            api_route = route[len(compute.API_ROOT) :]
        record = RequestRecord(
            service=service,
            kind=_kind(service, route),
            method=method,
            path=path,
            route=api_route,
            query={k: v[-1] for k, v in query.items()},
            microversion=self._microversion(service, headers),
            status=resp.status,
            user=user.name if user else None,
            body=body or b'',
        )
        return resp, record

    def _route(self, service: str, req: wire.Request) -> wire.Response:
        if service == 'identity':
            return identity.handle(self.state, req)
        if service == 'compute':
            return self._compute.handle(req)
        if service == 'image':
            return self._image.handle(req)
        return self._placement.handle(req)

    @staticmethod
    def _microversion(service: str, headers) -> str | None:
        if service == 'compute':
            return wire.requested_version(
                headers, 'compute', compute.LEGACY_HEADER
            )
        if service == 'placement':
            return wire.requested_version(headers, 'placement')
        return None

    def _fault_response(
        self, service: str, method: str, path: str
    ) -> wire.Response | None:
        fault = self.state.take_fault(method, path)
        if fault is None:
            return None
        if service == 'compute':
            body = compute.fault_body(fault.status, fault.message)
        elif service == 'placement':
            body = placement.error_body(fault.status, fault.message, None)
        elif service == 'image':
            return image.error(fault.status, fault.message)
        else:
            body = {
                'error': {
                    'code': fault.status,
                    'message': fault.message,
                    'title': 'Injected',
                }
            }
        return wire.Response(fault.status, json.dumps(body).encode())
