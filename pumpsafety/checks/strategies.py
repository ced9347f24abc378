"""Hypothesis strategies for pump events, aimed at the spec's thresholds and at realistic slips.

Every strategy reads its drugs, devices and limits from a :class:`~pumpsafety.Spec`.
Strategies that steer by the current situation (``clock_advances``, ``actions``) take a
reference :class:`~pumpsafety.PumpModel` and only read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from pumpsafety.errors import PumpSafetyError
from pumpsafety.machine import PumpModel
from pumpsafety.records import PatientBolus, Prescription, Step
from pumpsafety.spec import DeviceSpec, DrugSpec, Spec

__all__ = [
    "Action",
    "actions",
    "apply_action",
    "bolus_masses_ng",
    "bolus_requests",
    "clock_advances",
    "concentrations",
    "drugs",
    "event_args",
    "faults",
    "lifecycle_setups",
    "prescription_slips",
    "prescriptions",
    "refills",
]

_DAY_S = 86_400
_NL_PER_ML = 1_000_000
_YEAR_S = 365 * _DAY_S
FAULT_EVENTS = (
    "detect_occlusion",
    "detect_motor_stall",
    "battery_fault",
    "low_battery_reset",
    "begin_mri",
)
Args = Mapping[str, Any]
# events that end therapy for good: offered rarely so that walks stay in the lifecycle
_ENDINGS = ("explant", "decline_candidate", "reject_candidate")


@dataclass(frozen=True, slots=True)
class Action:
    """One drawn step: a named kind and the events it offers, in order.

    ``("advance", {"dt_s": n})`` lets *n* seconds pass; every other pair is an event and
    its arguments. A ``setup`` or ``refill`` action offers several events.
    """

    kind: str
    events: tuple[tuple[str, Args], ...]


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def drugs(spec: Spec) -> st.SearchStrategy[str]:
    """Drug ids of the spec's library."""
    return st.sampled_from(sorted(spec.drugs))


def concentrations(spec: Spec, drug: str, *, slips: bool = False) -> st.SearchStrategy[int]:
    """Supplied concentrations of *drug* in ng/ml; with *slips*, also 10x and 1000x errors."""
    supplied = spec.drugs[drug].supplied_concentrations_ng_per_ml
    base = st.sampled_from(supplied)
    if not slips:
        return base
    slipped = sorted(
        {
            c * f // d
            for c in supplied
            for f, d in ((10, 1), (1, 10), (1000, 1), (1, 1000))
            if c * f // d > 0
        }
    )
    return st.one_of(base, st.sampled_from(slipped))


def _implantable(spec: Spec) -> list[DeviceSpec]:
    return [d for d in spec.devices.values() if d.implanted]


def _rate_bounds(device: DeviceSpec) -> tuple[int, int]:
    if device.fixed_rate_nl_per_day is not None:
        return device.fixed_rate_nl_per_day.value, device.fixed_rate_nl_per_day.value
    lo = device.min_rate_nl_per_day.value if device.min_rate_nl_per_day else 1
    hi = device.max_rate_nl_per_day.value if device.max_rate_nl_per_day else 10**12
    return lo, hi


def _safe_worst_ng(drug: DrugSpec, device: DeviceSpec) -> int:
    """Largest worst-case daily total that passes the hard limit with the accuracy margin."""
    return drug.max_daily_dose_ng.value * 1000 // (1000 + device.accuracy_margin_permille.value)


def _first_dose_cap_ng(drug: DrugSpec, trial_mass_ng: int) -> int:
    cap = drug.max_daily_dose_ng.value
    t = drug.titration
    if t is not None and t.max_first_daily_dose_ng is not None:
        cap = min(cap, t.max_first_daily_dose_ng.value)
    if t is not None and t.first_dose_multiplier_of_effective_trial_bolus is not None:
        cap = min(cap, trial_mass_ng * t.first_dose_multiplier_of_effective_trial_bolus.value)
    return cap


