"""The dose invariants the proofs establish, stated on a snapshot independently of the guards.

Each invariant is a pure predicate ``(spec, state, data) -> bool`` on exact integers, with
loops bounded by the length of the history and no hashing of quantities, so that CrossHair
can decide it with every quantity symbolic. They are deliberately written apart from
``guards.py``: the proofs check the model against this statement, not against itself.

Conditions on quantities are combined with ``&``, ``|`` and ``logic.not_`` rather than
``and``, ``or``, ``not`` and early returns: on symbolic values each of those asks the solver for a
case split, while ``&`` builds one condition, so that a whole invariant costs the solver one
split where it is assumed and one query where it is checked. Early returns remain only on
structure (which records exist, which state), which is concrete in a frame.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pumpsafety.dose import DAY_S, FG_PER_NG
from pumpsafety.logic import not_
from pumpsafety.records import Program, PumpData
from pumpsafety.spec import Spec, derived

__all__ = [
    "BEFORE_IMPLANT",
    "BETWEEN_EVENTS",
    "INVARIANTS",
    "Invariant",
    "alarms_raised",
    "broken_invariants",
    "evaluating_states",
    "invariants_hold",
    "needs_matching_program",
]

Invariant = Callable[[Spec, str, PumpData], bool]

_LIMIT = FG_PER_NG * DAY_S  # ng -> fg·s/day
# phases in which a device is implanted or attached (trial_continuous is added by name)
_DEVICE_PHASES = frozenset({"implant", "refill", "delivery", "alarm", "end_of_life"})
# phases before a pump is implanted: refill sessions (begin_refill, aspirate, fill) come later
BEFORE_IMPLANT = frozenset({"screening", "trial"})
# guards and routing conditions after which the program matches the reservoir
_MATCHING = frozenset({"program_matches_reservoir", "program_for_reservoir"})


def needs_matching_program(spec: Spec) -> frozenset[str]:
    """States in which the program must match the reservoir (I3 and its strengthening).

    Every delivering state, and, to a fixpoint, every state with a transition into such a
    state that does not itself establish the match with a guard or routing condition. The
    ``program`` and ``start_continuous_trial`` events establish it by compiling a program
    for the reservoir they check, so they count as establishing too.
    """
    return derived(spec, "matching_program", _needs_matching_program)


def _needs_matching_program(spec: Spec) -> frozenset[str]:
    need = {name for name, s in spec.states.items() if s.delivers}
    changed = True
    while changed:
        changed = False
        for t, src, dest, when in spec.expanded():
            if dest not in need or src in need:
                continue
            if _MATCHING & {*t.guards, *when} or t.trigger == "start_continuous_trial":
                continue
            need.add(src)
            changed = True
    return frozenset(need)


def _device_expected(spec: Spec, state: str) -> bool:
    s = spec.states[state]
    return state == "trial_continuous" or (s.phase in _DEVICE_PHASES and s.kind != "terminal")


# --- I0: the structure the other invariants rely on -------------------------------------------


def evaluating_states(spec: Spec) -> frozenset[str]:
    """The states in which a trial's result is known: where ``end_trial`` leads."""
    return derived(spec, "evaluating_states", _evaluating_states)


def _evaluating_states(spec: Spec) -> frozenset[str]:
    return frozenset(dest for t, _src, dest, _when in spec.expanded() if t.trigger == "end_trial")


