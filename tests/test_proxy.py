"""The checking proxy: unit checks of its judge and redaction, then proofs over loopback.

(a) the whole contract suite through the proxy in front of the faithful mock: the suite
passes and the proxy sees no violation, having checked bulk 201s against their files
and read-backs against their 201s; (b) in front of mutants a single exchange can
reveal, it names the broken rule; (d) the recording holds no secret and ``judge`` gives
the same verdict; and the command line's exit codes and reports on SIGTERM.
"""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml

from dayzero_twin.contract_tests.proxy.app import ProxyState
from dayzero_twin.contract_tests.proxy.exchange import Exchange, redact_headers, redact_target
from dayzero_twin.contract_tests.proxy.har import load_har, read_har
from dayzero_twin.contract_tests.proxy.judge import Judge, parse_csv, uploaded_csv
from dayzero_twin.contract_tests.proxy.serve import running_proxy
from dayzero_twin.contract_tests.support.kinds import INVOICES
from tests.mutants.__main__ import FAITHFUL, PREFIX
from tests.mutants.catalogue import BUSINESS, BY_NAME, SECOND_BUSINESS, TOKEN
from tests.proxy_mutants import proxied_rules
from tests.suite_runs import run_suite
from tests.test_contract_suite import ROOT, served

SUITE_SECONDS = 600
SETTLE_SECONDS = 120
LINE_SECONDS = 30
pytestmark = pytest.mark.timeout(2 * SUITE_SECONDS)
NOW = datetime(2026, 11, 30, tzinfo=UTC)


def exchange(
    method: str = "GET",
    target: str = "/api/v1/invoices",
    headers: tuple[tuple[str, str], ...] = (),
    status: int = 200,
    response_headers: tuple[tuple[str, str], ...] = (("content-type", "application/json"),),
    body: object = None,
    request_body: bytes = b"",
) -> Exchange:
    return Exchange(
        method=method,
        target=target,
        request_headers=headers,
        request_body=request_body,
        status=status,
        response_headers=response_headers,
        response_body=json.dumps(body).encode(),
        started=NOW,
        finished=NOW,
        token="token-1" if any(k == "authorization" for k, _ in headers) else None,
    )


AUTH = (("authorization", f"Bearer {TOKEN}"), ("x-business-id", BUSINESS))


# -- unit checks ----------------------------------------------------------------------


def test_secrets_are_redacted() -> None:
    headers = redact_headers(
        [("Authorization", "Bearer dz_secret_1"), ("Cookie", "a=b"), ("x-business-id", BUSINESS)]
    )
    assert dict(headers) == {
        "Authorization": "Bearer REDACTED",
        "Cookie": "REDACTED",
        "x-business-id": BUSINESS,
    }
    assert dict(redact_headers([("authorization", "dz_bare_token")])) == {
        "authorization": "REDACTED"
    }
    redacted = redact_target("/up/k?X-Amz-Signature=abc123&sig=zz9&part=1")
    assert "abc123" not in redacted and "zz9" not in redacted and "part=1" in redacted
    assert redact_target("/up?signature=abc&part=1") == "/up?signature=REDACTED&part=1"
    leaked = exchange(headers=AUTH, body={"echo": TOKEN}).redacted([TOKEN])
    assert TOKEN.encode() not in leaked.response_body
    assert TOKEN not in leaked.curl()


def test_401_needs_bearer_challenge() -> None:
    judge = Judge()
    found = judge.judge(
        exchange(status=401, body={"detail": "no token"}, headers=(("x-business-id", BUSINESS),))
    )
    assert [v.rule for v in found] == ["CONTRACT §1 401 carries WWW-Authenticate: Bearer"]


def test_missing_token_must_be_401() -> None:
    found = Judge().judge(exchange(body={"items": []}, headers=(("x-business-id", BUSINESS),)))
    assert "CONTRACT §1 401: no/non-Bearer/empty/unknown token" in {v.rule for v in found}


def test_bad_business_header_loc() -> None:
    judge = Judge()
    judge.accepted_tokens.add("token-1")
    body = {"detail": [{"loc": ["header", "x-other"], "msg": "bad", "type": "uuid_parsing"}]}
    found = judge.judge(
        exchange(
            status=422,
            body=body,
            headers=(("authorization", f"Bearer {TOKEN}"), ("x-business-id", "nope")),
        )
    )
    assert {v.rule for v in found} == {
        'CONTRACT §1 422 loc like ["header","x-business-id"] or ["body","s3_key"]'
    }


