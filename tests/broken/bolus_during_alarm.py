"""The transition table lets the patient take a bolus during the non-critical alarms."""

from __future__ import annotations

from dataclasses import replace

from pumpsafety.checks.harness import ReferenceAdapter
from pumpsafety.spec import Spec
from tests.broken._base import FaultyModel, adapter

EXPECTED = ("SR-BOL-01",)
ALARMS = ("alarm_low_reservoir", "alarm_refill_overdue", "alarm_battery_eri")


def _with_alarm_boluses(spec: Spec) -> Spec:
    transitions = tuple(
        replace(t, source=(*t.source, *ALARMS)) if t.trigger == "request_patient_bolus" else t
        for t in spec.transitions
    )
    return replace(spec, transitions=transitions)


def make(spec: Spec) -> ReferenceAdapter:
    return adapter(FaultyModel, _with_alarm_boluses(spec))
