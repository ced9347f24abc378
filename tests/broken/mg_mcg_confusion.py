"""A clinician bolus is checked in ng but delivered as if the number were mcg (1000x)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import ClassVar

from pumpsafety.checks.harness import ReferenceAdapter
from pumpsafety.guards import Ctx
from pumpsafety.machine import EFFECTS, Effect
from pumpsafety.records import Delivery, PumpData
from pumpsafety.spec import Spec
from tests.broken._base import FaultyModel, adapter

EXPECTED = ("SR-DOSE-04", "SR-DOSE-01")


def give_clinician_bolus(ctx: Ctx) -> tuple[PumpData, list[Delivery]]:
    mcg_as_ng = dict(ctx.args, mass_ng=ctx.args["mass_ng"] * 1000)  # fault: mcg, not ng
    return EFFECTS["give_clinician_bolus"](replace(ctx, args=mcg_as_ng))


class Model(FaultyModel):
    effects: ClassVar[Mapping[str, Effect]] = {"give_clinician_bolus": give_clinician_bolus}


def make(spec: Spec) -> ReferenceAdapter:
    return adapter(Model, spec)
