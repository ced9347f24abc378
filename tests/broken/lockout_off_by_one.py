"""The lockout compares with the wrong bound: a patient bolus is granted one second early."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from pumpsafety.checks.harness import ReferenceAdapter
from pumpsafety.errors import DoseError, PumpSafetyError
from pumpsafety.guards import Ctx, Guard
from pumpsafety.spec import Spec
from tests.broken._base import FaultyModel, adapter

EXPECTED = ("SR-BOL-01",)


def lockout_elapsed(ctx: Ctx) -> PumpSafetyError | None:
    p = ctx.data.program
    assert p is not None and p.prescription.patient_bolus is not None
    times = ctx.data.patient_bolus_times
    lockout = p.prescription.patient_bolus.lockout_s
    if times and ctx.data.now_s - times[-1] < lockout - 1:  # fault: should be < lockout
        return DoseError("now_s", ctx.data.now_s, "after the lockout", requirement="SR-BOL-01")
    return None


class Model(FaultyModel):
    guards: ClassVar[Mapping[str, Guard]] = {"lockout_elapsed": lockout_elapsed}


def make(spec: Spec) -> ReferenceAdapter:
    return adapter(Model, spec)
