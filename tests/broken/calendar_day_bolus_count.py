"""Patient boluses are counted per calendar day (since midnight), not per sliding 24 h."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from pumpsafety.checks.harness import ReferenceAdapter
from pumpsafety.errors import DoseError, PumpSafetyError
from pumpsafety.guards import Ctx, Guard
from pumpsafety.spec import Spec
from tests.broken._base import FaultyModel, adapter

EXPECTED = ("SR-BOL-04",)


def bolus_count_below_max(ctx: Ctx) -> PumpSafetyError | None:
    p = ctx.data.program
    assert p is not None and p.prescription.patient_bolus is not None
    today = ctx.data.now_s // 86_400
    count = sum(1 for t in ctx.data.patient_bolus_times if t // 86_400 == today)  # fault
    if count >= p.prescription.patient_bolus.max_per_day:
        return DoseError("patient boluses today", count + 1, "fewer", requirement="SR-BOL-04")
    return None


class Model(FaultyModel):
    guards: ClassVar[Mapping[str, Guard]] = {"bolus_count_below_max": bolus_count_below_max}


def make(spec: Spec) -> ReferenceAdapter:
    return adapter(Model, spec)
