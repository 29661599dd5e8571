"""The soak benchmark's own logic: its verdict and its wiring under ``python -m bench``.

The soak run itself is a benchmark (figures in the README), not a test."""

from __future__ import annotations

import pytest

from bench import cli
from bench.soak import Sample, verdict


def samples(rss: list[float], evicting_from: int) -> list[Sample]:
    return [Sample(t=float(i), rss_mib=value, entities_kept=min(i, 5) * 1000,
                   entities_evicted=0 if i < evicting_from else i * 100, uploads_kept=1,
                   upload_mib_held=0.1, journal_kib=10.0, imports=i, disk_mib=None)
            for i, value in enumerate(rss)]


def test_flat_once_the_budget_is_reached() -> None:
    result = verdict(samples([50, 60, 70, 71, 70, 72, 71, 72, 73, 72], evicting_from=3))
    assert result["flat"] is True and result["budget_reached_at_s"] == 3.0


def test_growth_after_the_budget_is_not_flat() -> None:
    result = verdict(samples([50, 60, 70, 80, 90, 100, 110, 120, 130], evicting_from=2))
    assert result["flat"] is False and result["rss_growth_after_budget"] > 0.1


def test_too_few_samples_are_not_judged() -> None:
    assert verdict(samples([50, 60, 70], evicting_from=1))["flat"] is None


def test_python_m_bench_soak_is_wired(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["soak", "--help"])
    assert exited.value.code == 0
    assert "python -m bench soak" in capsys.readouterr().out
