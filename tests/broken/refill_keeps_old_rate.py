"""A refill with a new concentration of the same drug keeps running the old program's rate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from pumpsafety.checks.harness import ReferenceAdapter
from pumpsafety.errors import PumpSafetyError
from pumpsafety.guards import Ctx, Guard
from pumpsafety.spec import Spec
from tests.broken._base import FaultyModel, adapter

EXPECTED = ("SR-DOSE-05", "SR-DEL-03", "SR-RES-07")


def program_matches_reservoir(ctx: Ctx) -> PumpSafetyError | None:
    p = ctx.data.program
    if p is None or p.drug != ctx.data.drug:  # fault: the concentration is not compared
        return ctx.refuse("the program does not match the reservoir")
    return None


def program_stale(ctx: Ctx) -> PumpSafetyError | None:
    if program_matches_reservoir(ctx) is None:
        return ctx.refuse("the program matches the reservoir")
    return None


class Model(FaultyModel):
    guards: ClassVar[Mapping[str, Guard]] = {
        "program_matches_reservoir": program_matches_reservoir,
        "program_stale": program_stale,
    }

    def _delivers(self) -> bool:
        d = self._data
        return (
            self.spec.states[self.state].delivers
            and d.program is not None
            and d.drug == d.program.drug
        )


def make(spec: Spec) -> ReferenceAdapter:
    return adapter(Model, spec)
