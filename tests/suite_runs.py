"""The contract suite run as its users run it: ``python -m dayzero_twin.contract_tests``
in a process of its own, against one implementation, its output captured."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_suite(
    base_url: str,
    token: str,
    business_id: str,
    *options: str,
    timeout: float,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """One run of the suite against ``base_url`` with the given further options; never
    raises on the suite's exit status (the caller judges it)."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "dayzero_twin.contract_tests",
            "--base-url",
            base_url,
            "--token",
            token,
            "--business-id",
            business_id,
            *options,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=None if env is None else dict(env),
    )