def test_status_only_bodies_and_one_of_several_locs_are_legal() -> None:
    """Faithful variants (tests/variants ``plain-undocumented``, ``strict-booleans``): a
    413 in plain text (CONTRACT §2 names the status only), and a 422 that names one of
    a bulk body's two problems."""
    judge = Judge()
    judge.accepted_tokens.add("token-1")
    plain = exchange(
        method="POST",
        target="/api/v1/upload/direct",
        headers=AUTH,
        status=413,
        response_headers=(("content-type", "text/plain"),),
    )
    assert judge.judge(plain) == []
    one_loc = exchange(
        method="POST",
        target="/api/v1/invoices/bulk",
        headers=(*AUTH, ("content-type", "application/json")),
        status=422,
        body={"detail": [{"loc": ["body", "finalize"], "msg": "bool", "type": "bool_type"}]},
        request_body=b'{"s3_key": 10000, "finalize": ""}',
    )
    assert judge.judge(one_loc) == []
    wrong_loc = exchange(
        method="POST",
        target="/api/v1/invoices/bulk",
        headers=(*AUTH, ("content-type", "application/json")),
        status=422,
        body={"detail": [{"loc": ["body", "approve"], "msg": "bool", "type": "bool_type"}]},
        request_body=b'{"s3_key": 10000, "finalize": ""}',
    )
    assert [v.rule for v in judge.judge(wrong_loc)] == [
        'CONTRACT §1 422 loc like ["header","x-business-id"] or ["body","s3_key"]'
    ]


def test_undocumented_status_and_paths_not_judged() -> None:
    judge = Judge()
    found = judge.judge(
        exchange(method="POST", target="/api/v1/invoices/bulk", status=200, headers=AUTH, body={})
    )
    assert "CONTRACT §1 only the documented codes may come back" in {v.rule for v in found}
    assert judge.judge(exchange(target="/elsewhere", status=500, body={})) == []


def test_upload_and_csv_parsing() -> None:
    request = httpx.Request(
        "POST",
        "http://x/api/v1/upload/direct",
        files={
            "file": (
                "a.csv",
                "\ufeffCustomer_Email ,due_date,item_description,unit_price,"
                "extra\n\na@b.co,2026-01-01,x,1.5,z\n".encode(),
            )
        },
    )
    request.read()
    data = uploaded_csv(
        exchange(
            method="POST", headers=tuple(request.headers.items()), request_body=request.content
        )
    )
    assert data is not None
    file = parse_csv(data, INVOICES)
    assert file is not None
    assert file.rows == (
        {
            "customer_email": "a@b.co",
            "due_date": "2026-01-01",
            "item_description": "x",
            "unit_price": "1.5",
            "extra": "z",
        },
    )


# -- proofs over loopback ---------------------------------------------------------------


@pytest.fixture(scope="module")
def root_url() -> Iterator[str]:
    with served() as url:
        yield url


def test_whole_suite_through_proxy_sees_no_violation(root_url: str, tmp_path: Path) -> None:
    """(a) and (d): the suite passes through the proxy, which finds nothing, presigned
    PUTs included (routed through it, the suite's tampering checks editing the routed
    URL); the HAR it records holds no token and no signature, and ``judge`` agrees."""
    har = tmp_path / "suite.har"
    state = ProxyState(record=har, route_uploads=True)
    with running_proxy(root_url + PREFIX + FAITHFUL, state) as (url, state):
        done = run_suite(
            url,
            TOKEN,
            BUSINESS,
            "--second-business-id",
            SECOND_BUSINESS,
            "--max-examples",
            "5",
            "--max-expiry-wait",
            "6",
            timeout=SUITE_SECONDS,
        )
        assert state.settle(timeout=SETTLE_SECONDS)
        judge = state.judge
        with judge.lock:
            violations = [v.log_line() for v in judge.violations]
            not_judged = dict(judge.findings.not_judged)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert violations == []
    assert not_judged == {}
    assert judge.oracle_checked > 10 and judge.read_backs > 10, (
        judge.oracle_checked,
        judge.read_backs,
    )
    recording = load_har(har)
    assert recording.closed and len(recording.exchanges) == judge.exchanges
    text = har.read_text()
    assert TOKEN not in text and "REDACTED" in text
    assert "/__proxy/upload/" in text and "signature=REDACTED" in text
    assert not re.search(r"signature=[0-9a-f]{16}", text)
    replay = Judge()
    for item in recording.exchanges:
        replay.judge(item)
    assert replay.violations == []
    assert (replay.judged, replay.oracle_checked) == (judge.judged, judge.oracle_checked)


