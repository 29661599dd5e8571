"""Who may call the mock, and what each business has before any import.

The world is data: ``mock_server/domain/worlds/default.yaml`` by default, or the file given
with ``--world``. Both go through the same validation, so the default world is also a
working example of the format::

    tokens:                          # required: token -> business ids it may act for
      dz_mock_token:
        - b5a1c6de-0000-4000-8000-000000000001
    businesses:                      # required, at least one
      - id: b5a1c6de-0000-4000-8000-000000000001   # required, a UUID, unique
        name: Northwind Studio                     # required
        customers:                                 # optional list
          - name: Acme Robotics                    # required
            email: ap@acmerobotics.com             # required, unique (any case) per business
            id: 0e6d...                            # optional UUID; default derived (below)
        vendors:                                   # optional list
          - name: Summit Office Supply             # required, unique (any case) per business
            email: orders@summitofficesupply.com   # optional
            id: 4f2a...                            # optional UUID; default derived (below)

A customer or vendor without an ``id`` gets ``uuid5(WORLD_NAMESPACE, ...)`` of the
business id and its email (customers) or name (vendors): stable across seeds and
restarts, so documentation can cite it. Unknown keys, missing fields, malformed UUIDs,
duplicates and tokens naming undeclared businesses are refused with a ``ValueError``
that names the file and the offending entry. ``mock_server/domain/worlds/example.yaml`` is a
second, smaller example.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import yaml

# libyaml's loader when PyYAML was built with it: same safe subset, several times faster.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DEFAULT_WORLD_FILE = resources.files("dayzero_twin.mock_server.domain") / "worlds" / "default.yaml"
WORLD_NAMESPACE = uuid.UUID("5d0e7a4c-3b8f-5a52-9c61-7f0a2d6b1e93")

_TOKEN = re.compile(r"[!-~]+", re.ASCII)  # printable ASCII, no spaces: fits a Bearer header


@dataclass(frozen=True)
class Party:
    """A customer or a vendor: the same three facts either way."""

    id: str
    name: str
    email: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "email": self.email}


@dataclass(frozen=True)
class Business:
    id: str
    name: str
    customers: tuple[Party, ...]
    vendors: tuple[Party, ...]


@dataclass(frozen=True)
class World:
    """Tokens → the businesses they may act for, and every business's seeded parties."""

    tokens: dict[str, frozenset[str]]
    businesses: dict[str, Business]

    def may_act(self, token: str, business_id: str) -> bool:
        return business_id in self.tokens.get(token, frozenset())

    def as_dict(self) -> dict[str, Any]:
        return {
            "tokens": {token: sorted(ids) for token, ids in self.tokens.items()},
            "businesses": [
                {
                    "id": business.id,
                    "name": business.name,
                    "customers": [party.as_dict() for party in business.customers],
                    "vendors": [party.as_dict() for party in business.vendors],
                }
                for business in self.businesses.values()
            ],
        }


def customer_id_for(business_id: str, email: str) -> str:
    return str(uuid.uuid5(WORLD_NAMESPACE, f"{business_id}/customers/{email.casefold()}"))


def vendor_id_for(business_id: str, name: str) -> str:
    return str(uuid.uuid5(WORLD_NAMESPACE, f"{business_id}/vendors/{name.casefold()}"))


def load_world(path: Traversable | None = None) -> World:
    """The world in ``path`` (default: the bundled default world), validated."""
    path = path or DEFAULT_WORLD_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"world file {path}: cannot be read ({exc})") from exc
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise ValueError(f"world file {path}: not valid YAML ({exc})") from exc
    try:
        return parse_world(data)
    except ValueError as exc:
        raise ValueError(f"world file {path}: {exc}") from exc


