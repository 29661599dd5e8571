"""``GET /__mock/metrics``: request counts, latencies and holdings in Prometheus' format."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from dayzero_twin.mock_server.app import MockApp
from dayzero_twin.mock_server.asgi.metrics import LATENCY_BUCKETS, RequestMetrics

BULK_INVOICES = "/api/v1/invoices/bulk"
CREATE_INVOICES = "create_bulk_invoices_api_v1_invoices_bulk_post"


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape by name and sorted labels."""
    response = client.get("/__mock/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def requests_total(samples: dict[Any, float], operation: str, status: int) -> float:
    key = ("dayzero_mock_requests_total", (("operation", operation), ("status", str(status))))
    return samples.get(key, 0.0)


def held(samples: dict[Any, float], business: str, kind: str) -> float:
    key = ("dayzero_mock_entities_held", (("business_id", business), ("kind", kind)))
    return samples[key]


def test_counts_and_times_requests_by_operation_and_status(
    client: TestClient, auth_headers: dict[str, str]
) -> None:
    for key in ("samples/invoices.csv", "samples/invoices.csv", "samples/invoices-invalid.csv"):
        client.post(BULK_INVOICES, headers=auth_headers, json={"s3_key": key})
    client.get("/no/such/path")
    samples = scrape(client)
    assert requests_total(samples, CREATE_INVOICES, 201) == 2
    assert requests_total(samples, CREATE_INVOICES, 400) == 1
    assert requests_total(samples, "other", 404) == 1
    labels = (("operation", CREATE_INVOICES), ("status", "201"))
    assert samples[("dayzero_mock_request_duration_seconds_count", labels)] == 2
    assert samples[("dayzero_mock_request_duration_seconds_sum", labels)] > 0
    inf = (("le", "+Inf"), *labels)
    assert samples[("dayzero_mock_request_duration_seconds_bucket", tuple(sorted(inf)))] == 2


def test_gauges_show_what_each_business_holds_at_scrape_time(
    client: TestClient, auth_headers: dict[str, str], default_world: dict[str, Any]
) -> None:
    business = auth_headers["x-business-id"]
    before = scrape(client)
    assert held(before, business, "invoices") == 0
    seeded_customers = held(before, business, "customers")
    assert seeded_customers > 0
    client.post(BULK_INVOICES, headers=auth_headers, json={"s3_key": "samples/invoices.csv"})
    client.post(
        "/api/v1/upload/direct",
        headers=auth_headers,
        files={"file": ("mine.csv", b"a,b\n1,2\n", "text/csv")},
    )
    after = scrape(client)
    assert held(after, business, "invoices") == 4
    assert held(after, business, "customers") >= seeded_customers
    assert held(after, business, "uploads") == 1
    assert after[("dayzero_mock_uploads_held_bytes", (("business_id", business),))] == 8
    other = next(b["id"] for b in default_world["businesses"] if b["id"] != business)
    assert held(after, other, "invoices") == 0
    client.post("/__mock/reset", headers={"content-type": "application/json"})
    assert held(scrape(client), business, "invoices") == 0


def test_each_app_counts_its_own_requests(mock_app: Callable[..., MockApp]) -> None:
    with TestClient(mock_app()) as first, TestClient(mock_app()) as second:
        first.get("/no/such/path")
        first.get("/no/such/path")
        second.get("/no/such/path")
        assert requests_total(scrape(first), "other", 404) == 2
        assert requests_total(scrape(second), "other", 404) == 1


def test_scrapes_stay_out_of_the_journal(client: TestClient) -> None:
    scrape(client)
    assert client.get("/__mock/journal").json()["items"] == []


def test_histogram_buckets_are_cumulative_and_inclusive() -> None:
    metrics = RequestMetrics()
    registry = CollectorRegistry()
    registry.register(metrics)
    metrics.observe("op", 200, LATENCY_BUCKETS[0])  # on a bound: counted in that bucket
    metrics.observe("op", 200, 99.0)  # past the last bound: only +Inf
    buckets = {
        sample.labels["le"]: sample.value
        for family in registry.collect()
        for sample in family.samples
        if sample.name.endswith("_bucket")
    }
    assert buckets[repr(LATENCY_BUCKETS[0])] == 1
    assert buckets[repr(LATENCY_BUCKETS[-1])] == 1
    assert buckets["+Inf"] == 2


def test_metrics_on_sqlite(
    mock_app: Callable[..., MockApp], tmp_path: Path, auth_headers: dict[str, str]
) -> None:
    with TestClient(mock_app(data_dir=tmp_path)) as client:
        client.post(BULK_INVOICES, headers=auth_headers, json={"s3_key": "samples/invoices.csv"})
        assert held(scrape(client), auth_headers["x-business-id"], "invoices") == 4
