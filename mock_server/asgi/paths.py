"""OpenAPI path templates (``/api/v1/invoices/{invoice_id}``) as routers need them.

The dispatcher matches concrete paths with a regex, the FastAPI router wants Starlette's
own template syntax, and the admin API finds an operation by a concrete path: all three
read the one compilation here, so they can never disagree on what a template matches.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# Templates come from the spec (a few dozen), never from a request.
MAX_TEMPLATES = 256
_PARAMETER = re.compile(r"\{([^}]+)\}")
_NOT_A_WORD_CHARACTER = re.compile(r"\W")


def safe_name(name: str) -> str:
    """A path parameter's name as a Starlette route template and a regex group may spell it."""
    return _NOT_A_WORD_CHARACTER.sub("_", name)


@dataclass(frozen=True, slots=True)
class PathTemplate:
    """One compiled template: ``regex`` captures one group per parameter, in order.

    ``names`` are the parameters' safe names (Starlette's ``path_params`` keys) in the
    order of the groups; ``contract_names`` maps each back to its name in the contract.
    """

    template: str
    regex: re.Pattern[str]
    names: tuple[str, ...]
    contract_names: dict[str, str]
    starlette_path: str

    @property
    def is_literal(self) -> bool:
        return not self.names


@functools.lru_cache(maxsize=MAX_TEMPLATES)
def compile_template(template: str) -> PathTemplate:
    """The regex, parameter names and Starlette spelling of an OpenAPI path template."""
    parts = _PARAMETER.split(template)
    # re.split with one group alternates literal text and parameter names.
    literals, parameters = parts[0::2], parts[1::2]
    pattern = re.escape(literals[0]) + "".join(
        "([^/]+)" + re.escape(literal) for literal in literals[1:]
    )
    names = tuple(safe_name(name) for name in parameters)
    starlette = _PARAMETER.sub(lambda found: "{" + safe_name(found.group(1)) + "}", template)
    return PathTemplate(template, re.compile(pattern), names, dict(zip(names, parameters,
                        strict=True)), starlette)
