"""A reference model with one guard, effect or clock rule swapped: the base of the broken pumps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pumpsafety.checks.harness import ReferenceAdapter
from pumpsafety.guards import GUARDS, Ctx, Guard
from pumpsafety.machine import EFFECTS, Effect, PumpModel
from pumpsafety.spec import Spec


class FaultyModel(PumpModel):
    """PumpModel whose guards and effects can be replaced by name."""

    guards: ClassVar[Mapping[str, Guard]] = {}
    effects: ClassVar[Mapping[str, Effect]] = {}

    def _guard(self, name: str) -> Guard:
        return self.guards.get(name) or GUARDS[name]

    def _apply(self) -> None:
        ctx = self._ctx
        assert ctx is not None
        effect = self.effects.get(ctx.event) or EFFECTS.get(ctx.event)
        self._pending = effect(ctx) if effect else (ctx.data, [])


def adapter(model_cls: type[PumpModel], spec: Spec) -> ReferenceAdapter:
    return ReferenceAdapter(spec, model=model_cls(spec))


def call_guard(name: str, ctx: Ctx) -> Any:
    return GUARDS[name](ctx)
