"""Hot spots from a sampled call tree, whichever profiler recorded it (pure once loaded).

Two sources: py-spy's folded stacks (``record --format raw``), which cover every
thread — the mock imports CSV files in a worker thread — and pyinstrument sessions,
which cover the main thread only. Samples waiting in the event loop's poll count as
idle and are left out, so every share is a share of *busy* time. Self time says where
the CPU was; inclusive time of the mock's own functions says where a fix should start.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyinstrument.session import Session

# Frames in which a server that has nothing to do spends its time.
IDLE_FUNCTIONS = frozenset({"select", "poll", "run_until_complete", "run_forever"})
IDLE_FILES = ("<built-in>", "selectors.py")
# py-spy's frame text: ``function (file:line)``; the line is absent for some natives.
_FOLDED_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*?)(?::\d+)?\)$")
APP_PACKAGE = "mock_server"


@dataclass
class Node:
    """One frame of a call tree: where it is, its inclusive time, its callees."""

    file: str
    function: str
    time: float
    children: list[Node] = field(default_factory=list)

    @property
    def self_time(self) -> float:
        return max(0.0, self.time - sum(child.time for child in self.children))


def short_path(file: str) -> str:
    """A readable location: ``mock_server/x.py``, ``starlette/routing.py``, ``json/decoder.py``."""
    if not file.startswith("/"):
        return file  # already short: py-spy's paths, <built-in>, <frozen …>
    parts = Path(file).parts
    if APP_PACKAGE in parts:
        return "/".join(parts[parts.index(APP_PACKAGE) :])
    if "site-packages" in parts:
        return "/".join(parts[parts.index("site-packages") + 1 :])
    if len(parts) >= 2 and parts[-2].startswith("python3"):
        return parts[-1]
    return "/".join(parts[-2:]) if len(parts) >= 2 else file


def where(node: Node) -> str:
    return f"{short_path(node.file)}:{node.function}"


def is_idle(node: Node) -> bool:
    return node.function in IDLE_FUNCTIONS and node.file.endswith(IDLE_FILES)


def _walk(node: Node, ancestors: frozenset[str]) -> Iterator[tuple[Node, bool]]:
    """Every node once, with whether its location is new on its call path (for recursion)."""
    key = where(node)
    yield node, key not in ancestors
    for child in node.children:
        yield from _walk(child, ancestors | {key})


def is_app(node: Node) -> bool:
    return short_path(node.file).startswith(APP_PACKAGE + "/")


def _app_callee_time(node: Node) -> float:
    """Time of the nearest app frames below ``node``, looking through library frames."""
    return sum(child.time if is_app(child) else _app_callee_time(child) for child in node.children)


def analyse(root: Node, *, top: int = 12, app_top: int = 12) -> dict[str, Any]:
    """Idle share, the top self-time locations, and the app functions that cost most.

    An app function's *own* cost is its time minus that of the app functions it
    calls: its own code plus the library code it calls directly. That charges the
    framework's middleware, JSON encoding or thread hand-off to the mock function that
    chose to use it, which is where a fix would be made.
    """
    self_time: dict[str, float] = {}
    inclusive: dict[str, float] = {}
    own: dict[str, float] = {}
    idle = 0.0
    for node, outermost in _walk(root, frozenset()):
        key = where(node)
        if is_idle(node):
            idle += node.self_time
            continue
        self_time[key] = self_time.get(key, 0.0) + node.self_time
        if outermost:
            inclusive[key] = inclusive.get(key, 0.0) + node.time
        if is_app(node):
            own[key] = own.get(key, 0.0) + node.time - _app_callee_time(node)
    total = root.time
    busy = max(total - idle, 1e-12)

    def spot(key: str) -> dict[str, Any]:
        return {
            "where": key,
            "self_share": self_time.get(key, 0.0) / busy,
            "own_share": own.get(key, 0.0) / busy,
            "total_share": min(inclusive.get(key, 0.0), busy) / busy,
        }

    by_self = sorted(self_time, key=lambda key: self_time[key], reverse=True)[:top]
    by_own = sorted(own, key=lambda key: own[key], reverse=True)[:app_top]
    return {
        "total_s": total,
        "busy_share": busy / total if total > 0 else 0.0,
        "hotspots": [spot(key) for key in by_self],
        "app_hotspots": [spot(key) for key in by_own],
    }


def from_pyinstrument(path: Path) -> Node:
    """Load a ``.pyisession`` file into :class:`Node`s, dropping pyinstrument's ``[self]``."""
    root = Session.load(str(path)).root_frame()
    if root is None:
        return Node("<empty>", "<empty>", 0.0)

    def convert(frame: Any) -> Node:
        children = [convert(child) for child in frame.children if not child.is_synthetic]
        return Node(frame.file_path or "<unknown>", frame.function or "?", frame.time, children)

    return convert(root)


def from_folded(text: str, interval_s: float = 1.0) -> Node:
    """Folded stacks (``frame;frame;… count`` per line) as one tree; frames merge by location.

    Line numbers are dropped so that one function is one node, whichever line of it
    was executing. Times are sample counts × ``interval_s``.
    """
    root = Node("<root>", "<all samples>", 0.0)
    index: dict[int, dict[tuple[str, str], Node]] = {}
    for line in text.splitlines():
        stack, _, count_text = line.rstrip().rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        weight = int(count_text) * interval_s
        root.time += weight
        node = root
        for frame in stack.split(";"):
            match = _FOLDED_FRAME.match(frame)
            file, function = (match["file"], match["function"]) if match else ("?", frame)
            children = index.setdefault(id(node), {})
            child = children.get((file, function))
            if child is None:
                child = Node(file, function, 0.0)
                children[(file, function)] = child
                node.children.append(child)
            child.time += weight
            node = child
    return root


def render_tree(root: Node, *, min_share: float = 0.01, max_depth: int = 80) -> str:
    """An indented call tree, each line ``share%  file:function``, small branches cut."""
    total = root.time or 1.0
    lines: list[str] = []

    def visit(node: Node, depth: int) -> None:
        if depth > max_depth:
            return
        for child in sorted(node.children, key=lambda n: n.time, reverse=True):
            if child.time / total < min_share:
                continue
            lines.append(f"{child.time / total * 100:5.1f}%  {'  ' * depth}{where(child)}")
            visit(child, depth + 1)

    visit(root, 0)
    return "\n".join(lines) + "\n"
