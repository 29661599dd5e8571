"""The wheel as a user gets it: built, installed into a fresh venv, run from elsewhere.

The editable install every other test uses reads the repository's folders, so it cannot
notice a slice or a world file missing from the wheel, a dependency missing from the
base install, or a module that collides with another distribution. Here the wheel is
built from the sdist (so the sdist is checked too), installed next to PyPI's ``openapi``
and ``mock-server`` (whose import names this project's folders share), and its three
commands run from a directory outside the repository.

The venv is filled by this environment's pip (``pip --python``) from a wheelhouse under
``build/``: pip's HTTP cache keeps nothing from a registry whose answers carry no
caching headers (as here), so the ~40 MB of wheels are downloaded once per set of pins
(constraints.txt, pyproject.toml, the neighbours) and a warm run downloads none of them.
The build itself runs isolated, with the setuptools pyproject.toml pins, so that a newer
setuptools' deprecations cannot fail the no-warning check meant for our configuration.
It needs the package registry all the same; without one it is skipped, except in CI,
where a skip would hide a broken wheel.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import venv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dayzero_twin.contract_tests.entry import SUITE_IMPORTS
from dayzero_twin.openapi.bundle import iter_operations, load_bundle

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# Pinned so that the check does not change under us; mock-server's own requirements are
# Python 2 era (tornado 4.3, futures, py-bcrypt) and install without them: only its
# import name, mock_server, matters here.
NEIGHBOURS = {"openapi": "openapi==2.0.0", "mock-server": "mock-server==0.3.9"}
STARTUP_SECONDS = 60
COMMAND_SECONDS = 120
INSTALL_SECONDS = 600
DIST_INFO = f"dayzero_bulk_twin-{PYPROJECT['project']['version']}.dist-info"
CONSTRAINTS = ROOT / "constraints.txt"
# One wheelhouse per set of pins; a new set replaces the old one.
WHEELHOUSES = ROOT / "build" / "test-packaging-wheelhouse"

# Building and installing take about a minute with a warm wheelhouse; a cold one
# downloads about 40 MB first.
pytestmark = [pytest.mark.packaging, pytest.mark.timeout(INSTALL_SECONDS + 300)]


def _requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[;@ ]", line, maxsplit=1)[0].lower() for line in requirements}


# ------------------------------------------------------------------ without the registry


def test_suite_imports_are_the_contract_extra() -> None:
    """``dayzero-contract``'s missing-extra check looks for exactly the extra's modules."""
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert _requirement_names(extras["contract"]) == set(SUITE_IMPORTS)
    assert "dayzero-bulk-twin[contract]" in extras["dev"]


def test_the_base_install_has_no_test_framework() -> None:
    base = _requirement_names(PYPROJECT["project"]["dependencies"])
    assert not base & set(SUITE_IMPORTS)


# ---------------------------------------------------------------------- with the registry


def _run(
    command: list[str | Path], cwd: Path, timeout: float = COMMAND_SECONDS
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _pip(venv_dir: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """This environment's pip, installing into ``venv_dir``; fails the test on an error."""
    result = _run(
        [sys.executable, "-m", "pip", "--python", venv_dir / "bin" / "python", *args],
        cwd=venv_dir,
        timeout=INSTALL_SECONDS,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _require_registry(scratch: Path) -> None:
    probe = _run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--dest", scratch,
         NEIGHBOURS["openapi"]],
        cwd=scratch,
    )
    if probe.returncode == 0:
        return
    why = (probe.stderr.strip().splitlines() or ["pip download failed"])[-1]
    if os.environ.get("CI"):
        pytest.fail(f"CI must reach the package registry to check the wheel: {why}")
    pytest.skip(f"no package registry reachable to install the wheel's dependencies: {why}")


def _wheelhouse(scratch: Path, wheel: Path) -> Path:
    """A folder with every distribution the fresh venv installs but the wheel itself."""
    pins = hashlib.sha256()
    for part in (CONSTRAINTS.read_bytes(), (ROOT / "pyproject.toml").read_bytes()):
        pins.update(part)
    pins.update(json.dumps(NEIGHBOURS, sort_keys=True).encode())
    house = WHEELHOUSES / pins.hexdigest()[:16]
    if (house / "complete").exists():
        return house
    filling = scratch / "wheelhouse"
    # setuptools builds mock-server's sdist, which the install does from this folder too.
    for args in (
        ["-c", CONSTRAINTS, f"{wheel}[contract]", NEIGHBOURS["openapi"],
         *PYPROJECT["build-system"]["requires"]],
        ["--no-deps", NEIGHBOURS["mock-server"]],
    ):  # fmt: skip
        command = [sys.executable, "-m", "pip", "download", "--dest", filling, *args]
        result = _run(command, cwd=scratch, timeout=INSTALL_SECONDS)
        assert result.returncode == 0, result.stdout + result.stderr
    (filling / wheel.name).unlink()  # rebuilt by every run
    shutil.rmtree(WHEELHOUSES, ignore_errors=True)
    shutil.copytree(filling, house)
    (house / "complete").touch()
    return house


# The script the fresh venv's python runs to report on itself: where each import name
# resolves, and which installed files no longer match their distribution's RECORD
# (bytecode aside: Python rewrites that cache as it pleases).
_INSPECT = """
import base64, hashlib, importlib, importlib.metadata as md, json, sys
report = {"modules": {}, "changed": {}, "files": {}}
for module in sys.argv[1].split(","):
    report["modules"][module] = importlib.import_module(module).__file__
for name in sys.argv[2].split(","):
    dist = md.distribution(name)
    report["files"][name] = [str(f) for f in dist.files]
    changed = report["changed"][name] = []
    for f in dist.files:
        if f.hash is None or f.suffix == ".pyc":
            continue
        digest = hashlib.new(f.hash.mode, dist.locate_file(f).read_bytes()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != f.hash.value:
            changed.append(str(f))
print(json.dumps(report))
"""


