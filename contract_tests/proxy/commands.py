"""``dayzero-contract proxy`` and ``dayzero-contract judge``: the command lines.

Exit status as the suite's: 0 no violation seen, 1 at least one, 2 the tool could not
run (an unreadable recording, a port in use).
"""

from __future__ import annotations

import asyncio
import contextlib
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
from dayzero_twin.contract_tests.proxy.har import HarError, read_har, write_har
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
def proxy(
    upstream: str,
    host: str,
    port: int,
    junit_xml: str | None,
    report: str | None,
    record: str | None,
    timeout: float,
) -> int:
    """Forward traffic to --upstream unchanged and judge every exchange by the suite's
    rules. Ctrl-C or SIGTERM writes the reports; exit 0 when no violation was seen, 1
    otherwise. GET /__proxy/violations lists them; POST /__proxy/report writes reports."""
    logging.basicConfig(level=logging.INFO, format="proxy: %(message)s", stream=sys.stderr)
    # httpx logs every URL at INFO: presigned URLs carry signatures.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    state = ProxyState(record=record is not None)

    def on_report() -> list[str]:
        with state.judge.lock:
            violations = list(state.judge.violations)
            judged, exchanges = state.judge.judged, state.judge.exchanges
            recorded = list(state.recorded)
        written = write_reports(violations, judged, exchanges, upstream, junit_xml, report)
        if record:
            write_har(record, recorded)
            written.append(record)
        return written

    state.on_report = on_report
    app, client = build(upstream, state, timeout)
    try:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(256)
    except OSError as error:
        click.echo(f"proxy: cannot listen on {host}:{port}: {error}", err=True)
        return EXIT_ERROR
    bound = sock.getsockname()[1]
    click.echo(f"proxy: listening on http://{host}:{bound} -> {upstream}", err=True)
    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", server_header=False, date_header=False
    )
    server = QuietServer(config)
    try:
        asyncio.run(serve(server, sock, client))
    finally:
        sock.close()
    written = on_report()
    judge = state.judge
    verdict = "no violation" if not judge.violations else f"{len(judge.violations)} violation(s)"
    click.echo(
        f"proxy: {judge.exchanges} exchanges, {judge.judged} judged "
        f"({judge.oracle_checked} bulk 201s against their file, {judge.read_backs} read-backs), "
        f"{verdict}" + (f"; wrote {', '.join(written)}" if written else ""),
        err=True,
    )
    return EXIT_BROKEN if judge.violations else EXIT_KEPT


@click.command("judge")
@click.argument("recording", type=click.Path(dir_okay=False))
@_reports
def judge(recording: str, junit_xml: str | None, report: str | None) -> int:
    """Judge a HAR recording (e.g. from proxy --record) with the proxy's rules.
    Exit 0 no violation, 1 violations, 2 unreadable file."""
    try:
        exchanges = read_har(recording)
    except HarError as error:
        click.echo(f"judge: {error}", err=True)
        return EXIT_ERROR
    found = Judge()
    for exchange in exchanges:
        for violation in found.judge(exchange):
            click.echo(violation.log_line(), err=True)
    write_reports(found.violations, found.judged, found.exchanges, recording, junit_xml, report)
    click.echo(
        f"judge: {found.exchanges} exchanges, {found.judged} judged ({found.oracle_checked} "
        f"bulk 201s against their file, {found.read_backs} read-backs), "
        f"{len(found.violations)} violation(s)",
        err=True,
    )
    return EXIT_BROKEN if found.violations else EXIT_KEPT
