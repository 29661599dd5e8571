"""``dayzero-contract proxy`` and ``dayzero-contract judge``: the command lines.

Exit status as the suite's: 0 no violation seen, 1 at least one, 2 the tool could not
run (an unreadable recording, a port in use).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import socket
import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import click
import httpx
import uvicorn

from dayzero_twin.contract_tests.exits import EXIT_BROKEN, EXIT_ERROR, EXIT_KEPT
from dayzero_twin.contract_tests.options import (
    BaseUrlParam,
    as_decorator,
    junit_xml_option,
    report_option,
)
from dayzero_twin.contract_tests.proxy.app import ProxyState, build
from dayzero_twin.contract_tests.proxy.config import ProxyConfig
from dayzero_twin.contract_tests.proxy.har import HarError, load_har
from dayzero_twin.contract_tests.proxy.judge import Judge
from dayzero_twin.contract_tests.proxy.report import write_reports

LOG = logging.getLogger("dayzero.proxy")


F = TypeVar("F", bound=Callable[..., Any])


def _option(*decls: str, envvar: str, **attrs: Any) -> Callable[[F], F]:
    """A click option that names its environment variable in --help."""
    return click.option(*decls, envvar=envvar, show_envvar=True, **attrs)


def _reports(function: F) -> F:
    function = as_decorator(
        junit_xml_option("PROXY_JUNIT_XML", "Write a JUnit XML report, one case per broken rule.")
    )(function)
    return as_decorator(
        report_option(
            "PROXY_REPORT",
            "Write a Markdown report: each broken rule with redacted curl reproductions.",
        )
    )(function)


class QuietServer(uvicorn.Server):
    """uvicorn's server without its signal capture, which re-raises SIGINT/SIGTERM once
    it has stopped (killing the process before the reports are written); :func:`serve`
    installs handlers that only ask the server to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(server: uvicorn.Server, sock: socket.socket, client: httpx.AsyncClient) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, lambda: setattr(server, "should_exit", True))
    try:
        await server.serve(sockets=[sock])
    finally:
        await client.aclose()


def tuned(config: ProxyConfig, settings: tuple[str, ...]) -> ProxyConfig:
    """``config`` with each ``NAME=VALUE`` applied (a positive number for each bound)."""
    names = {f.name: f for f in dataclasses.fields(ProxyConfig)}
    changes: dict[str, Any] = {}
    for setting in settings:
        name, _, text = setting.partition("=")
        if name.strip() not in names:
            raise click.BadParameter(
                f"{name!r} is not a bound; one of {', '.join(sorted(names))}", param_hint="--tune"
            )
        kind = float if isinstance(getattr(config, name.strip()), float) else int
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if value <= 0:
            raise click.BadParameter(f"{setting!r}: a positive number", param_hint="--tune")
        changes[name.strip()] = value
    return dataclasses.replace(config, **changes)


