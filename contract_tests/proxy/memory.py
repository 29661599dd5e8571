"""Bounded least-recently-used containers: what the judge remembers between exchanges.

Reading an entry refreshes it; adding past a bound evicts the least recently used
entries first. ``evicted`` counts them so the proxy can say how much it forgot.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, ItemsView, Iterator, MutableMapping, MutableSet, ValuesView
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Lru(MutableMapping[K, V]):
    """A mapping of at most ``limit`` entries and at most ``max_bytes`` (as ``size``
    measures values); one value larger than ``max_bytes`` is not kept at all."""

    def __init__(
        self,
        limit: int,
        max_bytes: int | None = None,
        size: Callable[[V], int] = lambda _: 0,
        on_evict: Callable[[K], None] = lambda _: None,
    ) -> None:
        self.limit, self.max_bytes, self._size, self._on_evict = limit, max_bytes, size, on_evict
        self._data: OrderedDict[K, V] = OrderedDict()
        self.bytes = 0
        self.evicted = 0

    def __getitem__(self, key: K) -> V:
        value = self._data[key]
        self._data.move_to_end(key)
        return value

    def __setitem__(self, key: K, value: V) -> None:
        if key in self._data:
            self.bytes -= self._size(self._data.pop(key))
        size = self._size(value)
        if self.max_bytes is not None and size > self.max_bytes:
            self._on_evict(key)
            self.evicted += 1
            return
        self._data[key] = value
        self.bytes += size
        while len(self._data) > self.limit or (
            self.max_bytes is not None and self.bytes > self.max_bytes
        ):
            old, dropped = self._data.popitem(last=False)
            self.bytes -= self._size(dropped)
            self.evicted += 1
            self._on_evict(old)

    def __delitem__(self, key: K) -> None:
        self.bytes -= self._size(self._data.pop(key))

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    # Iterating reads without refreshing (refreshing while iterating would reorder).
    def items(self) -> ItemsView[K, V]:
        return self._data.items()

    def values(self) -> ValuesView[V]:
        return self._data.values()


class LruSet(MutableSet[K]):
    """A set of at most ``limit`` members; adding refreshes a member."""

    def __init__(self, limit: int) -> None:
        self._data: Lru[K, None] = Lru(limit)

    def add(self, value: K) -> None:
        self._data[value] = None

    def discard(self, value: K) -> None:
        self._data.pop(value, None)

    def __contains__(self, value: object) -> bool:
        return value in self._data

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)
