"""``dayzero-contract``: its options, their ``CONTRACT_*`` variables, and exit status 2 for
anything that keeps the suite from running (never a traceback, never 1, which would blame
the implementation). The suite's own runs are proven in ``test_contract_suite.py``."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import click
import pytest

from dayzero_twin.contract_tests import cli, options
from dayzero_twin.contract_tests.settings import DEFAULT_MAX_EXAMPLES, Settings

ROOT = Path(__file__).resolve().parent.parent
BUSINESS = "B5A1C6DE-0000-4000-8000-0000000000AA"
ALL_VARIABLES = {
    "CONTRACT_BASE_URL": "https://sandbox.example.com/",
    "CONTRACT_TOKEN": "dz_env_token",
    "CONTRACT_BUSINESS_ID": BUSINESS,
    "CONTRACT_OTHER_BUSINESS_ID": "b5a1c6de-0000-4000-8000-0000000000bb",
    "CONTRACT_SECOND_BUSINESS_ID": "b5a1c6de-0000-4000-8000-0000000000cc",
    "CONTRACT_JUNIT_XML": "report.xml",
    "CONTRACT_MAX_EXAMPLES": "7",
    "CONTRACT_SEED": "11",
    "CONTRACT_MAX_ROWS": "3",
    "CONTRACT_MAX_EXPIRY_WAIT": "1.5",
    "CONTRACT_TIMEOUT": "9",
    "CONTRACT_WORKERS": "3",
}


@pytest.fixture(autouse=True)
def no_contract_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own CONTRACT_* variables must not leak into these tests."""
    for name in os.environ:
        if name.startswith("CONTRACT_"):
            monkeypatch.delenv(name)


def parsed(argv: list[str]) -> dict[str, Any]:
    """The values ``dayzero-contract argv`` would run with, without running anything."""
    return cli.suite.make_context(cli.PROG, argv).params


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# -- help -------------------------------------------------------------------------------


def test_help_names_the_command_and_every_variable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    assert out.startswith("Usage: dayzero-contract [OPTIONS]")
    for name in ALL_VARIABLES:
        assert name in out, name


def test_python_dash_m_shows_the_command_name() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dayzero_twin.contract_tests", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: dayzero-contract [OPTIONS]")


