"""Obligations come from the spec, the invariants hold on real runs, verdicts stay apart."""

from __future__ import annotations

import argparse
import io
import itertools
import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from pumpsafety.checks.obligations import (
    SPLIT_VALUES,
    case_name,
    generate,
    load_module,
    module_source,
)
from pumpsafety.checks.proof_invariants import (
    broken_invariants,
    invariants_hold,
    needs_matching_program,
)
from pumpsafety.checks.proof_step import arg_params
from pumpsafety.checks.prove import prove, run_prove
from pumpsafety.dose import DAY_S
from pumpsafety.records import Delivery
from tests.scenarios import delivering


def test_one_step_obligation_per_state_and_trigger_the_spec_allows(spec):
    steps = {(ob.state, ob.trigger) for ob in generate(spec) if ob.kind == "step"}
    allowed = {(src, t.trigger) for t, src, _, _ in spec.expanded()}
    timed = {(s, "advance") for s, st in spec.states.items() if not st.terminal}
    assert steps == allowed | timed


def test_obligation_names_are_unique_and_requirements_come_from_the_spec(spec):
    obligations = generate(spec)
    assert len({ob.name for ob in obligations}) == len(obligations)
    for ob in obligations:
        assert set(ob.requirements) <= set(spec.requirements), ob.name


def test_generated_module_defines_every_step_obligation(spec):
    obligations = generate(spec)
    source = module_source(spec, obligations)
    compile(source, "<obligations>", "exec")
    for ob in obligations:
        if ob.kind == "step":
            assert f"def {ob.name}(" in source


def test_a_split_obligation_has_one_case_per_combination_of_its_values(spec):
    obligations = generate(spec)
    split = [ob for ob in obligations if ob.split]
    assert {ob.trigger for ob in split} >= {"program", "start_continuous_trial", "advance"}
    source = module_source(spec, obligations)
    for ob in split:
        combinations = list(itertools.product(*(SPLIT_VALUES[k] for k in ob.split)))
        # where the frame holds no program, its program's patient bolus is unread: one
        # value stands for both
        unread = [
            c
            for c in combinations
            if {"has_program", "p_bolus"} <= set(ob.split)
            and not c[ob.split.index("has_program")]
            and c[ob.split.index("p_bolus")]
        ]
        assert len(set(ob.cases)) == len(combinations) - len(unread)
        if unread:
            assert len(ob.cases) < math.prod(len(SPLIT_VALUES[k]) for k in ob.split)
        for case in ob.cases:
            assert tuple(k for k, _ in case) == ob.split
            name = case_name(ob.name, case)
            assert name != ob.name
            body = source[source.index(f"def {name}(") :]
            signature, body = body.split(") -> bool:", 1)
            body = body[: body.index("\ndef ")] if "\ndef " in body else body
            for k, value in case:
                assert f" {k}:" not in signature  # fixed in the case, not a parameter
                assert f"{k}={value!r}" in body
    unsplit = [ob for ob in obligations if not ob.split]
    assert all(ob.cases == ((),) and case_name(ob.name, ()) == ob.name for ob in unsplit)


@pytest.mark.parametrize("state", ["screening", "trial_continuous"])
def test_the_split_values_are_every_value_the_frame_admits(spec, state):
    """A case split covers the obligation only if no admitted frame falls outside its cases."""
    from pumpsafety.checks.obligations import configuration
    from pumpsafety.checks.proof_frame import FRAME_PARAMS, frame

    devices, fixed = configuration(spec, state, "advance")
    values = {k: False if t == "bool" else 0 for k, t in FRAME_PARAMS.items()} | fixed
    split = SPLIT_VALUES["n_trial"]
    admitted = [
        n
        for n in range(min(split) - 5, max(split) + 6)
        if frame(spec, state, devices, **(values | {"n_trial": n})) is not None
    ]
    assert admitted == list(split)