def structure_consistent(spec: Spec, state: str, data: PumpData) -> bool:
    """A device is attached where the state needs one; without a drug nothing is in the pump.

    And the trial's record fits the phase: before implant no program has been given and
    nothing of a trial is condensed yet, and a trial's improvement is known exactly while it
    is evaluated; from implant on, the trial lives on only as its effective bolus.
    """
    if _device_expected(spec, state) and data.device not in spec.devices:
        return False
    s = spec.states[state]
    ok = data.trial_effective_dose_ng >= 0
    if s.phase in BEFORE_IMPLANT:
        if data.last_daily_by_drug:
            return False
        known = data.trial_improvement_percent is not None
        if not s.terminal and known != (state in evaluating_states(spec)):
            return False
        ok &= data.trial_effective_dose_ng == 0
    elif data.trial_doses or data.trial_improvement_percent is not None:
        return False
    if data.drug is None:
        return ok & (data.reservoir_nl_s_per_day == 0) & (data.concentration_ng_per_ml == 0)
    return ok & (data.drug in spec.drugs) & (data.concentration_ng_per_ml > 0)


# --- I2: the reservoir ------------------------------------------------------------------------


def reservoir_within_capacity(spec: Spec, state: str, data: PumpData) -> bool:
    """0 <= reservoir <= capacity; an aspirated, not yet filled reservoir is empty (in any
    state: the strengthening that makes the filling clause inductive); before implant no
    refill session has left a mark (the strengthening that makes the previous clause
    inductive for the first fill of an external trial pump)."""
    level = data.reservoir_nl_s_per_day
    ok = level >= 0
    if spec.states[state].phase in BEFORE_IMPLANT:
        ok &= not_(data.residual_recorded | data.filled_this_session)
    dev = spec.devices.get(data.device or "")
    if dev is None:
        return ok & (level == 0)
    ok &= level <= dev.reservoir_capacity_nl.value * DAY_S
    # Aspirated and not yet filled means empty, in every state: a refill session can be left
    # (fault, MRI, discrepancy alarm) and resumed, and fill relies on it (fill adds at most
    # capacity - floor(level), which is exact only on an emptied reservoir).
    return ok & (not_(data.residual_recorded) | data.filled_this_session | (level == 0))


# --- I3: delivery only of the programmed drug ---------------------------------------------------


def program_matches_where_needed(spec: Spec, state: str, data: PumpData) -> bool:
    """In a delivering state (and the states that lead into one unchecked) the program is
    the program for the drug and concentration in the reservoir (SR-DOSE-05, SR-DEL-03)."""
    if state not in needs_matching_program(spec):
        return True
    p = data.program
    if p is None or data.drug is None or p.drug != data.drug:
        return False
    return p.concentration_ng_per_ml == data.concentration_ng_per_ml


# --- I5: the program's own limits (the strengthening that makes I1 inductive under time) ------


def program_within_limits(spec: Spec, state: str, data: PumpData) -> bool:
    """One cycle of the program plus every allowed patient bolus fits its daily maximum, which
    fits the drug's hard limit (SR-DOSE-02)."""
    p = data.program
    if p is None:
        return True
    drug = spec.drugs.get(p.drug)
    if drug is None:
        return False
    if not p.rates:
        return False
    limit_ng = p.prescription.max_daily_dose_ng
    boluses = p.prescription.patient_bolus
    count = boluses.max_per_day if boluses is not None else 0
    cycle = _cycle_volume_nl_s_per_day(p) * p.concentration_ng_per_ml
    worst = cycle + count * p.bolus_volume_nl * p.concentration_ng_per_ml * DAY_S
    return (
        (limit_ng <= drug.max_daily_dose_ng.value)
        & _rates_ok(p)
        & (p.bolus_volume_nl >= 0)
        & (count >= 0)
        & (cycle == p.daily_fg_s_per_day)
        & (worst <= limit_ng * _LIMIT)
    )


def _rates_ok(p: Program) -> bool:
    ok = p.concentration_ng_per_ml > 0
    prev = -1
    for start, rate in p.rates:
        ok &= (rate >= 0) & (start > prev) & (start >= 0)
        prev = start
    return ok & (prev < DAY_S)


def _cycle_volume_nl_s_per_day(p: Program) -> int:
    total = 0
    n = len(p.rates)
    for i, (start, rate) in enumerate(p.rates):
        end = p.rates[i + 1][0] if i + 1 < n else DAY_S + p.rates[0][0]
        total += (end - start) * rate
    return total


