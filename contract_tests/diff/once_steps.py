"""The steps taken once per run: the presigned flow with tampered URLs, two finalizing
imports at once, and the large files. Each names its contract rule."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from dayzero_twin.contract_tests.diff.session import (
    Observation,
    Session,
    items_of,
    text_field,
)
from dayzero_twin.contract_tests.support.kinds import INVOICES
from dayzero_twin.contract_tests.support.limits import LIMIT_BYTES
from dayzero_twin.contract_tests.support.tampering import tamperings

PARALLEL_IMPORTS = 2


def presigned(session: Session) -> Iterator[Observation]:
    rule = "CONTRACT §2 presigned upload: POST /upload, PUT without Authorization"
    data = session.plan.files[INVOICES.name].simple
    for label, body in (
        ("content_type text/plain", {"filename": "import.csv", "content_type": "text/plain"}),
        ("no content_type", {"filename": "import.csv"}),
    ):
        yield session.observe(f"presign, {label}", rule, session.presign(body))
    ticket = session.presign({"filename": "import.csv", "content_type": "text/csv"})
    yield session.observe("presign", rule, ticket)
    url, key = text_field(ticket, "upload_url"), text_field(ticket, "s3_key")
    if not url or not key:
        return
    yield session.observe(
        "bulk the presigned key before its PUT",
        "CONTRACT §2 a presigned key whose PUT has not happened is not found (400)",
        session.bulk(INVOICES, {"s3_key": key}),
    )
    yield _tampered(session, url, data)
    yield session.observe(
        "bulk the presigned key after tampered PUTs",
        "CONTRACT §2 a tampered URL stores nothing (400)",
        session.bulk(INVOICES, {"s3_key": key}),
    )
    yield session.observe("PUT to the upload URL", rule, session.put(url, data))
    yield session.observe(
        "bulk the presigned key",
        f"CONTRACT {INVOICES.section}, §4",
        session.bulk(INVOICES, {"s3_key": key}),
    )


def _tampered(session: Session, url: str, data: bytes) -> Observation:
    """Every single-part edit of the URL (the parts are the implementation's own, so
    what is compared is which statuses came back, and which parts were not refused)."""
    statuses: dict[str, int] = {
        t.part: session.put(t.url, data).status_code
        for t in tamperings(url, session.target.business_id, session.target.second_business_id)
    }
    return session.summary(
        "PUT to each single-part edit of the upload URL",
        "CONTRACT §2 a tampered upload URL is refused with 403: every part is signed",
        0,
        {
            "statuses": sorted(set(statuses.values())),
            "not refused with 403": sorted(p for p, s in statuses.items() if s != 403),
        },
    )


def parallel(session: Session) -> Iterator[Observation]:
    """The one step with two requests in flight: numbers must stay unique."""
    data = session.plan.files[INVOICES.name].simple
    keys = [session.key(data) for _ in range(PARALLEL_IMPORTS)]
    with ThreadPoolExecutor(max_workers=PARALLEL_IMPORTS) as pool:
        responses = list(
            pool.map(lambda key: session.bulk(INVOICES, {"s3_key": key, "finalize": True}), keys)
        )
    numbers = [item.get("number") for response in responses for item in items_of(response)]
    yield session.summary(
        f"{PARALLEL_IMPORTS} finalizing invoice imports at once",
        "CONTRACT §3.1 number unique within the business (parallel imports)",
        0,
        {
            "statuses": sorted(r.status_code for r in responses),
            "invoices": len(numbers),
            "distinct numbers": len(set(map(str, numbers))),
        },
    )


def large(session: Session) -> Iterator[Observation]:
    rule_size = "CONTRACT §2 files over 10 MiB are refused with 413"
    big = b"x" * (LIMIT_BYTES + 1)
    yield session.observe("upload 10 MiB + 1 byte", rule_size, session.upload(big)[0])
    for label, size in (("exactly 10 MiB", LIMIT_BYTES), ("10 MiB + 1 byte", LIMIT_BYTES + 1)):
        url = text_field(session.presign({"filename": "large.csv"}), "upload_url")
        status = session.put(url, big[:size]).status_code if url else 0
        yield session.summary(f"presigned PUT of {label}", rule_size, status, {})
    # One kind is enough for the one row limit both share: a bills file of 10,000
    # rows answers 7 MB, an invoices file (2,000 invoices of 5 lines) 1.2 MB.
    done = session.bulk(INVOICES, {"s3_key": session.key(session.plan.files.full_invoices)})
    items = items_of(done)
    yield session.summary(
        f"{INVOICES}: bulk a file of exactly 10,000 data rows",
        "CONTRACT §3 at most 10,000 data rows",
        done.status_code,
        {
            "items": len(items),
            "line items": sum(len(i.get("line_items") or []) for i in items),
        },
    )
