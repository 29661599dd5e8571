"""Judging off the response path: the proxy hands each finished exchange to one worker
thread and lets the client have its response at once.

One thread, one FIFO: exchanges are judged in the order the proxy finished them, so a
read-back sent after a bulk call's response was complete is still judged after it (the
proxy queues an exchange before it sends the response's last byte). The queue is
bounded in exchanges and bytes; when it is full the proxy waits for room before
finishing the response (backpressure), so a judgment is never dropped. An exchange the
judge, the log or the recording fails on is counted as not judged, with the reason, in
the report: the thread outlives any such failure, because a dead worker would stop the
queue, so that backpressure would hold every response and a stop would wait forever.
Stopping waits ``drain_seconds`` at most; what is left then is counted as not judged.
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
STOPPED = "the proxy stopped before judging it"


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
        """Queue ``exchange``, waiting for room (blocks: call from a thread). Once closed,
        nothing is judged any more: the exchange is counted as not judged."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._room(_size(exchange)))
            if not self._closed:
                self._append(exchange)
                return
        self._not_judged(STOPPED, exchange)

    async def submit(self, exchange: Exchange) -> None:
        """Queue ``exchange`` without blocking the event loop; past the bounds, wait."""
        if not self.try_put(exchange):
            await asyncio.to_thread(self.put, exchange)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queued exchange is judged (and recorded), or the worker is
        closed (nothing more will be judged); False on timeout."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._closed or (not self._items and not self._busy), timeout
            )

    def close(self) -> None:
        """Judge what is queued (waiting ``drain_seconds`` at most), stop the thread,
        close the recording. What the thread had no time for is counted as not judged."""
        self.drain(self.config.drain_seconds)
        with self._cond:
            self._closed = True
            left = list(self._items)
            self._items.clear()
            self._bytes = 0
            self._cond.notify_all()
        for exchange in left:
            self._not_judged(STOPPED, exchange)
        self._thread.join(self.config.drain_seconds)
        if self._thread.is_alive():
            # Still inside one exchange: closing the file under it could corrupt the
            # entry it writes; an unclosed recording is still read (``judge`` says so).
            LOG.error("the judging thread did not stop; the recording is left unclosed")
        elif self.recorder is not None:
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
                    self._bytes = max(0, self._bytes - _size(exchange))
                    self._busy = False
                    self._cond.notify_all()

    def _handle(self, exchange: Exchange) -> None:
        try:
            found = self.judge.judge(exchange)
        except Exception as error:  # a bug of the judge must not stop the proxy
            LOG.exception("judge failed on %s", exchange.method)
            self._not_judged(f"the judge failed ({type(error).__name__})", exchange)
            found = []
        try:
            for violation in found:
                LOG.error(violation.log_line())
            if self.recorder is not None:
                self._record(self.recorder, exchange)
        except Exception as error:  # nor may a bug of the log or the recording
            LOG.exception("logging or recording failed on %s", exchange.method)
            self._not_judged(f"the proxy failed after judging ({type(error).__name__})", exchange)

    def _record(self, recorder: HarWriter, exchange: Exchange) -> None:
        try:
            recorder.add(exchange.redacted(self.judge.known_secrets()))
        except OSError as error:
            LOG.error("recording stopped: %s", error)
            self.recorder = None

    def _not_judged(self, reason: str, exchange: Exchange) -> None:
        try:
            self.judge.skip(reason, exchange)
        except Exception:  # counting must not be what stops the worker either
            LOG.exception("could not count an exchange as not judged (%s)", reason)