# --- I1: the 24 h window rule with the committed basal ----------------------------------------


def _committed_basal(p: Program, now_s: int) -> list[tuple[int, int, int]]:
    """(start_s, end_s, rate_fg_per_day) of the program over (now_s, now_s + DAY_S]."""
    # a segment at rate 0 adds nothing to a window; it is kept rather than tested for
    rates = p.rates
    if len(rates) == 1:
        return [(now_s, now_s + DAY_S, rates[0][1] * p.concentration_ng_per_ml)]
    out: list[tuple[int, int, int]] = []
    day_start = now_s - now_s % DAY_S
    for day in (day_start - DAY_S, day_start, day_start + DAY_S):
        for i, (start, rate) in enumerate(rates):
            end = rates[i + 1][0] if i + 1 < len(rates) else DAY_S + rates[0][0]
            lo, hi = max(day + start, now_s), min(day + end, now_s + DAY_S)
            if hi > lo:
                out.append((lo, hi, rate * p.concentration_ng_per_ml))
    return out


def _windows_within(
    points: Sequence[tuple[int, int]],
    basal: Sequence[tuple[int, int, int]],
    *,
    min_start_s: int,
    max_start_s: int,
    limit_fg_s_per_day: int,
) -> bool:
    # The total of a 24 h window is piecewise linear in its start with jumps at point doses;
    # its supremum over [min, max] is at a breakpoint, approached from one side or the other.
    starts = [min_start_s, max_start_s]
    for at, _ in points:
        starts += [at, at - DAY_S]
    for lo, hi, _ in basal:
        starts += [lo, hi, lo - DAY_S, hi - DAY_S]
    ok = True
    for a in starts:
        if not min_start_s <= a <= max_start_s:
            continue
        for closed_left in (False, True):
            total = 0
            for at, mass in points:
                inside = a <= at < a + DAY_S if closed_left else a < at <= a + DAY_S
                if inside:
                    total += mass
            for lo, hi, rate in basal:
                overlap = min(hi, a + DAY_S) - max(lo, a)
                if overlap > 0:
                    total += rate * overlap
            ok &= total <= limit_fg_s_per_day
    return ok


def _history(
    data: PumpData, drug: str
) -> tuple[list[tuple[int, int]], list[tuple[int, int, int]], bool]:
    """Point doses and constant-rate segments of *drug*, and whether the records are sound."""
    points: list[tuple[int, int]] = []
    basal: list[tuple[int, int, int]] = []
    ok = True
    for d in data.recent:
        ok &= (d.end_s >= d.start_s) & (d.mass_fg_s_per_day >= 0)
        if d.drug != drug:
            continue
        if d.start_s == d.end_s:
            points.append((d.start_s, d.mass_fg_s_per_day))
        else:
            duration = d.end_s - d.start_s
            if d.rate_nl_per_day is None:
                rate = d.mass_fg_s_per_day // duration
            else:  # recorded by the model: no division by a (possibly symbolic) duration
                rate = d.rate_nl_per_day * d.concentration_ng_per_ml
            ok &= rate * duration == d.mass_fg_s_per_day  # a segment runs at one constant rate
            basal.append((d.start_s, d.end_s, rate))
    return points, basal, ok


