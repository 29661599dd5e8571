"""Hostile CSV files through both bulk operations: a 400 that says what is wrong, or a
201 that holds every row of a file that is in fact valid — and the store agrees.

The short version of ``python -m bench.stress.csv_fuzz``: the named monsters of the
brief (random bytes, invalid UTF-8, UTF-16, a 5 MB line, 30,000 columns, NUL bytes,
lone CR, duplicate headers, formula cells, empty and header-only files) once each, and
a bounded number of Hypothesis-drawn mutations of valid files.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest

from bench.stress.csv_cases import CsvCase, judge, named_cases
from bench.stress.csv_fuzz import FuzzReport, check_store, run_generated, send_case
from bench.stress.harness import KINDS, Api, Kind, MockProcess

GENERATED_EXAMPLES = 40  # per bulk operation; the stress script draws hundreds


@functools.cache
def _named(kind: Kind) -> tuple[CsvCase, ...]:
    return tuple(named_cases(kind))


NAMED = [(kind, index) for kind in KINDS for index in range(len(_named(kind)))]


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with MockProcess() as mock, Api(mock.base_url) as client:
        yield client
        assert mock.alive(), "the mock died during the CSV tests"


@pytest.mark.parametrize(("kind", "index"), NAMED,
                         ids=[f"{k}-{_named(k)[i].label}" for k, i in NAMED])
def test_named_hostile_file(api: Api, kind: Kind, index: int) -> None:
    case = _named(kind)[index]
    report = FuzzReport()
    send_case(api, case, flag=True, report=report)
    assert not report.problems, "\n".join(report.problems)
    check_store(api, report)
    assert not report.problems, "\n".join(report.problems)


@pytest.mark.parametrize("kind", KINDS)
def test_generated_files(api: Api, kind: Kind) -> None:
    report = run_generated(api, kind, GENERATED_EXAMPLES, seed=1)
    assert not report.problems, "\n".join(report.problems[:10])
    # The generator reaches both sides of the contract, or this test proves little.
    assert report.outcomes["201"] > 0 and report.outcomes["400"] > 0, report.outcomes
    check_store(api, report)
    assert not report.problems, "\n".join(report.problems[:10])


def test_the_judge_refuses_wrong_answers() -> None:
    refused = CsvCase("bad date", "bills", b"x", "refused", "m", 2, error_column="due_on")
    created = CsvCase("valid", "bills", b"x", "created", "m", 2)
    good_400 = {"detail": "1 invalid cell", "errors": [
        {"row": 1, "column": "due_on", "message": "not a date"}]}
    assert judge(refused, 400, good_400) == []
    assert judge(created, 201, {"items": [{"description": "m"}] * 2}) == []
    assert judge(refused, 201, {"items": []})
    assert judge(refused, 500, {"detail": "Internal Server Error"})
    assert judge(refused, 400, {"detail": "", "errors": []})
    assert judge(refused, 400, {"detail": "bad", "errors": []})  # the column is not named
    assert judge(created, 201, {"items": [{"description": "m"}]})  # a row went missing
    assert judge(created, 201, {"items": [{"description": "m"}, {"description": "other"}]})
    assert judge(created, 422, {"detail": [{"msg": "x"}]})