def parse_world(data: Any) -> World:
    """Validate the YAML document of a world file; ``ValueError`` names the first problem."""
    _mapping(data, "the document", required={"tokens", "businesses"}, optional=set())
    businesses_data = data["businesses"]
    if not isinstance(businesses_data, list) or not businesses_data:
        raise ValueError("businesses must be a non-empty list")
    businesses: dict[str, Business] = {}
    for index, entry in enumerate(businesses_data):
        business = _business(entry, f"businesses[{index}]")
        if business.id in businesses:
            raise ValueError(f"businesses[{index}].id {business.id} is declared twice")
        businesses[business.id] = business
    return World(tokens=_tokens(data["tokens"], businesses), businesses=businesses)


def _mapping(node: Any, where: str, required: set[str], optional: set[str]) -> None:
    if not isinstance(node, dict):
        raise ValueError(f"{where} must be a mapping")
    missing = sorted(required - node.keys())
    if missing:
        raise ValueError(f"{where} is missing {', '.join(missing)}")
    unknown = sorted(str(key) for key in node.keys() - required - optional)
    if unknown:
        raise ValueError(f"{where} has unknown key(s) {', '.join(unknown)}")


def _text(node: Any, where: str) -> str:
    if not isinstance(node, str) or not node.strip():
        raise ValueError(f"{where} must be a non-empty string")
    return node.strip()


def _uuid(node: Any, where: str) -> str:
    try:
        return str(uuid.UUID(str(node).strip()))
    except ValueError:
        raise ValueError(f"{where} must be a UUID, got {node!r}") from None


def _business(node: Any, where: str) -> Business:
    _mapping(node, where, required={"id", "name"}, optional={"customers", "vendors"})
    business_id = _uuid(node["id"], f"{where}.id")
    customers = _parties(node.get("customers"), f"{where}.customers", business_id, True)
    vendors = _parties(node.get("vendors"), f"{where}.vendors", business_id, False)
    return Business(business_id, _text(node["name"], f"{where}.name"), customers, vendors)


def _parties(node: Any, where: str, business_id: str, customers: bool) -> tuple[Party, ...]:
    if node is None:
        return ()
    if not isinstance(node, list):
        raise ValueError(f"{where} must be a list")
    parties: list[Party] = []
    seen_ids: set[str] = set()
    seen_keys: set[str] = set()
    unique = "email" if customers else "name"
    for index, entry in enumerate(node):
        here = f"{where}[{index}]"
        required = {"name", "email"} if customers else {"name"}
        _mapping(entry, here, required=required, optional={"id", "email"} - required)
        name = _text(entry["name"], f"{here}.name")
        email = _text(entry["email"], f"{here}.email") if entry.get("email") is not None else None
        if email is not None and "@" not in email:
            raise ValueError(f"{here}.email must be an email address, got {email!r}")
        key = (email if customers else name) or ""
        if key.casefold() in seen_keys:
            raise ValueError(f"{here}.{unique} {key!r} appears twice in this business")
        seen_keys.add(key.casefold())
        if "id" in entry:
            party_id = _uuid(entry["id"], f"{here}.id")
        elif customers:
            party_id = customer_id_for(business_id, key)
        else:
            party_id = vendor_id_for(business_id, key)
        if party_id in seen_ids:
            raise ValueError(f"{here}.id {party_id} appears twice in this business")
        seen_ids.add(party_id)
        parties.append(Party(party_id, name, email))
    return tuple(parties)


def _tokens(node: Any, businesses: dict[str, Business]) -> dict[str, frozenset[str]]:
    if not isinstance(node, dict) or not node:
        raise ValueError("tokens must be a non-empty mapping of token -> list of business ids")
    tokens: dict[str, frozenset[str]] = {}
    for token, ids in node.items():
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            raise ValueError(f"token {token!r} must be printable ASCII without spaces")
        if not isinstance(ids, list) or not ids:
            raise ValueError(f"tokens.{token} must be a non-empty list of business ids")
        allowed = set()
        for index, raw in enumerate(ids):
            business_id = _uuid(raw, f"tokens.{token}[{index}]")
            if business_id not in businesses:
                raise ValueError(f"tokens.{token}[{index}] names undeclared business {business_id}")
            allowed.add(business_id)
        tokens[token] = frozenset(allowed)
    return tokens
