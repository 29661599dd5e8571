"""The scenario ``diff`` sends to each implementation, in order: per kind the imports,
reads, refusals and what follows them (:mod:`~contract_tests.diff.kind_steps`), then
once the presigned flow, the parallel imports and the large files
(:mod:`~contract_tests.diff.once_steps`).

The same CSV bytes go to both sides (:class:`~contract_tests.diff.files.Files`, built
once from the seed). Every step names the contract rule it exercises, so a difference is
reported against that rule. One request is in flight at a time, except in the one step
about parallel imports; answers are deterministic, so two faithful implementations
observe the same thing step for step.
"""

from __future__ import annotations

from collections.abc import Iterator

from dayzero_twin.contract_tests.diff import kind_steps, once_steps
from dayzero_twin.contract_tests.diff.session import Observation, Plan, Session, Target
from dayzero_twin.contract_tests.support.kinds import KINDS

__all__ = ["Observation", "Plan", "Target", "observations", "steps"]


def steps(session: Session) -> Iterator[Observation]:
    for kind in KINDS:
        files = session.plan.files[kind.name]
        created = yield from kind_steps.imports(session, kind, files)
        yield from kind_steps.reads(session, kind, created)
        yield from kind_steps.refusals(session, kind, files)
        yield from kind_steps.after_refusals(session, kind, files)
    yield from once_steps.presigned(session)
    yield from once_steps.parallel(session)
    if session.plan.large_files:
        yield from once_steps.large(session)


def observations(target: Target, plan: Plan) -> list[Observation]:
    session = Session(target, plan)
    try:
        return list(steps(session))
    finally:
        session.close()
