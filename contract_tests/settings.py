"""What the suite runs against and how hard it pushes, in one frozen object.

The command line (``__main__``) and the pytest plugin both build a :class:`Settings`; the
plugin activates it before test modules are imported, because schemathesis needs the
token and business at collection time to generate requests that reach the handlers.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

DEFAULT_SEED = 20_261_122
DEFAULT_MAX_EXAMPLES = 25
DEFAULT_MAX_ROWS = 12
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_EXPIRY_WAIT = 5.0

ENV_PREFIX = "CONTRACT_"


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

    @property
    def csv_examples(self) -> int:
        """Examples per CSV property test: each one uploads and imports a whole file."""
        return max(2, self.max_examples // 4)


def env(name: str, default: str | None = None) -> str | None:
    """The ``CONTRACT_<NAME>`` environment variable, or ``default`` when unset or empty."""
    value = os.environ.get(ENV_PREFIX + name.upper())
    return value if value else default


def random_other_business() -> str:
    """A business id no token can use: random, so it exists in no implementation."""
    return str(uuid.uuid4())


_active: Settings | None = None


def activate(settings: Settings) -> None:
    """Make ``settings`` the ones test modules see when pytest imports them."""
    global _active
    _active = settings


def active() -> Settings:
    """The settings of the current run; a clear error when the plugin is not loaded."""
    if _active is None:
        raise RuntimeError(
            "the contract suite runs through its plugin: use `dayzero-contract --help` (or pytest "
            "with `-p dayzero_twin.contract_tests.plugin --contract-base-url ...`)"
        )
    return _active
