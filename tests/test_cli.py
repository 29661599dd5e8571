"""``dayzero-mock``: options, their ``MOCK_*`` variables, the banner, a clean Ctrl-C, --reload."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner

from dayzero_twin.mock_server import cli
from dayzero_twin.openapi.bundle import SLICE_DIR

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 40


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Run the CLI without serving: what it would hand to uvicorn is recorded."""
    calls: dict[str, Any] = {}

    def fake_run(app: Any, **kwargs: Any) -> None:
        calls["app"] = app
        calls.update(kwargs)

    monkeypatch.setattr(cli.uvicorn, "run", fake_run)
    return calls


def test_help_explains_every_option_and_its_variable() -> None:
    result = CliRunner().invoke(cli.main, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    for option, variable in [
        ("--host", "MOCK_HOST"),
        ("--port", "MOCK_PORT"),
        ("--openapi-dir", "MOCK_OPENAPI_DIR"),
        ("--seed", "MOCK_SEED"),
        ("--clock", "MOCK_CLOCK"),
        ("--data-dir", "MOCK_DATA_DIR"),
        ("--world", "MOCK_WORLD"),
        ("--latency", "MOCK_LATENCY"),
        ("--cors-origin", "MOCK_CORS_ORIGIN"),
        ("--no-cors", "MOCK_NO_CORS"),
        ("--public-base-url", "MOCK_PUBLIC_BASE_URL"),
        ("--reload", "MOCK_RELOAD"),
        ("--quiet", "MOCK_QUIET"),
    ]:
        assert option in result.output and variable in result.output, option
    assert "Prefer: code=503" in result.output


def test_every_option_comes_from_the_environment(captured: dict[str, Any], tmp_path: Path) -> None:
    world = tmp_path / "world.yaml"
    shutil.copy(ROOT / "mock_server" / "domain" / "worlds" / "example.yaml", world)
    env = {
        "MOCK_HOST": "127.0.0.1",
        "MOCK_PORT": "4999",
        "MOCK_OPENAPI_DIR": str(SLICE_DIR),
        "MOCK_SEED": "7",
        "MOCK_CLOCK": "2026-01-15T09:00:00Z",
        "MOCK_DATA_DIR": str(tmp_path / "data"),
        "MOCK_WORLD": str(world),
        "MOCK_LATENCY": "10-20",
        "MOCK_CORS_ORIGIN": r"https://app\.test",
        "MOCK_PUBLIC_BASE_URL": "https://mock.test/",
        "MOCK_JOURNAL_SIZE": "9",
        "MOCK_QUIET": "1",
    }
    result = CliRunner().invoke(cli.main, [], env=env)
    assert result.exit_code == 0, result.output
    config = captured["app"].state.config
    assert (captured["host"], captured["port"]) == ("127.0.0.1", 4999)
    assert config.seed == 7 and config.clock == datetime(2026, 1, 15, 9, tzinfo=UTC)
    assert config.data_dir == tmp_path / "data" and config.world_file == world
    assert config.latency_ms == (10, 20) and config.cors_origin_regex == r"https://app\.test"
    assert config.public_base_url == "https://mock.test" and config.journal_size == 9
    assert config.log_requests is False and result.output == ""  # quiet: no banner
    captured["app"].state.service.close()

    result = CliRunner().invoke(
        cli.main, ["--port", "4100"], env={"MOCK_PORT": "4999", "MOCK_NO_CORS": "true"}
    )
    assert result.exit_code == 0, result.output
    assert captured["port"] == 4100  # the option wins over its variable
    assert captured["app"].state.config.cors_origin_regex is None
    captured["app"].state.service.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--clock", "yesterday"], "RFC 3339"),
        (["--latency", "slow"], "latency"),
        (["--latency", "300-100"], "latency"),
        (["--cors-origin", "(unclosed"], "regular expression"),
        (["--port", "70000"], "70000"),
        (["--world", "/no/such/file.yaml"], "does not exist"),
    ],
)
def test_bad_values_are_explained(captured: dict[str, Any], args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "app" not in captured


def test_banner_names_url_tokens_businesses_samples_and_docs(captured: dict[str, Any]) -> None:
    result = CliRunner().invoke(cli.main, ["--port", "4321"])
    assert result.exit_code == 0, result.output
    for expected in (
        "http://127.0.0.1:4321",
        "http://127.0.0.1:4321/docs",
        "dz_mock_token",
        "Northwind Studio",
        "b5a1c6de-0000-4000-8000-000000000001",
        "samples/invoices.csv",
        "samples/bills.csv",
        "Ctrl-C",
    ):
        assert expected in result.output, expected
    captured["app"].state.service.close()


def test_reload_hands_the_config_to_a_factory(
    captured: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DAYZERO_MOCK_CONFIG", raising=False)
    world = tmp_path / "world.yaml"
    shutil.copy(ROOT / "mock_server" / "domain" / "worlds" / "example.yaml", world)
    result = CliRunner().invoke(cli.main, ["--reload", "--seed", "3", "--world", str(world), "-q"])
    assert result.exit_code == 0, result.output
    assert captured["app"] == "dayzero_twin.mock_server.app:create_app_from_env"
    assert captured["factory"]
    assert captured["reload"] and str(tmp_path) in captured["reload_dirs"]
    assert str(SLICE_DIR) in captured["reload_dirs"]
    from dayzero_twin.mock_server.app import create_app_from_env

    app = create_app_from_env()
    assert app.state.config.seed == 3 and app.state.config.world_file == world
    app.state.service.close()


# --------------------------------------------------------------------------- real process


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(args: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "dayzero_twin.mock_server", "--port", str(port), *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[0]
        try:
            httpx.get(f"{base}/__mock/health", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the mock did not start")


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode, output


def test_runs_logs_each_request_and_stops_cleanly_on_ctrl_c() -> None:
    process, base = _start(["--seed", "7"], env={"MOCK_CLOCK": "2026-01-15T09:00:00Z"})
    try:
        headers = {
            "Authorization": "Bearer dz_your_token",
            "x-business-id": "b5a1c6de-0000-4000-8000-000000000001",
        }
        created = httpx.post(
            f"{base}/api/v1/bills/bulk", headers=headers, json={"s3_key": "samples/bills.csv"}
        )
        assert created.status_code == 201
        assert created.json()["items"][0]["created_at"].startswith("2026-01-15T09:00:0")
    finally:
        code, output = _stop(process)
    assert code == 0, output
    assert f"URL       {base}" in output
    log_lines = [
        line for line in output.splitlines() if "/api/v1/bills/bulk" in line and "ms" in line
    ]
    assert len(log_lines) == 1 and " 201 " in log_lines[0]
    assert "Traceback" not in output


def test_reload_serves_a_new_slice_without_a_restart(tmp_path: Path) -> None:
    slices = tmp_path / "openapi"
    shutil.copytree(SLICE_DIR, slices, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    process, base = _start(["--reload", "--openapi-dir", str(slices), "--quiet"])
    try:
        assert httpx.get(f"{base}/api/v1/ping").status_code == 404
        ping = {
            "paths": {
                "/api/v1/ping": {
                    "get": {
                        "operationId": "ping",
                        "security": [],
                        "responses": {
                            "200": {
                                "description": "pong",
                                "content": {
                                    "application/json": {
                                        "schema": {
                                            "type": "object",
                                            "required": ["status"],
                                            "properties": {"status": {"enum": ["pong"]}},
                                        }
                                    }
                                },
                            }
                        },
                    }
                }
            }
        }
        (slices / "ping.yaml").write_text(yaml.safe_dump(ping), encoding="utf-8")
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"{base}/api/v1/ping", timeout=2)
                if response.status_code == 200:
                    assert response.json() == {"status": "pong"}
                    break
            except httpx.TransportError:
                pass  # the worker is restarting
            time.sleep(0.2)
        else:
            raise AssertionError("the new slice was not served after a reload")
    finally:
        code, output = _stop(process)
    assert code == 0, output