def _page(ids: list[str], cursor: str | None, next_cursor: str | None) -> Exchange:
    """A valid list page of invoices named ``ids`` (the slice's own example invoice)."""
    slice_ = yaml.safe_load((ROOT / "openapi" / "invoices-list.yaml").read_text())
    example = slice_["paths"]["/api/v1/invoices"]["get"]["responses"]["200"]["content"]
    invoice = example["application/json"]["example"]["items"][0]
    target = "/api/v1/invoices?limit=3" + (f"&cursor={cursor}" if cursor else "")
    body = {
        "items": [
            {**invoice, "id": str(uuid.uuid5(uuid.NAMESPACE_OID, i)), "number": None} for i in ids
        ],
        "total": None,
        "limit": 3,
        "has_next": next_cursor is not None,
        "has_prev": cursor is not None,
        "next_cursor": next_cursor,
        "prev_cursor": None,
    }
    return exchange(target=target, headers=AUTH, body=body)


def _walk_rules(second_page: list[str]) -> set[str]:
    judge = Judge()
    judge.accepted_tokens.add("token-1")
    judge.judge(_page(["a", "b", "c"], None, "c1"))
    return {v.rule for v in judge.judge(_page(second_page, "c1", None))}


def test_a_page_shifted_by_inserts_is_not_judged_a_repeat_elsewhere_is() -> None:
    """An offset cursor after two creations by another client repeats the tail of the page
    before, in order, at its head: legal (CONTRACT §5 says nothing of a list that changes
    during a walk). Any other repeat is what a cursor that revisits items gives."""
    walk = "CONTRACT §5 cursor pagination"
    assert not any(walk in rule for rule in _walk_rules(["b", "c", "d"]))
    assert any(walk in rule for rule in _walk_rules(["a", "d", "e"]))
    assert any(walk in rule for rule in _walk_rules(["c", "b", "d"]))


# Mutants one exchange (or the proxy's memory of earlier ones) reveals, and the rule the
# proxy must name for each; docs/PROXY.md lists them all, caught or not.
SEEN = {
    "created-200": "CONTRACT §1 only the documented codes may come back",
    "wrong-content-type": "CONTRACT §1 JSON in and out",
    "accept-missing-token": "CONTRACT §1 401: no/non-Bearer/empty/unknown token",
    "no-www-authenticate": "CONTRACT §1 401 carries WWW-Authenticate: Bearer",
    "header-loc": "CONTRACT §1 422 loc",
    "half-even": "CONTRACT §3.1 amount = round-half-up",
    "numbers-repeat": "CONTRACT §3.1 finalized invoice numbers are unique",
    "created-unreadable": "CONTRACT §5 GET of a created id returns that entity",
    "flag-not-validated": "finalize/approve not a boolean is 422",
    "foreign-key": "CONTRACT §2 keys belong to the business that uploaded them",
    "oldest-first": "CONTRACT §5 lists are newest first",
    "oversize": "CONTRACT §2 files over 10 MiB are refused with 413",
    "presign-csv-only": "schema: a request the slices' schema accepts is not refused",
    # Seen because the proxy routes the presigned PUT through itself (--route-uploads).
    "tampered-url": "CONTRACT §2 a tampered or expired upload URL is refused with 403",
    "unput-key": "CONTRACT §2 a presigned key whose PUT has not happened yet is not found",
    "put-needs-auth": "no Authorization header is needed there",
    "signature-unchecked": "CONTRACT §2 a tampered or expired upload URL is refused with 403",
    "list-leaks-tenant": "CONTRACT §3 business_id = the x-business-id",
    "has-next-when-full": "CONTRACT §5 has_next/next_cursor are set while more remain",
}


@pytest.mark.parametrize("name", sorted(SEEN))
def test_proxy_names_the_broken_rule(root_url: str, name: str) -> None:
    """(b) the suite's own checks for the mutant, through the proxy."""
    rules = proxied_rules(root_url, BY_NAME[name])
    assert any(SEEN[name] in rule for rule in rules), rules


