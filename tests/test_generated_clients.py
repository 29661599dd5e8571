"""Clients generated from the current bundle work against the mock (README: Generate a client).

Both examples in ``examples/clients/`` are regenerated from ``load_bundle()`` and run the
whole flow against a live mock on a free loopback port: upload → bulk → list → get, a 400
and a 422 parsed into their own types. The TypeScript client must also pass
``tsc --strict``: a slice that makes openapi-typescript write an unusable type (an object
typed ``Record<string, never>`` that real responses fill) fails here.

Each toolchain is installed once, by its own pinned lock: ``npm ci`` into
``examples/clients/typescript/node_modules`` when it is missing, openapi-python-client
into ``build/clients/python-venv`` (its typer, ruamel.yaml and ruff stay out of .venv/).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dayzero_twin.openapi.bundle import load_bundle

ROOT = Path(__file__).resolve().parent.parent
TYPESCRIPT = ROOT / "examples" / "clients" / "typescript"
PYTHON = ROOT / "examples" / "clients" / "python"
PYTHON_VENV = ROOT / "build" / "clients" / "python-venv"
BUSINESS_ID = "b5a1c6de-0000-4000-8000-000000000001"

# npm ci and the generator venv may each take minutes on a cold CI machine.
pytestmark = pytest.mark.timeout(1800)


def run(command: list[str], cwd: Path, timeout: float, **env: str) -> str:
    """Run one step; on failure the assertion shows the step's own output."""
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout[-4000:]}{done.stderr[-4000:]}"
    return done.stdout


def summary(output: str) -> dict[str, Any]:
    """The flow's one JSON line (the last line of its output)."""
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def bundle_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "openapi.json"
    path.write_text(json.dumps(load_bundle()), encoding="utf-8")
    return path


def test_typescript_client(bundle_file: Path, live_mock: str) -> None:
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.skip("node and npm are not installed: the TypeScript client needs Node 20 + npm")
    if not (TYPESCRIPT / "node_modules").is_dir():
        run([npm, "ci", "--no-audit", "--no-fund"], TYPESCRIPT, timeout=600)
    bin_dir = TYPESCRIPT / "node_modules" / ".bin"
    run([str(bin_dir / "tsx"), "generate.ts", str(bundle_file), "src/schema.d.ts"],
        TYPESCRIPT, timeout=120)
    run([str(bin_dir / "tsc"), "-p", "."], TYPESCRIPT, timeout=300)  # strict, see tsconfig
    result = summary(run([str(bin_dir / "tsx"), "src/flow.ts"], TYPESCRIPT, timeout=120,
                         DAYZERO_BASE_URL=live_mock))
    assert result["uploaded"].startswith(f"uploads/{BUSINESS_ID}/")
    assert result["created"] == 2 and result["got"]
    assert result["badCells"] == 9
    assert result["validation"] == {
        "loc": ["body", "s3_key"], "type": "string_too_short", "minLength": 1,
    }


def python_venv() -> Path:
    """The generator's own venv, (re)built when requirements.txt changes."""
    requirements = PYTHON / "requirements.txt"
    stamp = PYTHON_VENV / "requirements.installed"
    python = PYTHON_VENV / "bin" / "python"
    if not stamp.is_file() or stamp.read_text() != requirements.read_text():
        if not python.is_file():
            run([sys.executable, "-m", "venv", str(PYTHON_VENV)], ROOT, timeout=120)
        run([str(python), "-m", "pip", "install", "--quiet", "-r", str(requirements)],
            ROOT, timeout=600)
        stamp.write_text(requirements.read_text())
    return PYTHON_VENV / "bin"


def test_python_client(bundle_file: Path, live_mock: str, tmp_path: Path) -> None:
    bin_dir = python_venv()
    path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"  # its ruff formats the code
    run([str(bin_dir / "python"), str(PYTHON / "generate.py"), str(bundle_file), str(tmp_path)],
        ROOT, timeout=300, PATH=path)
    result = summary(run([str(bin_dir / "python"), str(PYTHON / "flow.py"), live_mock],
                         ROOT, timeout=120, PYTHONPATH=str(tmp_path)))
    assert result["uploaded"].startswith(f"uploads/{BUSINESS_ID}/")
    assert result["created"] == 1 and result["got"]
    assert result["bad_cells"] == 9
    assert result["validation"] == {
        "loc": ["body", "s3_key"], "type": "string_too_short", "min_length": 1,
    }
