"""Bundle the per-operation slices into one OpenAPI document.

Each slice holds ``paths`` for one operation and the ``components`` it introduces;
``_common.yaml`` holds the document header and the shared components. Slices refer
to each other's components as ``other.yaml#/components/...``. Bundling merges them
all into one document in which every reference is local (``#/components/...``), so
any OpenAPI tool can read it without a resolver for relative files.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

# The slices are this package's data, found through the loader that imported it rather
# than through __file__: under the editable install an import hook maps the package onto
# openapi/, and a wheel may be installed anywhere.
SLICES: Traversable = resources.files("dayzero_twin.openapi")
COMMON_SLICE = "_common.yaml"
COMPONENT_SECTIONS = ("schemas", "parameters", "responses", "securitySchemes", "headers")
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")


class BundleError(ValueError):
    """The slices do not form one consistent document."""


# libyaml's parser when PyYAML was built with it: the same safe subset of YAML, about ten
# times faster, which is most of the mock's start-up.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _folder_on_disk(slices: Traversable) -> Path:
    """``slices`` as a real folder, for the callers that watch or stat the files.

    The mock's ``--reload`` watches the folder and its compile cache fingerprints the
    files' mtimes. Every way pip installs this package (a wheel, the editable install)
    leaves the slices in a folder, where ``files()`` is a ``Path`` already.
    """
    if not isinstance(slices, Path):
        raise ImportError(f"{slices}: the OpenAPI slices must be installed as plain files")
    return slices


SLICE_DIR = _folder_on_disk(SLICES)


def _read_yaml(path: Traversable) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=_SAFE_LOADER)
    if not isinstance(data, dict):
        raise BundleError(f"{path.name}: a slice must be a YAML mapping")
    return data


def _localize_refs(node: Any) -> Any:
    """Rewrite ``file.yaml#/pointer`` references to ``#/pointer``, recursively."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and "#" in value:
                out[key] = "#" + value.split("#", 1)[1]
            else:
                out[key] = _localize_refs(value)
        return out
    if isinstance(node, list):
        return [_localize_refs(item) for item in node]
    return node


def _iter_refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _iter_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _iter_refs(item)


def _resolve_pointer(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            raise BundleError(f"unresolved reference {ref!r}")
        node = node[part]
    return node


def slice_paths(directory: Traversable = SLICES) -> list[Traversable]:
    """The operation slices in ``directory``, in a stable order (common part excluded)."""
    return sorted(
        (p for p in directory.iterdir() if p.name.endswith(".yaml") and p.name != COMMON_SLICE),
        key=lambda p: p.name,
    )


def load_bundle(directory: Traversable | str | None = None) -> dict[str, Any]:
    """Merge every slice of ``directory`` (default: this package's) into one document.

    ``directory`` is a folder (a path or its string) or a package resource folder.
    Raises :class:`BundleError` when two slices define the same operation or the same
    component differently, or when a reference points nowhere.
    """
    if directory is None:
        directory = SLICES
    elif isinstance(directory, str):
        directory = Path(directory)
    common_path = directory / COMMON_SLICE
    if not common_path.is_file():
        raise BundleError(f"{directory}: no {COMMON_SLICE}")
    document: dict[str, Any] = _localize_refs(_read_yaml(common_path))
    document.setdefault("paths", {})
    components = document.setdefault("components", {})
    owners: dict[tuple[str, str], str] = {
        (section, name): COMMON_SLICE
        for section in COMPONENT_SECTIONS
        for name in components.get(section, {})
    }
    tags: list[str] = [tag["name"] for tag in document.get("tags", [])]
    for path in slice_paths(directory):
        piece = _localize_refs(_read_yaml(path))
        for route, item in (piece.get("paths") or {}).items():
            merged = document["paths"].setdefault(route, {})
            for method, operation in item.items():
                if method in merged:
                    raise BundleError(f"{path.name}: {method.upper()} {route} is defined twice")
                merged[method] = operation
                for tag in operation.get("tags", []) if method in HTTP_METHODS else []:
                    if tag not in tags:
                        tags.append(tag)
        for section, entries in (piece.get("components") or {}).items():
            target = components.setdefault(section, {})
            for name, definition in entries.items():
                owner = owners.get((section, name))
                if owner is not None and target[name] != definition:
                    raise BundleError(
                        f"{path.name}: components/{section}/{name} differs from {owner}"
                    )
                owners[(section, name)] = path.name
                target[name] = definition
    described = {tag["name"]: tag for tag in document.get("tags", [])}
    document["tags"] = [described.get(tag, {"name": tag}) for tag in tags]
    for ref in set(_iter_refs(document)):
        _resolve_pointer(document, ref)
    return document


def iter_operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield ``(method, path, operation)`` for every operation of a bundled document."""
    for route, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method, route, operation


def dereference(document: dict[str, Any], node: Any) -> Any:
    """A deep copy of ``node`` with every ``$ref`` of ``document`` replaced by its target.

    Recursive schemas are not part of this contract, so plain inlining terminates.
    """
    if isinstance(node, dict):
        if "$ref" in node:
            target = _resolve_pointer(document, node["$ref"])
            merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            return dereference(document, merged)
        return {key: dereference(document, value) for key, value in node.items()}
    if isinstance(node, list):
        return [dereference(document, item) for item in node]
    return copy.copy(node)


def main(argv: list[str] | None = None) -> int:
    """Write the bundled contract as JSON and YAML, for tools outside this project."""
    parser = argparse.ArgumentParser(
        prog="dayzero-openapi",
        description="Bundle the OpenAPI slices into one document (JSON and YAML).",
    )
    parser.add_argument(
        "--openapi-dir",
        type=Path,
        default=None,
        help="slice folder (default: the slices installed with this package)",
    )
    parser.add_argument("--out", type=Path, default=Path("build"), help="output folder")
    args = parser.parse_args(argv)
    try:
        document = load_bundle(args.openapi_dir)
    except BundleError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / "openapi.json"
    yaml_path = args.out / "openapi.yaml"
    json_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    yaml_path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    print(f"wrote {json_path} and {yaml_path} ({len(list(iter_operations(document)))} operations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
