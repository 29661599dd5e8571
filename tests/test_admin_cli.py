"""``dayzero-mock``'s options of issue 12: the admin token, allowed hosts, limits, and a
banner that says where the mock listens and who can reach it. Nothing is served here:
uvicorn.run is replaced, so no socket is opened."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from click.testing import CliRunner

from dayzero_twin.mock_server import cli, exposure
from dayzero_twin.mock_server.server import GuardedHttpToolsProtocol


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    calls: dict[str, Any] = {}

    def fake_run(app: Any, **kwargs: Any) -> None:
        calls["app"] = app
        calls.update(kwargs)

    monkeypatch.setattr(cli.uvicorn, "run", fake_run)
    return calls


def run(captured: dict[str, Any], args: list[str], env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(cli.main, args, env=env or {}, terminal_width=200)
    assert result.exit_code == 0, result.output
    captured["app"].state.service.close()
    output: str = result.output
    return output


def test_help_lists_the_new_options_and_variables() -> None:
    result = CliRunner().invoke(cli.main, ["--help"], terminal_width=200)
    for option, variable in [
        ("--admin-token", "MOCK_ADMIN_TOKEN"),
        ("--allowed-host", "MOCK_ALLOWED_HOSTS"),
        ("--header-timeout", "MOCK_HEADER_TIMEOUT"),
        ("--body-timeout", "MOCK_BODY_TIMEOUT"),
        ("--max-header-bytes", "MOCK_MAX_HEADER_BYTES"),
        ("--max-admin-body-bytes", "MOCK_MAX_ADMIN_BODY_BYTES"),
    ]:
        assert option in result.output and variable in result.output, option


def test_loopback_needs_no_token_and_prints_no_warning(captured: dict[str, Any]) -> None:
    output = run(captured, [])
    config = captured["app"].state.config
    assert config.admin_token is None
    assert "WARNING" not in output and "Admin key" not in output
    assert "  URL       http://127.0.0.1:4010" in output


def test_defaults_are_nginx_like_and_the_protocol_is_guarded(captured: dict[str, Any]) -> None:
    run(captured, [])
    config = captured["app"].state.config
    assert (config.header_timeout_seconds, config.body_timeout_seconds) == (60.0, 60.0)
    assert config.max_header_bytes == 32 * 1024 and config.max_admin_body_bytes == 64 * 1024
    assert captured["http"].func is GuardedHttpToolsProtocol
    assert captured["http"].keywords["limits"].max_header_bytes == 32 * 1024


def test_every_new_option_comes_from_the_environment(captured: dict[str, Any]) -> None:
    env = {
        "MOCK_ADMIN_TOKEN": "team-secret-123456",
        "MOCK_ALLOWED_HOSTS": "mock.internal, twin.internal .corp.test",
        "MOCK_HEADER_TIMEOUT": "5",
        "MOCK_BODY_TIMEOUT": "7.5",
        "MOCK_MAX_HEADER_BYTES": "16384",
        "MOCK_MAX_ADMIN_BODY_BYTES": "1000",
    }
    output = run(captured, [], env)
    config = captured["app"].state.config
    assert config.admin_token == "team-secret-123456"
    assert config.allowed_hosts == ("mock.internal", "twin.internal", ".corp.test")
    assert (config.header_timeout_seconds, config.body_timeout_seconds) == (5.0, 7.5)
    assert (config.max_header_bytes, config.max_admin_body_bytes) == (16384, 1000)
    assert captured["http"].keywords["limits"].max_header_bytes == 16384
    assert "Admin key team-secret-123456" in output
    assert "admin_token=team-secret-123456" in output


def test_binding_every_interface_generates_a_token_and_warns(captured: dict[str, Any]) -> None:
    output = run(captured, ["--host", "0.0.0.0", "--port", "4321"])
    config = captured["app"].state.config
    token = config.admin_token
    assert token and len(token) >= 24
    assert f"Admin key {token}" in output
    assert "WARNING   listening on 0.0.0.0:4321: anyone on the network can reach" in output
    assert "bound to 0.0.0.0:4321 (every interface)" in output
    assert "from this machine http://127.0.0.1:4321" in output
    assert f"http://{socket.gethostname()}:4321" in output
    assert socket.gethostname() in config.allowed_hosts  # what team-mates type
    # Each start makes a new token.
    again = run(captured, ["--host", "0.0.0.0"])
    assert captured["app"].state.config.admin_token not in (None, token)
    assert "WARNING" in again


def test_a_given_token_is_kept_on_a_network_address(captured: dict[str, Any]) -> None:
    output = run(captured, ["--host", "192.0.2.10", "--admin-token", "mine-0123456789"])
    assert captured["app"].state.config.admin_token == "mine-0123456789"
    assert "  URL       http://192.0.2.10:4010" in output
    assert "WARNING   listening on 192.0.2.10:4010" in output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("devbox", False)],
)
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert exposure.is_loopback(host) is loopback


def test_quiet_still_prints_the_key_off_loopback(captured: dict[str, Any]) -> None:
    result = CliRunner().invoke(cli.main, ["--host", "0.0.0.0", "--quiet"])
    assert result.exit_code == 0, result.output
    token = captured["app"].state.config.admin_token
    captured["app"].state.service.close()
    assert result.stdout == ""
    assert f"Admin key {token}" in result.stderr and "WARNING" in result.stderr
