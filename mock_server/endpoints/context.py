"""``RequestContext``: what a handler gets once the pipeline let a request through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from starlette.datastructures import FormData
from starlette.requests import Request

from dayzero_twin.mock_server.pipeline.generator import GenContext
from dayzero_twin.mock_server.pipeline.negotiation import Reply
from dayzero_twin.mock_server.pipeline.spec import OperationSpec
from dayzero_twin.mock_server.runtime import Runtime
from dayzero_twin.mock_server.service import MockService


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
