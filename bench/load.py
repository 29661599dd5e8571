"""The choice of load generator, and one entry point for both.

wrk is preferred because it is a real, C-written closed-loop generator; the asyncio
client exists so that the benchmark still runs where wrk is not installed. Both fill
the same :class:`~bench.loadresult.LoadResult`, and the report names the tool behind
each figure.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.loadresult import LoadRequest, LoadResult
from bench.pyload import run_python_load
from bench.wrk import run_wrk


def choose_tool(preference: str) -> str:
    """``wrk`` when asked for or found on PATH under ``auto``, otherwise ``python``."""
    if preference == "wrk":
        if shutil.which("wrk") is None:
            raise RuntimeError("--load-tool wrk, but wrk is not on PATH (apt-get install wrk)")
        return "wrk"
    if preference == "python":
        return "python"
    return "wrk" if shutil.which("wrk") else "python"


def run_load(request: LoadRequest, tool: str, work_dir: Path) -> LoadResult:
    """Drive ``request`` with the chosen tool; ``work_dir`` holds wrk's Lua script."""
    if tool == "wrk":
        return run_wrk(request, work_dir)
    return run_python_load(request)
