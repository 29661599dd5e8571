"""The seam between the HTTP layer and the domain: ``MockService``.

The HTTP layer validates requests against the contract and turns the exceptions below
into responses; everything stateful (who may act for which business, uploads, bulk
imports, reading back) happens behind this class. Keeping the seam narrow lets the
domain stay pure Python that tests can call without a server.

Every public method is safe to call from several threads. One re-entrant lock guards
all state; CSV parsing, the expensive part of an import, runs outside it, while
resolving customers, drawing ids and numbers and committing run inside it, which is
what makes each import atomic and invoice numbers unique and gap-free per business.

Returned dicts are fresh top-level copies ready for JSON; nested lists are shared with
the store and must not be mutated by callers.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from dayzero_twin.mock_server.config import MockConfig
from dayzero_twin.mock_server.domain import csv_import
from dayzero_twin.mock_server.domain import documents as domain
from dayzero_twin.mock_server.domain.clock import Clock, IdSource, format_datetime
from dayzero_twin.mock_server.domain.errors import (
    BadRequest,
    Forbidden,
    ImportFailed,
    NotFound,
    PayloadTooLarge,
    RowError,
    ServiceError,
    Unauthorized,
)
from dayzero_twin.mock_server.domain.kinds import (
    BY_NAME,
    INVOICES,
    KINDS,
    ImportBatch,
    Kind,
    kind_named,
)
from dayzero_twin.mock_server.domain.pdf import render_invoice
from dayzero_twin.mock_server.domain.samples import PREFIX as SAMPLES_PREFIX
from dayzero_twin.mock_server.domain.samples import Samples
from dayzero_twin.mock_server.domain.world import Party, load_world
from dayzero_twin.mock_server.storage.store import open_store
from dayzero_twin.mock_server.storage.uploads import (
    DEFAULT_CONTENT_TYPE,
    Presigner,
    Upload,
    derive_secret,
    make_key,
)

__all__ = [
    "BadRequest",
    "Forbidden",
    "ImportFailed",
    "MockService",
    "NotFound",
    "PayloadTooLarge",
    "RowError",
    "ServiceError",
    "Unauthorized",
]

MAX_PAGE_SIZE = 1000
_SHOWN_KEY_CHARS = 300  # whole keys of this mock fit; a fuzzer's megabyte key does not
_CURSOR_TEXT = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
_CURSOR = re.compile(rf"({'|'.join(BY_NAME)}):([on]):(0|[1-9][0-9]{{0,17}})", re.ASCII)


def _encode_cursor(kind: str, older: bool, bound: int) -> str:
    raw = f"{kind}:{'o' if older else 'n'}:{bound}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode_cursor(kind: str, cursor: str) -> tuple[bool, int]:
    """``(older, bound)`` of a cursor this service issued for ``kind``; else ``BadRequest``."""
    malformed = BadRequest("cursor is malformed: pass back the next_cursor or prev_cursor "
                           "of a previous page")
    if not _CURSOR_TEXT.fullmatch(cursor):
        raise malformed
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise malformed from None
    match = _CURSOR.fullmatch(text)
    if match is None or match.group(1) != kind:
        raise malformed
    return match.group(2) == "o", int(match.group(3))


def _canonical_id(raw: str) -> str | None:
    try:
        return str(uuid.UUID(raw))
    except (ValueError, TypeError):
        return None


class MockService:
    """Everything stateful the mock does, behind plain method calls (see module doc)."""

    def __init__(self, config: MockConfig) -> None:
        self._config = config
        self._world = load_world(config.world_file)
        self._clock = Clock(config.clock)
        self._store = open_store(config.data_dir)
        self._ids = IdSource(config.seed, self._store.id_position)
        self._presigner = Presigner(config.presign_secret or derive_secret(config.seed),
                                    config.presign_ttl_seconds)
        self._samples = Samples(config.seed, config.max_rows)
        self._lock = threading.RLock()
        self._parties: dict[tuple[str, str], domain.PartyIndex] = {}

    def close(self) -> None:
        with self._lock:
            self._store.close()

    def __enter__(self) -> MockService:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- time ---------------------------------------------------------------------------

    def now(self) -> datetime:
        """The mock's time: ``config.clock`` plus one second per tick, or the wall clock."""
        return self._clock.now()

    def tick(self) -> None:
        """Advance the fixed clock by one step; the HTTP layer calls it once per request."""
        self._clock.tick()

    # --- auth ---------------------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> str:
        """The bearer token of an ``Authorization`` header, if the world knows it."""
        if authorization is None or not authorization.strip():
            raise Unauthorized("Not authenticated: send 'Authorization: Bearer <token>'")
        parts = authorization.strip().split(None, 1)
        if len(parts) != 2 or parts[0].lower() != "bearer":
            raise Unauthorized("Invalid authentication scheme: send 'Authorization: Bearer "
                               "<token>'")
        token = parts[1].strip()
        if token not in self._world.tokens:
            raise Unauthorized("Invalid token")
        return token

    def authorize(self, token: str, business_id: UUID) -> None:
        """``Forbidden`` unless ``token`` may act for ``business_id``."""
        if not self._world.may_act(token, str(business_id)):
            raise Forbidden(f"this token may not act for business {business_id}")

    # --- uploads --------------------------------------------------------------------------

    @property
    def max_upload_bytes(self) -> int:
        return self._config.max_upload_bytes

    def _check_size(self, size: int) -> None:
        limit = self._config.max_upload_bytes
        if size > limit:
            raise PayloadTooLarge(f"the file is {size:,} bytes; the limit is {limit:,} bytes "
                                  f"({limit / 1024 / 1024:g} MiB)")

    def upload_direct(self, business_id: UUID, filename: str, content_type: str | None,
                      data: bytes) -> dict[str, Any]:
        """Store a file for the business; the key names it in a later bulk call."""
        self._check_size(len(data))
        business = str(business_id)
        with self._lock:
            key = make_key(business, self._ids.next_id(), filename)
            upload = Upload(business, key, filename, content_type or DEFAULT_CONTENT_TYPE,
                            len(data))
            self._store.put_upload(upload, data, self._ids.position)
        return {"s3_key": key, "filename": filename, "size": upload.size,
                "content_type": upload.content_type}

    def create_upload_url(self, business_id: UUID, filename: str, content_type: str | None,
                          base_url: str) -> dict[str, Any]:
        """Reserve a key and sign a PUT URL for it; nothing is stored until the PUT."""
        business = str(business_id)
        with self._lock:
            key = make_key(business, self._ids.next_id(), filename)
            self._store.save_id_position(self._ids.position)
            url = self._presigner.url(base_url, business, key,
                                      content_type or DEFAULT_CONTENT_TYPE, self.now())
        return {"upload_url": url, "s3_key": key, "expires_in": self._presigner.ttl_seconds}

    def put_presigned(self, upload_path: str, query: Mapping[str, str], data: bytes,
                      content_type: str | None) -> dict[str, Any]:
        """The PUT behind a presigned URL: ``Forbidden`` when tampered or expired."""
        signed = self._presigner.verify(upload_path, query, self.now())
        self._check_size(len(data))
        upload = Upload(signed.business_id, signed.key, signed.filename,
                        content_type or signed.content_type, len(data))
        with self._lock:
            self._store.put_upload(upload, data, self._ids.position)
        return {"s3_key": upload.key, "size": upload.size}

    def _read_upload(self, business: str, key: str) -> bytes:
        if key.startswith(SAMPLES_PREFIX):
            data = self._samples.get(key)
        else:
            with self._lock:
                data = self._store.get_upload(business, key)
        if data is None:
            raise ImportFailed(f"s3_key {csv_import.show(key, _SHOWN_KEY_CHARS)} was not found "
                               "for this business; upload the file first")
        return data

    # --- bulk ---------------------------------------------------------------------------

    def _index(self, kind: Kind, business: str) -> domain.PartyIndex:
        """Seeded plus created customers (invoices) or vendors (bills), cached."""
        index = self._parties.get((kind.party_kind, business))
        if index is None:
            seeded_business = self._world.businesses.get(business)
            seeded: tuple[Party, ...] = ()
            if seeded_business is not None:
                seeded = getattr(seeded_business, kind.party_kind)
            created = self._store.parties(kind.party_kind, business)
            index = self._parties[(kind.party_kind, business)] = domain.PartyIndex(
                [*seeded, *created], kind.party_key)
        return index

    def bulk_create(self, kind: Kind, business_id: UUID, s3_key: str, publish: bool,
                    base_url: str) -> list[dict[str, Any]]:
        """Create every document of the file, or nothing (``ImportFailed``).

        ``publish`` is the kind's flag (``finalize``, ``approve``): open or forecasted
        instead of draft, and for numbered kinds the next numbers of the business.
        """
        business = str(business_id)
        rows, errors = kind.parse(self._read_upload(business, s3_key), self._config.max_rows)
        with self._lock:
            index = self._index(kind, business)
            plan = kind.plan(rows, index)
            if errors or plan.errors:
                every = errors + plan.errors
                raise ImportFailed(csv_import.summarize(every),
                                   csv_import.sort_errors(every, kind.columns))
            first = self._store.last_number(business) + 1 if kind.numbered else 0
            batch = ImportBatch(business, format_datetime(self.now()), publish, first, s3_key)
            created, parties = kind.build(plan, self._ids.take, batch)
            last = first + len(created) - 1 if kind.numbered and publish else None
            self._store.commit(kind.name, business, created, parties, last, self._ids.position)
            for party in parties:
                index.add(party)
        return [self._out(kind, document, base_url) for document in created]

    # --- read back ----------------------------------------------------------------------

    @staticmethod
    def _out(kind: Kind, document: dict[str, Any], base_url: str) -> dict[str, Any]:
        out = dict(document)
        if kind.links_pdf:
            out["pdf_url"] = (f"{base_url}/__mock/{kind.name}/{document['business_id']}/"
                              f"{document['id']}.pdf")
        return out

    def list_page(self, kind: Kind, business_id: UUID, limit: int, cursor: str | None,
                  base_url: str) -> dict[str, Any]:
        """One page of the business's documents of ``kind``, newest first (CONTRACT §5)."""
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        older, bound = _decode_cursor(kind.name, cursor) if cursor else (True, None)
        with self._lock:
            page = self._store.page(kind.name, str(business_id), limit, older, bound)
        return {
            "items": [self._out(kind, document, base_url) for document in page.items],
            "total": page.total,
            "limit": limit,
            "next_cursor": None if page.older_than is None
            else _encode_cursor(kind.name, True, page.older_than),
            "prev_cursor": None if page.newer_than is None
            else _encode_cursor(kind.name, False, page.newer_than),
            "has_next": page.older_than is not None,
            "has_prev": page.newer_than is not None,
        }

    def _stored(self, kind: Kind, business_id: UUID, entity_id: str) -> dict[str, Any]:
        canonical = _canonical_id(entity_id)
        with self._lock:
            found = self._store.get(kind.name, str(business_id), canonical) if canonical \
                else None
        if found is None:
            raise NotFound(f"{kind.singular.capitalize()} not found: no {kind.singular} "
                           f"{csv_import.show(entity_id)} in this business")
        return found

    def get(self, kind: Kind, business_id: UUID, entity_id: str,
            base_url: str) -> dict[str, Any]:
        """One document of the business; ``NotFound`` for another business's or none."""
        return self._out(kind, self._stored(kind, business_id, entity_id), base_url)

    def invoice_pdf(self, business_id: UUID, invoice_id: str) -> bytes:
        """The invoice as a PDF document; ``NotFound`` like ``get``."""
        invoice = self._stored(INVOICES, business_id, invoice_id)
        business = self._world.businesses.get(str(business_id))
        return render_invoice(invoice, business.name if business else str(business_id))

    def template_csv(self, kind_name: str) -> str:
        """The header row of the bulk CSV format of a kind, CRLF-terminated."""
        kind = kind_named(kind_name)
        if kind is None:
            names = "' or '".join(BY_NAME)
            raise NotFound(f"no CSV template for {kind_name!r}; use '{names}'")
        return csv_import.template(kind.columns)

    # --- admin --------------------------------------------------------------------------

    def reset(self, business_id: UUID | None = None) -> None:
        """Forget created entities, customers, vendors, uploads and invoice numbers."""
        business = None if business_id is None else str(business_id)
        with self._lock:
            self._store.reset(business)
            for key in [key for key in self._parties if business in (None, key[1])]:
                del self._parties[key]

    def world(self) -> dict[str, Any]:
        """Tokens → businesses, and each business's customers and vendors as they are now."""
        described = self._world.as_dict()
        with self._lock:
            for business in described["businesses"]:
                for kind in KINDS:
                    business[kind.party_kind] = [
                        party.as_dict() for party in self._index(kind, business["id"])]
        return described

    def holdings(self, limit: int = 10) -> list[dict[str, Any]]:
        """What each business of the world holds now: counts, upload bytes, newest items.

        For the inspector page and the metrics gauges, so one read under the lock gives a
        consistent picture. ``limit`` caps the newest-first items listed per kind; 0 lists
        none and costs only the counts (what a metrics scrape needs).
        """
        limit = max(0, min(limit, MAX_PAGE_SIZE))
        described = []
        with self._lock:
            for business in self._world.businesses.values():
                described.append(self._holding(business.id, business.name, limit))
        return described

    def _holding(self, business: str, name: str, limit: int) -> dict[str, Any]:
        uploads = self._store.uploads(business)
        counts = {kind.name: self._store.count(kind.name, business) for kind in KINDS}
        indexes = {kind.party_kind: self._index(kind, business) for kind in KINDS}
        counts.update((party_kind, len(index)) for party_kind, index in indexes.items())
        counts["uploads"] = len(uploads)
        held: dict[str, Any] = {"id": business, "name": name, "counts": counts,
                                "upload_bytes": sum(upload.size for upload in uploads)}
        if limit:
            for kind in KINDS:
                page = self._store.page(kind.name, business, limit, True, None)
                held[kind.name] = [dict(entity) for entity in page.items]
            for party_kind, index in indexes.items():
                newest = list(index)[::-1][:limit]
                held[party_kind] = [party.as_dict() for party in newest]
            held["uploads"] = [{"s3_key": u.key, "filename": u.filename, "size": u.size,
                                "content_type": u.content_type} for u in uploads[:limit]]
        return held

    def samples(self) -> list[dict[str, Any]]:
        """The ``samples/...`` keys every business can import without uploading."""
        return self._samples.catalogue()
