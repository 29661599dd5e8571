"""One configuration object for the whole mock; no module-level settings elsewhere."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

DEFAULT_CORS_ORIGIN_REGEX = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"


@dataclass(frozen=True)
class MockConfig:
    """Everything that changes how the mock behaves, as chosen on the command line.

    ``seed`` and ``clock`` together make responses reproducible: with a fixed clock the
    mock's time starts there and advances by a fixed step per request instead of
    following the wall clock, and every id and generated value comes from ``seed``.
    """

    host: str = "127.0.0.1"
    port: int = 4010
    openapi_dir: Path | None = None
    seed: int = 0
    clock: datetime | None = None
    data_dir: Path | None = None
    world_file: Path | None = None
    latency_ms: tuple[int, int] = (0, 0)
    cors_origin_regex: str | None = DEFAULT_CORS_ORIGIN_REGEX
    presign_secret: bytes | None = None  # None: derived from seed, so URLs repeat across restarts
    presign_ttl_seconds: int = 900
    max_upload_bytes: int = 10 * 1024 * 1024
    max_json_body_bytes: int = 1024 * 1024
    max_rows: int = 10_000
    journal_size: int = 500
    public_base_url: str | None = None
    log_requests: bool = True
    reload: bool = False

    # Admin API protections and connection limits.
    # Who may call /__mock/…: with a token set, every admin call but the page shell, its
    # assets and the URLs the API hands out (presigned PUT, invoice PDF) must present it.
    admin_token: str | None = None
    # Host header names served besides localhost, IP literals, the bound host and the
    # public base URL's host ("*" turns the check off); DNS rebinding needs a name.
    allowed_hosts: tuple[str, ...] = ()
    max_admin_body_bytes: int = 64 * 1024  # any /__mock/ body but the presigned PUT: 413
    # nginx's defaults: client_header_timeout and client_body_timeout 60 s, and
    # large_client_header_buffers 4 × 8k (a longer request head is a 431).
    header_timeout_seconds: float = 60.0
    body_timeout_seconds: float = 60.0
    max_header_bytes: int = 32 * 1024
    # Scenarios armed through POST /__mock/scenarios: every API request scans them, so
    # their number is bounded; arming one more is a 409 until some are used or cleared.
    max_armed_scenarios: int = 100

    # Tunables: how the mock trades latency for throughput.
    # A service call whose last run took less than this runs on the event loop instead
    # of in a worker thread (see ``offload.Offloader``).
    inline_budget_s: float = 0.002
    # How many distinct call keys (client-chosen: ``s3_key``, page size) have their
    # cost remembered for that decision.
    max_cost_keys: int = 4096

    # Bounded storage: the budget per business and the journal's bytes.
    # What the store keeps per business (0: no limit); past it the oldest entities and
    # least recently used uploads are evicted (mock_server/storage/budget.py).
    max_entities_per_business: int = 100_000
    max_uploads_per_business: int = 500
    max_upload_bytes_per_business: int = 128 * 1024 * 1024
    journal_max_bytes: int = 8 * 1024 * 1024  # the journal's total, oldest entries go first

    def to_json(self) -> str:
        """The config as JSON, to hand it to a reloading worker process through the env."""
        data = asdict(self)
        data["presign_secret"] = self.presign_secret.hex() if self.presign_secret else None
        data["clock"] = self.clock.isoformat() if self.clock else None
        for key in ("openapi_dir", "data_dir", "world_file"):
            data[key] = str(data[key]) if data[key] is not None else None
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> MockConfig:
        data = json.loads(text)
        data["presign_secret"] = (
            bytes.fromhex(data["presign_secret"]) if data.get("presign_secret") else None
        )
        data["clock"] = datetime.fromisoformat(data["clock"]) if data.get("clock") else None
        for key in ("openapi_dir", "data_dir", "world_file"):
            data[key] = Path(data[key]) if data.get(key) else None
        data["latency_ms"] = tuple(data["latency_ms"])
        data["allowed_hosts"] = tuple(data.get("allowed_hosts", ()))
        return cls(**data)
