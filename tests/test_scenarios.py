"""Requirement scenarios pass on the reference model and fail on a model broken on purpose."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from pumpsafety import Spec, dose, inputs, machine
from pumpsafety.checks.scenarios import SCENARIOS, ScenarioFailed, guards_disabled, run_scenarios
from pumpsafety.spec import StabilitySpec, TransitionSpec


def test_every_scenario_passes_on_the_reference_model(spec: Spec) -> None:
    results = run_scenarios(spec)
    assert [(sc.name, v, d) for sc, v, _, d in results if v != "passed"] == []


def test_scenarios_not_applicable_to_a_spec_without_their_drugs() -> None:
    from pathlib import Path

    from pumpsafety import load_spec

    small = load_spec(Path(__file__).parent / "specs" / "minimal")
    verdicts = {v for _, v, _, _ in run_scenarios(small)}
    assert verdicts == {"not_applicable"}


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s.guards], ids=lambda s: s.name)
def test_scenario_fails_when_its_guards_are_switched_off(spec: Spec, scenario: Any) -> None:
    with guards_disabled(*scenario.guards), pytest.raises(ScenarioFailed):
        scenario.run(spec)


def _spec_with(spec: Spec, **states: dict[str, Any]) -> Spec:
    new_states = dict(spec.states)
    for name, changes in states.items():
        new_states[name] = dataclasses.replace(spec.states[name], **changes)
    return dataclasses.replace(spec, states=new_states)


def _retarget(spec: Spec, trigger: str, dest: str) -> Spec:
    trans = tuple(
        dataclasses.replace(t, dest=dest) if t.trigger == trigger else t for t in spec.transitions
    )
    return dataclasses.replace(spec, transitions=trans)


@contextmanager
def _patched(obj: Any, name: str, value: Any) -> Iterator[None]:
    saved = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, saved)


def _late_by_one(level: int, threshold: int, rate: int) -> int:
    return dose.ceil_div(max(level - threshold * dose.DAY_S, 0), rate) + 1


def _accept_floats(name: str, value: object, dimension: str, **kw: Any) -> int:
    return int(value) if isinstance(value, float) else _ORIGINAL_PARSE(name, value, dimension, **kw)


_ORIGINAL_PARSE = inputs.parse_quantity
_ORIGINAL_REFILL = StabilitySpec.refill_interval_s


# scenarios with no guard of their own, each with one realistic defect that must be caught
BREAKERS: dict[str, Callable[[Spec], tuple[Spec, Any]]] = {
    "reservoir_alarms_on_the_exact_second": lambda s: (
        s,
        _patched(dose, "seconds_until_level", _late_by_one),
    ),
    "refill_overdue_by_stability": lambda s: (
        s,
        _patched(
            StabilitySpec, "refill_interval_s", lambda self, **kw: _ORIGINAL_REFILL(self, **kw) + 1
        ),
    ),
    "eri_then_end_of_service_after_90_days": lambda s: (s, _eri_without_end_of_service()),
    "stall_and_occlusion_stop_delivery": lambda s: (
        _spec_with(s, alarm_motor_stall={"delivers": True}),
        _noop(),
    ),
    "peristaltic_pump_is_interrogated_after_mri": lambda s: (
        _retarget(s, "end_mri", "delivering"),
        _noop(),
    ),
    "low_battery_reset_never_resumes_an_unverified_program": lambda s: (
        _resume_anywhere(s),
        _noop(),
    ),
    "unit_slips_are_rejected_not_guessed": lambda s: (
        s,
        _patched(inputs, "parse_quantity", _accept_floats),
    ),
}


def _resume_anywhere(spec: Spec) -> Spec:
    """resume_delivery also from a low-battery reset, and without its guards."""
    trans = tuple(
        dataclasses.replace(t, source=(*t.source, "alarm_low_battery_reset"), guards=())
        if t.trigger == "resume_delivery"
        else t
        for t in spec.transitions
    )
    return dataclasses.replace(spec, transitions=trans)


@contextmanager
def _noop() -> Iterator[None]:
    yield


@contextmanager
def _eri_without_end_of_service() -> Iterator[None]:
    saved = machine.EFFECTS["battery_fault"]
    machine.EFFECTS["battery_fault"] = lambda ctx: (
        dataclasses.replace(ctx.data, battery_eri_active=True, eos_at_s=None),
        [],
    )
    try:
        yield
    finally:
        machine.EFFECTS["battery_fault"] = saved


def test_every_guardless_scenario_has_a_breaker() -> None:
    assert sorted(s.name for s in SCENARIOS if not s.guards) == sorted(BREAKERS)


@pytest.mark.parametrize("name", sorted(BREAKERS))
def test_guardless_scenario_catches_its_seeded_defect(spec: Spec, name: str) -> None:
    scenario = next(s for s in SCENARIOS if s.name == name)
    broken_spec, patch = BREAKERS[name](spec)
    with patch, pytest.raises(ScenarioFailed):
        scenario.run(broken_spec)


def test_transition_spec_is_frozen() -> None:
    assert dataclasses.is_dataclass(TransitionSpec)
