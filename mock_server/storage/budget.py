"""How much a store keeps, what goes when that is reached, and the figures to show.

The policy, the same in memory and on SQLite (``--data-dir``), per business:

- at most ``max_entities_per_business`` invoices and bills together: after an import,
  the business's oldest entities (lowest sequence number, whatever their kind) are
  evicted until it is back at the budget, but never the import's own entities; an
  import larger than the whole budget keeps all of its rows and evicts everything
  older. A read of an evicted entity is the documented 404; cursors keep working
  (pages are bounded by sequence numbers, and evicted ones simply no longer appear);
- at most ``max_uploads_per_business`` uploads and ``max_upload_bytes_per_business``
  bytes of them: the least recently used go first, where an upload counts as used
  when it is stored and each time an import from it succeeds; the upload just stored
  is never evicted, so one file is always importable right after its upload;
- ``samples/...`` keys are generated on demand and stored nowhere: no budget applies;
- customers and vendors created by imports are kept (later files resolve against them).

0 turns a limit off. Eviction is logged as one warning per business and per kind of
thing when a burst starts (a burst ends at the first write that evicts nothing, or at
a reset), never one line per entity; running totals go to ``/__mock/health``.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dayzero_twin.mock_server.storage.uploads import Upload

logger = logging.getLogger("dayzero.mock.storage")

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Budget:
    """The limits per business; 0 means no limit (see the module doc for the policy)."""

    max_entities_per_business: int = 100_000
    max_uploads_per_business: int = 500
    max_upload_bytes_per_business: int = 128 * MIB

    def as_dict(self) -> dict[str, int]:
        return {
            "max_entities_per_business": self.max_entities_per_business,
            "max_uploads_per_business": self.max_uploads_per_business,
            "max_upload_bytes_per_business": self.max_upload_bytes_per_business,
        }


def entities_to_evict(held: int, fresh: int, limit: int) -> int:
    """How many of a business's oldest entities go once an import of ``fresh`` entities
    has brought it to ``held``: back down to ``limit``, never into the import itself."""
    if limit <= 0 or held <= limit:
        return 0
    return max(0, min(held - limit, held - fresh))


def uploads_to_evict(oldest_first: Iterable[tuple[str, int]], count: int, size: int,
                     budget: Budget) -> list[tuple[str, int]]:
    """Which ``(key, size)`` of ``oldest_first`` (the fresh upload left out) go so that
    ``count`` uploads of ``size`` bytes in all fit both upload limits."""
    max_count = budget.max_uploads_per_business
    max_bytes = budget.max_upload_bytes_per_business
    chosen: list[tuple[str, int]] = []
    for key, item_size in oldest_first:
        if (max_count <= 0 or count <= max_count) and (max_bytes <= 0 or size <= max_bytes):
            break
        chosen.append((key, item_size))
        count -= 1
        size -= item_size
    return chosen


@dataclass(slots=True)
class Usage:
    """What one business holds now."""

    entities: int = 0
    uploads: int = 0
    upload_bytes: int = 0


@dataclass(slots=True)
class Evicted:
    """What one business lost to the budget since the store opened."""

    entities: int = 0
    uploads: int = 0
    upload_bytes: int = 0


@dataclass
class Ledger:
    """Evictions so far per business, and the one warning per eviction burst."""

    budget: Budget
    evicted: dict[str, Evicted] = field(default_factory=dict)
    _bursts: set[tuple[str, str]] = field(default_factory=set)

    def entities_evicted(self, business_id: str, count: int) -> None:
        self.evicted.setdefault(business_id, Evicted()).entities += count
        self._warn(business_id, "entities",
                   f"{self.budget.max_entities_per_business:,} entities")

    def uploads_evicted(self, business_id: str, count: int, size: int) -> None:
        evicted = self.evicted.setdefault(business_id, Evicted())
        evicted.uploads += count
        evicted.upload_bytes += size
        self._warn(business_id, "uploads",
                   f"{self.budget.max_uploads_per_business:,} uploads or "
                   f"{self.budget.max_upload_bytes_per_business:,} upload bytes")

    def settled(self, business_id: str, what: str) -> None:
        """A write of ``what`` ("entities" or "uploads") evicted nothing: a burst ends."""
        self._bursts.discard((business_id, what))

    def forget(self, business_id: str | None) -> None:
        """A reset ends the bursts of the business (all businesses: None)."""
        self._bursts = {burst for burst in self._bursts
                        if business_id is not None and burst[0] != business_id}

    def _warn(self, business_id: str, what: str, limit: str) -> None:
        if (business_id, what) in self._bursts:
            return
        self._bursts.add((business_id, what))
        oldest = "least recently used" if what == "uploads" else "oldest"
        logger.warning("business %s reached its budget of %s: evicting its %s %s from now "
                       "on (reads of evicted ones answer 404; totals in /__mock/health)",
                       business_id, limit, oldest, what)

    def figures(self, usage: dict[str, Usage]) -> dict[str, Any]:
        """The budget, what is kept and what was evicted, in all and per business."""
        businesses = sorted(set(usage) | set(self.evicted))
        per_business = {}
        for business in businesses:
            held = usage.get(business, Usage())
            lost = self.evicted.get(business, Evicted())
            per_business[business] = {
                "entities_kept": held.entities,
                "entities_evicted": lost.entities,
                "uploads_kept": held.uploads,
                "upload_bytes_held": held.upload_bytes,
                "uploads_evicted": lost.uploads,
                "upload_bytes_evicted": lost.upload_bytes,
            }
        totals = {name: sum(figures[name] for figures in per_business.values())
                  for name in ("entities_kept", "entities_evicted", "uploads_kept",
                               "upload_bytes_held", "uploads_evicted", "upload_bytes_evicted")}
        return {"budget": self.budget.as_dict(), **totals, "businesses": per_business}


class UploadShelf:
    """One business's uploads in memory, least recently used first."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, tuple[Upload, bytes]] = OrderedDict()
        self._stored: dict[str, Upload] = {}  # in the order stored, whatever the use
        self.size = 0

    def __len__(self) -> int:
        return len(self._items)

    def put(self, upload: Upload, data: bytes) -> None:
        old = self._items.pop(upload.key, None)
        if old is not None:
            self.size -= len(old[1])
        self._stored.pop(upload.key, None)
        self._items[upload.key] = (upload, data)
        self._stored[upload.key] = upload
        self.size += len(data)

    def newest_first(self) -> list[Upload]:
        """The uploads, most recently stored first (the admin API's view)."""
        return list(reversed(self._stored.values()))

    def get(self, key: str) -> bytes | None:
        found = self._items.get(key)
        return found[1] if found else None

    def touch(self, key: str) -> None:
        """Mark ``key`` as just used (no-op for an unknown key)."""
        if key in self._items:
            self._items.move_to_end(key)

    def evict(self, budget: Budget, keep: str) -> tuple[int, int]:
        """Drop least recently used uploads, never ``keep``, until within budget;
        returns how many and how many bytes went."""
        oldest = ((key, len(data)) for key, (_, data) in self._items.items() if key != keep)
        chosen = uploads_to_evict(oldest, len(self._items), self.size, budget)
        for key, size in chosen:
            del self._items[key]
            del self._stored[key]
            self.size -= size
        return len(chosen), sum(size for _, size in chosen)
