"""Request counts and latencies per operation and status, for ``/__mock/metrics``.

The recorder (:mod:`mock_server.asgi.journal`) already times every request and learns
its operation id and status, so it hands them to :meth:`RequestMetrics.observe` once
the response is sent. That is the benchmarked hot path, so ``observe`` only bumps one
bucket and one sum in plain lists (well under a microsecond, while prometheus_client's
own ``Counter`` and ``Histogram`` take a lock per value and cost several times that).
The numbers become Prometheus metric families only when someone scrapes: this class
is a collector.

Only the event loop calls ``observe``; a scrape reads from a worker thread. An int
increment is atomic under the GIL, and the count is derived from the buckets, so a
scrape is consistent except that ``_sum`` may lag one in-flight observation.

The collector goes into a :class:`~prometheus_client.CollectorRegistry` of the app's
own: tests build many apps in one process, and the global registry would mix them.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator

from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

# Requests that no operation of the contract served: the admin API, docs, 404s.
OTHER_OPERATION = "other"
# From a sub-millisecond sample import to a 10,000-row file or an armed delay.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REQUESTS = "dayzero_mock_requests"
DURATION = "dayzero_mock_request_duration_seconds"
LABELS = ("operation", "status")


class _Series:
    """One operation and status: observations per bucket (the last is +Inf) and their sum."""

    __slots__ = ("buckets", "total")

    def __init__(self) -> None:
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)
        self.total = 0.0


class RequestMetrics(Collector):
    """A request counter and a latency histogram labelled by operation id and status."""

    def __init__(self) -> None:
        # Bounded: operation ids come from the slices, statuses are 0 (no response) to 599.
        self._series: dict[tuple[str | None, int], _Series] = {}

    def observe(self, operation_id: str | None, status: int, seconds: float) -> None:
        """Count one answered request; called by the recorder on the event loop."""
        key = (operation_id, status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _Series()
        series.buckets[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        series.total += seconds

    def describe(self) -> list[Metric]:
        return list(self._families())

    def collect(self) -> Iterator[Metric]:
        requests, durations = self._families()
        for (operation_id, status), series in list(self._series.items()):
            labels = [operation_id or OTHER_OPERATION, str(status)]
            cumulative, running = [], 0
            for bound, count in zip((*LATENCY_BUCKETS, math.inf), series.buckets, strict=True):
                running += count
                cumulative.append((_bound(bound), running))
            requests.add_metric(labels, running)
            durations.add_metric(labels, cumulative, series.total)
        yield requests
        yield durations

    @staticmethod
    def _families() -> tuple[CounterMetricFamily, HistogramMetricFamily]:
        return (
            CounterMetricFamily(
                REQUESTS, "Requests answered, by operation id and response status.", labels=LABELS
            ),
            HistogramMetricFamily(
                DURATION,
                "Time from receiving a request to sending its response, armed delays included.",
                labels=LABELS,
            ),
        )


def _bound(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(bound)
