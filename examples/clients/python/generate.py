"""Generate the Python client: ``python generate.py BUNDLE OUT_DIR`` (README: Generate a client).

openapi-python-client 0.29 types a header parameter of ``format: uuid`` as ``UUID`` and puts
the object itself into the request headers, where httpx raises ``TypeError: Header value
must be str or bytes``. So the client is generated from a copy of the bundle whose header
parameters are plain strings: ``x_business_id: str``, typed and working. Path, query and
body uuids keep their format.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

CONFIG = Path(__file__).with_name("config.yaml")


def headers_as_strings(document: dict[str, Any]) -> dict[str, Any]:
    """The bundle with ``format`` dropped from every header parameter's schema."""
    parameters = list(document.get("components", {}).get("parameters", {}).values())
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            parameters += [p for p in operation.get("parameters", []) if "$ref" not in p]
    for parameter in parameters:
        if parameter.get("in") == "header":
            parameter.get("schema", {}).pop("format", None)
    return document


def main(bundle: Path, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    patched = out_dir / "openapi-for-client.json"
    document = headers_as_strings(json.loads(bundle.read_text(encoding="utf-8")))
    patched.write_text(json.dumps(document), encoding="utf-8")
    generator = Path(sys.executable).with_name("openapi-python-client")
    subprocess.run(
        [str(generator), "generate", "--path", str(patched), "--config", str(CONFIG),
         "--meta", "none", "--output-path", str(out_dir / "dayzero_client"), "--overwrite"],
        check=True,
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
