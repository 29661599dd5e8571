"""The ``Host`` header check: a 421 for names the mock does not serve (DNS rebinding).

A web page on ``http://evil.example:4010`` whose name the attacker re-points at
127.0.0.1 is, to the browser, same-origin with itself: no CORS check stands between it
and the mock, and it could reset every business or read the journal. What gives it away
is the ``Host`` header, which still names the attacker's domain. Rebinding needs a domain
name, so the check lets through every IP literal and every loopback name, and otherwise
only the names the mock was told about: the bound host, the ``--public-base-url`` host
and ``--allowed-host`` (``*`` turns the check off, ``.example.test`` allows a domain and
its subdomains). Any port.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from dayzero_twin.mock_server.asgi.headers import first_header
from dayzero_twin.mock_server.asgi.json_error import send_json_error
from dayzero_twin.mock_server.config import MockConfig

WILDCARD_BINDS = ("0.0.0.0", "::", "")
ANY_HOST = "*"


def host_name(host_header: str) -> str:
    """The name or address of a ``Host`` value, lowercase, without port or brackets."""
    value = host_header.strip().lower()
    if value.startswith("["):
        return value[1:].partition("]")[0]
    if value.count(":") == 1:
        value = value.partition(":")[0]
    return value.rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostPolicy:
    """Which ``Host`` names the mock answers (see the module docstring)."""

    def __init__(self, names: Iterable[str]) -> None:
        cleaned = {host_name(n) if n != ANY_HOST else n for n in names if n and n.strip()}
        self.any = ANY_HOST in cleaned
        self.domains = tuple(n for n in cleaned if n.startswith("."))
        self.names = frozenset(n for n in cleaned if not n.startswith("."))

    @classmethod
    def from_config(cls, config: MockConfig) -> HostPolicy:
        names = ["localhost", *config.allowed_hosts]
        if config.host not in WILDCARD_BINDS:
            names.append(config.host)
        if config.public_base_url:
            names.append(urlsplit(config.public_base_url).hostname or "")
        return cls(names)

    def allows(self, host_header: str) -> bool:
        if self.any:
            return True
        name = host_name(host_header)
        if name in self.names or _is_ip(name) or name.endswith(".localhost"):
            return True
        return any(name.endswith(domain) or name == domain[1:] for domain in self.domains)

    def described(self) -> str:
        listed = sorted(self.names | {"*" + d for d in self.domains})
        return ", ".join([*listed, "any IP address"])


class HostGuard:
    """Pure ASGI: refuses a request whose ``Host`` the policy does not allow (421)."""

    def __init__(self, app: ASGIApp, policy: HostPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.policy.any:
            await self.app(scope, receive, send)
            return
        raw = first_header(scope["headers"], b"host")
        # No Host at all is HTTP/1.0 from a script: browsers always send one.
        if raw is None or self.policy.allows(raw.decode("latin-1")):
            await self.app(scope, receive, send)
            return
        host = raw.decode("latin-1")
        detail = (
            f"Host {host!r} is not a name this mock serves (it answers {self.policy.described()}). "
            "A page that reached the mock under another name may be a DNS rebinding attack; "
            "if this is your own setup, add the name with --allowed-host or MOCK_ALLOWED_HOSTS."
        )
        await send_json_error(send, 421, detail)
