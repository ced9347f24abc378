"""Sampling the step obligations with Hypothesis: concrete counterexamples, fast and repeatable.

CrossHair decides an obligation for every frame or says nothing. Before that, the prover
draws concrete frames for the same obligation (the same parameters, the same precondition,
the same step and postcondition) and runs them. A frame that satisfies the precondition and
breaks the postcondition is a counterexample as good as one found symbolically, and, unlike
one found by a time-limited solver, it is found again on every run with the same seed. A
sampled obligation with no counterexample is evidence, not a proof; its verdict stays
whatever CrossHair says.

Each parameter is drawn from the range the spec gives it for the obligation's configuration
(reservoir up to the device's capacity, doses up to the drug's hard limit, clock advances
across every threshold), so that most draws satisfy the precondition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import seed as with_seed
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from pumpsafety.checks.obligations import CONFIG_PARAMS, Obligation, configuration
from pumpsafety.checks.proof_frame import (
    FRAME_PARAMS,
    PRESCRIPTION_PARAMS,
    TRIAL_DOSES_MAX,
    frame,
)
from pumpsafety.checks.proof_invariants import (
    BEFORE_IMPLANT,
    invariants_hold,
    needs_matching_program,
)
from pumpsafety.checks.proof_step import (
    ADVANCE,
    arg_params,
    build_args,
    is_clock_step,
    step_outcome,
)
from pumpsafety.dose import DAY_S, FG_PER_NG, NL_PER_ML
from pumpsafety.spec import Spec

__all__ = ["Sample", "parameter_strategy", "sample_step"]

_ORIGINS = 4  # None, spinal, cerebral, pediatric (see proof_frame)


@dataclass(frozen=True, slots=True)
class Sample:
    """The outcome of sampling one step obligation."""

    name: str
    verdict: str  # "sampled" (no counterexample) | "refuted"
    examples: int  # frames that satisfied the precondition and were stepped
    taken: int  # of those, the frames from which the step was taken, not refused
    message: str  # the counterexample call and what broke, when refuted


def _around(*points: int) -> st.SearchStrategy[int]:
    """Each point, one below and one above (never negative)."""
    return st.sampled_from(sorted({max(0, p + d) for p in points for d in (-1, 0, 1)}))


def parameter_strategy(spec: Spec, ob: Obligation) -> st.SearchStrategy[dict[str, Any]]:
    """Every free parameter of *ob*'s generated function, drawn from the spec's ranges."""
    assert ob.state is not None and ob.trigger is not None
    devices, fixed = configuration(spec, ob.state, ob.trigger)
    drug = spec.drugs[next(iter(spec.drugs))]
    hard_ng = drug.max_daily_dose_ng.value
    conc = fixed["p_conc"]
    dev = spec.devices.get(devices[0] or "")
    cap_nl = dev.reservoir_capacity_nl.value if dev is not None else 0
    # the largest volume per day that keeps the drug within its hard limit
    day_nl = hard_ng * FG_PER_NG // conc
    level_edges = [0, cap_nl * DAY_S]
    if dev is not None:
        level_edges += [
            dev.low_reservoir_alarm_nl.value * DAY_S,
            dev.empty_threshold_nl.value * DAY_S,
        ]

    def ints(lo: int, hi: int, *edges: int) -> st.SearchStrategy[int]:
        inside = [e for e in edges if lo <= e <= hi]
        base = st.integers(lo, hi)
        return st.one_of(st.sampled_from(sorted(set(inside))), base) if inside else base

    gate = spec.min_trial_improvement_percent.value
    # drawn over the whole range alone, most programs fall outside the device's rate and
    # lockout ranges or the daily limit (compile_program refuses them, and the frame with
    # them); each value is drawn either from the whole range or from a part that is mostly
    # accepted: a dose at or above the device's lowest rate and at most half the hard limit,
    # a maximum of at least three quarters of it, bolus counts and lockouts the device
    # allows, and bolus masses small enough that the device's most boluses a day stay
    # within an eighth of the hard limit
    min_dose, lockout, nmax = 0, (0, DAY_S), 48
    if dev is not None:
        if dev.min_rate_nl_per_day is not None:
            min_dose = -(-dev.min_rate_nl_per_day.value * conc // NL_PER_ML)
        if dev.min_lockout_s is not None and dev.max_lockout_s is not None:
            lockout = (dev.min_lockout_s.value, dev.max_lockout_s.value)
        if dev.max_patient_boluses_per_day is not None:
            nmax = dev.max_patient_boluses_per_day.value
    one_nl_ng = -(-conc // NL_PER_ML)

    def accepted(lo: int, hi: int, whole: st.SearchStrategy[int]) -> st.SearchStrategy[int]:
        return st.one_of(st.integers(lo, hi), whole) if lo <= hi else whole

    frame_params: dict[str, st.SearchStrategy[Any]] = {
        "level": ints(0, cap_nl * DAY_S, *level_edges) if dev is not None else st.just(0),
        "has_program": st.booleans(),
        "p_dose": accepted(min_dose, hard_ng // 2, ints(0, hard_ng, 0, min_dose, hard_ng)),
        "p_max": accepted(hard_ng * 3 // 4, hard_ng, ints(1, hard_ng, hard_ng)),
        "p_bolus": st.booleans(),
        "pb_mass": accepted(one_nl_ng, hard_ng // (8 * nmax), ints(1, hard_ng, 1, one_nl_ng)),
        "pb_lockout": accepted(*lockout, ints(0, 2 * DAY_S, 0, DAY_S, *lockout)),
        "pb_max": accepted(1, nmax, ints(1, 48, 1, nmax)),
        "hist_rate": ints(0, day_nl, 0, day_nl),
        "hist_point_nl": ints(0, day_nl, 0),
        "n_times": st.integers(0, 2),
        "last_bolus_age": ints(0, DAY_S, 0, DAY_S - 61),
        "refill_due_in": ints(-DAY_S, 400 * DAY_S, -1, 0, 1),
        "eri_in": ints(-DAY_S, 400 * DAY_S, -1, 0, 1),
        "eos_after_eri": ints(0, 200 * DAY_S, 0, 90 * DAY_S),
        "increase_age": ints(0, 3 * DAY_S, 0, DAY_S),
        "n_trial": st.integers(0, TRIAL_DOSES_MAX),
        "improvement": ints(0, 100, 0, gate - 1, gate, 100),
        "trial_eff": ints(0, hard_ng, 0),
        "last_daily": ints(0, hard_ng * FG_PER_NG * DAY_S, 0),
        "dead_volume": ints(0, 2_000_000, 0),
        "fills": st.integers(0, 5),
    }
    if spec.states[ob.state].phase in BEFORE_IMPLANT:
        # I2: before implant no refill session has left a mark; drawing the flags would
        # leave three of every four frames outside the precondition
        frame_params |= {"residual_recorded": st.just(False), "filled": st.just(False)}
    if ob.state in needs_matching_program(spec):
        # I3: every frame of this state without a program is outside the precondition
        frame_params["has_program"] = st.just(True)
    strategies: dict[str, st.SearchStrategy[Any]] = {}
    for name, annotation in FRAME_PARAMS.items():
        if name in fixed:
            continue
        if name in frame_params:
            strategies[name] = frame_params[name]
        elif annotation == "bool":
            strategies[name] = st.booleans()
        else:
            raise KeyError(f"frame parameter {name!r} has no range in parameter_strategy")
    strategies.update(_argument_strategies(spec, ob.trigger, hard_ng, cap_nl, day_nl))
    return st.fixed_dictionaries(strategies)


def _argument_strategies(
    spec: Spec, trigger: str, hard_ng: int, cap_nl: int, day_nl: int
) -> dict[str, st.SearchStrategy[Any]]:
    params = arg_params(trigger)
    if trigger == ADVANCE:
        # every threshold of the frames lies within 400 days; land on and around day edges
        edges = [1, 3600, 7200, DAY_S - 1, DAY_S, DAY_S + 1]
        return {"a_dt_s": st.one_of(_around(*edges), st.integers(0, 400 * DAY_S))}
    concs = sorted({c for d in spec.drugs.values() for c in d.supplied_concentrations_ng_per_ml})
    out: dict[str, st.SearchStrategy[Any]] = {}
    for name, annotation in params.items():
        if annotation == "bool":
            out[name] = st.booleans()
        elif name == "rx_origin_i":
            out[name] = st.integers(0, _ORIGINS - 1)
        elif name == "rx_drug_i":
            out[name] = st.integers(0, len(spec.drugs) - 1)
        elif name.endswith("_i"):  # a drug or device named in the event; the last is unknown
            out[name] = st.integers(0, len(spec.drugs if "drug" in name else spec.devices))
        elif name in PRESCRIPTION_PARAMS or "concentration" in name:
            out[name] = _prescription_value(name, hard_ng, concs)
        elif "volume" in name or "residual" in name:
            out[name] = st.one_of(_around(0, day_nl, cap_nl), st.integers(0, 2 * cap_nl + 1))
        elif "mass" in name:
            # the spec's trial doses too: a trial bolus is taken only at the next one
            seq = [m for d in spec.drugs.values() if d.trial for m in d.trial.bolus_doses_ng]
            out[name] = st.one_of(_around(1, hard_ng, *seq), st.integers(1, 2 * hard_ng))
        elif "percent" in name:
            out[name] = st.one_of(_around(0, 50, 100), st.integers(0, 100))
        else:
            out[name] = st.integers(0, 2 * hard_ng)
    return out


def _prescription_value(name: str, hard_ng: int, concs: list[int]) -> st.SearchStrategy[int]:
    if name in ("rx_conc", "rx_confirm") or "concentration" in name:
        return st.one_of(st.sampled_from(concs or [1]), st.integers(1, max(concs, default=1)))
    if name == "rx_pb_lockout":
        return st.one_of(_around(0, DAY_S), st.integers(0, 2 * DAY_S))
    if name == "rx_pb_max":
        return st.integers(1, 48)
    return st.one_of(_around(1, hard_ng), st.integers(0, hard_ng))


def _call(name: str, values: dict[str, Any]) -> str:
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in values.items())})"


def sample_step(
    spec: Spec,
    ob: Obligation,
    *,
    max_examples: int,
    seed: int = 0,
    on_example: Callable[[], None] | None = None,
) -> Sample:
    """Draw up to *max_examples* frames satisfying *ob*'s precondition and step each one.

    Deterministic for a given *seed*. Returns ``refuted`` with the shrunk counterexample as
    a call of the generated obligation function, or ``sampled`` with the number of frames.
    """
    assert ob.kind == "step" and ob.state is not None and ob.trigger is not None
    state, trigger = ob.state, ob.trigger
    devices, fixed = configuration(spec, state, trigger)
    arg_names = tuple(arg_params(trigger))
    mid_event = is_clock_step(spec, trigger)
    stepped = taken = 0
    failures: list[tuple[dict[str, Any], str]] = []

    @with_seed(seed)
    @settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.generate, Phase.shrink),
        report_multiple_bugs=False,
    )
    @given(parameter_strategy(spec, ob))
    def check(values: dict[str, Any]) -> None:
        nonlocal stepped, taken
        frame_values = {k: fixed.get(k, values.get(k)) for k in FRAME_PARAMS}
        data = frame(spec, state, devices, **frame_values)
        assume(data is not None and invariants_hold(spec, state, data, mid_event=mid_event))
        args = build_args(spec, trigger, **{k: values[k] for k in arg_names})
        assume(args is not None)
        stepped += 1
        if on_example is not None:
            on_example()
        try:
            was_taken, failure = step_outcome(spec, state, data, trigger, args)
            taken += was_taken
        except Exception as exc:  # any crash of the model is a counterexample too
            failure = f"{type(exc).__name__}: {exc}"
        if failure is not None:
            failures.append((values, failure))
            raise AssertionError(failure)

    try:
        check()
    except AssertionError:
        values, failure = failures[-1]  # Hypothesis replays the shrunk example last
        message = f"{_call(ob.name, values)}: {failure}"
        return Sample(ob.name, "refuted", stepped, taken, message)
    except Unsatisfiable:
        return Sample(ob.name, "sampled", 0, 0, "no frame satisfied the precondition")
    return Sample(
        ob.name,
        "sampled",
        stepped,
        taken,
        f"{stepped} frames ({taken} taking the step), no counterexample",
    )


# configuration parameters are fixed per obligation; keep the two lists in step
assert set(CONFIG_PARAMS) <= set(FRAME_PARAMS)
