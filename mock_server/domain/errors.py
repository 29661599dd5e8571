"""The exceptions that cross the seam; the HTTP layer maps each to a status code.

They live apart from ``service.py`` so that the pure modules (``csv_import``,
``domain``) can raise them without importing the service that imports them;
``mock_server.service`` re-exports every one, and that is where callers import them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ServiceError(Exception):
    """Base of the errors the HTTP layer maps to a status code."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthorized(ServiceError):
    """No usable bearer token (401)."""

    status_code = 401


class Forbidden(ServiceError):
    """The token may not act for that business, or a presigned URL is not valid (403)."""

    status_code = 403


class BadRequest(ServiceError):
    """A well-formed request the service cannot honour, e.g. a malformed cursor (400)."""

    status_code = 400


class NotFound(ServiceError):
    """No such entity in this business (404)."""

    status_code = 404


class PayloadTooLarge(ServiceError):
    """An upload over the size limit (413)."""

    status_code = 413


@dataclass(frozen=True)
class RowError:
    """One bad cell: data row counted from 1, column name, what is wrong."""

    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportFailed(ServiceError):
    """The CSV cannot be imported (400); nothing of it was created."""

    detail: str
    errors: list[RowError] = field(default_factory=list)
    status_code = 400

    def __post_init__(self) -> None:
        ServiceError.__init__(self, self.detail)