def _dose_range(drug: DrugSpec, conc: int, device: DeviceSpec, cap_ng: int) -> tuple[int, int]:
    """Daily doses (ng) whose floored rate the device can run, up to *cap_ng*."""
    lo_rate, hi_rate = _rate_bounds(device)
    lo = _ceil_div(lo_rate * conc, _NL_PER_ML)
    hi = min(cap_ng, ((hi_rate + 1) * conc - 1) // _NL_PER_ML, _safe_worst_ng(drug, device))
    if device.fixed_rate_nl_per_day is not None:
        hi = min(hi, ((lo_rate + 1) * conc - 1) // _NL_PER_ML)
    return lo, hi


def _trial_mass_ng(drug: DrugSpec) -> int:
    if drug.trial is not None and drug.trial.bolus_doses_ng:
        return drug.trial.bolus_doses_ng[0]
    return min(drug.soft_min_daily_dose_ng.value, drug.max_daily_dose_ng.value)


def _edge_ints(lo: int, hi: int) -> st.SearchStrategy[int]:
    """lo, lo + 1, hi - 1, hi and values in between."""
    edges = sorted({v for v in (lo, lo + 1, hi - 1, hi) if lo <= v <= hi})
    return st.one_of(st.sampled_from(edges), st.integers(lo, hi))


@st.composite
def prescriptions(
    draw: st.DrawFn,
    spec: Spec,
    drug: str,
    concentration_ng_per_ml: int,
    device: str,
    *,
    min_dose_ng: int | None = None,
    max_dose_ng: int | None = None,
    bolus: bool | None = None,
) -> Prescription:
    """Valid prescriptions for *drug* at *concentration_ng_per_ml* on *device*.

    Daily doses stay inside the device's rate range, the optional bounds, and the hard
    limit with the accuracy margin; a patient bolus (when the device has one) keeps the
    worst case inside it too (SR-DOSE-02, SR-DOSE-07).
    """
    d = spec.drugs[drug]
    dev = spec.devices[device]
    lo, hi = _dose_range(d, concentration_ng_per_ml, dev, max_dose_ng or d.max_daily_dose_ng.value)
    lo = max(lo, min_dose_ng or 0, 1)
    if lo > hi:
        hi = lo  # infeasible: the pump is expected to refuse it
    daily = draw(_edge_ints(lo, hi))
    steps: tuple[Step, ...] = (Step(0, daily, "day"),)
    if dev.fixed_rate_nl_per_day is None and draw(st.integers(0, 3)) == 0:
        # a flex schedule: a night step at a different rate, stated per hour
        start = draw(st.sampled_from((21_600, 43_200, 79_200)))
        night = draw(_edge_ints(lo, hi))
        steps = (Step(0, daily, "day"), Step(start, _ceil_div(night, 24), "hour"))
    worst_cap = _safe_worst_ng(d, dev)
    patient: PatientBolus | None = None
    min_bolus = _ceil_div(concentration_ng_per_ml, _NL_PER_ML)
    room = worst_cap - max(s.dose_ng * (24 if s.per == "hour" else 1) for s in steps)
    want_bolus = draw(st.integers(0, 3)) > 0 if bolus is None else bolus
    if want_bolus and dev.patient_bolus and room >= min_bolus:
        assert dev.max_patient_boluses_per_day and dev.min_lockout_s and dev.max_lockout_s
        count = draw(
            st.integers(1, max(1, min(dev.max_patient_boluses_per_day.value, room // min_bolus)))
        )
        # at most 0.2 ml a bolus, so that a reservoir above the low alarm holds several
        mass = draw(
            _edge_ints(
                min_bolus, max(min_bolus, min(room // count // 4, concentration_ng_per_ml // 5))
            )
        )
        lockout = draw(_edge_ints(dev.min_lockout_s.value, dev.max_lockout_s.value // 4))
        patient = PatientBolus(mass, lockout, count)
    max_daily = draw(
        st.one_of(
            st.just(d.max_daily_dose_ng.value), st.integers(worst_cap, d.max_daily_dose_ng.value)
        )
    )
    return Prescription(
        drug=drug,
        concentration_ng_per_ml=concentration_ng_per_ml,
        confirm_concentration_ng_per_ml=concentration_ng_per_ml,
        max_daily_dose_ng=max_daily,
        steps=steps,
        patient_bolus=patient,
        spasticity_origin="spinal",
        confirm_soft_limits=True,
        confirm_decrease=draw(st.booleans()),
    )


_SLIPS = (
    "tenfold",
    "decimal",
    "mg_for_mcg",
    "per_hour_for_per_day",
    "concentration_mismatch",
    "unconfirmed_concentration",
)


@st.composite
def prescription_slips(draw: st.DrawFn, p: Prescription) -> Prescription:
    """*p* with one realistic programming error: a 10x or decimal slip, an mg/mcg swap,
    a per-hour dose entered as per-day, or a concentration that does not match."""
    slip = draw(st.sampled_from(_SLIPS))
    if slip == "concentration_mismatch":
        c = p.concentration_ng_per_ml * draw(st.sampled_from((10, 1000)))
        return _with(p, concentration_ng_per_ml=c, confirm_concentration_ng_per_ml=c)
    if slip == "unconfirmed_concentration":
        return _with(p, confirm_concentration_ng_per_ml=p.concentration_ng_per_ml * 10)
    if slip == "per_hour_for_per_day":
        return _with(p, steps=tuple(Step(s.start_s, s.dose_ng, "hour") for s in p.steps))
    factor, divisor = {"tenfold": (10, 1), "decimal": (1, 10), "mg_for_mcg": (1000, 1)}[slip]
    return _with(
        p,
        steps=tuple(Step(s.start_s, max(1, s.dose_ng * factor // divisor), s.per) for s in p.steps),
    )


def _with(p: Prescription, **changes: Any) -> Prescription:
    fields = {f: getattr(p, f) for f in Prescription.__dataclass_fields__}
    fields.update(changes)
    return Prescription(**fields)


def bolus_masses_ng(
    spec: Spec, drug: str, *, typical_ng: int | None = None
) -> st.SearchStrategy[int]:
    """Clinician bolus masses: 1 ng, a typical dose with its 10x, 1000x (mg/mcg) and /1000
    slips, the drug's daily maximum and one past it."""
    hard = spec.drugs[drug].max_daily_dose_ng.value
    typical = typical_ng or max(1, spec.drugs[drug].soft_min_daily_dose_ng.value // 10)
    edges = sorted(
        {1, typical, typical * 10, typical * 1000, max(1, typical // 1000), hard, hard + 1}
    )
    return st.one_of(st.sampled_from(edges), st.integers(1, hard))


def faults(spec: Spec) -> st.SearchStrategy[str]:
    """Device faults and MRI: occlusion, motor stall, battery ERI, low-battery reset, MRI."""
    return st.sampled_from([e for e in FAULT_EVENTS if e in spec.triggers])


@dataclass(frozen=True, slots=True)
class _Setup:
    drug: str
    device: str
    concentration_ng_per_ml: int
    trial_mass_ng: int


def _setups(spec: Spec) -> list[_Setup]:
    out = []
    for drug in spec.drugs.values():
        trial = _trial_mass_ng(drug)
        for dev in _implantable(spec):
            for conc in drug.supplied_concentrations_ng_per_ml:
                lo, hi = _dose_range(drug, conc, dev, _first_dose_cap_ng(drug, trial))
                if lo <= hi:
                    out.append(_Setup(drug.id, dev.id, conc, trial))
    return out


@st.composite
def lifecycle_setups(draw: st.DrawFn, spec: Spec) -> Action:
    """screening -> single-shot trial -> implant -> fill -> program -> prime, drawn to be
    valid: the pump should end up delivering."""
    setup = draw(st.sampled_from(_setups(spec)))
    drug = spec.drugs[setup.drug]
    dev = spec.devices[setup.device]
    conc = setup.concentration_ng_per_ml
    lo, hi = _dose_range(drug, conc, dev, _first_dose_cap_ng(drug, setup.trial_mass_ng))
    tubing = dev.pump_tubing_volume_nl.value
    # leave room in the first 24 h window for the trial dose and the priming dose
    hi = max(
        lo,
        min(
            hi,
            _safe_worst_ng(drug, dev)
            - setup.trial_mass_ng
            - _ceil_div(tubing * conc, _NL_PER_ML)
            - 1,
        ),
    )
    p = draw(prescriptions(spec, drug.id, conc, dev.id, min_dose_ng=lo, max_dose_ng=hi))
    # the priming dose counts in the first window: keep it inside the daily limit
    daily = max(s.dose_ng * (24 if s.per == "hour" else 1) for s in p.steps)
    room_ng = p.max_daily_dose_ng - daily - setup.trial_mass_ng - 1
    max_dead = max(0, min(300_000, room_ng * _NL_PER_ML // conc - tubing))
    dead = draw(_edge_ints(0, max_dead))
    low = dev.low_reservoir_alarm_nl.value
    cap = dev.reservoir_capacity_nl.value
    volume = draw(
        st.one_of(
            st.sampled_from((cap, low + 1, low + dead + tubing + 1_000)), st.integers(low, cap)
        )
    )
    volume = min(cap, max(volume, dead + tubing + 1))
    observe = drug.trial.observation_s.value if drug.trial is not None else 21_600
    wait = draw(st.sampled_from((observe, _DAY_S + observe)))
    events: list[tuple[str, Args]] = [
        ("start_single_shot_trial", {"drug": drug.id}),
        ("give_trial_bolus", {"mass_ng": setup.trial_mass_ng}),
        ("advance", {"dt_s": wait}),
        ("end_trial", {"improvement_percent": draw(st.sampled_from((50, 80)))}),
        ("implant", {"device": dev.id, "catheter_dead_volume_nl": dead}),
        ("begin_refill", {}),
        ("aspirate", {"residual_nl": 0}),
        (
            "fill",
            {
                "drug": drug.id,
                "concentration_ng_per_ml": conc,
                "confirm_concentration_ng_per_ml": conc,
                "volume_nl": volume,
            },
        ),
        ("finish_refill", {}),
        ("program", {"prescription": p}),
        ("prime", {"volume_nl": dead + tubing}),
    ]
    return Action("setup", tuple(events))


def _thresholds_s(model: PumpModel) -> list[int]:
    """Absolute times of every threshold the model's data implies, after now."""
    d = model.data
    spec = model.spec
    now = model.now_s
    times = [now - now % _DAY_S + _DAY_S]  # calendar midnight: a tempting wrong window
    times += [t for t in (d.refill_due_at_s, d.eri_at_s, d.eos_at_s) if t is not None]
    program = d.program
    if program is not None and program.prescription.patient_bolus is not None:
        pb = program.prescription.patient_bolus
        if d.patient_bolus_times:
            times.append(d.patient_bolus_times[-1] + pb.lockout_s)
            times += [t + _DAY_S for t in d.patient_bolus_times]
    times += [x.start_s + _DAY_S for x in d.recent if x.point]
    if d.last_increase_s is not None:
        times.append(d.last_increase_s + _DAY_S)
    dev = spec.devices.get(d.device or "")
    if program is not None and dev is not None and spec.states[model.state].delivers:
        rate = program.rate_at(now % _DAY_S)
        if rate > 0:
            for level in (dev.low_reservoir_alarm_nl.value, dev.empty_threshold_nl.value):
                excess = d.reservoir_nl_s_per_day - level * _DAY_S
                if excess > 0:
                    times.append(now + _ceil_div(excess, rate))
    trial_drug = spec.drugs.get(d.trial_drug or "")
    trial = trial_drug.trial if trial_drug is not None else None
    if trial is not None and d.trial_doses:
        times.append(d.trial_doses[-1][0] + trial.observation_s.value)
        if trial.min_bolus_interval_s is not None:
            times.append(d.trial_doses[-1][0] + trial.min_bolus_interval_s.value)
    return [t for t in times if t > now]


def clock_advances(model: PumpModel) -> st.SearchStrategy[int]:
    """Seconds to advance: exactly on, one second before and one after every threshold the
    model is heading for (lockout end, 24 h after a dose, midnight, low and empty reservoir,
    refill due, ERI, end of service), common spans, and anything up to 8 years."""
    now = model.now_s
    near = sorted(
        {t - now + k for t in _thresholds_s(model) for k in (-1, 0, 1) if t - now + k > 0}
    )
    spans = (1, 60, 3_600, _DAY_S - 1, _DAY_S, _DAY_S + 1, 7 * _DAY_S, 30 * _DAY_S, 8 * _YEAR_S)
    options = [st.sampled_from(near)] if near else []
    return st.one_of(*options, st.sampled_from(spans), st.integers(1, 8 * _YEAR_S))


def _current_drug(model: PumpModel) -> str:
    d = model.data
    return d.drug or d.trial_drug or sorted(model.spec.drugs)[0]


def _program_for(draw: st.DrawFn, model: PumpModel, drug: str, conc: int) -> Prescription:
    """A new prescription for the reservoir, near the titration limits of the old one."""
    spec = model.spec
    device = model.data.device or "synchromed_ii_40"
    old = model.data.program
    old_daily = None
    if old is not None and old.drug == drug:
        old_daily = max(s.dose_ng * (24 if s.per == "hour" else 1) for s in old.prescription.steps)
    if old_daily is not None and draw(st.booleans()):
        t = spec.drugs[drug].titration
        pct = 30
        step_ng = None
        if t is not None and t.max_increase_ng is not None:
            step_ng = t.max_increase_ng.value
        percent = draw(st.sampled_from((pct, pct + 1, 0, -pct, -pct - 1, 10)))
        target = old_daily + (step_ng if step_ng and percent > 0 else old_daily * percent // 100)
        p = draw(
            prescriptions(
                spec, drug, conc, device, min_dose_ng=max(1, target), max_dose_ng=max(1, target)
            )
        )
    else:
        p = draw(prescriptions(spec, drug, conc, device))
    if draw(st.integers(0, 4)) == 0:
        p = draw(prescription_slips(p))
    return p


@st.composite
def refills(draw: st.DrawFn, model: PumpModel) -> Action:
    """A refill session: aspirate (at, just inside and just past the discrepancy tolerance),
    acknowledge if needed, fill (the same or another concentration, sometimes unconfirmed),
    finish, and reprogram and prime when the reservoir changed."""
    spec = model.spec
    d = model.data
    dev = spec.devices.get(d.device or "")
    drug = _current_drug(model)
    expected = d.reservoir_nl_s_per_day // _DAY_S
    tol = dev.refill_discrepancy_tolerance_nl.value if dev else 0
    delta = draw(st.sampled_from((0, tol, tol + 1, -tol, -tol - 1, 1)))
    residual = max(0, expected + delta)
    events: list[tuple[str, Args]] = [("begin_refill", {}), ("aspirate", {"residual_nl": residual})]
    if abs(residual * _DAY_S - d.reservoir_nl_s_per_day) > tol * _DAY_S:
        events.append(("acknowledge_discrepancy", {}))
    conc = draw(concentrations(spec, drug, slips=draw(st.integers(0, 5)) == 0))
    confirm = conc if draw(st.integers(0, 7)) else conc * 10
    cap = dev.reservoir_capacity_nl.value if dev else 20_000_000
    low = dev.low_reservoir_alarm_nl.value if dev else 0
    volume = draw(st.one_of(st.sampled_from((cap, low + 1, cap + 1)), st.integers(1, cap)))
    events.append(
        (
            "fill",
            {
                "drug": drug,
                "concentration_ng_per_ml": conc,
                "confirm_concentration_ng_per_ml": confirm,
                "volume_nl": volume,
            },
        )
    )
    events.append(("finish_refill", {}))
    program = d.program
    if program is None or program.drug != drug or program.concentration_ng_per_ml != conc:
        events.append(("program", {"prescription": _program_for(draw, model, drug, conc)}))
        if not d.catheter_primed and dev is not None:
            events.append(
                (
                    "prime",
                    {"volume_nl": d.catheter_dead_volume_nl + dev.pump_tubing_volume_nl.value},
                )
            )
    return Action("refill", tuple(events))


@st.composite
def event_args(draw: st.DrawFn, model: PumpModel, event: str) -> dict[str, Any]:
    """Arguments for *event*, drawn near the values the model would accept or just refuse."""
    spec = model.spec
    d = model.data
    drug = _current_drug(model)
    dev = spec.devices.get(d.device or "")
    implantable = sorted(x.id for x in _implantable(spec))
    if event in ("start_single_shot_trial",):
        return {"drug": draw(drugs(spec))}
    if event == "give_trial_bolus":
        trial = spec.drugs[drug].trial
        seq = trial.bolus_doses_ng if trial is not None else ()
        nxt = (
            seq[min(len(d.trial_doses), len(seq) - 1)] if seq else _trial_mass_ng(spec.drugs[drug])
        )
        return {"mass_ng": draw(st.sampled_from((nxt, nxt + 1, nxt * 10)))}
    if event == "end_trial":
        return {"improvement_percent": draw(st.sampled_from((49, 50, 100, 0)))}
    if event in ("implant",):
        return {
            "device": draw(st.sampled_from(implantable)),
            "catheter_dead_volume_nl": draw(_edge_ints(0, 300_000)),
        }
    if event == "replace_pump":
        return {"device": draw(st.sampled_from(implantable))}
    if event == "revise_catheter":
        return {"catheter_dead_volume_nl": draw(_edge_ints(0, 300_000))}
    if event == "aspirate":
        tol = dev.refill_discrepancy_tolerance_nl.value if dev else 0
        return {
            "residual_nl": max(
                0,
                d.reservoir_nl_s_per_day // _DAY_S
                + draw(st.sampled_from((0, tol, tol + 1, -tol - 1))),
            )
        }
    if event == "fill":
        conc = draw(concentrations(spec, drug, slips=True))
        cap = dev.reservoir_capacity_nl.value if dev else 20_000_000
        return {
            "drug": drug,
            "concentration_ng_per_ml": conc,
            "confirm_concentration_ng_per_ml": conc,
            "volume_nl": draw(_edge_ints(1, cap)),
        }
    if event == "program":
        return {
            "prescription": _program_for(
                draw,
                model,
                drug,
                d.concentration_ng_per_ml or spec.drugs[drug].supplied_concentrations_ng_per_ml[0],
            )
        }
    if event == "prime":
        want = d.catheter_dead_volume_nl + (dev.pump_tubing_volume_nl.value if dev else 0)
        return {"volume_nl": draw(st.sampled_from((want, want + 1, max(1, want - 1))))}
    if event in ("give_clinician_bolus", "give_catheter_access_bolus"):
        pb = d.program.prescription.patient_bolus if d.program is not None else None
        return {"mass_ng": draw(bolus_masses_ng(spec, drug, typical_ng=pb.mass_ng if pb else None))}
    if event == "stop_delivery":
        return {"confirm_withdrawal_risk": draw(st.booleans())}
    if event == "start_continuous_trial":
        conc = spec.drugs[drug].supplied_concentrations_ng_per_ml[0]
        p = (
            draw(prescriptions(spec, drug, conc, "external_trial", bolus=False))
            if "external_trial" in spec.devices
            else None
        )
        return {"device": "external_trial", "volume_nl": 10_000_000, "prescription": p}
    return {}


@st.composite
def bolus_requests(draw: st.DrawFn, model: PumpModel, *, burst: bool = False) -> Action:
    """Patient bolus requests at the lockout boundary (one second before, on, one after),
    or, with *burst*, the daily maximum plus one, a lockout apart, straddling midnight."""
    program = model.data.program
    assert program is not None and program.prescription.patient_bolus is not None
    pb = program.prescription.patient_bolus
    bolus: tuple[str, Args] = ("request_patient_bolus", {})
    if not burst:
        dt = pb.lockout_s + draw(st.sampled_from((-1, 0, 1, -1)))
        events: list[tuple[str, Args]] = [bolus, ("advance", {"dt_s": dt}), bolus]
        points = [x.start_s for x in model.data.recent if x.point]
        if points:
            # first let a recent priming or bolus leave the 24 h window
            events.insert(0, ("advance", {"dt_s": max(points) + _DAY_S + 1 - model.now_s}))
        return Action("bolus_at_lockout", tuple(events))
    before = draw(st.integers(1, pb.max_per_day)) * pb.lockout_s
    to_midnight = _DAY_S - model.now_s % _DAY_S
    while to_midnight <= before:
        to_midnight += _DAY_S
    events = [("advance", {"dt_s": to_midnight - before}), bolus]
    for _ in range(pb.max_per_day):
        events += [("advance", {"dt_s": pb.lockout_s}), bolus]
    return Action("bolus_burst", tuple(events))


def _has_patient_bolus(model: PumpModel) -> bool:
    p = model.data.program
    return p is not None and p.prescription.patient_bolus is not None


@st.composite
def actions(draw: st.DrawFn, model: PumpModel) -> Action:
    """The next step for *model*: mostly what its state allows, steered to thresholds, and
    sometimes an event the state refuses (a bolus during an alarm, a refill while priming)."""
    spec = model.spec
    state = model.state
    menu: list[str]
    if state == spec.initial:
        menu = ["setup", "setup", "setup", "event"]
    else:
        menu = ["advance", "advance", "event"]
        if _has_patient_bolus(model):
            menu += ["patient_bolus"]
            if spec.states[state].delivers:
                menu += ["bolus_at_lockout", "bolus_at_lockout", "bolus_burst"]
        if model.data.device is not None and model.data.program is not None:
            menu += ["clinician_bolus", "refill", "reprogram", "fault"]
    kind = draw(st.sampled_from(menu))
    if kind == "setup":
        return draw(lifecycle_setups(spec))
    if kind == "advance":
        return Action("advance", (("advance", {"dt_s": draw(clock_advances(model))}),))
    if kind == "patient_bolus":
        return Action("patient_bolus", (("request_patient_bolus", {}),))
    if kind in ("bolus_at_lockout", "bolus_burst"):
        return draw(bolus_requests(model, burst=kind == "bolus_burst"))
    if kind == "clinician_bolus":
        event = draw(st.sampled_from(("give_clinician_bolus", "give_catheter_access_bolus")))
        return Action(kind, ((event, draw(event_args(model, event))),))
    if kind == "refill":
        return draw(refills(model))
    if kind == "reprogram":
        return Action(kind, (("program", draw(event_args(model, "program"))),))
    if kind == "fault":
        event = draw(faults(spec))
        return Action(kind, ((event, draw(event_args(model, event))),))
    allowed: list[str] = []
    for e in model.allowed_events():
        if e not in _ENDINGS or draw(st.integers(0, 9)) == 0:
            allowed.append(e)
    in_state = draw(st.integers(0, 5)) > 0
    pool = allowed if allowed and in_state else list(spec.external_triggers)
    event = draw(st.sampled_from(sorted(pool)))
    return Action("event", ((event, draw(event_args(model, event))),))


def apply_action(model: PumpModel, action: Action) -> list[bool]:
    """Offer *action*'s events to *model*; return which were accepted.

    Refusals (:class:`~pumpsafety.PumpSafetyError`) are expected; anything else propagates.
    """
    accepted = []
    for event, args in action.events:
        try:
            if event == "advance":
                model.advance(args["dt_s"])
            else:
                model.fire(event, **args)
        except PumpSafetyError:
            accepted.append(False)
        else:
            accepted.append(True)
    return accepted
