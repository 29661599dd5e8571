"""CONTRACT §5: an entity read back is the one the bulk call returned.

Shared by the stateful check (which reads back what it just created) and the proxy's
judge (which compares read-backs it sees against the bulk responses it saw).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dayzero_twin.contract_tests.support.assertions import parse_timestamp
from dayzero_twin.contract_tests.support.kinds import kind_named
from dayzero_twin.contract_tests.support.rules import require

RULE_READ_BACK = "CONTRACT §5 GET of a created id returns that entity"
LINE_FIELDS = ("description", "quantity", "unit_price", "amount")


def expect_same_entity(
    kind: str,
    created: Mapping[str, Any],
    read: Mapping[str, Any],
    response: Any,
    rule: str = RULE_READ_BACK,
) -> None:
    """``read`` (a GET or list item) equals ``created`` (from the 201) where §5 says so."""
    description = kind_named(kind)
    for name in description.fields:
        require(
            read.get(name) == created.get(name),
            rule,
            f"{name}: bulk response said {created.get(name)!r}, read back {read.get(name)!r}",
            response,
        )
    for name in description.moments:
        require(
            parse_timestamp(read.get(name)) == parse_timestamp(created.get(name)),
            rule,
            f"{name}: bulk response said {created.get(name)!r}, read back {read.get(name)!r}",
            response,
        )
    # Invoices only have line items; for bills both sides are empty.
    lines = [[line.get(f) for f in LINE_FIELDS] for line in created.get("line_items") or []]
    again = [[line.get(f) for f in LINE_FIELDS] for line in read.get("line_items") or []]
    require(
        lines == again,
        rule,
        f"line_items: bulk response said {lines}, read back {again}",
        response,
    )
