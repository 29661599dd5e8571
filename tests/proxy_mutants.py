"""The checking proxy in front of the mutants: which broken rule does it name?

For each mutant the contract suite's own checks for it (``Mutant.select``) run through a
fresh in-process proxy (with ``--route-uploads``, so presigned PUTs pass through it too)
in front of ``/m/<name>`` of the mutant server; the proxy's
violations are what it saw. ``python -m tests.proxy_mutants [NAME ...]`` prints the
table docs/PROXY.md reports, rows and count (every mutant when no name is given).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from dayzero_twin.contract_tests.proxy.app import ProxyState
from dayzero_twin.contract_tests.proxy.serve import running_proxy
from tests.mutants.__main__ import PREFIX
from tests.mutants.catalogue import BUSINESS, MUTANTS, SECOND_BUSINESS, TOKEN, Mutant
from tests.test_contract_suite import ROOT, served

SUITE_SECONDS = 300
EXAMPLES = "5"


def proxied_rules(root_url: str, mutant: Mutant) -> list[str]:
    """The rules the proxy named while the mutant's checks ran through it (sorted, unique)."""
    with (
        running_proxy(root_url + PREFIX + mutant.name, ProxyState(route_uploads=True)) as (
            url,
            state,
        ),
        tempfile.TemporaryDirectory() as scratch,
    ):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "dayzero_twin.contract_tests",
                "--base-url",
                url,
                "--token",
                TOKEN,
                "--business-id",
                BUSINESS,
                "--second-business-id",
                SECOND_BUSINESS,
                "-k",
                mutant.select,
                "--max-examples",
                EXAMPLES,
                "--junit-xml",
                str(Path(scratch) / "j.xml"),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=SUITE_SECONDS,
            check=False,
        )
        state.settle()
        with state.judge.lock:
            return sorted(state.judge.findings.counts)


def main(names: list[str]) -> int:
    chosen = [m for m in MUTANTS if not names or m.name in names]
    named = 0
    with served() as root_url:
        for mutant in chosen:
            rules = proxied_rules(root_url, mutant)
            named += bool(rules)
            shown = "; ".join(rules) or "— (not visible, see below)"
            print(f"| `{mutant.name}` | {mutant.breaks} | {shown} |", flush=True)
    print(f"\n{named} of {len(chosen)} mutants are named by the proxy.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
