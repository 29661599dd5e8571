"""The scenario ``diff`` sends to each implementation, step by step, and what it keeps of
each answer: the status, the headers the contract speaks of, the body with ids, keys,
timestamps, invoice numbers, cursors and URLs masked (they may legitimately differ).

The same CSV bytes go to both sides (built once from the seed). Every step names the
contract rule it exercises, so a difference is reported against that rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from dayzero_twin.contract_tests.support.client import API, body_of
from dayzero_twin.contract_tests.support.csvfile import raw_csv
from dayzero_twin.contract_tests.support.datagen import RunMarks, hard_file, simple_file
from dayzero_twin.contract_tests.support.kinds import KINDS, Kind

UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")
# Fields whose values an implementation chooses: compared by presence and type only.
CHOSEN = frozenset(
    {
        "s3_key",
        "upload_url",
        "expires_in",
        "number",
        "next_cursor",
        "prev_cursor",
        "filename",
        "size",
        "content_type",
        "created_at",
        "updated_at",
    }
)


@dataclass(frozen=True)
class Target:
    base_url: str
    token: str
    business_id: str


@dataclass(frozen=True)
class Files:
    """The scenario's CSV bytes, the same for both sides."""

    simple: dict[str, bytes]
    hard: dict[str, bytes]
    invalid: dict[str, bytes]
    empty: dict[str, bytes]

    @classmethod
    def build(cls, seed: int) -> Files:
        marks = RunMarks(nonce=f"df{seed:x}")
        return cls(
            simple={k.name: simple_file(k.name, marks, 3, "diff").to_bytes() for k in KINDS},
            hard={k.name: hard_file(k.name, marks).to_bytes() for k in KINDS},
            invalid={k.name: _invalid(k, marks) for k in KINDS},
            empty={k.name: raw_csv([list(k.columns)]) for k in KINDS},
        )


def _invalid(kind: Kind, marks: RunMarks) -> bytes:
    """Two good rows around cells that do not parse (CONTRACT §3.3)."""
    rows = list(simple_file(kind.name, marks, 3, "bad").rows)
    bad = dict(rows[1])
    for column in ("unit_price", "amount", "due_date"):
        if column in bad:
            bad[column] = "twelve"
    rows[1] = bad
    return raw_csv([list(kind.columns), *[[r.get(c, "") for c in kind.columns] for r in rows]])


@dataclass(frozen=True)
class Observation:
    step: str
    rule: str
    status: int
    headers: dict[str, str]
    body: Any


def mask(value: Any, key: str = "") -> Any:
    """What of a JSON value both implementations must agree on."""
    if key in CHOSEN and value is not None:
        return f"<{type(value).__name__}>"
    if isinstance(value, dict):
        return {k: mask(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, key) for v in value]
    if isinstance(value, str):
        if TIMESTAMP.match(value):
            return "<datetime>"
        if value.startswith(("http://", "https://")):
            return "<url>"  # each implementation names its own host
        return UUID.sub("<uuid>", value)
    return value


