"""The steps taken for each kind: imports with each flag, reads and list pages, the
refusals, and what must (not) have happened after them. Each names its contract rule."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator

import httpx

from dayzero_twin.contract_tests.diff.files import KindFiles
from dayzero_twin.contract_tests.diff.session import (
    OTHER_BUSINESS,
    Observation,
    Session,
    ids_of,
    replace_folded,
    text_field,
)
from dayzero_twin.contract_tests.support.client import API, body_of
from dayzero_twin.contract_tests.support.kinds import KINDS, Kind

UNKNOWN_TOKEN = "dz_diff_unknown_token"
UNKNOWN_ID = "00000000-0000-4000-8000-00000000abcd"
MAX_LIST_LIMIT = 1000


def imports(
    session: Session, kind: Kind, files: KindFiles
) -> Generator[Observation, None, list[str]]:
    created: list[str] = []
    for label, data, flag in (
        ("simple", files.simple, False),
        ("simple", files.simple, True),
        ("hard", files.hard, False),
        ("hard", files.hard, True),
        ("60-row", files.many, False),
    ):
        response, key = session.upload(data)
        yield session.observe(f"{kind}: upload {label} file", "CONTRACT §2 direct upload", response)
        done = session.bulk(kind, {"s3_key": key, kind.flag: flag})
        yield session.observe(
            f"{kind}: bulk {label} file, {kind.flag}={str(flag).lower()}",
            f"CONTRACT {kind.section}, §4",
            done,
        )
        created += ids_of(done)
    return created


def reads(session: Session, kind: Kind, created: list[str]) -> Iterator[Observation]:
    other = next(k for k in KINDS if k is not kind)
    rule_404 = "CONTRACT §5 404 when it does not exist in this business"
    if created:
        first = created[0]
        yield session.observe(
            f"{kind}: GET the first created",
            "CONTRACT §5 read back",
            session.get(f"{kind}/{first}"),
        )
        yield session.observe(
            f"{kind}: GET its id as {other}", rule_404, session.get(f"{other}/{first}")
        )
    yield session.observe(
        f"{kind}: GET an unknown id", rule_404, session.get(f"{kind}/{UNKNOWN_ID}")
    )
    yield session.observe(
        f"{kind}: GET a malformed id",
        rule_404 + " (a malformed id included)",
        session.get(f"{kind}/not-an-id"),
    )
    rule_list = "CONTRACT §5 list: newest first, cursor pagination"
    page = session.get(kind.name, limit=2)
    yield session.observe(f"{kind}: list limit=2", rule_list, page, ("total",))
    cursor = text_field(page, "next_cursor")
    if cursor:
        yield session.observe(
            f"{kind}: list limit=2, next page",
            rule_list,
            session.get(kind.name, limit=2, cursor=cursor),
            ("total",),
        )
    yield session.observe(
        f"{kind}: list without limit",
        "CONTRACT §5 limit default 50",
        session.get(kind.name),
        ("total",),
    )
    yield session.observe(
        f"{kind}: list limit={MAX_LIST_LIMIT}",
        "CONTRACT §5 limit 1-1000",
        session.get(kind.name, limit=MAX_LIST_LIMIT),
        ("total", "items", "has_next", "next_cursor"),
    )
    yield from _last_page(session, kind)
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
        yield session.observe(f"{kind}: list {label}", rule, session.get(kind.name, **params))


def _last_page(session: Session, kind: Kind) -> Iterator[Observation]:
    """A page that holds exactly what is left says so: no next page."""
    rule = "CONTRACT §5 has_next/next_cursor set while more remain"
    total = (body_of(session.get(kind.name, limit=1)) or {}).get("total")
    if not isinstance(total, int) or not 1 <= total <= MAX_LIST_LIMIT:
        untaken = f"the business holds {total!r} {kind}, not 1 to {MAX_LIST_LIMIT}"
        yield Observation(f"{kind}: list one full last page", rule, 0, {}, None, untaken)
        return
    yield session.observe(
        f"{kind}: list one full last page",
        rule,
        session.get(kind.name, limit=total),
        ("total", "items", "limit"),
    )


def refusals(session: Session, kind: Kind, files: KindFiles) -> Iterator[Observation]:
    key = session.key(files.simple)
    business = session.target.business_id
    elsewhere = session.target.second_business_id or OTHER_BUSINESS
    edited = (
        replace_folded(key, business, elsewhere)
        if key and business.lower() in key.lower()
        else f"{key}-edited"
    )
    bad_header = {"x-business-id": "not-a-uuid"}
    refusals: list[tuple[str, str, Callable[[], httpx.Response]]] = [
        (
            "no token",
            "CONTRACT §1 order 1: 401",
            lambda: session.bulk(kind, {"s3_key": key}, Authorization=None),
        ),
        (
            "token without Bearer",
            "CONTRACT §1 order 1: 401",
            lambda: session.bulk(kind, {"s3_key": key}, Authorization=session.target.token),
        ),
        (
            "unknown token",
            "CONTRACT §1 order 1: 401",
            lambda: session.bulk(kind, {"s3_key": key}, Authorization=f"Bearer {UNKNOWN_TOKEN}"),
        ),
        (
            "bad business id",
            "CONTRACT §1 order 2: 422",
            lambda: session.bulk(kind, {"s3_key": key}, **bad_header),
        ),
        (
            "no token and bad business id",
            "CONTRACT §1 precedence: 401 first",
            lambda: session.bulk(kind, {"s3_key": key}, Authorization=None, **bad_header),
        ),
        (
            "business not the token's",
            "CONTRACT §1 order 3: 403",
            lambda: session.bulk(kind, {"s3_key": key}, **{"x-business-id": OTHER_BUSINESS}),
        ),
        ("missing s3_key", "CONTRACT §1 order 2: 422", lambda: session.bulk(kind, {})),
        ("empty s3_key", "CONTRACT §1 order 2: 422", lambda: session.bulk(kind, {"s3_key": ""})),
        ("body not JSON", "CONTRACT §1 order 2: 422", lambda: _not_json(session, kind)),
        (
            "flag not a boolean",
            "CONTRACT §1 order 2: 422",
            lambda: session.bulk(kind, {"s3_key": key, kind.flag: [1]}),
        ),
        (
            "unknown s3_key",
            "CONTRACT §2 a key never uploaded is 400",
            lambda: session.bulk(kind, {"s3_key": f"never-uploaded-{kind}.csv"}),
        ),
        (
            "s3_key with its business edited",
            "CONTRACT §2 a key belongs to its business: 400",
            lambda: session.bulk(kind, {"s3_key": edited}),
        ),
        (
            "invalid cells",
            "CONTRACT §3.3 and §1 order 4: 400 listing every bad cell",
            lambda: session.bulk(kind, {"s3_key": session.key(files.invalid)}),
        ),
        (
            "lenient spellings",
            "CONTRACT §3 amounts and dates spelled exactly (400)",
            lambda: session.bulk(kind, {"s3_key": session.key(files.lenient)}),
        ),
        (
            "empty file",
            "CONTRACT §3.3 no data rows: 400",
            lambda: session.bulk(kind, {"s3_key": session.key(files.empty)}),
        ),
    ]
    for label, rule, send in refusals:
        yield session.observe(f"{kind}: {label}", rule, send())


def _not_json(session: Session, kind: Kind) -> httpx.Response:
    return session.client.post(
        f"{API}/{kind}/bulk",
        content=b"{not json",
        headers={**session.headers(), "Content-Type": "application/json"},
    )


def after_refusals(session: Session, kind: Kind, files: KindFiles) -> Iterator[Observation]:
    yield session.observe(
        f"{kind}: list limit=5 after the refusals",
        "CONTRACT §1 a 400 is all-or-nothing",
        session.get(kind.name, limit=5),
        ("total",),
    )
    yield session.observe(
        f"{kind}: bulk padded, quoted cells",
        "CONTRACT §3 cells are trimmed",
        session.bulk(kind, {"s3_key": session.key(files.padded)}),
    )
    refused = session.bulk(kind, {"s3_key": session.key(files.refused_party)})
    rule = f"CONTRACT §1 all-or-nothing: a refused file creates no {kind.party}"
    yield session.observe(f"{kind}: refused file naming a new {kind.party}", rule, refused)
    yield session.observe(
        f"{kind}: later file naming that {kind.party} differently",
        rule,
        session.bulk(kind, {"s3_key": session.key(files.later_party)}),
    )
    second = session.target.second_business_id
    if session.plan.second_business and second:
        _, foreign = session.upload(files.simple, **{"x-business-id": second})
        yield session.observe(
            f"{kind}: s3_key of the second business",
            "CONTRACT §2 a key used under another business is not found (400)",
            session.bulk(kind, {"s3_key": foreign}),
        )
