"""The scenario ``diff`` sends to each implementation, step by step, and what it keeps of
each answer: the status, the headers the contract speaks of, the body masked by a
:class:`~contract_tests.diff.masking.Masker` (ids and numbers named by role or order of
appearance, creation times as recent or not, keys and URLs by type).

The same CSV bytes go to both sides (:class:`~contract_tests.diff.files.Files`, built
once from the seed). Every step names the contract rule it exercises, so a difference is
reported against that rule. One request is in flight at a time, except in the one step
about parallel imports; answers are deterministic, so two faithful implementations
observe the same thing step for step.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from dayzero_twin.contract_tests.checks.test_limits import LIMIT_BYTES
from dayzero_twin.contract_tests.checks.test_upload_tampering import tamperings
from dayzero_twin.contract_tests.diff.files import Files, KindFiles
from dayzero_twin.contract_tests.diff.masking import Masker
from dayzero_twin.contract_tests.support.client import API, body_of
from dayzero_twin.contract_tests.support.kinds import INVOICES, KINDS, Kind

# A business no token may act for (CONTRACT §1 order 3), the same on both sides.
OTHER_BUSINESS = "00000000-0000-4000-8000-0000000000ff"
UNKNOWN_TOKEN = "dz_diff_unknown_token"
UNKNOWN_ID = "00000000-0000-4000-8000-00000000abcd"
PARALLEL_IMPORTS = 2
MAX_LIST_LIMIT = 1000


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
        return response, _text_field(response, "s3_key")

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
        return Observation(step, rule, response.status_code, headers, self.mask(raw))

    def summary(self, step: str, rule: str, status: int, body: dict[str, Any]) -> Observation:
        """A step of several requests, kept as what they show together."""
        return Observation(step, rule, status, {}, self.mask(body))

    # -- the scenario ----------------------------------------------------------------------

    def run(self) -> Iterator[Observation]:
        for kind in KINDS:
            files = self.plan.files[kind.name]
            created = yield from self._imports(kind, files)
            yield from self._reads(kind, created)
            yield from self._refusals(kind, files)
            yield from self._after_refusals(kind, files)
        yield from self._presigned()
        yield from self._parallel()
        if self.plan.large_files:
            yield from self._large()

    def _imports(self, kind: Kind, files: KindFiles) -> Generator[Observation, None, list[str]]:
        created: list[str] = []
        for label, data, flag in (
            ("simple", files.simple, False),
            ("simple", files.simple, True),
            ("hard", files.hard, False),
            ("hard", files.hard, True),
            ("60-row", files.many, False),
        ):
            response, key = self.upload(data)
            yield self.observe(
                f"{kind}: upload {label} file", "CONTRACT §2 direct upload", response
            )
            done = self.bulk(kind, {"s3_key": key, kind.flag: flag})
            yield self.observe(
                f"{kind}: bulk {label} file, {kind.flag}={str(flag).lower()}",
                f"CONTRACT {kind.section}, §4",
                done,
            )
            created += _ids(done)
        return created

    def _reads(self, kind: Kind, created: list[str]) -> Iterator[Observation]:
        other = next(k for k in KINDS if k is not kind)
        rule_404 = "CONTRACT §5 404 when it does not exist in this business"
        if created:
            first = created[0]
            yield self.observe(
                f"{kind}: GET the first created",
                "CONTRACT §5 read back",
                self.get(f"{kind}/{first}"),
            )
            yield self.observe(
                f"{kind}: GET its id as {other}", rule_404, self.get(f"{other}/{first}")
            )
        yield self.observe(f"{kind}: GET an unknown id", rule_404, self.get(f"{kind}/{UNKNOWN_ID}"))
        yield self.observe(
            f"{kind}: GET a malformed id",
            rule_404 + " (a malformed id included)",
            self.get(f"{kind}/not-an-id"),
        )
        rule_list = "CONTRACT §5 list: newest first, cursor pagination"
        page = self.get(kind.name, limit=2)
        yield self.observe(f"{kind}: list limit=2", rule_list, page, ("total",))
        cursor = _text_field(page, "next_cursor")
        if cursor:
            yield self.observe(
                f"{kind}: list limit=2, next page",
                rule_list,
                self.get(kind.name, limit=2, cursor=cursor),
                ("total",),
            )
        yield self.observe(
            f"{kind}: list without limit",
            "CONTRACT §5 limit default 50",
            self.get(kind.name),
            ("total",),
        )
        yield self.observe(
            f"{kind}: list limit={MAX_LIST_LIMIT}",
            "CONTRACT §5 limit 1-1000",
            self.get(kind.name, limit=MAX_LIST_LIMIT),
            ("total", "items", "has_next", "next_cursor"),
        )
        yield from self._last_page(kind)
        for label, params, rule in (
            (
                "malformed cursor",
                {"cursor": "not-a-cursor"},
                "CONTRACT §5 a malformed cursor is 400",
            ),
            ("limit=0", {"limit": 0}, "CONTRACT §5 limit 1-1000"),
            ("limit=1001", {"limit": MAX_LIST_LIMIT + 1}, "CONTRACT §5 limit 1-1000"),
            ("limit=abc", {"limit": "abc"}, "CONTRACT §5 limit 1-1000"),
        ):
            yield self.observe(f"{kind}: list {label}", rule, self.get(kind.name, **params))

    def _last_page(self, kind: Kind) -> Iterator[Observation]:
        """A page that holds exactly what is left says so: no next page."""
        rule = "CONTRACT §5 has_next/next_cursor set while more remain"
        total = (body_of(self.get(kind.name, limit=1)) or {}).get("total")
        if not isinstance(total, int) or not 1 <= total <= MAX_LIST_LIMIT:
            untaken = f"the business holds {total!r} {kind}, not 1 to {MAX_LIST_LIMIT}"
            yield Observation(f"{kind}: list one full last page", rule, 0, {}, None, untaken)
            return
        yield self.observe(
            f"{kind}: list one full last page",
            rule,
            self.get(kind.name, limit=total),
            ("total", "items", "limit"),
        )

    def _refusals(self, kind: Kind, files: KindFiles) -> Iterator[Observation]:
        key = self.key(files.simple)
        business = self.target.business_id
        elsewhere = self.target.second_business_id or OTHER_BUSINESS
        edited = (
            _replace_folded(key, business, elsewhere)
            if key and business.lower() in key.lower()
            else f"{key}-edited"
        )
        bad_header = {"x-business-id": "not-a-uuid"}
        refusals: list[tuple[str, str, Callable[[], httpx.Response]]] = [
            (
                "no token",
                "CONTRACT §1 order 1: 401",
                lambda: self.bulk(kind, {"s3_key": key}, Authorization=None),
            ),
            (
                "token without Bearer",
                "CONTRACT §1 order 1: 401",
                lambda: self.bulk(kind, {"s3_key": key}, Authorization=self.target.token),
            ),
            (
                "unknown token",
                "CONTRACT §1 order 1: 401",
                lambda: self.bulk(kind, {"s3_key": key}, Authorization=f"Bearer {UNKNOWN_TOKEN}"),
            ),
            (
                "bad business id",
                "CONTRACT §1 order 2: 422",
                lambda: self.bulk(kind, {"s3_key": key}, **bad_header),
            ),
            (
                "no token and bad business id",
                "CONTRACT §1 precedence: 401 first",
                lambda: self.bulk(kind, {"s3_key": key}, Authorization=None, **bad_header),
            ),
            (
                "business not the token's",
                "CONTRACT §1 order 3: 403",
                lambda: self.bulk(kind, {"s3_key": key}, **{"x-business-id": OTHER_BUSINESS}),
            ),
            ("missing s3_key", "CONTRACT §1 order 2: 422", lambda: self.bulk(kind, {})),
            ("empty s3_key", "CONTRACT §1 order 2: 422", lambda: self.bulk(kind, {"s3_key": ""})),
            ("body not JSON", "CONTRACT §1 order 2: 422", lambda: self._not_json(kind)),
            (
                "flag not a boolean",
                "CONTRACT §1 order 2: 422",
                lambda: self.bulk(kind, {"s3_key": key, kind.flag: [1]}),
            ),
            (
                "unknown s3_key",
                "CONTRACT §2 a key never uploaded is 400",
                lambda: self.bulk(kind, {"s3_key": f"never-uploaded-{kind}.csv"}),
            ),
            (
                "s3_key with its business edited",
                "CONTRACT §2 a key belongs to its business: 400",
                lambda: self.bulk(kind, {"s3_key": edited}),
            ),
            (
                "invalid cells",
                "CONTRACT §3.3 and §1 order 4: 400 listing every bad cell",
                lambda: self.bulk(kind, {"s3_key": self.key(files.invalid)}),
            ),
            (
                "lenient spellings",
                "CONTRACT §3 amounts and dates spelled exactly (400)",
                lambda: self.bulk(kind, {"s3_key": self.key(files.lenient)}),
            ),
            (
                "empty file",
                "CONTRACT §3.3 no data rows: 400",
                lambda: self.bulk(kind, {"s3_key": self.key(files.empty)}),
            ),
        ]
        for label, rule, send in refusals:
            yield self.observe(f"{kind}: {label}", rule, send())

    def _not_json(self, kind: Kind) -> httpx.Response:
        return self.client.post(
            f"{API}/{kind}/bulk",
            content=b"{not json",
            headers={**self.headers(), "Content-Type": "application/json"},
        )

    def _after_refusals(self, kind: Kind, files: KindFiles) -> Iterator[Observation]:
        yield self.observe(
            f"{kind}: list limit=5 after the refusals",
            "CONTRACT §1 a 400 is all-or-nothing",
            self.get(kind.name, limit=5),
            ("total",),
        )
        yield self.observe(
            f"{kind}: bulk padded, quoted cells",
            "CONTRACT §3 cells are trimmed",
            self.bulk(kind, {"s3_key": self.key(files.padded)}),
        )
        refused = self.bulk(kind, {"s3_key": self.key(files.refused_party)})
        rule = f"CONTRACT §1 all-or-nothing: a refused file creates no {kind.party}"
        yield self.observe(f"{kind}: refused file naming a new {kind.party}", rule, refused)
        yield self.observe(
            f"{kind}: later file naming that {kind.party} differently",
            rule,
            self.bulk(kind, {"s3_key": self.key(files.later_party)}),
        )
        second = self.target.second_business_id
        if self.plan.second_business and second:
            _, foreign = self.upload(files.simple, **{"x-business-id": second})
            yield self.observe(
                f"{kind}: s3_key of the second business",
                "CONTRACT §2 a key used under another business is not found (400)",
                self.bulk(kind, {"s3_key": foreign}),
            )

    def _presigned(self) -> Iterator[Observation]:
        rule = "CONTRACT §2 presigned upload: POST /upload, PUT without Authorization"
        data = self.plan.files[INVOICES.name].simple
        for label, body in (
            ("content_type text/plain", {"filename": "import.csv", "content_type": "text/plain"}),
            ("no content_type", {"filename": "import.csv"}),
        ):
            yield self.observe(f"presign, {label}", rule, self.presign(body))
        ticket = self.presign({"filename": "import.csv", "content_type": "text/csv"})
        yield self.observe("presign", rule, ticket)
        url, key = _text_field(ticket, "upload_url"), _text_field(ticket, "s3_key")
        if not url or not key:
            return
        yield self.observe(
            "bulk the presigned key before its PUT",
            "CONTRACT §2 a presigned key whose PUT has not happened is not found (400)",
            self.bulk(INVOICES, {"s3_key": key}),
        )
        yield self._tampered(url, data)
        yield self.observe(
            "bulk the presigned key after tampered PUTs",
            "CONTRACT §2 a tampered URL stores nothing (400)",
            self.bulk(INVOICES, {"s3_key": key}),
        )
        yield self.observe("PUT to the upload URL", rule, self.put(url, data))
        yield self.observe(
            "bulk the presigned key",
            f"CONTRACT {INVOICES.section}, §4",
            self.bulk(INVOICES, {"s3_key": key}),
        )

    def _tampered(self, url: str, data: bytes) -> Observation:
        """Every single-part edit of the URL (the parts are the implementation's own, so
        what is compared is which statuses came back, and which parts were not refused)."""
        statuses: dict[str, int] = {
            t.part: self.put(t.url, data).status_code for t in tamperings(url)
        }
        return self.summary(
            "PUT to each single-part edit of the upload URL",
            "CONTRACT §2 a tampered upload URL is refused with 403: every part is signed",
            0,
            {
                "statuses": sorted(set(statuses.values())),
                "not refused with 403": sorted(p for p, s in statuses.items() if s != 403),
            },
        )

    def _parallel(self) -> Iterator[Observation]:
        """The one step with two requests in flight: numbers must stay unique."""
        data = self.plan.files[INVOICES.name].simple
        keys = [self.key(data) for _ in range(PARALLEL_IMPORTS)]
        with ThreadPoolExecutor(max_workers=PARALLEL_IMPORTS) as pool:
            responses = list(
                pool.map(lambda key: self.bulk(INVOICES, {"s3_key": key, "finalize": True}), keys)
            )
        numbers = [item.get("number") for response in responses for item in _items(response)]
        yield self.summary(
            f"{PARALLEL_IMPORTS} finalizing invoice imports at once",
            "CONTRACT §3.1 number unique within the business (parallel imports)",
            0,
            {
                "statuses": sorted(r.status_code for r in responses),
                "invoices": len(numbers),
                "distinct numbers": len(set(map(str, numbers))),
            },
        )

    def _large(self) -> Iterator[Observation]:
        rule_size = "CONTRACT §2 files over 10 MiB are refused with 413"
        big = b"x" * (LIMIT_BYTES + 1)
        yield self.observe("upload 10 MiB + 1 byte", rule_size, self.upload(big)[0])
        for label, size in (("exactly 10 MiB", LIMIT_BYTES), ("10 MiB + 1 byte", LIMIT_BYTES + 1)):
            url = _text_field(self.presign({"filename": "large.csv"}), "upload_url")
            status = self.put(url, big[:size]).status_code if url else 0
            yield self.summary(f"presigned PUT of {label}", rule_size, status, {})
        # One kind is enough for the one row limit both share: a bills file of 10,000
        # rows answers 7 MB, an invoices file (2,000 invoices of 5 lines) 1.2 MB.
        done = self.bulk(INVOICES, {"s3_key": self.key(self.plan.files.full_invoices)})
        items = _items(done)
        yield self.summary(
            f"{INVOICES}: bulk a file of exactly 10,000 data rows",
            "CONTRACT §3 at most 10,000 data rows",
            done.status_code,
            {
                "items": len(items),
                "line items": sum(len(i.get("line_items") or []) for i in items),
            },
        )


def _text_field(response: httpx.Response, name: str) -> str | None:
    body = body_of(response)
    value = body.get(name) if isinstance(body, dict) else None
    return value if isinstance(value, str) and value else None


def _items(response: httpx.Response) -> list[dict[str, Any]]:
    body = body_of(response) if response.status_code == 201 else None
    items = body.get("items") if isinstance(body, dict) else None
    return [item for item in items or [] if isinstance(item, dict)]


def _ids(response: httpx.Response) -> list[str]:
    return [str(item["id"]) for item in _items(response) if "id" in item]


def _replace_folded(text: str, old: str, new: str) -> str:
    start = text.lower().index(old.lower())
    return text[:start] + new + text[start + len(old) :]


def observations(target: Target, plan: Plan) -> list[Observation]:
    session = Session(target, plan)
    try:
        return list(session.run())
    finally:
        session.close()
