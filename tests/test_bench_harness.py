"""The benchmark harness's pure parts: parsing, statistics, targets, rendering, CSVs.

No server and no load here: these functions decide what the benchmark reports, so a
mistake in them would publish a wrong figure with a straight face.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from bench.aggregate import (
    paired_ratios,
    summarize,
    summarize_scaling,
    summarize_suite,
    throughput_ratios,
)
from bench.csvgen import expected_items, generate
from bench.hotspots import Node, analyse, from_folded, render_tree, short_path, where
from bench.loadresult import LoadRequest, LoadResult
from bench.machine import cpu_model, wrk_version
from bench.pyload import ProtocolError, build_request, parse_head
from bench.report import contention_note, markdown_table, render, target_row
from bench.stats import latency_percentiles, median, percentile, ratio
from bench.targets import Target, evaluate
from bench.wrk import WrkOutputError, lua_quote, lua_script, parse_wrk_output

WRK_STDOUT = """Running 10s test @ http://127.0.0.1:4311/api/v1/invoices/bulk
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.02ms    9.83ms 112.57ms   93.05%
    Req/Sec     1.35k   121.70     1.51k    80.00%
  13467 requests in 10.01s, 12.52MB read
  Non-2xx or 3xx responses: 7
Requests/sec:   1345.38
Transfer/sec:      1.25MB
BENCH_JSON {"requests":13467,"duration_us":10010000,"errors":{"connect":0,"read":2,"write":0,\
"timeout":1,"status":7},"latency_ms":{"p50":10.370,"p75":12.670,"p90":17.710,"p99":37.230,\
"p99.9":108.900},"statuses":{"201":13460,"500":7}}
"""


def _request(**overrides: object) -> LoadRequest:
    values: dict[str, object] = {
        "url": "http://127.0.0.1:5000/api/v1/bills/bulk?x=1",
        "body": b'{"s3_key": "samples/bills.csv"}',
        "headers": {"Authorization": "Bearer dz_t", "x-business-id": "b-1"},
        "connections": 16,
        "duration_s": 3.0,
    }
    values.update(overrides)
    return LoadRequest(**values)  # type: ignore[arg-type]


# wrk ----------------------------------------------------------------------------------


def test_wrk_marker_line_becomes_a_load_result() -> None:
    result = parse_wrk_output(WRK_STDOUT)
    assert result.tool == "wrk"
    assert result.requests == 13467
    assert result.duration_s == pytest.approx(10.01)
    assert result.rps == pytest.approx(13467 / 10.01)
    assert result.latency_ms["p99"] == pytest.approx(37.23)
    assert result.latency_ms["p99.9"] == pytest.approx(108.9)
    assert result.statuses == {201: 13460, 500: 7}
    # Timeouts and read errors count; wrk's "status" errors are already in the statuses.
    assert result.socket_errors == 3
    assert result.unexpected(201) == 10
    assert result.non_2xx() == 7


@pytest.mark.parametrize(
    "text",
    [
        "Requests/sec: 1345.38\n",
        WRK_STDOUT + WRK_STDOUT.splitlines()[-1] + "\n",
        "BENCH_JSON {not json\n",
    ],
    ids=["no marker", "two markers", "broken json"],
)
def test_wrk_output_without_one_readable_marker_is_refused(text: str) -> None:
    with pytest.raises(WrkOutputError):
        parse_wrk_output(text)


def test_lua_quote_escapes_what_would_end_or_break_the_string() -> None:
    assert lua_quote('a"b\\c\nd') == '"a\\"b\\\\c\\010d"'
    assert lua_quote("plain") == '"plain"'


def test_lua_script_carries_the_request_and_reports_every_percentile() -> None:
    script = lua_script(_request(headers={"x-business-id": 'quote"d'}))
    assert 'wrk.method = "POST"' in script
    assert 'wrk.body = "{\\"s3_key\\": \\"samples/bills.csv\\"}"' in script
    assert 'wrk.headers["x-business-id"] = "quote\\"d"' in script
    for percent in ("50.0", "99.0", "99.9"):
        assert f"latency:percentile({percent})" in script
    assert "function response(status" in script
    assert "function request()" not in script  # one body: wrk resends prebuilt bytes


def test_lua_script_rotates_through_alternate_bodies() -> None:
    script = lua_script(_request(alternates=(b'{"s3_key": "k1"}', b'{"s3_key": "k2"}')))
    assert "function request()" in script
    table = script[script.index("local bodies = {"):script.index("}", script.index("k2"))]
    for key in ("samples/bills.csv", "k1", "k2"):
        assert f'\\"{key}\\"' in table


# the asyncio fallback's HTTP framing --------------------------------------------------


def test_fallback_request_bytes_are_a_complete_http_post() -> None:
    raw = build_request(_request())
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /api/v1/bills/bulk?x=1 HTTP/1.1"
    assert "Host: 127.0.0.1:5000" in lines
    assert f"Content-Length: {len(body)}" in lines
    assert body == b'{"s3_key": "samples/bills.csv"}'


def test_fallback_reads_status_and_length_and_refuses_what_it_cannot_frame() -> None:
    assert parse_head(b"HTTP/1.1 201 Created\r\ncontent-length: 42\r\nx: y") == (201, 42)
    with pytest.raises(ProtocolError):
        parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked")
    with pytest.raises(ProtocolError):
        parse_head(b"HTTP/1.1 200 OK\r\nServer: x")
    with pytest.raises(ProtocolError):
        parse_head(b"garbage")


# statistics ---------------------------------------------------------------------------


def test_median_and_nearest_rank_percentiles() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 2.0, 3.0]) == 2.5
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 99.9) == 100.0
    assert percentile([7.0], 50) == 7.0
    assert latency_percentiles([5.0, 1.0, 3.0])["p50"] == 3.0
    with pytest.raises(ValueError):
        median([])
    with pytest.raises(ValueError):
        percentile(values, 0)


def test_ratio_is_unknown_rather_than_infinite() -> None:
    assert ratio(3000.0, 1500.0) == 2.0
    assert ratio(1.0, 0.0) is None
    assert ratio(None, 2.0) is None


# aggregation --------------------------------------------------------------------------


def _tp(server: str, op: str, rps: float, p99: float, run: int, unexpected: int = 0) -> dict:
    result = LoadResult("wrk", int(rps * 10), 10.0, {"p50": p99 / 4, "p99": p99}, {201: 1})
    return {
        "run": run,
        "server": server,
        "operation": op,
        "result": result.as_dict(),
        "unexpected": unexpected,
        "server_cores": rps / 3000,
    }


def test_throughput_summary_takes_medians_and_mock_over_prism_ratios() -> None:
    samples = [
        _tp("mock", "invoices", rps, p99, run, unexpected=1)
        for run, (rps, p99) in enumerate([(3000, 9.0), (2000, 30.0), (2800, 12.0)])
    ] + [
        _tp("prism-static", "invoices", rps, 20.0, run)
        for run, rps in enumerate([1000, 1500, 1400])
    ]
    summary = summarize({"throughput": samples})
    mock = summary["throughput"]["mock"]["invoices"]
    assert mock["rps"] == pytest.approx(2800)
    assert mock["latency_ms"]["p99"] == 12.0
    assert mock["unexpected"] == 3
    assert mock["runs"] == 3
    assert mock["server_cores"] == pytest.approx(2800 / 3000)
    assert summary["ratios"] == {"invoices": {"prism-static": pytest.approx(2800 / 1400)}}
    assert throughput_ratios({"prism-static": {}}) == {}


def test_scaling_summary_cost_per_row_and_highest_peak() -> None:
    base = {
        "operation": "bills",
        "rows": 1000,
        "status": 201,
        "items": 1000,
        "expected_items": 1000,
        "upload_seconds": 0.05,
    }
    samples = [
        {**base, "run": 0, "seconds": 0.20, "peak_rss_bytes": 90_000_000},
        {**base, "run": 1, "seconds": 0.10, "peak_rss_bytes": 120_000_000},
        {**base, "run": 2, "seconds": 0.30, "peak_rss_bytes": 100_000_000, "items": 999},
    ]
    entry = summarize_scaling(samples)["bills"]["1000"]
    assert entry["seconds"] == pytest.approx(0.20)
    assert entry["ms_per_row"] == pytest.approx(0.20)
    assert entry["peak_rss_bytes"] == 120_000_000
    assert entry["all_created"] is False


def test_suite_summary_times_only_runs_that_went_to_the_end() -> None:
    summary = summarize_suite(
        [
            {"seconds": 0.3, "exit_code": 4},
            {"seconds": 40.0, "exit_code": 0},
            {"seconds": 50.0, "exit_code": 1},
            {"seconds": 300.0, "exit_code": None},
        ]
    )
    assert summary is not None
    assert (summary["seconds"], summary["exit_codes"], summary["runs"]) == (
        45.0,
        [4, 0, 1, None],
        4,
    )
    assert summarize_suite([{"seconds": 0.3, "exit_code": 2}])["seconds"] is None
    assert summarize_suite([]) is None


def test_suite_summary_sets_each_variant_beside_its_sequential_baseline() -> None:
    def sample(latency: int, workers: int | None, seconds: float, code: int = 0) -> dict:
        return {"latency_ms": latency, "workers": workers, "seconds": seconds, "exit_code": code}

    summary = summarize_suite(
        [
            *(sample(0, None, s) for s in (20.0, 22.0, 90.0)),
            *(sample(0, 1, s) for s in (15.0, 16.0, 17.0)),
            *(sample(150, None, s) for s in (50.0, 55.0, 58.0)),
            *(sample(150, 1, s) for s in (200.0, 220.0)),
            sample(150, 1, 1.0, code=2),  # could not run: not timed
        ]
    )
    assert summary is not None
    assert summary["seconds"] == 22.0  # the default run against the local mock
    medians = {(v["latency_ms"], v["workers"]): v["seconds"] for v in summary["variants"]}
    assert medians == {(0, None): 22.0, (0, 1): 16.0, (150, None): 55.0, (150, 1): 210.0}
    assert summary["speedups"] == {"0": 16.0 / 22.0, "150": 210.0 / 55.0}
    verdicts = {t.key: t.passed for t in evaluate({"suite": summary})}
    assert verdicts["suite"] is True  # 22 s < 30 s
    assert verdicts["suite_late"] is True  # 55 s < 60 s


# targets and report -------------------------------------------------------------------


def test_target_verdicts_at_and_around_the_limit() -> None:
    assert Target("k", "l", 1.5, ">=", 1.5, "×").passed is True
    assert Target("k", "l", 1.49, ">=", 1.5, "×").passed is False
    assert Target("k", "l", 1.0, "<", 1.0, "s").passed is False
    assert Target("k", "l", None, "<", 1.0, "s").passed is None


def _bulk_sample(operation: str, seconds: float, peak: float) -> dict:
    return {
        "operation": operation,
        "rows": 10_000,
        "run": 0,
        "seconds": seconds,
        "status": 201,
        "items": 5,
        "expected_items": 5,
        "peak_rss_bytes": peak,
        "upload_seconds": 0.1,
    }


def _summary() -> dict:
    return {
        "throughput": {
            "mock": {
                "invoices": {
                    "rps": 3000.0,
                    "latency_ms": {"p99": 30.0},
                    "unexpected": 0,
                    "runs": 3,
                    "requests": 9,
                    "tool": "wrk",
                }
            }
        },
        "ratios": {"invoices": {"prism-static": 2.0, "prism-dynamic": 5.0}},
        "servers": {
            "mock": {"startup_s": 1.2, "idle_rss_bytes": 60e6},
            "prism-static": {"startup_s": 2.5, "idle_rss_bytes": 160e6},
            "prism-dynamic": {"startup_s": 2.0, "idle_rss_bytes": 110e6},
        },
        "scaling": summarize_scaling(
            [_bulk_sample("invoices", 0.8, 350e6), _bulk_sample("bills", 1.2, 200e6)]
        ),
        "suite": {"seconds": 70.0, "exit_codes": [0], "runs": 1},
    }


def test_targets_read_the_measured_summary() -> None:
    verdicts = {t.key: t.passed for t in evaluate(_summary())}
    assert verdicts["invoices.vs_static"] is True
    assert verdicts["invoices.vs_dynamic"] is False
    assert verdicts["invoices.p99"] is False
    assert verdicts["invoices.all_201"] is True
    assert verdicts["bills.vs_static"] is None  # not measured is not a pass
    assert verdicts["invoices.bulk_10000"] is True
    assert verdicts["bills.bulk_10000"] is False
    assert verdicts["bulk_peak_rss"] is False  # the higher of the two peaks decides
    assert verdicts["startup"] is True
    # 60 MB against the smaller Prism (110 MB) is 0.545: not under half.
    assert verdicts["idle_memory"] is False
    assert verdicts["suite"] is False


def test_markdown_table_keeps_columns_when_cells_hold_pipes() -> None:
    table = markdown_table(["a", "b"], [["x|y", "z"], ["1", "2\n3"]])
    lines = table.splitlines()
    assert lines[0] == "| a | b |"
    assert lines[1] == "|---|---|"
    assert lines[2] == "| x\\|y | z |"
    assert lines[3] == "| 1 | 2 3 |"


def test_report_shows_every_target_with_its_verdict_and_the_figures() -> None:
    summary = _summary()
    targets = [t.as_dict() for t in evaluate(summary)]
    text = render(
        {
            "summary": summary,
            "targets": targets,
            "config": {"sizes": [10]},
            "machine": {"cores": 2, "cpu": "Test CPU", "memory_bytes": 2e9},
            "errors": ["scaling: boom"],
        }
    )
    assert "2 cores, Test CPU" in text
    assert text.count("**FAIL**") == sum(1 for t in targets if t["passed"] is False)
    assert text.count("| PASS |") == sum(1 for t in targets if t["passed"] is True)
    assert "| mock | invoices | 3,000 |" in text
    assert "| prism-static | 2.50 | 160.0 |" in text
    assert "- scaling: boom" in text
    assert "| bills | 10,000 | 1.200 | 0.120 | 200.0 | 0.100 | yes |" in text
    assert target_row(targets[3])[1:] == ["0 responses", "<= 0 responses", "PASS"]
    assert target_row(targets[4])[1] == "—"


# generated CSV files ------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["invoices", "bills"])
@pytest.mark.parametrize("rows", [1, 10, 257])
def test_generated_csv_has_the_rows_asked_for_and_is_deterministic(
    operation: str, rows: int
) -> None:
    content = generate(operation, rows)
    parsed = list(csv.DictReader(io.StringIO(content.decode())))
    assert len(parsed) == rows
    assert content == generate(operation, rows)
    assert content != generate(operation, rows, seed=1) or rows == 1
    assert 1 <= expected_items(operation, content) <= rows


def test_generated_invoice_groups_agree_on_what_the_contract_requires() -> None:
    rows = list(csv.DictReader(io.StringIO(generate("invoices", 500).decode())))
    groups: dict[str, set[tuple[str, ...]]] = {}
    for row in rows:
        if row["invoice_ref"]:
            key = (row["customer_email"], row["due_date"], row["currency"], row["description"])
            groups.setdefault(row["invoice_ref"], set()).add(key)
    assert groups, "a realistic file groups some lines into one invoice"
    assert all(len(keys) == 1 for keys in groups.values())
    singles = sum(1 for row in rows if not row["invoice_ref"])
    assert expected_items("invoices", generate("invoices", 500)) == len(groups) + singles


# profiles and the machine line --------------------------------------------------------


FOLDED = """\
run (asyncio/runners.py:118);select (selectors.py:468) 6
run (asyncio/runners.py:118);endpoint (mock_server/app.py:84);dispatch (starlette/routing.py:70);\
bulk (mock_server/handlers.py:196);parse (mock_server/csv_import.py:40) 2
run (asyncio/runners.py:118);endpoint (mock_server/app.py:90);dispatch (starlette/routing.py:71) 1
run (asyncio/runners.py:118);endpoint (mock_server/app.py:84);dispatch (starlette/routing.py:70);\
bulk (mock_server/handlers.py:197);parse (mock_server/csv_import.py:40);\
parse (mock_server/csv_import.py:41);loads (json/decoder.py:337) 1
"""


def test_folded_stacks_become_one_tree_merged_by_function() -> None:
    root = from_folded(FOLDED + "not a sample line\n", interval_s=0.5)
    assert root.time == pytest.approx(5.0)
    (run,) = root.children
    assert [(where(child), child.time) for child in run.children] == [
        ("selectors.py:select", 3.0),
        ("mock_server/app.py:endpoint", 2.0),  # lines 84 and 90 are one function
    ]
    tree = render_tree(root, min_share=0.25)
    assert tree.splitlines()[0] == "100.0%  asyncio/runners.py:run"
    assert " 60.0%    selectors.py:select" in tree
    assert "csv_import.py:parse" in tree  # 30% of samples
    assert "loads" not in tree  # 10%: under the cut


def test_hotspots_leave_out_idle_time_and_charge_library_calls_to_the_app() -> None:
    analysis = analyse(from_folded(FOLDED))
    assert analysis["busy_share"] == pytest.approx(0.4)  # 6 of 10 samples waited in select
    spots = {spot["where"]: spot for spot in analysis["hotspots"]}
    # Self time: where the CPU was; recursion is not counted twice in inclusive time.
    assert spots["mock_server/csv_import.py:parse"]["self_share"] == pytest.approx(2 / 4)
    assert spots["mock_server/csv_import.py:parse"]["total_share"] == pytest.approx(3 / 4)
    assert spots["json/decoder.py:loads"]["self_share"] == pytest.approx(1 / 4)
    own = {spot["where"]: spot["own_share"] for spot in analysis["app_hotspots"]}
    # The router sample under endpoint is charged to endpoint, the JSON decode to parse.
    assert own["mock_server/app.py:endpoint"] == pytest.approx(1 / 4)
    assert own["mock_server/handlers.py:bulk"] == pytest.approx(0.0)
    assert own["mock_server/csv_import.py:parse"] == pytest.approx(3 / 4)
    assert next(iter(own)) == "mock_server/csv_import.py:parse"


def test_a_pyinstrument_style_tree_without_line_numbers_analyses_the_same_way() -> None:
    app = "/r/mock_server/csv_import.py"
    decode = Node("/usr/lib/python3.11/json/decoder.py", "decode", 1.0)
    parse = Node(app, "parse", 4.0, [Node(app, "parse", 3.0, [decode])])
    root = Node("<built-in>", "run_until_complete", 10.0, [parse])
    analysis = analyse(root)
    assert analysis["busy_share"] == pytest.approx(0.4)
    assert analysis["app_hotspots"][0]["where"] == "mock_server/csv_import.py:parse"
    assert analysis["app_hotspots"][0]["own_share"] == pytest.approx(1.0)  # both levels


def test_short_paths_name_the_package_not_the_machine() -> None:
    assert short_path("/w/main/mock_server/domain.py") == "mock_server/domain.py"
    assert (
        short_path("/v/lib/python3.11/site-packages/starlette/routing.py") == "starlette/routing.py"
    )
    assert short_path("/usr/lib/python3.11/json/decoder.py") == "json/decoder.py"


def test_machine_line_parts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: Test CPU @ 1.00GHz\n")
    assert cpu_model(info) == "Test CPU @ 1.00GHz"
    line = "wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer"
    assert wrk_version(line) == "debian/4.1.0-3+b2"
    assert wrk_version(None) is None


def test_results_round_trip_through_json() -> None:
    result = LoadResult("python", 10, 2.0, {"p50": 1.0}, {201: 9, 400: 1}, 0)
    data = json.loads(json.dumps(result.as_dict()))
    assert data["statuses"] == {"201": 9, "400": 1}
    assert data["rps"] == 5.0


def test_a_busy_machine_is_called_out_in_the_report() -> None:
    def results(cores: float, load: str) -> dict:
        entry = {"server_cores": cores}
        return {
            "summary": {"throughput": {"mock": {"bills": entry}}},
            "machine": {"cores": 2, "loadavg": load},
        }

    assert contention_note(results(0.97, "0.30, 0.20, 0.10")) is None
    starved = contention_note(results(0.52, "0.30, 0.20, 0.10"))
    assert starved is not None
    assert "0.52 cores" in starved
    busy = contention_note(results(0.97, "4.48, 3.37, 1.74"))
    assert busy is not None
    assert "load average 4.48" in busy


def test_paired_ratios_compare_within_runs_and_single_out_cpu_bound_runs() -> None:
    def sample(run: int, server: str, rps: float, cores: float) -> dict:
        result = LoadResult("wrk", int(rps), 1.0, {"p99": 1.0}, {201: int(rps)})
        return {
            "run": run,
            "server": server,
            "operation": "bills",
            "result": result.as_dict(),
            "unexpected": 0,
            "server_cores": cores,
        }

    samples = [
        sample(0, "mock", 800, 1.0),
        sample(0, "prism-static", 1600, 0.98),  # quiet: 0.5
        sample(1, "mock", 400, 0.5),
        sample(1, "prism-static", 200, 0.45),  # starved: 2.0
        sample(2, "mock", 700, 0.95),
        sample(2, "prism-static", 1000, 0.9),  # quiet: 0.7
    ]
    paired = paired_ratios(samples)["bills"]["prism-static"]
    assert paired["runs"] == 3
    assert paired["median"] == pytest.approx(0.7)
    assert paired["saturated_runs"] == 2
    assert paired["saturated_median"] == pytest.approx(0.6)
    summary = summarize({"throughput": samples})
    target = next(t for t in evaluate(summary) if t.key == "bills.vs_static")
    assert target.measured == pytest.approx(0.6)  # the undistorted runs decide
    assert "2 of 3" in target.label
    # The ratio of medians would have said 700 / 1000.
    assert summary["ratios"]["bills"]["prism-static"] == pytest.approx(0.7)
