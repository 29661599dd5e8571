"""``GET /__mock/metrics``: the mock in Prometheus' text format.

Two sources in one registry of the app's own: the request counter and latency
histogram the recorder feeds (:mod:`mock_server.asgi.metrics`), and gauges of what
each business holds, read from the service only when Prometheus scrapes, so keeping
them costs nothing between scrapes.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dayzero_twin.mock_server.runtime import Runtime
from dayzero_twin.mock_server.service import MockService

METRICS_PATH = "/__mock/metrics"
HELD_KINDS = ("invoices", "bills", "customers", "vendors", "uploads")


class HoldingsCollector(Collector):
    """Entities and upload bytes per business, as gauges collected at scrape time."""

    def __init__(self, service: MockService) -> None:
        self._service = service

    def describe(self) -> list[Metric]:
        # Declared without reading the service, so registering costs nothing.
        return [self._entities(), self._bytes()]

    def collect(self) -> Iterator[Metric]:
        entities, held_bytes = self._entities(), self._bytes()
        for business in self._service.holdings(limit=0):
            for kind in HELD_KINDS:
                entities.add_metric([business["id"], kind], business["counts"][kind])
            held_bytes.add_metric([business["id"]], business["upload_bytes"])
        yield entities
        yield held_bytes

    @staticmethod
    def _entities() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "dayzero_mock_entities_held",
            "Entities a business holds now (customers and vendors include the world's).",
            labels=["business_id", "kind"],
        )

    @staticmethod
    def _bytes() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "dayzero_mock_uploads_held_bytes",
            "Bytes of uploaded files a business holds now.",
            labels=["business_id"],
        )


def metrics_routes(runtime: Runtime, registry: CollectorRegistry) -> list[BaseRoute]:
    """The scrape route; also registers the holdings gauges in ``registry``."""
    registry.register(HoldingsCollector(runtime.service))
    in_thread = runtime.offload.in_thread

    async def metrics(request: Request) -> Response:
        # In a thread: the gauges wait for the service lock, which a big import holds.
        body = await in_thread(generate_latest, registry)
        return Response(body, headers={"content-type": CONTENT_TYPE_LATEST})

    return [Route(METRICS_PATH, metrics, methods=["GET"])]
