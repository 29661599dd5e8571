"""The ``dayzero-contract`` command, importable without the suite's dependencies.

The base install is the mock alone; the suite's test framework comes with the
``[contract]`` extra. Without it, one line naming the extra beats an ImportError
traceback from deep inside the suite. Kept apart from ``cli`` so that the check runs
before anything imports pytest.
"""

from __future__ import annotations

import sys
from importlib.util import find_spec

from dayzero_twin.contract_tests.exits import EXIT_ERROR

# What contract_tests/ imports beyond the base install: the [contract] extra of
# pyproject.toml, each distribution with its import name (tests/test_packaging.py keeps
# the two in step).
SUITE_IMPORTS = {
    "pytest": "pytest",
    "schemathesis": "schemathesis",
    "hypothesis": "hypothesis",
    "httpx": "httpx",
    "jsonschema_rs": "jsonschema_rs",
    "pytest-xdist": "xdist",
}


def missing_imports() -> list[str]:
    """The suite's dependencies this environment lacks (``find_spec`` imports nothing)."""
    return [name for name, module in SUITE_IMPORTS.items() if find_spec(module) is None]


def main() -> None:
    """Run the suite's command line, or say in one line which extra is missing (exit 2).

    Exits through ``SystemExit`` either way, so it works whether the command line
    returns its status or exits by itself.
    """
    missing = missing_imports()
    if missing:
        print(
            f"dayzero-contract: the contract suite needs the [contract] extra (missing: "
            f"{', '.join(missing)}); install 'dayzero-bulk-twin[contract]'",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_ERROR)
    from dayzero_twin.contract_tests.cli import main as run_suite

    raise SystemExit(run_suite())
