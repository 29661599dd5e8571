"""Every single-part edit of a presigned upload URL a client could make (CONTRACT §2
"that URL carries its own signature … a tampered or expired URL is refused with 403").

Shared by the tampering check and the differential run. A business id is never edited
into a made-up one: only into the second business the suite was given, else dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from dayzero_twin.contract_tests.support.flows import flip_last, names_business

A_DAY = 86_400


@dataclass(frozen=True)
class Tampered:
    part: str
    url: str


def _changed(value: str, business_id: str, second_business_id: str | None) -> str | None:
    """A day later for a number (an extended expiry); the second business for a value
    naming the business (``None`` without one); else the last character changed."""
    if names_business(value, business_id):
        if second_business_id is None:
            return None
        return value[: len(value) - len(business_id)] + second_business_id
    if value.isdigit():
        return str(int(value) + A_DAY)
    return flip_last(value)


def tamperings(url: str, business_id: str, second_business_id: str | None) -> list[Tampered]:
    """Every single-part edit of ``url`` a client could make."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    out = []
    for index, (name, value) in enumerate(query):
        changed = _changed(value, business_id, second_business_id)
        if changed is not None:
            edited = [*query[:index], (name, changed), *query[index + 1 :]]
            out.append(
                Tampered(
                    f"query {name} changed", urlunsplit(parts._replace(query=urlencode(edited)))
                )
            )
        dropped = [*query[:index], *query[index + 1 :]]
        out.append(
            Tampered(f"query {name} dropped", urlunsplit(parts._replace(query=urlencode(dropped))))
        )
    head, _, last = parts.path.rpartition("/")
    changed = _changed(last, business_id, second_business_id) if last else None
    if changed is not None:
        out.append(
            Tampered(
                "last path segment changed",
                urlunsplit(parts._replace(path=f"{head}/{changed}")),
            )
        )
    return out
