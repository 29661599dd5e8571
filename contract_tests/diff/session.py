"""One side of a differential run: the requests of the scenario with that side's token
and business, and what is kept of each answer (:class:`Observation`): the status, the
headers the contract speaks of, the body masked by a
:class:`~contract_tests.diff.masking.Masker` (ids and numbers named by role or order of
appearance, creation times as recent or not, keys and URLs by type).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from dayzero_twin.contract_tests.diff.files import Files
from dayzero_twin.contract_tests.diff.masking import Masker
from dayzero_twin.contract_tests.support.assertions import Window
from dayzero_twin.contract_tests.support.client import API, body_of
from dayzero_twin.contract_tests.support.kinds import Kind

# A business no token may act for (CONTRACT §1 order 3), the same on both sides.
OTHER_BUSINESS = "00000000-0000-4000-8000-0000000000ff"


@dataclass(frozen=True)
class Target:
    base_url: str
    token: str
    business_id: str
    # A second business the token may act for: enables the cross-business steps.
    second_business_id: str | None = None


@dataclass(frozen=True)
class Observation:
    step: str
    rule: str
    status: int
    headers: dict[str, str]
    body: Any
    # Why this side could not take the step as meant (then it is compared with nothing).
    untaken: str | None = None


@dataclass(frozen=True)
class Plan:
    """What the run includes besides the always-run steps (the same for both sides)."""

    files: Files
    timeout: float
    large_files: bool = True
    second_business: bool = False


class Session:
    """Runs the scenario against one target, remembering what later steps need."""

    def __init__(self, target: Target, plan: Plan) -> None:
        self.target = target
        self.plan = plan
        self.client = httpx.Client(base_url=target.base_url, timeout=plan.timeout)
        roles = {target.business_id: "business", OTHER_BUSINESS: "other business"}
        if target.second_business_id:
            roles[target.second_business_id] = "second business"
        self.mask = Masker(roles)

    def close(self) -> None:
        self.client.close()

    # -- requests ------------------------------------------------------------------------

    def headers(self, **changes: str | None) -> dict[str, str]:
        base: dict[str, str | None] = {
            "Authorization": f"Bearer {self.target.token}",
            "x-business-id": self.target.business_id,
            **changes,
        }
        return {k: v for k, v in base.items() if v is not None}

    def upload(self, data: bytes, **headers: str | None) -> tuple[httpx.Response, str | None]:
        response = self.client.post(
            f"{API}/upload/direct",
            files={"file": ("import.csv", data, "text/csv")},
            headers=self.headers(**headers),
        )
        return response, text_field(response, "s3_key")

    def key(self, data: bytes) -> str | None:
        return self.upload(data)[1]

    def bulk(self, kind: Kind, body: Any, **headers: str | None) -> httpx.Response:
        return self.client.post(
            f"{API}/{kind.name}/bulk", json=body, headers=self.headers(**headers)
        )

    def get(self, path: str, **params: str | int) -> httpx.Response:
        return self.client.get(f"{API}/{path}", params=params, headers=self.headers())

    def presign(self, body: dict[str, Any]) -> httpx.Response:
        return self.client.post(f"{API}/upload", json=body, headers=self.headers())

    def put(self, url: str, data: bytes) -> httpx.Response:
        """PUT to a presigned URL: absolute, and deliberately without ``Authorization``."""
        return self.client.put(url, content=data, headers={"Content-Type": "text/csv"})

    # -- what is kept ----------------------------------------------------------------------

    def observe(
        self, step: str, rule: str, response: httpx.Response, volatile: tuple[str, ...] = ()
    ) -> Observation:
        """``volatile``: top-level fields that depend on what the business held before
        the run (a list's ``total``): not compared."""
        headers = {
            "content-type": response.headers.get("content-type", "").split(";")[0].strip(),
        }
        if response.status_code == 401:
            headers["www-authenticate"] = response.headers.get("www-authenticate", "").split(" ")[0]
        raw = body_of(response)
        if isinstance(raw, dict):
            raw = {k: v for k, v in raw.items() if k not in volatile}
        window = Window.around(self.mask.started, datetime.now(UTC), response)
        return Observation(step, rule, response.status_code, headers, self.mask(raw, window))

    def summary(self, step: str, rule: str, status: int, body: dict[str, Any]) -> Observation:
        """A step of several requests, kept as what they show together."""
        return Observation(step, rule, status, {}, self.mask(body))


def text_field(response: httpx.Response, name: str) -> str | None:
    body = body_of(response)
    value = body.get(name) if isinstance(body, dict) else None
    return value if isinstance(value, str) and value else None


def items_of(response: httpx.Response) -> list[dict[str, Any]]:
    body = body_of(response) if response.status_code == 201 else None
    items = body.get("items") if isinstance(body, dict) else None
    return [item for item in items or [] if isinstance(item, dict)]


def ids_of(response: httpx.Response) -> list[str]:
    return [str(item["id"]) for item in items_of(response) if "id" in item]


def replace_folded(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` (found case-insensitively: ids may be spelled in capitals)
    replaced by ``new``."""
    start = text.lower().index(old.lower())
    return text[:start] + new + text[start + len(old) :]