# -- bad values: status 2 and one line ------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--max-examples", "-3"], "'--max-examples'"),
        (["--max-examples", "abc"], "'abc'"),
        (["--max-rows", "0"], "'--max-rows'"),
        (["--seed", "x"], "'--seed'"),
        (["--timeout", "0"], "'--timeout'"),
        (["--business-id", "not-a-uuid"], "not a UUID"),
        (["--other-business-id", "42"], "not a UUID"),
        (["--base-url", "localhost:4010"], "not an http(s) URL"),
        (["--base-url", "http://127.0.0.1:9"], "missing --token"),
        (["--no-such-option"], "No such option"),
        (["frobnicate"], "No such command"),
        (["judge"], "Missing argument"),
    ],
)
def test_bad_value_is_status_2_in_one_line(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("Error: ") and says in err, err
    assert "Traceback" not in err


def test_bad_variable_is_status_2_even_for_help(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CONTRACT_MAX_EXAMPLES", "abc")
    code, out, err = run(["--help"], capsys)
    assert code == 2 and out == ""
    assert err.strip() == (
        "Error: Invalid value for '--max-examples' (env var: 'CONTRACT_MAX_EXAMPLES'): "
        "'abc' is not a valid integer range."
    )


def test_installed_command_reports_a_bad_variable_in_one_line() -> None:
    command = Path(sys.executable).parent / "dayzero-contract"
    done = subprocess.run(
        [str(command), "--help"],
        env={**os.environ, "CONTRACT_MAX_EXAMPLES": "abc"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "CONTRACT_MAX_EXAMPLES" in done.stderr


# -- variables and options ------------------------------------------------------------------


def test_every_variable_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ALL_VARIABLES.items():
        monkeypatch.setenv(name, value)
    values = parsed([])
    assert values["junit_xml"] == "report.xml"
    assert options.settings_from(values) == Settings(
        base_url="https://sandbox.example.com",
        token="dz_env_token",
        business_id=BUSINESS.lower(),
        other_business_id="b5a1c6de-0000-4000-8000-0000000000bb",
        second_business_id="b5a1c6de-0000-4000-8000-0000000000cc",
        max_examples=7,
        seed=11,
        max_rows=3,
        timeout=9.0,
        max_expiry_wait=1.5,
        workers=3,
    )


def test_an_option_beats_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTRACT_MAX_EXAMPLES", "7")
    assert parsed(["--max-examples", "9"])["max_examples"] == 9


def test_defaults_and_a_random_other_business() -> None:
    values = parsed(["--base-url", "http://x", "--token", "t", "--business-id", BUSINESS])
    settings = options.settings_from(values)
    assert settings.max_examples == DEFAULT_MAX_EXAMPLES
    assert settings.second_business_id is None
    assert uuid.UUID(settings.other_business_id) != uuid.UUID(BUSINESS)


def test_run_options_become_pytest_options() -> None:
    values = parsed(["-k", "auth", "-x", "-vv", "--junit-xml", "out.xml", "--rule", "§1"])
    args = cli.pytest_args(values)
    assert args[: len(cli.TEST_MODULES)] == [str(cli.CHECKS / n) for n in cli.TEST_MODULES]
    assert "--import-mode=importlib" in args
    assert {"-k", "auth", "-x", "-vv", "--junitxml", "out.xml"} <= set(args)
    # Settings and rules reach pytest as a plugin object, not as command-line text.
    assert not any(arg.startswith("--contract-") or arg == "§1" for arg in args)
    assert options.rules_from(values) == ("§1",)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (pytest.ExitCode.OK, 0),
        (pytest.ExitCode.TESTS_FAILED, 1),
        (pytest.ExitCode.NO_TESTS_COLLECTED, 2),
        (pytest.ExitCode.USAGE_ERROR, 2),
        (pytest.ExitCode.INTERRUPTED, 2),
        (pytest.ExitCode.INTERNAL_ERROR, 2),
    ],
)
def test_verdict(code: pytest.ExitCode, status: int) -> None:
    assert cli.verdict(code, "http://x") == status


def test_subcommands_can_join_the_group() -> None:
    """The group runs the suite without a subcommand; a subcommand runs instead of it."""
    group = click.Group(
        "dayzero-contract", params=list(cli.suite.params), invoke_without_command=True,
        callback=cli.suite.callback,
    )

    @group.command()
    def judge() -> int:
        return 7

    assert group.main(["judge"], standalone_mode=False) == 7


# -- the plugin on its own: the same declarations, spelled --contract-* ----------------------


def standalone(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable, "-m", "pytest", "-p", "dayzero_twin.contract_tests.plugin",
            "-p", "no:cacheprovider", *cli.IMPORT_ARGS, "--collect-only", "-q",
            str(cli.CHECKS / "test_request_validation.py"), str(cli.CHECKS / "test_schemas.py"),
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_plugin_alone_collects_with_its_own_options() -> None:
    done = standalone(
        "--contract-base-url", "http://127.0.0.1:9", "--contract-token", "t",
        "--contract-business-id", BUSINESS, "--contract-rule", "schema: documented status",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test_schemas.py::test_operation" in done.stdout
    assert "test_bad_flag_is_422" not in done.stdout  # --contract-rule selects


def test_plugin_alone_refuses_a_bad_value() -> None:
    done = standalone(
        "--contract-base-url", "http://127.0.0.1:9", "--contract-token", "t",
        "--contract-business-id", BUSINESS, "--contract-max-examples", "-3",
    )
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "contract suite: Invalid value for '--contract-max-examples'" in done.stderr


def test_plugin_alone_names_what_is_missing() -> None:
    done = standalone()
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "missing --contract-base-url [CONTRACT_BASE_URL]" in done.stderr
