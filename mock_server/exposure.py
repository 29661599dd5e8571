"""Who can reach the mock, as the CLI settles it and the banner tells it.

On loopback (the default) only this machine can connect, and the Host, Origin and
Content-Type checks keep other web pages out (:mod:`mock_server.asgi.guard`). Bound to
any other address the mock is reachable from the network, where anybody could reset it
or read its journal; so unless an admin token was given one is generated, and the
banner prints it with a warning and the addresses that actually reach the mock (0.0.0.0
is not one of them).
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
from typing import Any

from dayzero_twin.mock_server.asgi.hosts import WILDCARD_BINDS
from dayzero_twin.mock_server.config import MockConfig

LOOPBACK_NAMES = ("localhost",)
GENERATED_TOKEN_BYTES = 24


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the mock to this machine."""
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def is_wildcard(host: str) -> bool:
    return host in WILDCARD_BINDS


def config_values(options: dict[str, Any]) -> dict[str, Any]:
    """The ``MockConfig`` fields of issue 12 from the CLI's options (see the module doc)."""
    host = options["host"]
    allowed: list[str] = []
    for value in options["allowed_hosts"]:
        allowed.extend(part for part in value.replace(",", " ").split() if part)
    if is_wildcard(host):
        allowed.append(socket.gethostname())  # what team-mates type; no DNS lookup
    token = options["admin_token"] or None
    if token is None and not is_loopback(host):
        token = secrets.token_urlsafe(GENERATED_TOKEN_BYTES)
    return {
        "admin_token": token,
        "allowed_hosts": tuple(allowed),
        "header_timeout_seconds": options["header_timeout"],
        "body_timeout_seconds": options["body_timeout"],
        "max_header_bytes": options["max_header_bytes"],
        "max_admin_body_bytes": options["max_admin_body_bytes"],
    }


def url_line(config: MockConfig, url: str) -> str:
    """The banner's URL line: the address actually bound, and how to reach it."""
    if not is_wildcard(config.host) or config.public_base_url:
        return f"  URL       {url}"
    shown = f"[{config.host}]" if ":" in config.host else config.host
    return (
        f"  URL       bound to {shown}:{config.port} (every interface): from this machine "
        f"{url}, from others http://{socket.gethostname()}:{config.port} or this machine's "
        "IP address"
    )


def banner_lines(config: MockConfig, url: str) -> list[str]:
    """Lines about the admin token and the network, for the banner (none on loopback
    without a token)."""
    lines: list[str] = []
    token = config.admin_token
    if token:
        lines += [
            f"  Admin key {token}",
            "            every /__mock/ admin call needs it: -H 'X-Mock-Admin-Token: <key>' "
            "or -H 'Authorization: Bearer <key>'",
            f"            inspector: {url}/__mock/?admin_token={token}",
        ]
    if not is_loopback(config.host):
        lines.append(
            f"  WARNING   listening on {config.host}:{config.port}: anyone on the network can "
            "reach this mock (admin calls need the key above). Other Host names: --allowed-host."
        )
    return lines


def network_lines(config: MockConfig, url: str) -> list[str]:
    """What ``--quiet`` still prints: the warning and the key, only off loopback."""
    return [] if is_loopback(config.host) else banner_lines(config, url)
