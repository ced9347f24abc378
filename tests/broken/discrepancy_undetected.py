"""The residual found at a refill is never compared with the expected one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from pumpsafety.checks.harness import ReferenceAdapter
from pumpsafety.errors import PumpSafetyError
from pumpsafety.guards import Ctx, Guard
from pumpsafety.spec import Spec
from tests.broken._base import FaultyModel, adapter

EXPECTED = ("SR-RES-05",)


def residual_within_tolerance(ctx: Ctx) -> PumpSafetyError | None:
    return None  # fault: every residual is taken as plausible


def residual_outside_tolerance(ctx: Ctx) -> PumpSafetyError | None:
    return ctx.refuse("never")


class Model(FaultyModel):
    guards: ClassVar[Mapping[str, Guard]] = {
        "residual_within_tolerance": residual_within_tolerance,
        "residual_outside_tolerance": residual_outside_tolerance,
    }


def make(spec: Spec) -> ReferenceAdapter:
    return adapter(Model, spec)