def window_within_limit(spec: Spec, state: str, data: PumpData) -> bool:
    """Every 24 h window that contains now, over the history plus the basal the program has
    committed for the next 24 h, is within the daily maximum (SR-DOSE-01).

    The committed form is the inductive strengthening of the window rule: the plain form
    (past deliveries only) is not preserved by the passing of time. Trial doses given
    without a program are held to the drug's hard limit.
    """
    ok = True
    for d in data.recent:
        ok &= d.end_s <= data.now_s  # nothing is logged ahead of the clock
    checks: list[tuple[str, int, Program | None]] = []
    p = data.program
    if p is not None:
        checks.append((p.drug, p.prescription.max_daily_dose_ng, p))
    trial_drug = spec.drugs.get(data.trial_drug or "")
    if trial_drug is not None and (p is None or p.drug != trial_drug.id):
        checks.append((trial_drug.id, trial_drug.max_daily_dose_ng.value, None))
    for drug, limit_ng, program in checks:
        points, basal, sound = _history(data, drug)
        if program is not None:
            basal += _committed_basal(program, data.now_s)
        ok &= sound & _windows_within(
            points,
            basal,
            min_start_s=data.now_s - DAY_S,
            max_start_s=data.now_s,
            limit_fg_s_per_day=limit_ng * _LIMIT,
        )
    return ok


# --- I6: every threshold the state watches has been announced ---------------------------------


def _clock_events(spec: Spec) -> dict[str, frozenset[str]]:
    """State -> the clock events it has a transition for."""
    out: dict[str, set[str]] = {}
    for t, src, _dest, _when in spec.expanded():
        if t.clock:
            out.setdefault(src, set()).add(t.trigger)
    return {state: frozenset(events) for state, events in out.items()}


def alarms_raised(spec: Spec, state: str, data: PumpData) -> bool:
    """No threshold that the state has a clock transition for has been crossed unannounced:
    the reservoir is above the low and empty levels unless those alarms are active, the
    refill date, ERI and end of service are in the future unless announced (SR-RES-03,
    SR-RES-04, SR-RES-06, SR-PWR-01).

    The model raises a crossed threshold before it accepts anything else, so this holds
    between any two events. It is the strengthening that keeps the step obligations from
    starting in a state where an alarm is overdue, which the model never shows.
    """
    watched = derived(spec, "clock_events", _clock_events).get(state)
    if not watched:
        return True
    ok = True
    dev = spec.devices.get(data.device or "")
    level = data.reservoir_nl_s_per_day
    if dev is not None and data.drug is not None:
        if "reservoir_low" in watched:
            ok &= data.low_reservoir_active | (level > dev.low_reservoir_alarm_nl.value * DAY_S)
        if "reservoir_empty" in watched:
            ok &= data.empty_active | (level > dev.empty_threshold_nl.value * DAY_S)
    now = data.now_s
    due, eri, eos = data.refill_due_at_s, data.eri_at_s, data.eos_at_s
    if "refill_due_passed" in watched and due is not None:
        ok &= data.refill_overdue_active | (now < due)
    if "battery_eri_reached" in watched and eri is not None:
        ok &= data.battery_eri_active | (now < eri)
    if "service_ended" in watched and eos is not None:
        ok &= now < eos
    return ok


INVARIANTS: dict[str, Invariant] = {
    "I0 structure_consistent": structure_consistent,
    "I1 window_within_limit": window_within_limit,
    "I2 reservoir_within_capacity": reservoir_within_capacity,
    "I3 program_matches_where_needed": program_matches_where_needed,
    "I5 program_within_limits": program_within_limits,
    "I6 alarms_raised": alarms_raised,
}

# invariants that hold between events but not inside one: a clock event is raised from a
# state in which its threshold has just been crossed
BETWEEN_EVENTS = frozenset({"I6 alarms_raised"})


def invariants_hold(spec: Spec, state: str, data: PumpData, *, mid_event: bool = False) -> bool:
    """Every invariant holds in (*state*, *data*); with *mid_event*, every invariant except
    those that only hold between events (the state a clock event is raised from)."""
    ok = True
    for name, inv in INVARIANTS.items():
        if not (mid_event and name in BETWEEN_EVENTS):
            ok &= inv(spec, state, data)
    return ok


def broken_invariants(spec: Spec, state: str, data: PumpData) -> tuple[str, ...]:
    """Names of the invariants that do not hold (for reporting a counterexample)."""
    return tuple(name for name, inv in INVARIANTS.items() if not inv(spec, state, data))