def listening_url(process: subprocess.Popen[str]) -> str:
    """The URL the proxy printed on its first stderr line, waiting at most LINE_SECONDS:
    a proxy that hangs before listening fails the test instead of hanging it."""
    assert process.stderr is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stderr.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=LINE_SECONDS)
    except queue.Empty:
        pytest.fail(f"the proxy printed nothing in {LINE_SECONDS} s")
    assert "listening on " in line, line
    return line.split("listening on ", 1)[1].split(" ", 1)[0]


def settled_violations(url: str) -> dict[str, object]:
    """``GET /__proxy/violations`` once nothing is pending (judged off the response path)."""
    for _ in range(SETTLE_SECONDS * 10):
        listed: dict[str, object] = httpx.get(f"{url}/__proxy/violations").json()
        if listed["pending"] == 0:
            return listed
        time.sleep(0.1)
    pytest.fail(f"exchanges still pending after {SETTLE_SECONDS} s")


def test_command_reports_on_sigterm(root_url: str, tmp_path: Path) -> None:
    """SIGTERM: reports written, exit 1 after a violation (0 without: test above)."""
    junit, report, har = tmp_path / "p.xml", tmp_path / "p.md", tmp_path / "p.har"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dayzero_twin.contract_tests",
            "proxy",
            "--upstream",
            root_url + PREFIX + "no-www-authenticate",
            "--port",
            "0",
            "--junit-xml",
            str(junit),
            "--report",
            str(report),
            "--record",
            str(har),
        ],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = listening_url(process)
        response = httpx.get(
            f"{url}/api/v1/invoices",
            headers={"x-business-id": BUSINESS, "Authorization": f"Bearer {TOKEN}x"},
        )
        assert response.status_code == 401  # forwarded unchanged
        listed = settled_violations(url)
        assert listed["violation_count"] == 1
        assert [v["rule"] for v in listed["violations"]] == [
            "CONTRACT §1 401 carries WWW-Authenticate: Bearer"
        ]
        # Judged off the response path: these may still be queued when SIGTERM comes,
        # and must be in the reports all the same (the queue is drained first).
        for _ in range(5):
            httpx.get(
                f"{url}/api/v1/invoices",
                headers={"x-business-id": BUSINESS, "Authorization": f"Bearer {TOKEN}x"},
            )
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 1
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert "WWW-Authenticate: Bearer\n\n6 exchange(s)." in report.read_text()
    assert len(read_har(har)) == 6
    assert "<failure" in junit.read_text()
    assert TOKEN not in har.read_text() + report.read_text() + junit.read_text()
    judged = subprocess.run(
        [sys.executable, "-m", "dayzero_twin.contract_tests", "judge", str(har)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert judged.returncode == 1, judged.stderr
    bad = tmp_path / "bad.har"
    bad.write_text("{")
    unreadable = subprocess.run(
        [sys.executable, "-m", "dayzero_twin.contract_tests", "judge", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert unreadable.returncode == 2


def test_forwarding_is_transparent_and_cors_local_only(root_url: str) -> None:
    """Status, headers and body come back unchanged; CORS only for local origins."""
    upstream = root_url + PREFIX + FAITHFUL
    auth = {"Authorization": f"Bearer {TOKEN}", "x-business-id": BUSINESS}
    with running_proxy(upstream) as (url, state):
        direct = httpx.get(f"{upstream}/api/v1/invoices/not-an-id", headers=auth)
        proxied = httpx.get(f"{url}/api/v1/invoices/not-an-id", headers=auth)
        preflight = httpx.options(
            f"{url}/api/v1/invoices/bulk",
            headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"},
        )
        simple = httpx.get(
            f"{url}/api/v1/invoices", headers={**auth, "Origin": "http://127.0.0.1:3000"}
        )
        assert state.settle(timeout=SETTLE_SECONDS)
    volatile = {"date", "x-request-id"}
    assert proxied.status_code == direct.status_code == 404
    assert proxied.content == direct.content
    assert [(k, v) for k, v in proxied.headers.items() if k not in volatile] == [
        (k, v) for k, v in direct.headers.items() if k not in volatile
    ]
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert simple.headers["access-control-allow-origin"] == "http://127.0.0.1:3000"
    assert state.judge.violations == []
