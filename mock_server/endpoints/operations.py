"""Domain handlers: each documented or companion operation mapped onto ``MockService``.

The request pipeline (``mock_server.app``) has already authenticated, validated and
authorized the request when a handler runs; a handler only calls the service and shapes
its answer. Operations without a handler here get :func:`generic_handler`, which answers
from the response schema, so a new slice is served the moment it is added.
"""

from __future__ import annotations

import asyncio
import functools
import random
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from starlette.datastructures import URL, FormData, UploadFile
from starlette.formparsers import FormParser, MultiPartParser
from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive, Scope

from dayzero_twin.mock_server.asgi.journal import Journal
from dayzero_twin.mock_server.config import MockConfig
from dayzero_twin.mock_server.pipeline.generator import Filler, GenContext, Generator
from dayzero_twin.mock_server.pipeline.negotiation import Reply
from dayzero_twin.mock_server.pipeline.scenarios import ScenarioBook
from dayzero_twin.mock_server.pipeline.spec import CompiledSpec, OperationSpec
from dayzero_twin.mock_server.pipeline.validation import MISSING
from dayzero_twin.mock_server.service import MockService

# Multipart framing around a file at the size limit must not itself trip the limit.
MULTIPART_SLACK_BYTES = 64 * 1024
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
# A service call whose last run took less than this may run on the event loop.
INLINE_BUDGET_S = 0.002
COST_SMOOTHING = 0.25
MAX_COST_KEYS = 4096
T = TypeVar("T")

# Service calls in worker threads right now that may hold the service lock for long
# (unmeasured or known to be slow), from every app of the process. Reading it needs no
# lock; changing it does, since tests run several apps, each on its own loop thread.
_heavy_in_threads = 0
_heavy_lock = threading.Lock()


async def in_thread(function: Callable[..., T], *args: Any, heavy: bool = True) -> T:
    """Run a service call that takes the service's lock off the event loop.

    A 10,000-row import holds that lock for a while; on the loop it would stall every
    other request, the admin API included. The loop's default executor costs less per
    hop than anyio's ``to_thread`` (no cancel scope, no limiter), which matters at
    hundreds of small requests a second. ``heavy=False`` marks a call known to be quick.
    """
    global _heavy_in_threads
    loop = asyncio.get_running_loop()
    call = functools.partial(function, *args)
    if not heavy:
        return await loop.run_in_executor(None, call)
    with _heavy_lock:
        _heavy_in_threads += 1
    try:
        return await loop.run_in_executor(None, call)
    finally:
        with _heavy_lock:
            _heavy_in_threads -= 1


class Offloader:
    """Runs a service call on the event loop when it is known to be quick, else in a thread.

    The thread hop costs more than a 6-row import itself (a future, a wake-up, and GIL
    hand-offs that add milliseconds of latency under load), but a 10,000-row import on
    the loop would stall every other request. So a call runs inline only when the last
    successful call with the same cost key (e.g. the same ``s3_key``) took less than
    ``INLINE_BUDGET_S`` and no heavy call (unmeasured, slow, or from the admin API) is
    running in a thread: that thread may hold the service lock for long, and the loop
    must not wait for it. A quick call that meets a heavy one goes to a thread too. The
    first call of a key goes to a thread, to be measured. Threads are measured in CPU
    time, which GIL and lock waits do not inflate; inline calls in wall time, which is
    what the loop lost. Failed calls teach nothing: a key not uploaded yet fails fast
    but may import slowly later.
    """

    def __init__(self) -> None:
        self._costs: dict[Hashable, float] = {}

    async def run(self, key: Hashable, function: Callable[..., T], *args: Any) -> T:
        cost = self._costs.get(key)
        quick = cost is not None and cost < INLINE_BUDGET_S
        if quick and not _heavy_in_threads:
            started = time.perf_counter()
            result = function(*args)
            self._note(key, time.perf_counter() - started)
            return result
        return await in_thread(self._measured, key, function, args, heavy=not quick)

    def _measured(self, key: Hashable, function: Callable[..., T], args: tuple[Any, ...]) -> T:
        started = time.thread_time()
        result = function(*args)
        self._note(key, time.thread_time() - started)
        return result

    def _note(self, key: Hashable, seconds: float) -> None:
        last = self._costs.get(key)
        if last is None:
            if len(self._costs) >= MAX_COST_KEYS:
                self._costs.clear()  # keys are client-chosen: keep the table bounded
            self._costs[key] = seconds
        else:
            # Smoothed: one call stretched by the OS or the collector does not send a
            # cheap key to threads, while a key that became slow crosses over at once.
            self._costs[key] = last + (seconds - last) * COST_SMOOTHING


