"""``/__mock/…``: the mock's own API, outside the contract and outside the slices.

Health, reset, the world (tokens, businesses, seeded customers and vendors), what each
business holds now, the request journal, the sample catalogue, armed scenarios, the
inspector page over all of these (:mod:`.inspector`), and the two URLs the domain hands
out in responses: the presigned PUT target and the invoice PDF. Who may call what is decided in
front of these routes (:mod:`mock_server.asgi.guard`): the PUT URL carries its own
signature and the PDF link is meant to open in a browser, so neither needs the admin
token; the journal hides credentials (:mod:`mock_server.asgi.redact`).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dayzero_twin.mock_server.asgi import redact
from dayzero_twin.mock_server.asgi.capped_body import read_capped
from dayzero_twin.mock_server.asgi.journal import OPERATION_KEY
from dayzero_twin.mock_server.endpoints.inspector import inspector_routes
from dayzero_twin.mock_server.pipeline.negotiation import error_reply
from dayzero_twin.mock_server.pipeline.scenarios import (
    Scenario,
    ScenarioBookFull,
    ScenarioError,
)
from dayzero_twin.mock_server.runtime import Runtime
from dayzero_twin.mock_server.service import ServiceError

PREFIX = "/__mock"
MAX_HELD_ITEMS = 100  # newest items listed per kind and business by GET businesses


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(orjson.dumps(payload), status, headers, media_type="application/json")


def service_error_response(error: ServiceError) -> Response:
    reply = error_reply(error.status_code, error.message)
    return json_response(reply.payload, reply.status, reply.headers)


def _optional_uuid(text: str | None) -> UUID | None:
    if not text:
        return None
    try:
        return UUID(text)
    except ValueError:
        return None


def admin_routes(runtime: Runtime) -> list[BaseRoute]:
    """The routes of the admin API, bound to one runtime."""
    service = runtime.service
    in_thread = runtime.offload.in_thread
    # Secrets the journal must not show even where no header name gives them away.
    secrets = [*service.world().get("tokens", {}), *filter(None, [runtime.config.admin_token])]

    async def health(request: Request) -> Response:
        return json_response(
            {
                "status": "ok",
                "now": service.now().isoformat().replace("+00:00", "Z"),
                "operations": len(runtime.spec.operations),
                "seed": runtime.config.seed,
                # Bounded storage (issue 12): what is kept against its budget.
                "storage": await in_thread(service.storage_figures),
                "journal": runtime.journal.figures(),
            }
        )

    async def reset(request: Request) -> Response:
        raw = request.query_params.get("business_id")
        business = _optional_uuid(raw)
        if raw and business is None:
            return json_response({"detail": "business_id must be a UUID"}, 400)
        await in_thread(service.reset, business)
        if business is None:
            runtime.scenarios.clear()
        return json_response({"reset": str(business) if business else "all"})

    async def world(request: Request) -> Response:
        return json_response(service.world())

    async def journal(request: Request) -> Response:
        raw_limit = request.query_params.get("limit", "50")
        if not raw_limit.isdigit():
            return json_response({"detail": "limit must be a non-negative integer"}, 400)
        entries = runtime.journal.query(
            business_id=request.query_params.get("business_id"),
            limit=min(int(raw_limit), runtime.config.journal_size),
        )
        entries = redact.scrub(entries, secrets)
        return json_response({"items": entries, "count": len(entries)})

    async def businesses(request: Request) -> Response:
        raw_limit = request.query_params.get("limit", "10")
        if not raw_limit.isdigit():
            return json_response({"detail": "limit must be a non-negative integer"}, 400)
        items = await in_thread(service.holdings, min(int(raw_limit), MAX_HELD_ITEMS))
        return json_response({"items": items})

    async def samples(request: Request) -> Response:
        return json_response({"items": service.samples()})

    async def list_scenarios(request: Request) -> Response:
        return json_response({"items": runtime.scenarios.listing()})

    async def arm_scenario(request: Request) -> Response:
        try:
            data = orjson.loads(await request.body())
            scenario = _scenario(runtime, data)
            runtime.scenarios.arm(scenario)
        except (orjson.JSONDecodeError, ScenarioError, TypeError, ValueError) as error:
            return json_response({"detail": str(error) or "invalid scenario"}, 400)
        except ScenarioBookFull as error:
            return json_response({"detail": str(error)}, 409)
        return json_response(scenario.as_dict(), 201)

    async def clear_scenarios(request: Request) -> Response:
        runtime.scenarios.clear()
        return Response(status_code=204)

    async def presigned_put(request: Request) -> Response:
        request.scope[OPERATION_KEY] = "presigned_put"
        service.tick()
        limit = service.max_upload_bytes
        data = await read_capped(request.receive, request.headers.get("content-length"), limit)
        if data is None:
            # Not kept; one byte over the limit lets the service order 403 before 413.
            data = bytes(limit + 1)
        try:
            result = await in_thread(
                service.put_presigned,
                request.path_params["rest"],
                dict(request.query_params),
                data,
                request.headers.get("content-type"),
            )
        except ServiceError as error:
            return service_error_response(error)
        return json_response(result)

    async def invoice_pdf(request: Request) -> Response:
        request.scope[OPERATION_KEY] = "invoice_pdf"
        service.tick()
        business = _optional_uuid(request.path_params["business_id"])
        if business is None:
            return json_response({"detail": "Invoice not found"}, 404)
        invoice_id = request.path_params["invoice_id"]
        try:
            pdf = await in_thread(service.invoice_pdf, business, invoice_id)
        except ServiceError as error:
            return service_error_response(error)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"content-disposition": f'inline; filename="invoice-{invoice_id}.pdf"'},
        )

    return [
        Route(f"{PREFIX}/health", health, methods=["GET"]),
        Route(f"{PREFIX}/reset", reset, methods=["POST"]),
        Route(f"{PREFIX}/world", world, methods=["GET"]),
        Route(f"{PREFIX}/journal", journal, methods=["GET"]),
        Route(f"{PREFIX}/businesses", businesses, methods=["GET"]),
        Route(f"{PREFIX}/samples", samples, methods=["GET"]),
        Route(f"{PREFIX}/scenarios", list_scenarios, methods=["GET"]),
        Route(f"{PREFIX}/scenarios", arm_scenario, methods=["POST"]),
        Route(f"{PREFIX}/scenarios", clear_scenarios, methods=["DELETE"]),
        Route(f"{PREFIX}/uploads/{{rest:path}}", presigned_put, methods=["PUT"]),
        Route(
            f"{PREFIX}/invoices/{{business_id}}/{{invoice_id}}.pdf", invoice_pdf, methods=["GET"]
        ),
        *inspector_routes(),
    ]


def _scenario(runtime: Runtime, data: Any) -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError("body must be a JSON object")
    operation_id = data.get("operation_id")
    if operation_id is None and "method" in data and "path" in data:
        found = runtime.spec.find(str(data["method"]), str(data["path"]))
        operation_id = found.operation_id if found else None
    known = {op.operation_id for op in runtime.spec.operations}
    if operation_id not in known:
        raise ScenarioError(
            "operation_id (or method and path) must name an operation: " + ", ".join(sorted(known))
        )

    def number(key: str) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise ScenarioError(f"{key} must be an integer")
        return value

    count = number("count")
    return Scenario(
        operation_id=operation_id,
        remaining=1 if count is None else count,
        code=number("code"),
        fault=data.get("fault"),
        delay_ms=number("delay_ms"),
    )
