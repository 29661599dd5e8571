"""``Runtime``: the state one app's requests share, built once by ``create_app``."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from dayzero_twin.mock_server.asgi.journal import Journal
from dayzero_twin.mock_server.config import MockConfig
from dayzero_twin.mock_server.domain.kinds import kind_tagged
from dayzero_twin.mock_server.offload import Offloader
from dayzero_twin.mock_server.pipeline.generator import Filler, Generator
from dayzero_twin.mock_server.pipeline.scenarios import ScenarioBook
from dayzero_twin.mock_server.pipeline.spec import CompiledSpec, OperationSpec
from dayzero_twin.mock_server.service import MockService


@dataclass
class Runtime:
    """Config, compiled spec, service and the helpers every endpoint of one app uses."""

    config: MockConfig
    spec: CompiledSpec
    service: MockService
    generator: Generator
    scenarios: ScenarioBook
    journal: Journal
    rng: random.Random
    offload: Offloader
    # One filler per response schema of the spec: as many as the spec has, no more.
    _fillers: dict[int, Filler] = field(default_factory=dict)

    @classmethod
    def start(cls, config: MockConfig, spec: CompiledSpec, service: MockService) -> Runtime:
        """The runtime of a new app, every helper seeded and sized from ``config``."""
        return cls(
            config=config,
            spec=spec,
            service=service,
            generator=Generator(config.seed, service.now),
            scenarios=ScenarioBook(config.max_armed_scenarios),
            journal=Journal(config.journal_size, config.journal_max_bytes),
            rng=random.Random(config.seed),
            offload=Offloader(config.inline_budget_s, config.max_cost_keys),
        )

    def filler(self, schema: dict[str, Any]) -> Filler:
        """The (cached) gap filler of one response schema."""
        key = id(schema)
        filler = self._fillers.get(key)
        if filler is None:
            filler = self._fillers[key] = Filler(schema)
        return filler

    @staticmethod
    def csv_columns(operation: OperationSpec) -> tuple[str, ...]:
        """The CSV header of the kind of file an operation imports (none: not an import)."""
        kind = kind_tagged(operation.tags)
        return kind.columns if kind is not None else ()
