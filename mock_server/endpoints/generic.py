"""The handler of operations the domain does not know: an answer from the schema alone.

So a new slice in ``openapi/`` is served the moment it is added, before (or without)
a domain handler: validated like every operation, answered with generated data.
"""

from __future__ import annotations

from dayzero_twin.mock_server.endpoints.context import RequestContext
from dayzero_twin.mock_server.pipeline.negotiation import Reply


async def generic_handler(ctx: RequestContext) -> Reply:
    """Answer from the operation's success response: its schema, CSV text, or nothing."""
    operation = ctx.operation
    status = operation.success_status
    spec = operation.response(status)
    generator = ctx.runtime.generator
    if spec is None or spec.media_type is None:
        return Reply(status, content=b"", media_type=None)
    if spec.media_type.startswith("text/"):
        return Reply(status, content=generator.csv_text().encode(), media_type=spec.media_type)
    if spec.schema is None:
        return Reply(status, content=b"", media_type=spec.media_type)
    return Reply(status, generator.value(spec.schema, ctx=ctx.gen_context()))
