"""The clock and id source that make responses reproducible (mock_server.clock)."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import UTC, datetime, timedelta, timezone

from dayzero_twin.mock_server.domain.clock import Clock, IdSource, format_datetime

UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_fixed_clock_steps_one_second_per_tick() -> None:
    clock = Clock(datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))))
    assert clock.fixed and clock.now() == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    threads = [threading.Thread(target=lambda: [clock.tick() for _ in range(100)])
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert clock.now() == datetime(2026, 3, 1, 10, 13, 20, tzinfo=UTC)
    assert Clock(datetime(2026, 1, 1)).now().tzinfo == UTC


def test_format_datetime() -> None:
    assert format_datetime(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    assert format_datetime(datetime(2026, 1, 2, 3, 4, 5, 120, tzinfo=UTC)) == \
        "2026-01-02T03:04:05.000120Z"
    assert format_datetime(datetime(2026, 1, 2, 5, 0, tzinfo=timezone(timedelta(hours=2)))) == \
        "2026-01-02T03:00:00Z"


def test_ids_are_uuid4_shaped_unique_and_reproducible() -> None:
    first, second = IdSource(9), IdSource(9)
    ids = [*first.take(5000), first.next_id()]
    assert all(UUID4.fullmatch(value) and str(uuid.UUID(value)) == value for value in ids)
    assert len(set(ids)) == len(ids) and first.position == 5001
    assert [*second.take(5000), second.next_id()] == ids
    assert IdSource(10).take(3) != ids[:3]


def test_resuming_from_a_position_continues_without_repeats() -> None:
    source = IdSource(1)
    before = source.take(10)
    resumed = IdSource(1, position=source.position)
    assert resumed.take(3) == source.take(3)
    assert not set(before) & set(IdSource(1, position=10).take(100))
