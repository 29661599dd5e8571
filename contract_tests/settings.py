"""What the suite runs against and how hard it pushes, in one frozen object.

:mod:`contract_tests.options` declares the options that build a :class:`Settings` (for
``dayzero-contract`` and for the pytest plugin alike); the plugin keeps it in pytest's
config stash for the run, and check modules read it through the ``settings`` fixture.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

DEFAULT_SEED = 20_261_122
DEFAULT_MAX_EXAMPLES = 25
DEFAULT_MAX_ROWS = 12
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_EXPIRY_WAIT = 5.0
# Checks at a time, each sending one request at a time: so at most this many requests in
# flight. Six keep a default run against a 150-ms-late staging API under a minute (README,
# "Speed of a suite run"), and the cap keeps any setting far from flooding a real API.
DEFAULT_WORKERS = 6
MAX_WORKERS = 8
# Unless told, ``dayzero-contract`` runs DEFAULT_WORKERS when the implementation's first
# answers take at least this long, else one check at a time: a server that answers at
# once (the mock on loopback) leaves no waiting to overlap, and each worker costs seconds
# of start-up CPU, on the very cores that server uses.
LATE_ANSWER_SECONDS = 0.02


@dataclass(frozen=True)
class Settings:
    """Where the implementation is, who the suite acts as, and how much load it may cause."""

    base_url: str
    token: str
    business_id: str
    other_business_id: str
    second_business_id: str | None = None
    max_examples: int = DEFAULT_MAX_EXAMPLES
    seed: int = DEFAULT_SEED
    max_rows: int = DEFAULT_MAX_ROWS
    timeout: float = DEFAULT_TIMEOUT
    max_expiry_wait: float = DEFAULT_MAX_EXPIRY_WAIT
    # Large-file checks (a limit's both sides: 10,000 data rows, 10 MiB): on or off, and the
    # most rows one such file may create in the business (below 10,000 they are skipped).
    large_files: bool = True
    large_file_rows: int = 10_000
    # Checks run at a time (1: one after another; None: as parallel.auto_workers decides
    # from the answers' latency); see contract_tests/parallel.py.
    workers: int | None = None

    @property
    def csv_examples(self) -> int:
        """Examples per CSV property test: each one uploads and imports a whole file."""
        return max(2, self.max_examples // 4)


def random_other_business() -> str:
    """A business id no token can use: random, so it exists in no implementation."""
    return str(uuid.uuid4())


# The one hand-off of settings outside pytest's fixtures, and why it cannot be a fixture:
# schemathesis turns ``@schema.parametrize()`` into test items while pytest imports a
# check module, and the schema must already carry the seed, the number of examples, the
# base URL, the token and the business then. So the plugin binds the run's settings for
# the duration of collection only (a context variable, reset when collection ends), and
# a module that builds a schema at import reads them with :func:`collection_settings`.
_COLLECTING: ContextVar[Settings] = ContextVar("contract_collecting")


@contextlib.contextmanager
def collecting(settings: Settings) -> Iterator[None]:
    """Make ``settings`` the ones :func:`collection_settings` returns, while collecting."""
    token = _COLLECTING.set(settings)
    try:
        yield
    finally:
        _COLLECTING.reset(token)


def collection_settings() -> Settings:
    """The settings of the run being collected; a clear error outside the plugin."""
    try:
        return _COLLECTING.get()
    except LookupError:
        raise RuntimeError(
            "the contract suite runs through its plugin: use `dayzero-contract --help` (or "
            "pytest with `-p dayzero_twin.contract_tests.plugin --contract-base-url ...`)"
        ) from None
