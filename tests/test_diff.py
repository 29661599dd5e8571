"""(c) ``dayzero-contract diff``: the mock against itself (two instances, same seed)
agrees; against mutants it names the rule where they part."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dayzero_twin.contract_tests.cli import main
from dayzero_twin.contract_tests.mock_process import running_mock
from tests.mutants.__main__ import PREFIX
from tests.mutants.catalogue import BUSINESS, TOKEN
from tests.test_contract_suite import served

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with running_mock(("--seed", "7")) as url:
        yield url


@pytest.fixture(scope="module")
def root_url() -> Iterator[str]:
    with served() as url:
        yield url


def diff(base: str, against: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(
        [
            "diff",
            "--base-url",
            base,
            "--token",
            TOKEN,
            "--business-id",
            BUSINESS,
            "--against-url",
            against,
        ]
    )
    return code, capsys.readouterr().err


def test_mock_agrees_with_itself(mock_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with running_mock(("--seed", "7")) as other:
        code, err = diff(mock_url, other, capsys)
    assert code == 0, err
    assert "agree" in err and TOKEN not in err


@pytest.mark.parametrize(
    ("mutant", "rule", "where"),
    [
        ("half-even", "CONTRACT §3.1, §4", "amount"),
        ("header-loc", "CONTRACT §1 order 2: 422", "loc"),
        ("no-www-authenticate", "CONTRACT §1 order 1: 401", "www-authenticate"),
    ],
)
def test_diff_finds_the_mutant(
    mock_url: str,
    root_url: str,
    mutant: str,
    rule: str,
    where: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = diff(mock_url, root_url + PREFIX + mutant, capsys)
    assert code == 1, err
    assert any(line.startswith(f"[{rule}]") and where in line for line in err.splitlines()), err