def test_a_split_parameter_is_unread_only_where_declared(spec):
    """READ_ONLY_WHEN: where the frame holds no program, the frame is the same whatever
    its program's patient bolus would have been, so one case stands for both values; where
    it holds one, the value matters."""
    from pumpsafety.checks.obligations import READ_ONLY_WHEN, configuration
    from pumpsafety.checks.proof_frame import FRAME_PARAMS, frame

    assert READ_ONLY_WHEN == {"p_bolus": ("has_program", True)}
    devices, fixed = configuration(spec, "delivering", "program")
    values = {k: False if t == "bool" else 0 for k, t in FRAME_PARAMS.items()} | fixed
    hard_ng = next(iter(spec.drugs.values())).max_daily_dose_ng.value
    dev = spec.devices[devices[0]]  # type: ignore[index]
    assert dev.min_lockout_s is not None and dev.max_patient_boluses_per_day is not None
    values |= {"p_dose": hard_ng // 2, "p_max": hard_ng, "pb_mass": hard_ng // 100}
    values |= {"pb_lockout": dev.min_lockout_s.value, "pb_max": 1}
    without = [frame(spec, "delivering", devices, **values | {"p_bolus": b}) for b in (0, 1)]
    assert without[0] is not None and without[0] == without[1]
    values["has_program"] = True
    held = [frame(spec, "delivering", devices, **values | {"p_bolus": b}) for b in (0, 1)]
    assert None not in held and held[0] != held[1]
    assert held[1].program.prescription.patient_bolus is not None  # type: ignore[union-attr]


def test_a_module_loaded_elsewhere_is_written_again_where_the_workers_look(spec, tmp_path):
    """The prover's workers import the module from the prover's directory: a module
    imported earlier from another directory must not stop it being written there."""
    obligations = tuple(o for o in generate(spec) if o.name == "step__delivering__program")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = load_module(spec, obligations, tmp_path / "a")
    second = load_module(spec, obligations, tmp_path / "b")
    assert Path(second.__file__).parent == tmp_path / "b"
    assert Path(second.__file__).read_text() == Path(first.__file__).read_text()
    assert second is not first
    assert load_module(spec, obligations, tmp_path / "b") is second
    assert not list((tmp_path / "b").glob("*.partial"))


def test_a_case_passes_the_obligation_what_the_whole_obligation_passes(spec, tmp_path):
    """Each case is the obligation with its booleans fixed: the same values reach the step."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from pumpsafety.checks.proof_sampling import parameter_strategy

    ob = next(o for o in generate(spec) if o.name == "step__delivering__program")
    module = load_module(spec, (ob,), tmp_path)
    calls = []
    module.obligation_holds = lambda *a, **kw: calls.append((a, kw)) or True

    @settings(max_examples=20, deadline=None, database=None)
    @given(parameter_strategy(spec, ob), st.sampled_from(ob.cases))
    def check(values, case):
        calls.clear()
        fixed = dict(case)
        getattr(module, ob.name)(**{**values, **fixed})
        getattr(module, case_name(ob.name, case))(
            **{k: v for k, v in values.items() if k not in fixed}
        )
        assert len(calls) == 2
        assert calls[0] == calls[1]
        assert all(calls[0][1][k] is v for k, v in case)

    check()


def test_a_split_verdict_is_refuted_if_any_case_is_and_proved_only_if_all_are(spec):
    from pumpsafety.checks.prove import _combine

    ob = next(o for o in generate(spec) if o.name == "step__delivering__program")
    n = len(ob.cases)

    def outcome(verdict):
        return (verdict, verdict, 1.0, 0, 0, None)

    assert _combine(ob, [outcome("proved")] * n).verdict == "proved"
    unknown = _combine(ob, [outcome("proved")] * (n - 1) + [outcome("unknown")])
    assert unknown.verdict == "unknown"
    assert unknown.seconds == n
    label = ", ".join(f"{k}={v}" for k, v in ob.cases[-1])
    assert unknown.message == f"case {label}: unknown"
    mixed = [outcome("unknown"), outcome("refuted")] + [outcome("proved")] * (n - 2)
    assert _combine(ob, mixed).verdict == "refuted"
    assert [c[1] for c in _combine(ob, mixed).cases] == ["unknown", "refuted"] + ["proved"] * (
        n - 2
    )


def test_invariants_hold_at_every_step_of_a_therapy(spec):
    m = delivering(spec, volume_nl=40_000_000)
    assert invariants_hold(spec, m.state, m.data)
    for _ in range(3):
        m.advance(DAY_S // 3)
        assert broken_invariants(spec, m.state, m.data) == ()
        m.fire("give_clinician_bolus", mass_ng=20_000)
        assert broken_invariants(spec, m.state, m.data) == ()


def test_window_invariant_catches_a_dose_over_the_daily_maximum(spec):
    m = delivering(spec, volume_nl=40_000_000)
    d = m.data
    extra = Delivery(
        "clinician_bolus", d.now_s, d.now_s, "baclofen", 500_000, 0, 400_000 * 10**6 * DAY_S, "x"
    )
    bad = replace(d, recent=(*d.recent, extra))
    assert broken_invariants(spec, m.state, bad) == ("I1 window_within_limit",)


def test_reservoir_invariant_catches_an_aspirated_reservoir_that_is_not_empty(spec):
    m = delivering(spec, volume_nl=40_000_000)
    m.fire("begin_refill")
    m.fire("aspirate", residual_nl=m.reservoir_nl)
    bad = replace(m.data, reservoir_nl_s_per_day=1)
    assert "I2 reservoir_within_capacity" in broken_invariants(spec, m.state, bad)


def test_program_match_is_required_in_delivering_states_and_their_unchecked_predecessors(spec):
    need = needs_matching_program(spec)
    assert {s for s, st in spec.states.items() if st.delivers} <= need
    assert {"priming", "alarm_occlusion"} <= need
    assert "filling" not in need


@pytest.mark.crosshair
def test_prove_reports_contracts_as_proved_with_requirements(spec):
    report = prove(spec, jobs=1, timeout_s=20, only="contract__ceil_div")
    assert [(r.name, r.verdict) for r in report.results] == [("contract__ceil_div", "proved")]
    assert report.exit_code == 0
    data = report.to_json()
    assert data["summary"] == {"proved": 1, "unknown": 0, "refuted": 0}
    assert data["obligations"][0]["requirements"] == ["SR-DOSE-01"]


def _proved_steps() -> dict[str, float]:
    """Name -> measured seconds of the step obligations kept proved (proved_steps.txt)."""
    out = {}
    for line in (Path(__file__).parent / "proved_steps.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, seconds = line.split()
            out[name] = float(seconds)
    return out


PROVED_STEPS = tuple(_proved_steps())
# the dev and ci profiles keep the quick ones proved; thorough keeps every listed one
QUICK_S = 8.0
PROVED_BUDGET_S = 120.0


def test_every_step_obligation_of_the_shipped_spec_is_listed_as_proved(spec):
    """The list is the claim that every step of the shipped spec is proved: a step added to
    the spec, or one left unknown by a run, must show up here."""
    steps = {ob.name for ob in generate(spec) if ob.kind == "step"}
    assert set(PROVED_STEPS) == steps


@pytest.mark.crosshair
def test_the_listed_step_obligations_are_proved_and_not_only_about_refusals(spec):
    import os

    thorough = os.getenv("HYPOTHESIS_PROFILE") == "thorough"
    names = [n for n, s in _proved_steps().items() if thorough or s <= QUICK_S]
    assert len(names) >= 10
    # the budget the list was measured with (see its header); the quick ones need far less
    report = prove(
        spec, jobs=2, timeout_s=PROVED_BUDGET_S if thorough else 60, names=names, samples=0
    )
    assert {r.name: r.verdict for r in report.results} == dict.fromkeys(names, "proved")
    # and for each a frame that takes the step exists (CrossHair finds one)
    assert [r.name for r in report.results if not r.witness] == []


@pytest.mark.crosshair
def test_cli_prints_one_line_per_obligation_and_writes_json(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    path = tmp_path / "proofs.json"
    args = argparse.Namespace(
        spec=None,
        jobs=1,
        timeout=20.0,
        json=str(path),
        only="contract__residual",
        samples=50,
        seed=0,
    )
    assert run_prove(args, out, err) == 0
    assert out.getvalue().splitlines()[0].startswith("proved   contract__residual_discrepancy_nl")
    assert json.loads(path.read_text())["summary"]["proved"] == 1


@pytest.mark.crosshair
def test_cli_reports_each_case_of_a_split_obligation(spec, tmp_path):
    """With a budget far too small, every case in which the frame holds a program is
    unknown, and so is the obligation (without a program, I3 admits no frame in
    `delivering`, so those cases may be proved even so)."""
    out, err = io.StringIO(), io.StringIO()
    path = tmp_path / "proofs.json"
    name = "step__delivering__program"
    ob = next(o for o in generate(spec) if o.name == name)
    args = argparse.Namespace(
        spec=None, jobs=2, timeout=1.0, json=str(path), only=name, samples=0, seed=0
    )
    assert run_prove(args, out, err) == 3
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"unknown  {name}")
    labels = [", ".join(f"{k}={v}" for k, v in case) for case in ob.cases]
    assert [line.split(":")[0].strip() for line in lines[1:-1]] == [f"case {x}" for x in labels]
    verdicts = [line.split(": ", 1)[1].split()[0] for line in lines[1:-1]]
    assert set(verdicts) <= {"proved", "unknown"}
    held = [v for v, case in zip(verdicts, ob.cases, strict=True) if dict(case)["has_program"]]
    assert held and set(held) == {"unknown"}
    (result,) = json.loads(path.read_text())["obligations"]
    assert [c[0] for c in result["cases"]] == labels
    assert result["seconds"] == pytest.approx(sum(c[2] for c in result["cases"]), abs=0.01)


def test_cli_rejects_a_filter_that_matches_nothing():
    out, err = io.StringIO(), io.StringIO()
    args = argparse.Namespace(
        spec=None, jobs=1, timeout=1.0, json=None, only="no_such_thing", samples=0, seed=0
    )
    assert run_prove(args, out, err) == 2


def test_cli_rejects_bad_jobs():
    out, err = io.StringIO(), io.StringIO()
    args = argparse.Namespace(
        spec=None, jobs=0, timeout=1.0, json=None, only=None, samples=0, seed=0
    )
    assert run_prove(args, out, err) == 2


@pytest.mark.crosshair
def test_a_bolus_admitted_without_the_window_guard_is_refuted_at_the_step(spec, tmp_path):
    """The clinician-bolus step obligation catches a model that drops its window guard."""
    from pumpsafety import guards
    from pumpsafety.checks.obligations import load_module
    from pumpsafety.checks.proof_crosshair import analyse

    module = load_module(spec, generate(spec), tmp_path)
    obligation = module.step__delivering__give_clinician_bolus
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(guards.GUARDS, "bolus_within_daily_limit", lambda ctx: None)
        verdict = analyse(obligation, 60.0)
    assert verdict.verdict == "refuted", verdict.message
    assert "step__delivering__give_clinician_bolus(" in verdict.message


def _refute_advance(spec, tmp_path, state, patch):
    from pumpsafety.checks.obligations import load_module
    from pumpsafety.checks.proof_crosshair import analyse

    name = f"step__{state}__advance"
    module = load_module(spec, tuple(o for o in generate(spec) if o.name == name), tmp_path)
    with pytest.MonkeyPatch.context() as mp:
        patch(mp)
        verdict = analyse(getattr(module, name), 60.0)
    assert verdict.verdict == "refuted", verdict.message
    assert f"{name}(" in verdict.message


@pytest.mark.crosshair
def test_a_stretch_that_delivers_past_the_empty_level_is_refuted(spec, tmp_path):
    """The advance obligation catches a motor that is not stopped at the empty threshold."""
    from pumpsafety.machine import PumpModel
    from tests.broken.empty_keeps_delivering import Model

    _refute_advance(
        spec,
        tmp_path,
        "delivering",
        lambda mp: mp.setattr(PumpModel, "_integrate", Model._integrate),
    )


@pytest.mark.crosshair
def test_a_stretch_that_passes_end_of_service_unannounced_is_refuted(spec, tmp_path):
    """Settling is left to the clock events' obligations only when something is due: a model
    that never finds end of service due ends a stretch breaking I6, and is refuted."""
    from pumpsafety.machine import PumpModel

    due = PumpModel._is_due

    def never_end_of_service(self: PumpModel, event: str) -> bool:
        return False if event == "service_ended" else due(self, event)

    _refute_advance(
        spec,
        tmp_path,
        "suspended",
        lambda mp: mp.setattr(PumpModel, "_is_due", never_end_of_service),
    )


# --- the inductive strengthening of I2, found by a refuted obligation ---------------------------


def test_an_aspirated_unfilled_reservoir_is_empty_in_every_state_of_a_real_refill(spec):
    """Aspirate, reconcile with a discrepancy, acknowledge: I2 holds in every state on the way."""
    m = delivering(spec, volume_nl=40_000_000)
    m.fire("begin_refill")
    expected_nl = m.reservoir_nl
    m.fire("aspirate", residual_nl=expected_nl - 5_000_000)  # less than expected: a leak?
    assert m.state == "alarm_volume_discrepancy"
    assert m.data.residual_recorded and m.data.reservoir_nl_s_per_day == 0
    assert broken_invariants(spec, m.state, m.data) == ()
    m.fire("acknowledge_discrepancy")
    assert m.state == "filling"
    assert broken_invariants(spec, m.state, m.data) == ()


def test_an_aspirated_unfilled_reservoir_that_is_not_empty_breaks_i2_outside_filling(spec):
    """CrossHair once refuted acknowledge_discrepancy from such a frame: with I2 stated for
    filling only, the frame satisfied the precondition and the step broke I2 in filling."""
    m = delivering(spec, volume_nl=40_000_000)
    m.fire("begin_refill")
    m.fire("aspirate", residual_nl=m.reservoir_nl - 5_000_000)
    unreachable = replace(m.data, reservoir_nl_s_per_day=1)
    assert "I2 reservoir_within_capacity" in broken_invariants(spec, m.state, unreachable)


def test_the_refuting_frame_is_outside_the_precondition_now(spec):
    from pumpsafety.checks.obligations import configuration
    from pumpsafety.checks.proof_frame import FRAME_PARAMS, frame
    from pumpsafety.checks.proof_invariants import broken_invariants
    from pumpsafety.checks.proof_step import pre_holds

    state = "alarm_volume_discrepancy"
    devices, fixed = configuration(spec, state, "acknowledge_discrepancy")
    # the frame CrossHair found, every other value 0 or False
    values = {k: False if t == "bool" else 0 for k, t in FRAME_PARAMS.items()}
    values |= {"level": 1, "overdue": True, "residual_recorded": True, "eri_in": 1, **fixed}
    assert values["residual_recorded"] and not values["filled"] and values["level"] == 1
    assert not pre_holds(spec, state, devices, **values)
    data = frame(spec, state, devices, **values)
    assert broken_invariants(spec, state, data) == ("I2 reservoir_within_capacity",)


# --- sampled step obligations -------------------------------------------------------------------


def _sample_budget() -> int:
    from hypothesis import settings

    # at least 25: a few states admit only a few percent of the drawn frames
    return max(25, settings.default.max_examples // 8)  # dev and ci 25, thorough 250


def _step_obligations():
    from pumpsafety import load_spec

    return [ob for ob in generate(load_spec()) if ob.kind == "step"]


@pytest.mark.slow
@pytest.mark.parametrize("ob", _step_obligations(), ids=lambda ob: ob.name)
def test_step_obligation_has_no_counterexample_among_sampled_frames(spec, ob):
    from pumpsafety.checks.proof_sampling import sample_step

    sample = sample_step(spec, ob, max_examples=_sample_budget(), seed=0)
    assert sample.verdict == "sampled", sample.message
    assert sample.examples > 0, f"{ob.name}: no drawn frame satisfied the precondition"


@pytest.mark.parametrize(
    ("guard", "obligation", "invariant"),
    [
        # a clinician bolus admitted without the 24 h window check
        ("bolus_within_daily_limit", "step__delivering__give_clinician_bolus", "I1"),
        # the reprogramming check after a refill with another drug or concentration dropped
        ("program_matches_reservoir", "step__filling__finish_refill", "I3"),
    ],
)
def test_sampling_refutes_a_step_of_a_model_with_a_guard_removed(
    spec, guard, obligation, invariant
):
    from pumpsafety import guards
    from pumpsafety.checks.proof_sampling import sample_step

    ob = next(o for o in generate(spec) if o.name == obligation)
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(guards.GUARDS, guard, lambda ctx: None)
        sample = sample_step(spec, ob, max_examples=300, seed=0)
    assert sample.verdict == "refuted"
    assert sample.message.startswith(f"{obligation}(")
    assert invariant in sample.message
    # the same seed finds it again
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(guards.GUARDS, guard, lambda ctx: None)
        again = sample_step(spec, ob, max_examples=300, seed=0)
    assert again.message == sample.message


@pytest.mark.crosshair
def test_prove_samples_step_obligations_before_crosshair(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    path = tmp_path / "proofs.json"
    args = argparse.Namespace(
        spec=None, jobs=1, timeout=1.0, json=str(path), only="filling__aspirate", samples=8, seed=3
    )
    assert run_prove(args, out, err) in (0, 3)
    data = json.loads(path.read_text())
    assert data["samples_per_step"] == 8 and data["seed"] == 3
    [result] = data["obligations"]
    assert result["verdict"] in ("proved", "unknown")
    assert 0 < result["samples"] <= 8
    assert 0 <= result["taken"] <= result["samples"]


def test_sampling_refutes_acknowledge_discrepancy_under_the_filling_only_reservoir_invariant(spec):
    """The earlier, weaker I2 (the clause only in filling) is not inductive; sampling shows it."""
    from pumpsafety.checks import proof_invariants
    from pumpsafety.checks.proof_sampling import sample_step

    def filling_only(spec, state, data):
        if state != "filling" and data.residual_recorded and not data.filled_this_session:
            data = replace(data, residual_recorded=False)  # the clause is not stated here
        return proof_invariants.reservoir_within_capacity(spec, state, data)

    ob = next(
        o for o in generate(spec) if o.name.endswith("volume_discrepancy__acknowledge_discrepancy")
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(proof_invariants.INVARIANTS, "I2 reservoir_within_capacity", filling_only)
        sample = sample_step(spec, ob, max_examples=200, seed=0)
    assert sample.verdict == "refuted", sample.message
    assert "residual_recorded=True" in sample.message and "filled=False" in sample.message
    assert "I2 reservoir_within_capacity" in sample.message


# --- the invariants on reachable states -----------------------------------------------------


def test_every_invariant_holds_in_every_state_the_property_suite_reaches(spec):
    """The proofs' precondition must admit every reachable state, or a proof says nothing
    about the model: the lifecycle machine checks all invariants (I6 included) after every
    rule, over screening, trials, refills, boluses, faults and years of time."""
    from hypothesis import settings
    from hypothesis.stateful import invariant, run_state_machine_as_test

    from pumpsafety.checks.stateful import PumpLifecycle

    class Reached(PumpLifecycle):
        @invariant()
        def proof_invariants_hold(self) -> None:
            m = self.model
            broken = broken_invariants(spec, m.state, m.data)
            assert not broken, f"in {m.state}: {', '.join(broken)}"

    Reached.spec = spec
    run_state_machine_as_test(
        Reached, settings=settings(settings.default, stateful_step_count=20, database=None)
    )


def test_a_state_with_an_unannounced_low_reservoir_breaks_i6(spec):
    m = delivering(spec, volume_nl=40_000_000)
    dev = spec.devices[m.data.device or ""]
    low = dev.low_reservoir_alarm_nl.value * DAY_S
    assert broken_invariants(spec, m.state, replace(m.data, reservoir_nl_s_per_day=low)) == (
        "I6 alarms_raised",
    )
    # the same level with the alarm announced is a state the model does reach
    announced = replace(m.data, reservoir_nl_s_per_day=low, low_reservoir_active=True)
    assert invariants_hold(spec, "alarm_low_reservoir", announced)


def test_the_reachability_check_fails_on_an_invariant_the_model_breaks(spec, monkeypatch):
    """An invariant that is false once the low-reservoir alarm has been raised: the lifecycle
    reaches such a state and the check above reports it."""
    from pumpsafety.checks import proof_invariants

    monkeypatch.setitem(
        proof_invariants.INVARIANTS, "X no_low_alarm", lambda _s, _st, d: not d.low_reservoir_active
    )
    with pytest.raises(AssertionError, match="X no_low_alarm"):
        test_every_invariant_holds_in_every_state_the_property_suite_reaches(spec)


def test_a_refill_mark_before_implant_is_outside_the_precondition(spec, monkeypatch):
    """CrossHair refuted start_continuous_trial from a screening frame with a residual
    recorded and no fill: the trial pump's first fill then broke I2's "aspirated and not
    filled means empty". No run reaches such a frame (only a refill session sets those
    flags, after implant); I2 now says so, and without that clause the frame is admitted
    and the step breaks I2."""
    from pumpsafety.checks import proof_invariants
    from pumpsafety.checks.obligations import configuration
    from pumpsafety.checks.proof_frame import FRAME_PARAMS, frame
    from pumpsafety.checks.proof_step import build_args, pre_holds, step_failure

    state, trigger = "screening", "start_continuous_trial"
    devices, fixed = configuration(spec, state, trigger)
    values = dict.fromkeys(FRAME_PARAMS, 0)
    values.update(
        {k: False for k, t in FRAME_PARAMS.items() if t == "bool"},
        residual_recorded=True,
        **fixed,
    )
    rx = {
        "rx_drug_i": 1, "rx_conc": 1, "rx_confirm": 1, "rx_dose": 0, "rx_hourly": False,
        "rx_max": 1, "rx_bolus": False, "rx_pb_mass": 0, "rx_pb_lockout": 0, "rx_pb_max": 0,
        "rx_origin_i": 3, "rx_soft": False, "rx_decrease": False,
    }  # fmt: skip
    device_i = list(spec.devices).index("external_trial")
    args = build_args(spec, trigger, a_device_i=device_i, a_volume_nl=2_000_001, **rx)
    data = frame(spec, state, devices, **values)
    assert not pre_holds(spec, state, devices, **values)
    monkeypatch.setattr(proof_invariants, "BEFORE_IMPLANT", frozenset())
    assert pre_holds(spec, state, devices, **values)
    assert "I2 reservoir_within_capacity" in (step_failure(spec, state, data, trigger, args) or "")


def _model_readers(attribute):
    """(file, function) of every function of the model that reads *attribute*."""
    import ast
    from pathlib import Path

    import pumpsafety

    readers = set()
    root = Path(pumpsafety.__file__).parent
    for path in root.glob("*.py"):  # the model; checks/ states invariants about it
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Attribute) and node.attr == attribute:
                    readers.add((path.name, fn.name))
    return readers


def test_only_the_declared_guards_read_the_last_daily_dose():
    """The frames fix the last program's daily dose except for steps guarded by one of
    LAST_DAILY_READERS; that is sound only while no other model code reads it (the
    ``program`` effect, which writes it, reads it to update it)."""
    from pumpsafety.checks.obligations import LAST_DAILY_READERS

    expected = {("guards.py", g) for g in LAST_DAILY_READERS} | {("machine.py", "program")}
    assert _model_readers("last_daily_by_drug") == expected


def test_only_the_declared_code_reads_the_patient_bolus_times(spec):
    """The frames fix the times of the last patient boluses except for steps guarded by one
    of BOLUS_TIMES_READERS or whose effect reads them; sound only while no other model code
    and no invariant reads them."""
    import ast

    import pumpsafety.checks.proof_invariants as invariants
    from pumpsafety.checks.obligations import (
        BOLUS_TIMES_EFFECTS,
        BOLUS_TIMES_READERS,
        configuration,
    )

    expected = {("guards.py", g) for g in BOLUS_TIMES_READERS}
    expected |= {("machine.py", e) for e in BOLUS_TIMES_EFFECTS}
    assert _model_readers("patient_bolus_times") == expected
    tree = ast.parse(Path(invariants.__file__).read_text(encoding="utf-8"))
    assert not [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and n.attr == "patient_bolus_times"
    ]
    free = {
        (ob.state, ob.trigger)
        for ob in generate(spec)
        if ob.kind == "step" and "n_times" not in configuration(spec, ob.state, ob.trigger)[1]
    }
    assert free == {("delivering", "request_patient_bolus")}


def test_a_when_split_parameter_is_all_its_condition_reads(spec):
    """A case split by a transition's own condition (WHEN_SPLITS) covers the obligation: the
    condition reads exactly the data field the split parameter sets."""
    import ast
    import inspect

    from pumpsafety.checks.obligations import WHEN_SPLITS
    from pumpsafety.checks.proof_frame import FRAME_PARAMS
    from pumpsafety.guards import GUARDS
    from pumpsafety.records import PumpData

    fields = set(PumpData.__dataclass_fields__)
    read_by_param = {"primed": {"catheter_primed"}}
    for condition, params in WHEN_SPLITS.items():
        tree = ast.parse(inspect.getsource(inspect.unwrap(GUARDS[condition])))
        read = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)} & fields
        assert read == set().union(*(read_by_param[k] for k in params)), condition
        assert all(k in FRAME_PARAMS and k in SPLIT_VALUES for k in params)
    split = {ob.name: ob.split for ob in generate(spec) if ob.trigger == "program"}
    assert split["step__awaiting_program__program"][0] == "primed"
    assert "primed" not in split["step__delivering__program"]


def test_only_the_declared_guards_read_the_spasticity_origin(spec):
    """The obligations fix a prescription's spasticity origin except for steps guarded by
    one of ORIGIN_READERS; sound only while no other model code reads it (the input check
    copies it into the checked prescription unread)."""
    from pumpsafety.checks.obligations import ORIGIN_READERS, configuration

    expected = {("guards.py", g) for g in ORIGIN_READERS} | {("inputs.py", "check_prescription")}
    assert _model_readers("spasticity_origin") == expected
    # free exactly where a reader guards the step
    free = {
        (ob.state, ob.trigger)
        for ob in generate(spec)
        if ob.kind == "step"
        and "rx_origin_i" in arg_params(ob.trigger)
        and "rx_origin_i" not in configuration(spec, ob.state, ob.trigger)[1]
    }
    assert free and all(trigger == "program" for _, trigger in free)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in PROVED_STEPS if "__trial_" in n])
def test_trial_steps_are_taken_from_sampled_frames(spec, name):
    """A proof whose frames all refuse the step would say nothing: for each proved step,
    sampled frames that satisfy the precondition include one from which it is taken."""
    from pumpsafety.checks.proof_sampling import sample_step

    ob = next(o for o in generate(spec) if o.name == name)
    sample = sample_step(spec, ob, max_examples=100, seed=0)
    assert sample.verdict == "sampled", sample.message
    assert sample.taken > 0, f"{name}: no sampled frame takes the step ({sample.message})"