class Session:
    """Runs the scenario against one target, remembering what later steps need."""

    def __init__(self, target: Target, files: Files, timeout: float) -> None:
        self.target = target
        self.files = files
        self.client = httpx.Client(base_url=target.base_url, timeout=timeout)

    def close(self) -> None:
        self.client.close()

    def headers(self, **changes: str | None) -> dict[str, str]:
        base: dict[str, str | None] = {
            "Authorization": f"Bearer {self.target.token}",
            "x-business-id": self.target.business_id,
            **changes,
        }
        return {k: v for k, v in base.items() if v is not None}

    def observe(
        self, step: str, rule: str, response: httpx.Response, volatile: tuple[str, ...] = ()
    ) -> Observation:
        """``volatile``: top-level fields that depend on what the business held before
        (a list's ``total``), compared by type only."""
        headers = {
            "content-type": response.headers.get("content-type", "").split(";")[0].strip(),
        }
        if response.status_code == 401:
            headers["www-authenticate"] = response.headers.get("www-authenticate", "").split(" ")[0]
        body = mask(body_of(response))
        if isinstance(body, dict):
            body.update({k: f"<{type(body[k]).__name__}>" for k in volatile if k in body})
        return Observation(step, rule, response.status_code, headers, body)

    def upload(self, data: bytes) -> tuple[httpx.Response, str | None]:
        response = self.client.post(
            f"{API}/upload/direct",
            files={"file": ("import.csv", data, "text/csv")},
            headers=self.headers(),
        )
        body = body_of(response)
        key = body.get("s3_key") if isinstance(body, dict) else None
        return response, key if isinstance(key, str) else None

    def bulk(self, kind: Kind, body: Any, **headers: str | None) -> httpx.Response:
        return self.client.post(
            f"{API}/{kind.name}/bulk", json=body, headers=self.headers(**headers)
        )

    def run(self) -> Iterator[Observation]:
        for kind in KINDS:
            yield from self._kind(kind)

    def _kind(self, kind: Kind) -> Iterator[Observation]:
        name, section = kind.name, kind.section
        created: list[str] = []
        for label, data, flag in (
            ("simple", self.files.simple[name], False),
            ("simple", self.files.simple[name], True),
            ("hard", self.files.hard[name], False),
        ):
            response, key = self.upload(data)
            yield self.observe(
                f"{name}: upload {label} file", "CONTRACT §2 direct upload", response
            )
            done = self.bulk(kind, {"s3_key": key, kind.flag: flag})
            yield self.observe(
                f"{name}: bulk {label} file, {kind.flag}={str(flag).lower()}",
                f"CONTRACT {section}, §4",
                done,
            )
            items = (body_of(done) or {}).get("items") if done.status_code == 201 else None
            created += [i["id"] for i in items or [] if isinstance(i, dict) and "id" in i]
        if created:
            got = self.client.get(f"{API}/{name}/{created[0]}", headers=self.headers())
            yield self.observe(f"{name}: GET the first created", "CONTRACT §5 read back", got)
        listed = self.client.get(f"{API}/{name}", params={"limit": 2}, headers=self.headers())
        yield self.observe(f"{name}: list limit=2", "CONTRACT §5 list", listed, ("total",))
        _, key = self.upload(self.files.simple[name])
        refusals: list[tuple[str, str, Callable[[], httpx.Response]]] = [
            (
                "no token",
                "CONTRACT §1 order 1: 401",
                lambda: self.bulk(kind, {"s3_key": key}, Authorization=None),
            ),
            (
                "bad business id",
                "CONTRACT §1 order 2: 422",
                lambda: self.bulk(kind, {"s3_key": key}, **{"x-business-id": "not-a-uuid"}),
            ),
            (
                "no token and bad business id",
                "CONTRACT §1 precedence: 401 first",
                lambda: self.bulk(
                    kind, {"s3_key": key}, Authorization=None, **{"x-business-id": "not-a-uuid"}
                ),
            ),
            ("missing s3_key", "CONTRACT §1 order 2: 422", lambda: self.bulk(kind, {})),
            (
                "flag not a boolean",
                "CONTRACT §1 order 2: 422",
                lambda: self.bulk(kind, {"s3_key": key, kind.flag: [1]}),
            ),
            (
                "unknown s3_key",
                "CONTRACT §2 a key never uploaded is 400",
                lambda: self.bulk(kind, {"s3_key": f"never-uploaded-{name}.csv"}),
            ),
            (
                "invalid cells",
                "CONTRACT §3.3 and §1 order 4: 400 listing every bad cell",
                lambda: self.bulk(kind, {"s3_key": self.upload(self.files.invalid[name])[1]}),
            ),
            (
                "empty file",
                "CONTRACT §3.3 no data rows: 400",
                lambda: self.bulk(kind, {"s3_key": self.upload(self.files.empty[name])[1]}),
            ),
            (
                "unknown id",
                "CONTRACT §5 404",
                lambda: self.client.get(f"{API}/{name}/not-an-id", headers=self.headers()),
            ),
        ]
        for label, rule, send in refusals:
            yield self.observe(f"{name}: {label}", rule, send())


def observations(target: Target, files: Files, timeout: float) -> list[Observation]:
    session = Session(target, files, timeout)
    try:
        return list(session.run())
    finally:
        session.close()
