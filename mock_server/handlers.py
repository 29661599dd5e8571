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
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import FormParser, MultiPartParser
from starlette.requests import Request

from mock_server.config import MockConfig
from mock_server.generator import Filler, GenContext, Generator
from mock_server.journal import Journal
from mock_server.negotiation import Reply
from mock_server.scenarios import ScenarioBook
from mock_server.service import MockService
from mock_server.spec import CompiledSpec, OperationSpec
from mock_server.validation import MISSING

# Multipart framing around a file at the size limit must not itself trip the limit.
MULTIPART_SLACK_BYTES = 64 * 1024
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
T = TypeVar("T")


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    """Run a service call that takes the service's lock off the event loop.

    A 10,000-row import holds that lock for a while; on the loop it would stall every
    other request, the admin API included. The loop's default executor costs less per
    hop than anyio's ``to_thread`` (no cancel scope, no limiter), which matters at
    hundreds of small requests a second.
    """
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(function, *args))


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


@dataclass
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


def request_base_url(request: Request) -> str:
    """scheme://host[:port] as the client addressed the mock (Starlette falls back to the
    socket's address when the Host header is not a valid host)."""
    return str(request.base_url).rstrip("/")


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


async def read_capped(request: Request, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``limit`` bytes (nothing more is read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


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
    result = await in_thread(
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
    items = await in_thread(
        ctx.service.bulk_create_invoices,
        ctx.business_id,
        ctx.body["s3_key"],
        bool(ctx.body.get("finalize", False)),
        ctx.base_url,
    )
    return Reply(201, list_envelope(items))


async def bulk_bills(ctx: RequestContext) -> Reply:
    items = await in_thread(
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
    page = await in_thread(
        ctx.service.list_invoices, ctx.business_id, ctx.params["limit"], _cursor(ctx), ctx.base_url
    )
    return Reply(200, page)


async def list_bills(ctx: RequestContext) -> Reply:
    page = await in_thread(
        ctx.service.list_bills, ctx.business_id, ctx.params["limit"], _cursor(ctx), ctx.base_url
    )
    return Reply(200, page)


async def get_invoice(ctx: RequestContext) -> Reply:
    invoice = await in_thread(
        ctx.service.get_invoice, ctx.business_id, ctx.params["invoice_id"], ctx.base_url
    )
    return Reply(200, invoice)


async def get_bill(ctx: RequestContext) -> Reply:
    bill = await in_thread(
        ctx.service.get_bill, ctx.business_id, ctx.params["bill_id"], ctx.base_url
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