def _inspect(venv_dir: Path, cwd: Path, modules: list[str], dists: list[str]) -> dict[str, Any]:
    result = _run(
        [venv_dir / "bin" / "python", "-c", _INSPECT, ",".join(modules), ",".join(dists)],
        cwd=cwd,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """A fresh venv with PyPI's neighbours, then the wheel (mock only, then [contract])."""
    scratch = tmp_path_factory.mktemp("packaging")
    _require_registry(scratch)
    dist = scratch / "dist"
    built = _run([sys.executable, "-m", "build", "--outdir", dist, ROOT], cwd=ROOT)
    assert built.returncode == 0, built.stdout + built.stderr
    warnings = [
        line for line in (built.stdout + built.stderr).splitlines() if "warning" in line.lower()
    ]
    assert not warnings, "\n".join(warnings)
    (wheel,) = dist.glob("*.whl")
    venv_dir = scratch / "venv"
    venv.create(venv_dir, with_pip=False)
    elsewhere = scratch / "elsewhere"
    elsewhere.mkdir()
    offline = ("install", "--no-index", "--find-links", _wheelhouse(scratch, wheel))
    _pip(venv_dir, *offline, "-c", CONSTRAINTS, NEIGHBOURS["openapi"])
    _pip(venv_dir, *offline, "--no-deps", NEIGHBOURS["mock-server"])
    _pip(venv_dir, *offline, "-c", CONSTRAINTS, wheel)
    mock_only = _run([venv_dir / "bin" / "dayzero-contract", "--help"], cwd=elsewhere)
    _pip(venv_dir, *offline, "-c", CONSTRAINTS, f"{wheel}[contract]")
    # Handed over as files so each test reads the one step it checks.
    (scratch / "mock-only-contract.json").write_text(
        json.dumps([mock_only.returncode, mock_only.stdout, mock_only.stderr])
    )
    yield {"venv": venv_dir, "elsewhere": elsewhere, "scratch": scratch}


def test_contract_command_without_the_extra_says_so_in_one_line(
    installed: dict[str, Path],
) -> None:
    code, stdout, stderr = json.loads(
        (installed["scratch"] / "mock-only-contract.json").read_text()
    )
    assert code == 2
    assert stdout == ""
    assert len(stderr.splitlines()) == 1 and "[contract]" in stderr, stderr


def test_the_wheel_installs_only_under_dayzero_twin_and_leaves_the_neighbours_alone(
    installed: dict[str, Path],
) -> None:
    site = installed["venv"] / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    report = _inspect(
        installed["venv"],
        installed["elsewhere"],
        ["openapi", "mock_server", "dayzero_twin.openapi", "dayzero_twin.mock_server"],
        ["openapi", "mock-server", "dayzero-bulk-twin"],
    )
    for module, file in report["modules"].items():
        assert file.startswith(str(site)), (module, file)
    # PyPI's packages answer to their import names, every file as they installed it.
    assert report["modules"]["openapi"].endswith("site-packages/openapi/__init__.py")
    assert report["modules"]["mock_server"].endswith("site-packages/mock_server/__init__.py")
    assert report["changed"] == {"openapi": [], "mock-server": [], "dayzero-bulk-twin": []}
    tops = {Path(file).parts[0] for file in report["files"]["dayzero-bulk-twin"]}
    assert tops == {"dayzero_twin", DIST_INFO, ".."}
    data = set(report["files"]["dayzero-bulk-twin"])
    assert "dayzero_twin/mock_server/domain/worlds/default.yaml" in data
    assert "dayzero_twin/docs/CONTRACT.md" in data


def test_commands_work_from_another_directory(installed: dict[str, Path]) -> None:
    bin_dir, elsewhere = installed["venv"] / "bin", installed["elsewhere"]
    mock_help = _run([bin_dir / "dayzero-mock", "--help"], cwd=elsewhere)
    assert mock_help.returncode == 0 and "--openapi-dir" in mock_help.stdout, mock_help.stderr
    contract_help = _run([bin_dir / "dayzero-contract", "--help"], cwd=elsewhere)
    assert contract_help.returncode == 0, contract_help.stderr
    assert "--base-url" in contract_help.stdout
    bundled = _run([bin_dir / "dayzero-openapi", "--out", "contract"], cwd=elsewhere)
    assert bundled.returncode == 0, bundled.stderr
    document = json.loads((elsewhere / "contract" / "openapi.json").read_text(encoding="utf-8"))
    # Every slice made it into the wheel: the installed bundle is the repository's.
    assert document == load_bundle()


def test_installed_mock_serves_on_loopback(installed: dict[str, Path]) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with subprocess.Popen(
        [installed["venv"] / "bin" / "dayzero-mock", "--host", "127.0.0.1", "--port", str(port),
         "--quiet"],
        cwd=installed["elsewhere"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        try:
            health = None
            deadline = time.monotonic() + STARTUP_SECONDS
            while health is None and time.monotonic() < deadline:
                assert process.poll() is None, process.communicate()[0]
                try:
                    health = httpx.get(f"{base}/__mock/health", timeout=2)
                except httpx.TransportError:
                    time.sleep(0.2)
            assert health is not None, "the installed mock did not start"
            assert health.status_code == 200
            assert health.json()["operations"] == len(list(iter_operations(load_bundle())))
            world = httpx.get(f"{base}/__mock/world", timeout=5).json()
            assert "Northwind Studio" in json.dumps(world)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)

