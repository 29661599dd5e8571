"""``dayzero-mock`` / ``python -m mock_server``: run the offline twin on a loopback port.

Every option can also come from a ``MOCK_*`` environment variable (``MOCK_PORT``,
``MOCK_SEED``, ``MOCK_CLOCK``…), which is how ``make mock PORT=… SEED=…`` and container
setups pass them; a command-line option wins over its variable.
"""

from __future__ import annotations

import copy
import functools
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import uvicorn
from uvicorn.config import LOGGING_CONFIG

from dayzero_twin.mock_server import exposure
from dayzero_twin.mock_server.app import CONFIG_ENV, create_app
from dayzero_twin.mock_server.config import DEFAULT_CORS_ORIGIN_REGEX, MockConfig
from dayzero_twin.mock_server.pipeline.scenarios import parse_latency
from dayzero_twin.mock_server.server import server_options
from dayzero_twin.mock_server.service import MockService
from dayzero_twin.mock_server.storage.errors import DataDirError
from dayzero_twin.openapi.bundle import SLICE_DIR, BundleError


class ClockParam(click.ParamType[datetime | None, Any]):
    name = "RFC3339"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime) or value is None:
            return value
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not an RFC 3339 date-time (2026-01-15T09:00:00Z)", param, ctx)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class LatencyParam(click.ParamType[tuple[int, int], Any]):
    name = "MS|MIN-MAX"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        try:
            return parse_latency(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


class RegexParam(click.ParamType[str, Any]):
    name = "REGEX"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            re.compile(str(value))
        except re.error as error:
            self.fail(f"not a regular expression: {error}", param, ctx)
        return str(value)


def _log_config(quiet: bool) -> dict[str, Any]:
    """uvicorn's logging, plus the mock's one line per request; no uvicorn access log."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["dayzero.mock"] = {
        "handlers": ["default"],
        "level": "WARNING" if quiet else "INFO",
        "propagate": False,
    }
    return config


def banner(config: MockConfig, service: MockService, url: str) -> str:
    """What a developer needs to start calling the mock, on one screen."""
    world = service.world()
    names = {b["id"]: b["name"] for b in world.get("businesses", [])}
    lines = [
        "DayZero mock — offline twin of the DayZero bulk-import API",
        exposure.url_line(config, url),
        f"  Docs      {url}/docs  (ReDoc: {url}/redoc, OpenAPI: {url}/openapi.json)",
        f"  Admin     {url}/__mock/health · world · journal · samples · scenarios · reset",
        "  Mode      "
        + " · ".join(
            [
                f"seed {config.seed}",
                f"clock {config.clock.isoformat().replace('+00:00', 'Z')}"
                if config.clock
                else "wall clock",
                f"data in {config.data_dir}" if config.data_dir else "data in memory",
                "latency {}-{} ms".format(*config.latency_ms) if any(config.latency_ms) else "",
                "CORS off" if not config.cors_origin_regex else "CORS on",
            ]
        ).replace(" ·  · ", " · "),
        *exposure.banner_lines(config, url),
        "  Tokens",
    ]
    for token, businesses in world.get("tokens", {}).items():
        listed = ", ".join(f"{names.get(b, '?')} ({b})" for b in businesses)
        lines.append(f"    {token} → {listed}")
    samples = service.samples()
    if samples:
        lines.append("  Samples   (any business can use these s3_keys)")
        named = [s for s in samples if not GENERATED_SAMPLE.search(s["key"])]
        width = max(len(s["key"]) for s in named) if named else 0
        lines.extend(f"    {s['key']:<{width}}  → {s['expect']}  {s['description']}" for s in named)
        if len(named) < len(samples):
            lines.append("    samples/invoices-N.csv, samples/bills-N.csv: N generated rows, any N")
    token = next(iter(world.get("tokens", {})), "dz_mock_token")
    business = next(iter(world.get("tokens", {}).get(token, [])), "<business id>")
    lines += [
        "  Try",
        f"    curl -X POST {url}/api/v1/invoices/bulk -H 'Authorization: Bearer {token}' \\",
        f"      -H 'x-business-id: {business}' -H 'Content-Type: application/json' \\",
        "      -d '{\"s3_key\": \"samples/invoices.csv\"}'",
        "  Ctrl-C stops the mock.",
    ]
    return "\n".join(lines)


GENERATED_SAMPLE = re.compile(r"-\d+\.csv$")
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
# Every option names its environment variable in --help.
option = functools.partial(click.option, show_envvar=True)


@click.command(context_settings=CONTEXT)
@option("--host", default=MockConfig.host, show_default=True, envvar="MOCK_HOST",
              help="Interface to bind; keep the loopback default unless you mean to share it.")
@option("--port", type=click.IntRange(0, 65535), default=MockConfig.port, show_default=True,
              envvar="MOCK_PORT", help="TCP port (Prism's default, so clients need no change).")
@option("--openapi-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              envvar="MOCK_OPENAPI_DIR",
              help="Serve the slices of this folder instead of the project's openapi/.")
@option("--seed", type=int, default=MockConfig.seed, show_default=True, envvar="MOCK_SEED",
              help="Seed of every id and generated value.")
@option("--clock", type=ClockParam(), envvar="MOCK_CLOCK",
              help="Start the mock's clock here and advance it 1 s per request, for "
                   "reproducible responses (e.g. 2026-01-15T09:00:00Z). Default: wall clock.")
# No file_okay=False: the store checks the path itself and says so in one line.
@option("--data-dir", type=click.Path(path_type=Path),
              envvar="MOCK_DATA_DIR", help="Keep created data in SQLite here across restarts.")
@option("--world", "world_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path), envvar="MOCK_WORLD",
              help="YAML file of tokens, businesses, customers and vendors.")
@option("--latency", type=LatencyParam(), default="0", envvar="MOCK_LATENCY",
              help="Delay every API response: MS, or MIN-MAX for a random delay.")
@option("--cors-origin", type=RegexParam(), default=DEFAULT_CORS_ORIGIN_REGEX,
              envvar="MOCK_CORS_ORIGIN", show_default="any localhost/127.0.0.1 origin",
              help="Regular expression of the browser origins allowed by CORS.")
@option("--no-cors", is_flag=True, envvar="MOCK_NO_CORS", help="Send no CORS headers.")
@option("--public-base-url", envvar="MOCK_PUBLIC_BASE_URL",
              help="Base of the URLs in responses (pdf_url, upload_url) when clients reach "
                   "the mock through a proxy. Default: the URL the client used.")
@option("--presign-ttl", type=click.IntRange(1), default=MockConfig.presign_ttl_seconds,
              show_default=True, envvar="MOCK_PRESIGN_TTL",
              help="Seconds a presigned upload URL stays valid (short values test expiry).")
@option("--journal-size", type=click.IntRange(1), default=MockConfig.journal_size,
              show_default=True, envvar="MOCK_JOURNAL_SIZE",
              help="Requests kept for GET /__mock/journal.")
# Admin API protections and connection limits.
@option("--admin-token", envvar="MOCK_ADMIN_TOKEN",
              help="Require this token (Authorization: Bearer or X-Mock-Admin-Token) on every "
                   "/__mock/ admin call. Default: none on loopback; generated and printed when "
                   "--host is not a loopback address.")
@option("--allowed-host", "allowed_hosts", multiple=True, envvar="MOCK_ALLOWED_HOSTS",
              help="Another Host name to answer (repeatable; the variable takes a space- or "
                   "comma-separated list; '*' turns the check off, '.example.test' a domain). "
                   "localhost, IP addresses and the --host / --public-base-url names always pass.")
@option("--header-timeout", type=click.FloatRange(min=0.001),
              default=MockConfig.header_timeout_seconds, show_default=True,
              envvar="MOCK_HEADER_TIMEOUT",
              help="Seconds a connection may take to send a complete request head.")
@option("--body-timeout", type=click.FloatRange(min=0.001),
              default=MockConfig.body_timeout_seconds, show_default=True,
              envvar="MOCK_BODY_TIMEOUT",
              help="Seconds a client may pause while sending a request body (then 408).")
@option("--max-header-bytes", type=click.IntRange(1024), default=MockConfig.max_header_bytes,
              show_default=True, envvar="MOCK_MAX_HEADER_BYTES",
              help="Largest request head (then 431).")
@option("--max-admin-body-bytes", type=click.IntRange(1), default=MockConfig.max_admin_body_bytes,
              show_default=True, envvar="MOCK_MAX_ADMIN_BODY_BYTES",
              help="Largest body of a /__mock/ admin call (then 413).")
@option("--reload", is_flag=True, envvar="MOCK_RELOAD",
              help="Restart when the slices or the world file change.")
@option("--quiet", "-q", is_flag=True, envvar="MOCK_QUIET",
              help="No banner and no per-request log lines.")
# Bounded storage.
@option("--max-entities-per-business", type=click.IntRange(0),
        default=MockConfig.max_entities_per_business, show_default=True,
        envvar="MOCK_MAX_ENTITIES_PER_BUSINESS",
        help="Invoices and bills kept per business; past it the oldest are evicted "
             "(never an import's own). 0: no limit.")
@option("--max-uploads-per-business", type=click.IntRange(0),
        default=MockConfig.max_uploads_per_business, show_default=True,
        envvar="MOCK_MAX_UPLOADS_PER_BUSINESS",
        help="Uploads kept per business; past it the least recently used go. 0: no limit.")
@option("--max-upload-bytes-per-business", type=click.IntRange(0),
        default=MockConfig.max_upload_bytes_per_business, show_default=True,
        envvar="MOCK_MAX_UPLOAD_BYTES_PER_BUSINESS",
        help="Bytes of uploads kept per business, evicted like --max-uploads-per-business.")
@option("--journal-max-bytes", type=click.IntRange(1),
        default=MockConfig.journal_max_bytes, show_default=True,
        envvar="MOCK_JOURNAL_MAX_BYTES",
        help="Bytes the request journal may hold in all; the oldest entries go first.")
def main(**options: Any) -> None:
    """Run the offline twin of DayZero's bulk-import API.

    It serves every operation of the OpenAPI slices with the contract's behaviour
    (docs/CONTRACT.md): uploads, bulk invoices and bills from CSV, reading back,
    with the same 401/422/403/400 answers as the real API. Force any response with
    the header `Prefer: code=503`, slow one down with `Prefer: delay=2000`, break the
    connection with `Prefer: fault=connection_reset`.
    """
    config = MockConfig(
        host=options["host"],
        port=options["port"],
        openapi_dir=options["openapi_dir"],
        seed=options["seed"],
        clock=options["clock"],
        data_dir=options["data_dir"],
        world_file=options["world_file"],
        latency_ms=options["latency"],
        cors_origin_regex=None if options["no_cors"] else options["cors_origin"],
        public_base_url=(options["public_base_url"] or "").rstrip("/") or None,
        journal_size=options["journal_size"],
        presign_ttl_seconds=options["presign_ttl"],
        log_requests=not options["quiet"],
        reload=options["reload"],
        **exposure.config_values(options),
        max_entities_per_business=options["max_entities_per_business"],
        max_uploads_per_business=options["max_uploads_per_business"],
        max_upload_bytes_per_business=options["max_upload_bytes_per_business"],
        journal_max_bytes=options["journal_max_bytes"],
    )
    url = config.public_base_url or f"http://{_url_host(config.host)}:{config.port}"
    quiet = options["quiet"]
    common: dict[str, Any] = {
        "host": config.host,
        "port": config.port,
        "log_config": _log_config(quiet),
        "log_level": "warning" if quiet else "info",
        "access_log": False,
        "timeout_graceful_shutdown": 3,
        **server_options(config),
    }
    try:
        app = create_app(config) if not config.reload else None
        service = app.state.service if app is not None else MockService(config)
        if not quiet:
            click.echo(banner(config, service, url))
        else:  # even quiet, say who can reach it and the key that was generated
            for line in exposure.network_lines(config, url):
                click.echo(line, err=True)
        if app is None:
            service.close()
    except (BundleError, DataDirError, OSError, ValueError) as error:
        # One line and a non-zero exit: a host fault is not a bug, so no traceback.
        raise click.ClickException(" ".join(str(error).split())) from None
    if app is not None:
        uvicorn.run(app, **common)
        return
    os.environ[CONFIG_ENV] = config.to_json()
    watched = [str(config.openapi_dir or SLICE_DIR)]
    if config.world_file is not None:
        watched.append(str(config.world_file.resolve().parent))
    uvicorn.run(
        "dayzero_twin.mock_server.app:create_app_from_env",
        factory=True,
        reload=True,
        reload_dirs=watched,
        reload_includes=["*.yaml", "*.yml", "*.json"],
        **common,
    )


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
