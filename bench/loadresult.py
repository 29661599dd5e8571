"""The shapes shared by both load generators: one request to repeat, one result.

Kept apart from :mod:`bench.load` so that the generators and the dispatcher can import
them without importing each other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class LoadRequest:
    """One request repeated on every connection for a fixed time.

    With ``alternates``, each connection sends ``body`` and then each alternate in turn,
    round and round: the same operation with different content.
    """

    url: str
    body: bytes
    headers: dict[str, str]
    connections: int
    duration_s: float
    threads: int = 1
    expected_status: int = 201
    alternates: tuple[bytes, ...] = ()

    @property
    def bodies(self) -> tuple[bytes, ...]:
        return (self.body, *self.alternates)


@dataclass(frozen=True)
class LoadResult:
    """Counts, duration and latency percentiles (ms) of one load run."""

    tool: str
    requests: int
    duration_s: float
    latency_ms: dict[str, float]
    statuses: dict[int, int] = field(default_factory=dict)
    socket_errors: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    def unexpected(self, expected_status: int = 201) -> int:
        """Responses whose status was not ``expected_status``, plus socket-level errors."""
        wrong = sum(count for status, count in self.statuses.items() if status != expected_status)
        return wrong + self.socket_errors

    def non_2xx(self) -> int:
        return sum(count for status, count in self.statuses.items() if not 200 <= status < 300)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["statuses"] = {str(status): count for status, count in self.statuses.items()}
        data["rps"] = self.rps
        return data
