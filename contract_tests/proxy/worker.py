"""Judging off the response path: the proxy hands each finished exchange to one worker
thread and lets the client have its response at once.

One thread, one FIFO: exchanges are judged in the order the proxy finished them, so a
read-back sent after a bulk call's response was complete is still judged after it (the
proxy queues an exchange before it sends the response's last byte). The queue is
bounded in exchanges and bytes; when it is full the proxy waits for room before
finishing the response (backpressure), so a judgment is never dropped. An exchange the
judge fails on is counted as not judged, with the reason, in the report.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque

from dayzero_twin.contract_tests.proxy.config import ProxyConfig
from dayzero_twin.contract_tests.proxy.exchange import Exchange
from dayzero_twin.contract_tests.proxy.har import HarWriter
from dayzero_twin.contract_tests.proxy.judge import Judge

LOG = logging.getLogger("dayzero.proxy")


def _size(exchange: Exchange) -> int:
    return len(exchange.request_body) + len(exchange.response_body)


class JudgeWorker:
    """The judging thread, its bounded queue, and the recording it writes in order."""

    def __init__(
        self, judge: Judge, config: ProxyConfig, recorder: HarWriter | None = None
    ) -> None:
        self.judge, self.config, self.recorder = judge, config, recorder
        self._cond = threading.Condition()
        self._items: deque[Exchange] = deque()
        self._bytes = 0
        self._busy = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="proxy-judge", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        """Exchanges queued or being judged."""
        with self._cond:
            return len(self._items) + self._busy

    def _room(self, size: int) -> bool:
        # An exchange larger than the byte bound still goes in alone, or it never would.
        return not self._items or (
            len(self._items) < self.config.queue_exchanges
            and self._bytes + size <= self.config.queue_bytes
        )

    def _append(self, exchange: Exchange) -> None:
        self._items.append(exchange)
        self._bytes += _size(exchange)
        self._cond.notify_all()

    def try_put(self, exchange: Exchange) -> bool:
        with self._cond:
            if not self._room(_size(exchange)):
                return False
            self._append(exchange)
            return True

    def put(self, exchange: Exchange) -> None:
        """Queue ``exchange``, waiting for room (blocks: call from a thread)."""
        with self._cond:
            self._cond.wait_for(lambda: self._room(_size(exchange)))
            self._append(exchange)

    async def submit(self, exchange: Exchange) -> None:
        """Queue ``exchange`` without blocking the event loop; past the bounds, wait."""
        if not self.try_put(exchange):
            await asyncio.to_thread(self.put, exchange)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queued exchange is judged (and recorded); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._items and not self._busy, timeout)

    def close(self) -> None:
        """Judge what is queued, stop the thread, close the recording."""
        self.drain()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()
        if self.recorder is not None:
            self.recorder.close()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._items or self._closed)
                if not self._items:
                    return
                exchange = self._items.popleft()
                self._busy = True
            try:
                self._handle(exchange)
            finally:
                with self._cond:
                    self._bytes -= _size(exchange)
                    self._busy = False
                    self._cond.notify_all()

    def _handle(self, exchange: Exchange) -> None:
        try:
            found = self.judge.judge(exchange)
        except Exception as error:  # a bug of the judge must not stop the proxy
            LOG.exception("judge failed on %s", exchange.method)
            self.judge.skip(f"the judge failed ({type(error).__name__})", exchange)
            found = []
        for violation in found:
            LOG.error(violation.log_line())
        if self.recorder is not None:
            try:
                self.recorder.add(exchange.redacted(self.judge.known_secrets()))
            except OSError as error:
                LOG.error("recording stopped: %s", error)
                self.recorder = None
