"""The mock's clock and id source: the two things that make responses reproducible.

With ``--clock`` time starts at that instant and moves by exactly one second per
``tick()`` (one tick per handled request), and ids come from the seed, so the same
seed, clock and requests give byte-identical responses across restarts.

Ids are not drawn from one ``random.Random`` stream for the process's life but from a
generator seeded with the seed and the current id *position*: that position is a single
integer the SQLite store persists inside each transaction, so a restarted mock with
``--data-dir`` continues where it stopped instead of handing out ids it already used.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

TICK = timedelta(seconds=1)

# Version 4 in bits 76-79, RFC 4122 variant in bits 62-63.
_KEEP = ~(0xF000 << 64) & ~(0xC000 << 48)
_SET = (0x4000 << 64) | (0x8000 << 48)


class Clock:
    """Aware-UTC time: fixed start plus one second per tick, or the wall clock."""

    def __init__(self, start: datetime | None) -> None:
        if start is not None and start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self._start = start.astimezone(UTC) if start is not None else None
        self._ticks = 0
        self._lock = threading.Lock()

    @property
    def fixed(self) -> bool:
        return self._start is not None

    def now(self) -> datetime:
        if self._start is None:
            return datetime.now(UTC)
        with self._lock:
            return self._start + self._ticks * TICK

    def tick(self) -> None:
        with self._lock:
            self._ticks += 1


def format_datetime(moment: datetime) -> str:
    """RFC 3339 in UTC with ``Z``; fractional seconds only when there are any."""
    moment = moment.astimezone(UTC)
    spec = "microseconds" if moment.microsecond else "seconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def format_uuid4(value: int) -> str:
    """A canonical lowercase version-4 UUID string from 128 random bits."""
    text = ((value & _KEEP) | _SET).to_bytes(16, "big").hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


class IdSource:
    """uuid4-shaped ids; each batch a pure function of ``(seed, position)``.

    A batch of ``count`` ids starting after position ``p`` comes from
    ``random.Random(f"{seed}:{p}")``: as reproducible as one long stream for the same
    requests in the same order, yet resumable from a single persisted integer.
    """

    def __init__(self, seed: int, position: int = 0) -> None:
        self._seed = seed
        self._position = position
        self._lock = threading.Lock()

    @property
    def position(self) -> int:
        """How many ids have been handed out; persist it to continue after a restart."""
        return self._position

    def next_id(self) -> str:
        return self.take(1)[0]

    def take(self, count: int) -> list[str]:
        """``count`` fresh ids at once (one seeding for a whole bulk file)."""
        with self._lock:
            start = self._position
            self._position += count
        bits = random.Random(f"dayzero-mock-id:{self._seed}:{start}").getrandbits
        return [format_uuid4(bits(128)) for _ in range(count)]
