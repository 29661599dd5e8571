"""Stoplight Prism, the peer the mock is compared with, installed into ``bench/.prism/``.

The benchmark installs Prism itself from npm so that a fresh checkout can run it, into
a git-ignored folder so that nothing global changes. npm picks the newest release in
the requested range whose ``engines`` accept the local Node, so the version actually
served is read back from the installed package, not assumed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from bench.config import PRISM_DIR

PRISM_PACKAGE_DIR = PRISM_DIR / "node_modules" / "@stoplight" / "prism-cli"
INSTALL_TIMEOUT_S = 600


def installed_version(package_dir: Path = PRISM_PACKAGE_DIR) -> str | None:
    """The installed Prism version, or ``None`` when it is not installed."""
    try:
        manifest = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = manifest.get("version")
    return version if isinstance(version, str) else None


def entry_point(package_dir: Path = PRISM_PACKAGE_DIR) -> Path:
    """The JavaScript file that ``prism`` runs, from the package's ``bin`` field."""
    manifest = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
    binary = manifest["bin"]
    relative = binary["prism"] if isinstance(binary, dict) else binary
    return package_dir / relative


def ensure_installed(package: str, log: Path) -> str:
    """Install ``package`` into ``bench/.prism/`` unless present; the installed version."""
    version = installed_version()
    if version is not None:
        return version
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not on PATH; Prism cannot be installed (apt-get install npm)")
    PRISM_DIR.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        completed = subprocess.run(
            [npm, "install", "--prefix", str(PRISM_DIR), "--no-audit", "--no-fund", package],
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=INSTALL_TIMEOUT_S,
            check=False,
        )
    version = installed_version()
    if completed.returncode != 0 or version is None:
        raise RuntimeError(f"npm install {package} failed (exit {completed.returncode}); see {log}")
    return version


def prism_command(node: str, spec: Path, port: int, *, dynamic: bool) -> list[str]:
    """Prism serving ``spec`` on loopback; silent like the mock's ``--quiet``."""
    command = [node, str(entry_point()), "mock", "-h", "127.0.0.1", "-p", str(port)]
    command += ["-v", "silent"]
    if dynamic:
        command.append("-d")
    return [*command, str(spec)]
