"""Every tunable of the checking proxy, in one place.

A frontend leaves the proxy running all day, so everything it remembers has a bound:
the files it saw go up (kept for the oracle), the entities bulk calls created (kept for
read-backs), the list pages (for cursor walks), the violations' details, and the
exchanges waiting to be judged. Forgetting only ever makes the judge laxer (an evicted
upload is reported as "not judged", never guessed), so a bound trades coverage for
memory, never correctness.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class ProxyConfig:
    """Bounds and sizes; the defaults keep a day-long session under a few hundred MiB."""

    # A body copy kept for the judge; above the contract's 10 MiB upload limit so an
    # oversize upload is still seen whole. Larger bodies are forwarded, not judged.
    keep_bytes: int = 12 * MIB
    # Uploaded CSV files remembered for the oracle (least recently used evicted first).
    max_uploads: int = 256
    max_upload_bytes: int = 64 * MIB
    # s3_key -> business that uploaded it (for CONTRACT §2 and "upload evicted" notes).
    max_keys: int = 20_000
    # Businesses whose parties and ids the judge tracks, and per business the ids and
    # invoice numbers it registered (CONTRACT §1 ids, §3.1 numbering) and its parties.
    max_businesses: int = 64
    max_registered: int = 50_000
    max_parties: int = 10_000
    # --route-uploads: upload URLs rewritten to pass through the proxy (the proxy forwards
    # only to these; a forgotten one is refused with 404, as an unknown one).
    max_upload_routes: int = 4_096
    # Created entities (their 201 item, for read-backs) and list pages by next_cursor.
    max_entities: int = 50_000
    max_pages: int = 2_000
    # Tokens seen: labels of accepted ones, and the secrets themselves (only to blank
    # them out of reports; an evicted secret still never shows in a header or URL).
    max_tokens: int = 1_024
    # Violations: counted exactly per rule; details kept for the first ones of each rule.
    details_per_rule: int = 20
    # Exchanges judged off the response path: past either bound, the proxy waits
    # (backpressure) before finishing the response; nothing is dropped.
    queue_exchanges: int = 512
    queue_bytes: int = 64 * MIB
    # Requests in flight at once (uvicorn's limit_concurrency; beyond it: 503). Each keeps
    # up to keep_bytes of request and of response, so this bounds those copies together
    # at about max_connections x 2 x keep_bytes.
    max_connections: int = 64
    # Seconds a report or a stop waits for the judge to catch up; what is still queued
    # then is counted as not judged rather than waited for.
    drain_seconds: float = 60.0
    # Upstream timeout, seconds.
    timeout: float = 60.0
