"""Request/response values and microversion parsing shared by services."""

import dataclasses
import json
import re
from typing import Any

VERSION_RE = re.compile(r'^([1-9]\d*)\.([1-9]\d*|0)$')


@dataclasses.dataclass
class Request:
    method: str
    path: str  # full path, no query string
    route: str  # path below the service's API root
    query: dict[str, list[str]]
    headers: Any  # email.message.Message (case-insensitive get)
    body: bytes
    base_url: str  # scheme://host:port

    def arg(self, name: str) -> str | None:
        """Last value of a query parameter (webob's ``req.params[name]``)."""
        values = self.query.get(name)
        return values[-1] if values else None

    def json(self) -> Any:
        return json.loads(self.body or b'null')


@dataclasses.dataclass
class Response:
    status: int
    body: bytes = b''
    headers: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    content_type: str | None = 'application/json'


def json_response(
    status: int,
    data: Any,
    headers: list[tuple[str, str]] | None = None,
) -> Response:
    return Response(
        status=status,
        body=json.dumps(data).encode(),
        headers=list(headers or []),
    )


class ApiError(Exception):
    """Raised by handlers; the service turns it into its error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = list(headers or [])


def parse_version(text: str) -> tuple[int, int] | None:
    match = VERSION_RE.match(text.strip())
    if not match:
        return None
    return int(match.group(1)), int(match.group(2))


def version_string(version: tuple[int, int]) -> str:
    return f'{version[0]}.{version[1]}'


def requested_version(
    headers: Any, service_type: str, legacy_header: str | None = None
) -> str | None:
    """The version a client asked for, as microversion-parse finds it.

    ``OpenStack-API-Version: <service> <version>`` (the header may list
    several services, comma separated, or be repeated) wins over the
    service's legacy header.
    """
    for value in headers.get_all('OpenStack-API-Version') or []:
        for item in value.split(','):
            parts = item.strip().split(None, 1)
            if len(parts) == 2 and parts[0].lower() == service_type:
                return parts[1].strip()
    if legacy_header:
        value = headers.get(legacy_header)
        if value:
            return value.strip()
    return None
