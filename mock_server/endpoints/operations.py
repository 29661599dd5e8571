"""Domain handlers: each documented operation mapped onto ``MockService``.

The pipeline (``endpoints.operation_endpoint``) has already authenticated, validated
and authorized the request when a handler runs; a handler only calls the service and
shapes its answer. Invoices and bills share every handler, told apart by their
:class:`~dayzero_twin.mock_server.domain.kinds.Kind`. Operations without a handler here
get :func:`~dayzero_twin.mock_server.endpoints.generic.generic_handler`.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from starlette.datastructures import UploadFile

from dayzero_twin.mock_server.domain.kinds import KINDS, Kind
from dayzero_twin.mock_server.endpoints.context import Handler, RequestContext
from dayzero_twin.mock_server.endpoints.generic import generic_handler
from dayzero_twin.mock_server.pipeline.negotiation import Reply
from dayzero_twin.mock_server.pipeline.spec import OperationSpec

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
DEFAULT_UPLOAD_FILENAME = "upload.csv"


async def upload_direct(ctx: RequestContext) -> Reply:
    upload: UploadFile = ctx.body["file"]
    data = await upload.read()
    result = await ctx.runtime.offload.in_thread(
        ctx.service.upload_direct,
        ctx.business_id,
        upload.filename or DEFAULT_UPLOAD_FILENAME,
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


def bulk_import(kind: Kind) -> Handler:
    """``POST {kind.path}/bulk``: import an uploaded file of ``kind`` all-or-nothing."""

    async def import_file(ctx: RequestContext) -> Reply:
        s3_key = ctx.body["s3_key"]
        items = await ctx.runtime.offload.run(
            (kind.name, s3_key),
            ctx.service.bulk_create,
            kind,
            ctx.business_id,
            s3_key,
            bool(ctx.body.get(kind.publish_flag, False)),
            ctx.base_url,
        )
        return Reply(201, list_envelope(items))

    return import_file


def list_page(kind: Kind) -> Handler:
    """``GET {kind.path}``: one page of the business's documents, newest first."""

    async def page(ctx: RequestContext) -> Reply:
        limit = ctx.params["limit"]
        # An empty ?cursor= means "first page", as a client building URLs naively sends it.
        cursor = ctx.params.get("cursor") or None
        found = await ctx.runtime.offload.run(
            ("list", kind.name, limit),
            ctx.service.list_page,
            kind,
            ctx.business_id,
            limit,
            cursor,
            ctx.base_url,
        )
        return Reply(200, found)

    return page


def read_one(kind: Kind) -> Handler:
    """``GET {kind.path}/{id}``: one document of the business."""

    async def read(ctx: RequestContext) -> Reply:
        document = await ctx.runtime.offload.run(
            ("get", kind.name),
            ctx.service.get,
            kind,
            ctx.business_id,
            ctx.params[kind.id_param],
            ctx.base_url,
        )
        return Reply(200, document)

    return read


def csv_template(kind: Kind) -> Handler:
    """``GET {kind.path}/bulk/template``: the header row of the kind's CSV file."""
    disposition = f'attachment; filename="{kind.template_filename}"'

    async def template(ctx: RequestContext) -> Reply:
        text = ctx.service.template_csv(kind.name)
        return Reply(
            200,
            content=text.encode("utf-8"),
            media_type=CSV_MEDIA_TYPE,
            headers={"content-disposition": disposition},
        )

    return template


def _handlers() -> dict[tuple[str, str], Handler]:
    handlers: dict[tuple[str, str], Handler] = {
        ("POST", "/api/v1/upload/direct"): upload_direct,
        ("POST", "/api/v1/upload"): create_upload_url,
    }
    for kind in KINDS:
        handlers["POST", f"{kind.path}/bulk"] = bulk_import(kind)
        handlers["GET", kind.path] = list_page(kind)
        handlers["GET", f"{kind.path}/{{{kind.id_param}}}"] = read_one(kind)
        handlers["GET", f"{kind.path}/bulk/template"] = csv_template(kind)
    return handlers


# By method and path template, as the contract names operations.
HANDLERS = MappingProxyType(_handlers())


def handler_for(operation: OperationSpec) -> Handler:
    return HANDLERS.get((operation.method, operation.path), generic_handler)
