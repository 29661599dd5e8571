"""The machine line: what the figures depend on, read at the start of a run."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Any

import psutil

from bench.prism import installed_version


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name, or the platform's processor string where /proc is absent."""
    try:
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def tool_version(argv: list[str]) -> str | None:
    """First output line of a ``--version``-style command, or ``None`` if it cannot run."""
    if shutil.which(argv[0]) is None:
        return None
    try:
        completed = subprocess.run(argv, capture_output=True, text=True, timeout=15, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    # wrk prints its version with its usage text and exits 1, so the code is not checked.
    lines = (completed.stdout or completed.stderr).strip().splitlines()
    return lines[0].strip() if lines else None


def wrk_version(line: str | None) -> str | None:
    """``debian/4.1.0-3+b2`` from ``wrk debian/4.1.0-3+b2 [epoll] Copyright …``."""
    if not line:
        return None
    parts = line.split()
    return parts[1] if len(parts) > 1 and parts[0] == "wrk" else line


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages: how busy the machine was besides us."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def describe(python: str, node: str) -> dict[str, Any]:
    """Cores, CPU, memory, OS and the versions of every program the benchmark runs."""
    python_line = tool_version([python, "--version"])
    return {
        "cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "cpu": cpu_model(),
        "memory_bytes": psutil.virtual_memory().total,
        "os": f"{platform.system()} {platform.release()}",
        "python": python_line.removeprefix("Python ").strip() if python_line else None,
        "node": tool_version([node, "--version"]),
        "prism": installed_version(),
        "wrk": wrk_version(tool_version(["wrk", "-v"])),
        "loadavg": loadavg(),
    }
