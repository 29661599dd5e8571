"""Garbage-collector policy while the mock serves: no stop-the-world pause under load.

The store grows up to its budget (every import adds a dict and a few lists per entity), and
CPython's full collection walks every tracked object: 170 ms once 90,000 invoices and
bills are stored, stalling every request in flight — that was the mock's p99. What the
store keeps is long-lived by design, so it need not be walked again and again:

- at start-up, everything alive (the framework, the compiled spec, the world) is frozen
  into the permanent generation (``gc.freeze()``, O(1));
- after every collection its survivors — mostly stored entities, since a request
  leaves no cyclic garbage behind — are frozen too, so the older generations stay empty
  and each object is walked once, by the young collection that first sees it;
- refcounting still frees frozen objects; only a *cycle* among them would outlive its
  use, so once the mock has been idle for ``IDLE_SECONDS`` and has frozen a quarter more
  than after the last full collection (CPython's own rule for its oldest generation),
  everything is unfrozen, collected in full and frozen again, while no request waits.

The policy is process-wide, like the collector; apps share it while any is serving.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

IDLE_SECONDS = 1.0
GROWTH = 1.25


def _freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop":
        gc.freeze()


class FreezePolicy:
    """The policy's state: how many apps serve under it, and when to collect in full.

    The collector is one per process, so is the policy: :data:`PROCESS` is the only
    instance the mock uses; tests make their own with other timings, or with a ``sleep``
    they drive themselves so that each idle check happens when they say, not when a
    timer fires on a loaded machine.
    """

    def __init__(
        self,
        idle_seconds: float = IDLE_SECONDS,
        growth: float = GROWTH,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.idle_seconds = idle_seconds
        self.growth = growth
        self.sleep = sleep
        self._lock = threading.Lock()
        self._serving = 0

    def _install(self) -> None:
        with self._lock:
            self._serving += 1
            if self._serving == 1:
                gc.freeze()
                gc.callbacks.append(_freeze_survivors)

    def _uninstall(self) -> None:
        with self._lock:
            self._serving -= 1
            if self._serving == 0:
                gc.callbacks.remove(_freeze_survivors)
                gc.unfreeze()  # back to the collector's normal care

    def collect_in_full(self) -> int:
        """One full collection over every object, frozen ones included; then freeze again."""
        with self._lock:
            gc.unfreeze()
            try:
                return gc.collect()
            finally:
                if self._serving:
                    gc.freeze()

    async def _collect_when_idle(self, activity: Callable[[], int]) -> None:
        """Collect in full once ``activity()`` stops changing, if enough was frozen since."""
        seen = activity()
        frozen = gc.get_freeze_count()
        while True:
            await self.sleep(self.idle_seconds)
            now = activity()
            if now == seen and gc.get_freeze_count() > frozen * self.growth:
                self.collect_in_full()
                frozen = gc.get_freeze_count()
            seen = now

    @asynccontextmanager
    async def serving(self, activity: Callable[[], int]) -> AsyncIterator[None]:
        """The policy for as long as the block runs; ``activity()`` counts requests seen."""
        self._install()
        idle = asyncio.create_task(self._collect_when_idle(activity))
        try:
            yield
        finally:
            idle.cancel()
            self._uninstall()


PROCESS = FreezePolicy()