@dataclass
class Runtime:
    """The state every request shares: config, compiled spec, service and helpers."""

    config: MockConfig
    spec: CompiledSpec
    service: MockService
    generator: Generator
    scenarios: ScenarioBook
    journal: Journal
    rng: random.Random
    offload: Offloader = field(default_factory=Offloader)
    _fillers: dict[int, Filler] = field(default_factory=dict)
    _columns: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def filler(self, schema: dict[str, Any]) -> Filler:
        """The (cached) gap filler of one response schema."""
        key = id(schema)
        filler = self._fillers.get(key)
        if filler is None:
            filler = self._fillers[key] = Filler(schema)
        return filler

    def csv_columns(self, operation: OperationSpec) -> tuple[str, ...]:
        """The CSV header of the kind of file an operation imports, from the service."""
        kind = next((tag for tag in operation.tags if tag in ("invoices", "bills")), None)
        if kind is None:
            return ()
        if kind not in self._columns:
            header = self.service.template_csv(kind).splitlines()[0]
            self._columns[kind] = tuple(c.strip() for c in header.split(",") if c.strip())
        return self._columns[kind]


@dataclass(slots=True)
class RequestContext:
    """A request that passed authentication, validation and authorization."""

    runtime: Runtime
    operation: OperationSpec
    request: Request
    params: dict[str, Any]
    body: Any
    form: FormData | None
    token: str | None
    business_id: UUID | None
    base_url: str

    @property
    def service(self) -> MockService:
        return self.runtime.service

    def gen_context(self) -> GenContext:
        business = str(self.business_id) if self.business_id else None
        return GenContext(base_url=self.base_url, business_id=business)


Handler = Callable[[RequestContext], Awaitable[Reply]]


MAX_BASE_URLS = 256
_base_urls: dict[tuple[Any, ...], str] = {}


def scope_base_url(scope: Scope) -> str:
    """scheme://host[:port] as the client addressed the mock (Starlette falls back to the
    socket's address when the Host header is not a valid host).

    Starlette builds and parses a URL for this on every request; the answer depends only
    on the scheme, the Host header, the socket address and the root path, so it is
    computed by Starlette once per combination and remembered.
    """
    host = None
    for name, value in scope["headers"]:
        if name == b"host":
            host = value
            break
    root = scope.get("app_root_path", scope.get("root_path", ""))
    server = scope.get("server")
    key = (scope.get("scheme", "http"), host, tuple(server) if server else server, root)
    found = _base_urls.get(key)
    if found is None:
        if len(_base_urls) >= MAX_BASE_URLS:
            _base_urls.clear()  # Host is client-chosen: keep the table bounded
        found = _base_urls[key] = _starlette_base_url(scope, root)
    return found


def _starlette_base_url(scope: Scope, root: str) -> str:
    # What ``Request.base_url`` does, so both agree on every Host header.
    path = root if root.endswith("/") else root + "/"
    base_scope = {**scope, "path": path, "query_string": b"", "root_path": root}
    return str(URL(scope=base_scope)).rstrip("/")


def request_base_url(request: Request) -> str:
    """:func:`scope_base_url` of a Starlette request."""
    return scope_base_url(request.scope)


# --------------------------------------------------------------------------- uploads


class BodyTooLarge(Exception):
    """The request body passed the upload limit while streaming."""


async def read_form(request: Request, limit: int) -> tuple[FormData, bool]:
    """Parse a form body without holding more than ``limit`` bytes of it.

    Returns the form and whether the body was too large, in which case reading stopped
    (or never started, when Content-Length already said so) and the form is empty: the
    413 is decided after the 401/422/403 checks. Files are spooled by Starlette's parser.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return FormData(), True
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return FormData(), False

    async def counted() -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > limit:
                raise BodyTooLarge
            yield chunk

    parser: MultiPartParser | FormParser
    if content_type == "multipart/form-data":
        parser = MultiPartParser(request.headers, counted(), max_files=10, max_fields=100)
    else:
        parser = FormParser(request.headers, counted(), max_fields=100)
    try:
        return await parser.parse(), False
    except BodyTooLarge:
        return FormData(), True


async def read_capped(receive: Receive, declared: str | None, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``limit`` bytes (nothing more is read).

    ``declared`` is the Content-Length header. Reads the ASGI messages directly, as
    ``Request.stream()`` does (a disconnect raises ``ClientDisconnect``) without the
    async generator around each chunk.
    """
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    seen = 0
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "http.request":
            chunk = message.get("body", b"")
            if chunk:
                seen += len(chunk)
                if seen > limit:
                    return None
                chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        elif kind == "http.disconnect":
            raise ClientDisconnect


def form_value(form: FormData, name: str) -> Any:
    """A form field as FastAPI extracts it: empty strings and empty files are absent."""
    value = form.get(name)
    if value is None or value == "":
        return MISSING
    if isinstance(value, UploadFile) and not value.filename and value.size == 0:
        return MISSING
    return value


async def upload_direct(ctx: RequestContext) -> Reply:
    upload: UploadFile = ctx.body["file"]
    data = await upload.read()
    result = await in_thread(
        ctx.service.upload_direct,
        ctx.business_id,
        upload.filename or "upload.csv",
        upload.content_type,
        data,
    )
    return Reply(200, result)