@click.command("proxy")
@_option(
    "--upstream",
    envvar="PROXY_UPSTREAM",
    type=BaseUrlParam(),
    required=True,
    help="The implementation to forward to, e.g. https://sandbox.example.com.",
)
@_option(
    "--host",
    envvar="PROXY_HOST",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on.",
)
@_option(
    "--port",
    envvar="PROXY_PORT",
    type=click.IntRange(0, 65535),
    default=4011,
    show_default=True,
    help="Port to listen on (0: any free port, printed).",
)
@_reports
@_option(
    "--record",
    envvar="PROXY_RECORD",
    type=click.Path(dir_okay=False),
    metavar="FILE.har",
    help="Record every exchange (secrets redacted) as HAR 1.2.",
)
@_option(
    "--timeout",
    envvar="PROXY_TIMEOUT",
    type=click.FloatRange(0, min_open=True),
    default=60.0,
    show_default=True,
    help="Upstream timeout, seconds.",
)
@_option(
    "--route-uploads/--no-route-uploads",
    envvar="PROXY_ROUTE_UPLOADS",
    default=False,
    show_default=True,
    help="Rewrite the upload_url of each presign answer (POST /api/v1/upload 200) to an "
    "address of this proxy that forwards the PUT, unchanged, to the original URL, so the "
    "presigned upload is judged too. The one alteration of an upstream answer the proxy "
    "makes, and only with this option; it forwards only to upload URLs it rewrote "
    "(anything else: 404).",
)
@_option(
    "--tune",
    envvar="PROXY_TUNE",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a bound of ProxyConfig (docs/PROXY.md), e.g. --tune max_upload_bytes=33554432.",
)
def proxy(
    upstream: str,
    host: str,
    port: int,
    junit_xml: str | None,
    report: str | None,
    record: str | None,
    timeout: float,
    route_uploads: bool,
    tune: tuple[str, ...],
) -> int:
    """Forward traffic to --upstream unchanged (but for --route-uploads) and judge every
    exchange by the suite's rules. Ctrl-C or SIGTERM writes the reports; exit 0 when no
    violation was seen, 1 otherwise. GET /__proxy/violations lists them; POST
    /__proxy/report writes reports."""
    logging.basicConfig(level=logging.INFO, format="proxy: %(message)s", stream=sys.stderr)
    # httpx logs every URL at INFO: presigned URLs carry signatures.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    state = ProxyState(
        tuned(ProxyConfig(timeout=timeout), tune), record=record, route_uploads=route_uploads
    )

    def on_report() -> list[str]:
        # Under steady traffic the queue may never be empty: report what is judged by then.
        if not state.settle(state.config.drain_seconds):
            LOG.warning(
                "report written with %d exchange(s) still being judged", state.worker.pending
            )
        with state.judge.lock:
            findings = state.judge.findings.snapshot()
            judged, exchanges = state.judge.judged, state.judge.exchanges
        written = write_reports(findings, judged, exchanges, upstream, junit_xml, report)
        if record:
            written.append(record)  # streamed entry by entry: already up to date
        return written

    state.on_report = on_report
    app, client = build(upstream, state)
    try:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(256)
    except OSError as error:
        click.echo(f"proxy: cannot listen on {host}:{port}: {error}", err=True)
        state.close()
        return EXIT_ERROR
    bound = sock.getsockname()[1]
    click.echo(f"proxy: listening on http://{host}:{bound} -> {upstream}", err=True)
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="off",
        server_header=False,
        date_header=False,
        limit_concurrency=state.config.max_connections,
    )
    server = QuietServer(config)
    try:
        asyncio.run(serve(server, sock, client))
    finally:
        sock.close()
        pending = state.worker.pending
        if pending:
            click.echo(f"proxy: judging the {pending} exchange(s) still queued", err=True)
        state.close()  # every queued exchange judged and recorded, the HAR closed
    written = on_report()
    judge = state.judge
    total = judge.findings.total
    verdict = "no violation" if not total else f"{total} violation(s)"
    skipped = sum(judge.findings.not_judged.values())
    click.echo(
        f"proxy: {judge.exchanges} exchanges, {judge.judged} judged "
        f"({judge.oracle_checked} bulk 201s against their file, {judge.read_backs} read-backs"
        + (f", {skipped} not judged" if skipped else "")
        + f"), {verdict}"
        + (f"; wrote {', '.join(written)}" if written else ""),
        err=True,
    )
    return EXIT_BROKEN if total else EXIT_KEPT


@click.command("judge")
@click.argument("recording", type=click.Path(dir_okay=False))
@_reports
def judge(recording: str, junit_xml: str | None, report: str | None) -> int:
    """Judge a HAR recording (e.g. from proxy --record) with the proxy's rules.
    Exit 0 no violation, 1 violations, 2 unreadable file."""
    try:
        recording_ = load_har(recording)
    except HarError as error:
        click.echo(f"judge: {error}", err=True)
        return EXIT_ERROR
    if not recording_.closed:
        click.echo(
            f"judge: {recording} was not closed (the proxy did not stop normally); judging "
            f"its {len(recording_.exchanges)} whole entries",
            err=True,
        )
    found = Judge()
    for exchange in recording_.exchanges:
        for violation in found.judge(exchange):
            click.echo(violation.log_line(), err=True)
    findings = found.findings
    write_reports(findings, found.judged, found.exchanges, recording, junit_xml, report)
    skipped = sum(findings.not_judged.values())
    click.echo(
        f"judge: {found.exchanges} exchanges, {found.judged} judged ({found.oracle_checked} "
        f"bulk 201s against their file, {found.read_backs} read-backs"
        + (f", {skipped} not judged" if skipped else "")
        + f"), {findings.total} violation(s)",
        err=True,
    )
    return EXIT_BROKEN if findings.total else EXIT_KEPT
