"""Raw ASGI header lists, read and edited the way Starlette's ``Headers`` does it.

The request path works on ``scope["headers"]`` and the response's header list directly
instead of wrapping them in Starlette objects per request; these helpers keep the
semantics identical (first value wins on lookup, a set replaces every occurrence).
"""

from __future__ import annotations

RawHeaders = list[tuple[bytes, bytes]]


def first_header(raw: RawHeaders, name: bytes) -> bytes | None:
    """The first value of header ``name`` (lowercase), as ``Headers.get`` finds it."""
    for key, value in raw:
        if key == name:
            return value
    return None


def set_header(raw: RawHeaders, name: bytes, value: bytes) -> None:
    """``MutableHeaders.__setitem__``: replace the first occurrence, drop the others."""
    found = [index for index, (key, _) in enumerate(raw) if key == name]
    if not found:
        raw.append((name, value))
        return
    raw[found[0]] = (name, value)
    for index in reversed(found[1:]):
        del raw[index]


class RequestHeaders:
    """The request's headers by lowercase name, decoded on access; the first value wins,
    as with Starlette's ``Headers``. Parameter lookups call ``get`` with ``str`` names."""

    __slots__ = ("_first", "_raw")

    def __init__(self, raw: RawHeaders) -> None:
        self._raw = raw if isinstance(raw, list) else list(raw)
        # Built backwards so that the first occurrence of a name is the one kept.
        self._first = dict(reversed(self._raw))

    def get(self, name: str | bytes, default: str | None = None) -> str | None:
        key = name if isinstance(name, bytes) else name.lower().encode("latin-1")
        value = self._first.get(key)
        return default if value is None else value.decode("latin-1")

    def getlist(self, name: bytes) -> list[str]:
        return [value.decode("latin-1") for key, value in self._raw if key == name]
