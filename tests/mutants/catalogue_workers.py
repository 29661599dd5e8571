"""Mutants only a run spread over workers can catch with the run-wide checks.

Not in :data:`tests.mutants.catalogue.MUTANTS`, every one of which a run of one check at
a time (and the checking proxy, and ``diff``) must catch by its named check: what these
break shows only when the suite's requests come over several connections at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.mutants.catalogue import Mutant, edit_entities, is_bulk
from tests.mutants.rewrite import ASGIApp, Req, Resp, Rewriter

# Imports answer this late, as a staging API would (the case the suite spreads its checks
# over workers for): the worker that starts first cannot run every check before the
# others have started, so the imports come over several connections.
LATE_IMPORT_SECONDS = 0.3


class NumbersPerConnection(Rewriter):
    """Invoice numbers counted per client connection: a server of several processes,
    each numbering on its own, a keep-alive connection staying with one of them. Over
    one connection every number is new; two connections hand out the same ones."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app)
        self.counters: dict[Any, int] = {}

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        if not is_bulk(req):
            return resp
        await asyncio.sleep(LATE_IMPORT_SECONDS)
        connection = req.scope.get("client")

        def renumber(entity: dict[str, Any]) -> None:
            if entity.get("number"):
                self.counters[connection] = self.counters.get(connection, 0) + 1
                entity["number"] = f"INV-{self.counters[connection]:04d}"

        return edit_entities(resp, renumber)


WORKER_MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "numbers-per-connection",
        4,
        "invoice numbering counted per client connection",
        NumbersPerConnection,
        # Checks that finalize invoices one import at a time (the parallel imports of
        # test_concurrency would catch it on their own, over their several connections).
        "(hard_invoice_file or generated_invoice_files or numbers_unique) and not parallel",
        (("", "CONTRACT §3.1 finalized invoice numbers are unique within the business"),),
    ),
)
