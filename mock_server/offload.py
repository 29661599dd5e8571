"""Service calls off the event loop: in a worker thread, or inline when known to be quick.

The service takes one lock; a 10,000-row import holds it for a while, and on the loop it
would stall every other request, the admin API included. But the thread hop costs more
than a 6-row import itself (a future, a wake-up, and GIL hand-offs that add milliseconds
of latency under load). :class:`Offloader` decides per call, from what it measured.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

# How far one new measurement moves a key's remembered cost.
COST_SMOOTHING = 0.25


class Offloader:
    """Runs a service call on the event loop when it is known to be quick, else in a thread.

    A call runs inline only when the last successful call with the same cost key (e.g.
    the same ``s3_key``) took less than ``inline_budget_s`` and no heavy call
    (unmeasured, slow, or from the admin API) is running in a thread: that thread may
    hold the service lock for long, and the loop must not wait for it. A quick call that
    meets a heavy one goes to a thread too. The first call of a key goes to a thread, to
    be measured. Threads are measured in CPU time, which GIL and lock waits do not
    inflate; inline calls in wall time, which is what the loop lost. Failed calls teach
    nothing: a key not uploaded yet fails fast but may import slowly later.

    One offloader per service: only that service's lock can make its loop wait.
    """

    def __init__(self, inline_budget_s: float = 0.002, max_cost_keys: int = 4096) -> None:
        self._inline_budget_s = inline_budget_s
        self._max_cost_keys = max_cost_keys
        # Keys are client-chosen: the table forgets the least recently measured first.
        self._costs: OrderedDict[Hashable, float] = OrderedDict()
        # Reading the count needs no lock; changing it does, as threads finish calls.
        self._heavy_in_threads = 0
        self._heavy_lock = threading.Lock()

    @property
    def heavy_in_threads(self) -> int:
        """Heavy calls running in worker threads right now."""
        return self._heavy_in_threads

    async def in_thread(self, function: Callable[..., T], *args: Any, heavy: bool = True) -> T:
        """Run a call in the loop's default executor; ``heavy=False`` marks it known quick.

        The default executor costs less per hop than anyio's ``to_thread`` (no cancel
        scope, no limiter), which matters at hundreds of small requests a second.
        """
        loop = asyncio.get_running_loop()
        call = functools.partial(function, *args)
        if not heavy:
            return await loop.run_in_executor(None, call)
        with self._heavy_lock:
            self._heavy_in_threads += 1
        try:
            return await loop.run_in_executor(None, call)
        finally:
            with self._heavy_lock:
                self._heavy_in_threads -= 1

    async def run(self, key: Hashable, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(*args)`` inline or in a thread, by what ``key`` cost last time."""
        cost = self._costs.get(key)
        quick = cost is not None and cost < self._inline_budget_s
        if quick and not self._heavy_in_threads:
            started = time.perf_counter()
            result = function(*args)
            self._note(key, time.perf_counter() - started)
            return result
        return await self.in_thread(self._measured, key, function, args, heavy=not quick)

    def _measured(self, key: Hashable, function: Callable[..., T], args: tuple[Any, ...]) -> T:
        started = time.thread_time()
        result = function(*args)
        self._note(key, time.thread_time() - started)
        return result

    def _note(self, key: Hashable, seconds: float) -> None:
        last = self._costs.get(key)
        if last is None:
            while len(self._costs) >= self._max_cost_keys:
                self._costs.popitem(last=False)
            self._costs[key] = seconds
        else:
            # Smoothed: one call stretched by the OS or the collector does not send a
            # cheap key to threads, while a key that became slow crosses over at once.
            self._costs[key] = last + (seconds - last) * COST_SMOOTHING
            self._costs.move_to_end(key)
