"""Request bodies read without ever holding more than a limit of them.

A client may send a body of any size; the 413 is decided only after the 401/422/403
checks (CONTRACT §1), so reading must stop at the limit and remember that it did,
instead of failing at once or buffering everything.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import FormParser, MultiPartParser
from starlette.requests import Request

from dayzero_twin.mock_server.asgi.capped_body import declared_over
from dayzero_twin.mock_server.pipeline.validation import MISSING

# Multipart framing around a file at the size limit must not itself trip the limit.
MULTIPART_SLACK_BYTES = 64 * 1024
MAX_FORM_FILES = 10
MAX_FORM_FIELDS = 100
FORM_MEDIA_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class BodyTooLarge(Exception):
    """The request body passed the upload limit while streaming."""


async def read_form(request: Request, limit: int) -> tuple[FormData, bool]:
    """Parse a form body without holding more than ``limit`` bytes of it.

    Returns the form and whether the body was too large, in which case reading stopped
    (or never started, when Content-Length already said so) and the form is empty: the
    413 is decided after the 401/422/403 checks. Files are spooled by Starlette's parser.
    """
    if declared_over(request.headers.get("content-length"), limit):
        return FormData(), True
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in FORM_MEDIA_TYPES:
        return FormData(), False

    async def counted() -> AsyncGenerator[bytes, None]:
        seen = 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > limit:
                raise BodyTooLarge
            yield chunk

    parser: MultiPartParser | FormParser
    if content_type == "multipart/form-data":
        parser = MultiPartParser(
            request.headers, counted(), max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS
        )
    else:
        parser = FormParser(request.headers, counted(), max_fields=MAX_FORM_FIELDS)
    try:
        return await parser.parse(), False
    except BodyTooLarge:
        return FormData(), True


def form_value(form: FormData | None, name: str) -> Any:
    """A form field as FastAPI extracts it: empty strings and empty files are absent."""
    value = form.get(name) if form is not None else None
    if value is None or value == "":
        return MISSING
    if isinstance(value, UploadFile) and not value.filename and value.size == 0:
        return MISSING
    return value
