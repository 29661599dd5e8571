"""``python -m bench.stress``: every stress script with its default counts, one after another.

Each script prints its own measured summary line; this runner adds which ones failed and
the total time. ``--quick`` divides every count by about ten for a smoke run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable

from bench.stress import concurrency, crash, csv_fuzz, negative, oversize

Main = Callable[[list[str] | None], int]


def scripts(quick: bool, scratch: str) -> list[tuple[str, Main, list[str]]]:
    """The scripts and their arguments; ``scratch`` is an empty folder for SQLite runs."""
    if quick:
        return [
            ("negative", negative.main, ["--max-examples", "20"]),
            ("csv_fuzz", csv_fuzz.main, ["--examples", "50"]),
            ("oversize", oversize.main, ["--repeat", "1", "--size-mib", "64"]),
            ("concurrency", concurrency.main, ["--rounds", "1"]),
            ("concurrency", concurrency.main, ["--rounds", "1", "--data-dir", scratch]),
            ("crash", crash.main, ["--rounds", "2"]),
        ]
    return [
        ("negative", negative.main, []),
        ("csv_fuzz", csv_fuzz.main, []),
        ("oversize", oversize.main, []),
        ("concurrency", concurrency.main, []),
        ("concurrency", concurrency.main, ["--data-dir", scratch]),
        ("crash", crash.main, []),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stress", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="about a tenth of every count")
    args = parser.parse_args(argv)
    started = time.monotonic()
    failed = []
    with tempfile.TemporaryDirectory(prefix="stress-sqlite-") as scratch:
        for name, run, script_args in scripts(args.quick, scratch):
            print(f"== {name} {' '.join(script_args)}", flush=True)
            if run(script_args) != 0:
                failed.append(name)
    print(f"== stress scripts done in {time.monotonic() - started:.0f}s; "
          f"failed: {', '.join(failed) or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