async def create_upload_url(ctx: RequestContext) -> Reply:
    result = await ctx.runtime.offload.run(
        "create_upload_url",
        ctx.service.create_upload_url,
        ctx.business_id,
        ctx.body["filename"],
        ctx.body.get("content_type"),
        ctx.base_url,
    )
    return Reply(200, result)


# --------------------------------------------------------------------------- bulk


def list_envelope(items: list[dict[str, Any]]) -> dict[str, Any]:
    """CONTRACT §4: every created item, nothing to page through."""
    return {
        "items": items,
        "total": len(items),
        "limit": None,
        "next_cursor": None,
        "prev_cursor": None,
        "has_next": False,
        "has_prev": False,
    }


async def bulk_invoices(ctx: RequestContext) -> Reply:
    items = await ctx.runtime.offload.run(
        ("invoices", ctx.body["s3_key"]),
        ctx.service.bulk_create_invoices,
        ctx.business_id,
        ctx.body["s3_key"],
        bool(ctx.body.get("finalize", False)),
        ctx.base_url,
    )
    return Reply(201, list_envelope(items))


async def bulk_bills(ctx: RequestContext) -> Reply:
    items = await ctx.runtime.offload.run(
        ("bills", ctx.body["s3_key"]),
        ctx.service.bulk_create_bills,
        ctx.business_id,
        ctx.body["s3_key"],
        bool(ctx.body.get("approve", False)),
        ctx.base_url,
    )
    return Reply(201, list_envelope(items))


# --------------------------------------------------------------------------- read back


def _cursor(ctx: RequestContext) -> str | None:
    # An empty ?cursor= means "first page", as a client building URLs naively sends it.
    return ctx.params.get("cursor") or None


async def list_invoices(ctx: RequestContext) -> Reply:
    page = await ctx.runtime.offload.run(
        ("list_invoices", ctx.params["limit"]),
        ctx.service.list_invoices,
        ctx.business_id,
        ctx.params["limit"],
        _cursor(ctx),
        ctx.base_url,
    )
    return Reply(200, page)


async def list_bills(ctx: RequestContext) -> Reply:
    page = await ctx.runtime.offload.run(
        ("list_bills", ctx.params["limit"]),
        ctx.service.list_bills,
        ctx.business_id,
        ctx.params["limit"],
        _cursor(ctx),
        ctx.base_url,
    )
    return Reply(200, page)


async def get_invoice(ctx: RequestContext) -> Reply:
    invoice = await ctx.runtime.offload.run(
        "get_invoice",
        ctx.service.get_invoice,
        ctx.business_id,
        ctx.params["invoice_id"],
        ctx.base_url,
    )
    return Reply(200, invoice)


async def get_bill(ctx: RequestContext) -> Reply:
    bill = await ctx.runtime.offload.run(
        "get_bill", ctx.service.get_bill, ctx.business_id, ctx.params["bill_id"], ctx.base_url
    )
    return Reply(200, bill)


def _template(kind: str) -> Handler:
    async def template(ctx: RequestContext) -> Reply:
        text = ctx.service.template_csv(kind)
        return Reply(
            200,
            content=text.encode("utf-8"),
            media_type=CSV_MEDIA_TYPE,
            headers={"content-disposition": f'attachment; filename="{kind}-template.csv"'},
        )

    return template


HANDLERS: dict[str, Handler] = {
    "upload_direct_api_v1_upload_direct_post": upload_direct,
    "create_upload_url_api_v1_upload_post": create_upload_url,
    "create_bulk_invoices_api_v1_invoices_bulk_post": bulk_invoices,
    "create_bulk_bills_api_v1_bills_bulk_post": bulk_bills,
    "list_invoices_api_v1_invoices_get": list_invoices,
    "list_bills_api_v1_bills_get": list_bills,
    "get_invoice_api_v1_invoices__invoice_id__get": get_invoice,
    "get_bill_api_v1_bills__bill_id__get": get_bill,
    "get_invoices_template_api_v1_invoices_bulk_template_get": _template("invoices"),
    "get_bills_template_api_v1_bills_bulk_template_get": _template("bills"),
}


# --------------------------------------------------------------------------- generic


async def generic_handler(ctx: RequestContext) -> Reply:
    """Answer an operation the domain does not know from its success response schema."""
    operation = ctx.operation
    status = operation.success_status
    spec = operation.response(status)
    generator: Generator = ctx.runtime.generator
    if spec is None or spec.media_type is None:
        return Reply(status, content=b"", media_type=None)
    if spec.media_type.startswith("text/"):
        return Reply(status, content=generator.csv_text().encode(), media_type=spec.media_type)
    if spec.schema is None:
        return Reply(status, content=b"", media_type=spec.media_type)
    return Reply(status, generator.value(spec.schema, ctx=ctx.gen_context()))


def handler_for(operation: OperationSpec) -> Handler:
    return HANDLERS.get(operation.operation_id, generic_handler)
