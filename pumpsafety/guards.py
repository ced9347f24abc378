"""Pure guards named by the spec. Each returns None when it holds, or the error to raise.

A guard never changes anything. Routing conditions (``when`` in the spec) are guards too:
they hold when they return None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pumpsafety import dose
from pumpsafety.dose import DAY_S, Basal, Point
from pumpsafety.errors import (
    DoseError,
    DoseLimitExceeded,
    EventRejected,
    PumpSafetyError,
    quoted,
)
from pumpsafety.logic import not_
from pumpsafety.records import Delivery, Prescription, Program, PumpData
from pumpsafety.spec import DeviceSpec, DrugSpec, Spec

__all__ = ["GUARDS", "Ctx", "Guard", "compile_program", "window_points_and_basal"]


@dataclass
class Ctx:
    """What a guard may look at: the spec, the model's data and state, and the event."""

    spec: Spec
    data: PumpData
    state: str
    event: str
    args: dict[str, Any] = field(default_factory=dict)

    def refuse(
        self, reason: str, *, requirement: str | None = None, guard: str = ""
    ) -> EventRejected:
        return EventRejected(self.event, self.state, reason, guard=guard, requirement=requirement)

    @property
    def prescription(self) -> Prescription | None:
        p = self.args.get("prescription")
        return p if isinstance(p, Prescription) else None

    @property
    def device(self) -> DeviceSpec | None:
        dev = (
            self.args.get("device") if self.event == "start_continuous_trial" else self.data.device
        )
        return self.spec.devices.get(dev) if isinstance(dev, str) else None

    @property
    def drug_id(self) -> str | None:
        if self.prescription is not None:
            return self.prescription.drug
        value = self.args.get("drug")
        if isinstance(value, str):
            return value
        return self.data.trial_drug if self.event == "give_trial_bolus" else self.data.drug

    @property
    def drug(self) -> DrugSpec | None:
        d = self.drug_id
        return self.spec.drugs.get(d) if d is not None else None

    @cached_property
    def new_program(self) -> Program | PumpSafetyError:
        p = self.prescription
        assert p is not None, "only events with a prescription compile one"
        return compile_program(self.spec, p, self.device)

    @property
    def program(self) -> Program | None:
        """The program that will run after this event."""
        if self.prescription is not None:
            new = self.new_program
            return new if isinstance(new, Program) else None
        return self.data.program

    @property
    def concentration_ng_per_ml(self) -> int:
        if self.prescription is not None:
            return self.prescription.concentration_ng_per_ml
        value = self.args.get("concentration_ng_per_ml")
        return value if isinstance(value, int) else self.data.concentration_ng_per_ml


Guard = Callable[[Ctx], PumpSafetyError | None]
GUARDS: dict[str, Guard] = {}


def _guard(fn: Guard) -> Guard:
    GUARDS[fn.__name__] = fn
    return fn


# --- program compilation ---------------------------------------------------------------------


def compile_program(
    spec: Spec, p: Prescription, device: DeviceSpec | None
) -> Program | PumpSafetyError:
    """Turn a prescription into pump rates, checking it against the drug library and device.

    Rates are floored (SR-DOSE-05); limits are checked on what the pump will actually
    deliver, with the device accuracy margin on top (SR-DOSE-02, SR-DOSE-06, SR-DOSE-07).
    """
    drug = spec.drugs.get(p.drug)
    if drug is None:
        return DoseError(
            "drug",
            p.drug,
            f"one of {sorted(spec.drugs)}",
            requirement="SR-DOSE-03",
            reason="is not in the drug library",
        )
    conc = p.concentration_ng_per_ml
    hard_daily = drug.max_daily_dose_ng.value
    if p.max_daily_dose_ng > hard_daily:
        return DoseError(
            "max_daily_dose_ng",
            p.max_daily_dose_ng,
            f"1..{hard_daily:_} ng",
            requirement="SR-DOSE-01",
            reason=f"is above the hard limit for {p.drug} (drugs.{p.drug}.hard.max_daily_dose_ng)",
        )
    if conc > drug.max_concentration_ng_per_ml.value:
        return DoseError(
            "concentration_ng_per_ml",
            conc,
            f"1..{drug.max_concentration_ng_per_ml.value:_} ng/ml",
            requirement="SR-DOSE-03",
        )
    rates: list[tuple[int, int]] = []
    for i, s in enumerate(p.steps):
        per_day = s.dose_ng * (24 if s.per == "hour" else 1)
        if per_day > hard_daily:
            return DoseError(
                f"steps[{i}].dose_ng",
                s.dose_ng,
                f"at most {hard_daily:_} ng per day",
                requirement="SR-DOSE-06",
                reason=f"per {s.per} is {per_day:_} ng/day as a rate",
            )
        rates.append((s.start_s, dose.volume_rate_floor_nl_per_day(per_day, conc)))
    if device is not None:
        for i, (_, r) in enumerate(rates):
            if device.fixed_rate_nl_per_day is not None:
                fixed = device.fixed_rate_nl_per_day.value
                if r != fixed:
                    return DoseError(
                        f"steps[{i}] rate_nl_per_day",
                        r,
                        f"exactly {fixed:_} nl/day",
                        requirement="SR-DOSE-05",
                        reason=f"differs from the fixed rate of {device.id}; on a "
                        "constant-flow pump the dose is set by the concentration",
                    )
            else:
                lo = device.min_rate_nl_per_day.value if device.min_rate_nl_per_day else 0
                hi = device.max_rate_nl_per_day.value if device.max_rate_nl_per_day else r
                # one condition: a zero rate and an in-range rate are the same case
                if (r != 0) & ((r < lo) | (r > hi)):
                    return DoseError(
                        f"steps[{i}] rate_nl_per_day",
                        r,
                        f"0 or {lo:_}..{hi:_} nl/day",
                        requirement="SR-DOSE-06",
                        reason=f"is outside the rate range of {device.id}",
                    )
    durations = [
        (rates[i + 1][0] if i + 1 < len(rates) else DAY_S + rates[0][0]) - start
        for i, (start, _) in enumerate(rates)
    ]
    daily = dose.schedule_daily_total_fg_s_per_day(
        ((d, r) for d, (_, r) in zip(durations, rates, strict=True)), conc
    )
    bolus_nl = 0
    bolus_count = 0
    if p.patient_bolus is not None:
        if device is None or not device.patient_bolus:
            return DoseError(
                "patient_bolus",
                p.patient_bolus,
                "None for this device",
                requirement="SR-BOL-01",
                reason="is not supported by the device",
            )
        b = p.patient_bolus
        assert device.min_lockout_s and device.max_lockout_s and device.max_patient_boluses_per_day
        lo, hi = device.min_lockout_s.value, device.max_lockout_s.value
        if not lo <= b.lockout_s <= hi:
            return DoseError(
                "patient_bolus.lockout_s", b.lockout_s, f"{lo:_}..{hi:_} s", requirement="SR-BOL-01"
            )
        nmax = device.max_patient_boluses_per_day.value
        if b.max_per_day > nmax:
            return DoseError(
                "patient_bolus.max_per_day", b.max_per_day, f"1..{nmax}", requirement="SR-BOL-04"
            )
        bolus_nl = dose.bolus_volume_floor_nl(b.mass_ng, conc)
        if bolus_nl == 0:
            return DoseError(
                "patient_bolus.mass_ng",
                b.mass_ng,
                "a mass of at least 1 nl of drug",
                requirement="SR-BOL-01",
                reason="rounds to zero volume",
            )
        bolus_count = b.max_per_day
    worst = dose.worst_case_daily_fg_s_per_day(daily, bolus_nl, bolus_count, conc)
    limit = dose.ng_to_fg_s_per_day(p.max_daily_dose_ng)
    if worst > limit:
        return DoseLimitExceeded(
            "max_daily_dose_ng",
            p.max_daily_dose_ng,
            total=f"the worst-case 24 h total {dose.fg_s_per_day_to_ng_ceil(worst):_} ng "
            "(basal plus every allowed patient bolus)",
            allowed=f"0..{p.max_daily_dose_ng:_} ng",
            requirement="SR-DOSE-02",
        )
    margin = device.accuracy_margin_permille.value if device else 0
    if worst * (1000 + margin) > dose.ng_to_fg_s_per_day(hard_daily) * 1000:
        return DoseLimitExceeded(
            "max_daily_dose_ng",
            p.max_daily_dose_ng,
            total=f"the worst-case 24 h total {dose.fg_s_per_day_to_ng_ceil(worst):_} ng plus the "
            f"device accuracy margin of {margin} permille",
            allowed=f"0..{hard_daily:_} ng (drugs.{p.drug}.hard.max_daily_dose_ng)",
            requirement="SR-DOSE-07",
        )
    return Program(p, tuple(rates), daily, bolus_nl)


# --- window rule -------------------------------------------------------------------------------


def window_points_and_basal(
    history: tuple[Delivery, ...], drug: str
) -> tuple[list[Point], list[Basal]]:
    """Split logged deliveries of *drug* into point doses and basal segments."""
    points: list[Point] = []
    basal: list[Basal] = []
    for d in history:
        if d.drug != drug:
            continue
        if d.point:
            points.append(Point(d.start_s, d.mass_fg_s_per_day))
        else:
            basal.append(Basal(d.start_s, d.end_s, d.rate_fg_per_day))
    return points, basal


def _future_basal(program: Program, now_s: int, until_s: int) -> list[Basal]:
    out: list[Basal] = []
    t = now_s
    while t < until_s:
        cycle = t % DAY_S
        change = program.next_change_after(cycle)
        step = until_s - t if change is None else min(change, until_s - t)
        rate = program.rate_at(cycle)
        if rate:
            out.append(Basal(t, t + step, rate * program.concentration_ng_per_ml))
        t += step
    return out


def _window_check(
    ctx: Ctx,
    extra_mass_fg_s_per_day: int,
    program: Program | None,
    limit_ng: int,
    requirement: str,
    name: str,
    value: int,
) -> PumpSafetyError | None:
    drug = ctx.drug_id
    if drug is None:
        return ctx.refuse("no drug is known for the window rule", requirement=requirement)
    now = ctx.data.now_s
    points, basal = window_points_and_basal(ctx.data.recent, drug)
    if extra_mass_fg_s_per_day:
        points.append(Point(now, extra_mass_fg_s_per_day))
    if program is not None and program.drug == drug:
        basal.extend(_future_basal(program, now, now + DAY_S))
    limit = dose.ng_to_fg_s_per_day(limit_ng)
    worst = dose.first_window_over(
        points, basal, min_start_s=now - DAY_S, max_start_s=now, limit_fg_s_per_day=limit
    )
    if worst is not None:
        return DoseLimitExceeded(
            name,
            value,
            total=f"a 24 h window containing now_s={now:_} total "
            f"{dose.fg_s_per_day_to_ng_ceil(worst):_} ng with the committed basal",
            allowed=f"0..{limit_ng:_} ng",
            requirement=requirement,
        )
    return None


def point_mass(ctx: Ctx) -> tuple[str, int, int]:
    """(argument name, argument value, mass in fg·s/day) of the dose this event gives."""
    conc = ctx.data.concentration_ng_per_ml
    if ctx.event == "give_trial_bolus":
        m = ctx.args["mass_ng"]
        return "mass_ng", m, dose.ng_to_fg_s_per_day(m)
    if ctx.event == "give_clinician_bolus":
        m = ctx.args["mass_ng"]
        return "mass_ng", m, dose.bolus_volume_floor_nl(m, conc) * conc * DAY_S
    if ctx.event == "prime":
        v = ctx.args["volume_nl"]
        return "volume_nl", v, v * conc * DAY_S
    if ctx.event == "give_catheter_access_bolus":
        # SR-BOL-03: the catheter's content is pushed ahead of the injected dose
        m = ctx.args["mass_ng"]
        content = ctx.data.catheter_dead_volume_nl * conc * DAY_S
        return "mass_ng", m, content + dose.ng_to_fg_s_per_day(m)
    if ctx.event == "request_patient_bolus":
        p = ctx.data.program
        assert p is not None and p.prescription.patient_bolus is not None
        return "mass_ng", p.prescription.patient_bolus.mass_ng, p.bolus_volume_nl * conc * DAY_S
    return "mass_ng", 0, 0


def point_volume_nl(ctx: Ctx) -> int:
    """Volume drawn from the reservoir by this event's point dose."""
    conc = ctx.data.concentration_ng_per_ml
    if ctx.event == "give_clinician_bolus":
        return dose.bolus_volume_floor_nl(ctx.args["mass_ng"], conc)
    if ctx.event == "prime":
        return int(ctx.args["volume_nl"])
    if ctx.event == "request_patient_bolus":
        p = ctx.data.program
        return p.bolus_volume_nl if p is not None else 0
    return 0


# --- the guards --------------------------------------------------------------------------------


@_guard
def drug_in_library(ctx: Ctx) -> PumpSafetyError | None:
    if ctx.drug is None:
        return DoseError(
            "drug",
            ctx.drug_id,
            f"one of {sorted(ctx.spec.drugs)}",
            requirement="SR-DOSE-03",
            reason="is not in the drug library",
        )
    return None


@_guard
def device_is_external(ctx: Ctx) -> PumpSafetyError | None:
    dev = ctx.args.get("device")
    spec = ctx.spec.devices.get(dev) if isinstance(dev, str) else None
    if spec is None or spec.kind != "external":
        ext = sorted(d for d, s in ctx.spec.devices.items() if s.kind == "external")
        return DoseError(
            "device",
            dev,
            f"an external pump: {ext}",
            requirement="SR-STATE-02",
            reason="is not an external trial pump",
        )
    return None


@_guard
def device_is_implantable(ctx: Ctx) -> PumpSafetyError | None:
    dev = ctx.args.get("device")
    spec = ctx.spec.devices.get(dev) if isinstance(dev, str) else None
    if spec is None or not spec.implanted:
        ok = sorted(d for d, s in ctx.spec.devices.items() if s.implanted)
        return DoseError(
            "device",
            dev,
            f"an implantable device: {ok}",
            requirement="SR-STATE-01",
            reason="is not an implantable device of the spec",
        )
    return None


@_guard
def device_has_battery(ctx: Ctx) -> PumpSafetyError | None:
    dev = ctx.device
    if dev is None or not dev.has_battery:
        return ctx.refuse(
            "the device has no battery", requirement="SR-PWR-01", guard="device_has_battery"
        )
    return None


def _fill_args(ctx: Ctx) -> tuple[int, int]:
    p = ctx.prescription
    if p is not None:
        return p.concentration_ng_per_ml, p.confirm_concentration_ng_per_ml
    return ctx.args["concentration_ng_per_ml"], ctx.args["confirm_concentration_ng_per_ml"]


@_guard
def concentration_confirmed(ctx: Ctx) -> PumpSafetyError | None:
    first, second = _fill_args(ctx)
    if first != second:
        return DoseError(
            "confirm_concentration_ng_per_ml",
            second,
            f"exactly {first:_} ng/ml",
            requirement="SR-RES-07",
            reason="does not match the first entry",
        )
    return None


@_guard
def concentration_within_hard_limit(ctx: Ctx) -> PumpSafetyError | None:
    conc, _ = _fill_args(ctx)
    drug = ctx.drug
    assert drug is not None, "drug_in_library runs first"
    hi = drug.max_concentration_ng_per_ml.value
    if conc > hi:
        return DoseError(
            "concentration_ng_per_ml",
            conc,
            f"1..{hi:_} ng/ml for {drug.id}",
            requirement="SR-DOSE-03",
        )
    return None


@_guard
def fill_within_capacity(ctx: Ctx) -> PumpSafetyError | None:
    dev = ctx.device
    if dev is None:
        return ctx.refuse(
            "no device to fill", requirement="SR-RES-02", guard="fill_within_capacity"
        )
    cap = dev.reservoir_capacity_nl.value
    vol = ctx.args["volume_nl"]
    left = ctx.data.reservoir_nl_s_per_day // DAY_S if ctx.event == "fill" else 0
    if vol > cap - left:
        return DoseError(
            "volume_nl",
            vol,
            f"1..{cap - left:_} nl (capacity of {dev.id} {cap:_} nl less {left:_} nl left in it)",
            requirement="SR-RES-02",
            reason="does not fit in the reservoir",
        )
    return None


@_guard
def program_within_limits(ctx: Ctx) -> PumpSafetyError | None:
    new = ctx.new_program
    if isinstance(new, PumpSafetyError):
        return new
    p = new.prescription
    drug = ctx.drug
    assert drug is not None
    lo, hi = drug.soft_min_daily_dose_ng.value, drug.soft_max_daily_dose_ng.value
    daily_ng = dose.fg_s_per_day_to_ng_ceil(new.daily_fg_s_per_day)
    # one condition (see pumpsafety.logic): a zero, an in-range and a confirmed daily dose
    # are all the same case, accepted
    if (daily_ng != 0) & ((daily_ng < lo) | (daily_ng > hi)) & not_(p.confirm_soft_limits):
        return DoseError(
            "daily dose",
            daily_ng,
            f"{lo:_}..{hi:_} ng/day (usual range for {drug.id}), or confirm_soft_limits=True",
            requirement="SR-CONF-01",
            reason="is outside the usual range and was not confirmed",
        )
    return None


@_guard
def program_fits_window(ctx: Ctx) -> PumpSafetyError | None:
    program = ctx.program
    if program is None:
        return ctx.refuse("no valid program", requirement="SR-DOSE-01", guard="program_fits_window")
    limit = program.prescription.max_daily_dose_ng
    return _window_check(ctx, 0, program, limit, "SR-DOSE-01", "max_daily_dose_ng", limit)


@_guard
def program_for_reservoir(ctx: Ctx) -> PumpSafetyError | None:
    p = ctx.prescription
    assert p is not None
    if p.drug != ctx.data.drug:
        return DoseError(
            "prescription.drug",
            p.drug,
            f"the drug in the reservoir: {quoted(ctx.data.drug)}",
            requirement="SR-DEL-03",
            reason="does not match the reservoir",
        )
    if p.concentration_ng_per_ml != ctx.data.concentration_ng_per_ml:
        return DoseError(
            "prescription.concentration_ng_per_ml",
            p.concentration_ng_per_ml,
            f"the reservoir concentration {ctx.data.concentration_ng_per_ml:_} ng/ml",
            requirement="SR-DOSE-05",
            reason="does not match the reservoir",
        )
    return concentration_confirmed(ctx)


@_guard
def titration_allowed(ctx: Ctx) -> PumpSafetyError | None:
    new = ctx.program
    drug = ctx.drug
    if new is None or drug is None:
        return None  # program_within_limits reports it
    t = drug.titration
    p = new.prescription
    # the dose to titrate from: the running program, or the last one for this drug (after a
    # reset or a pump replacement); none at all means a first program (SR-TITR-01, SR-TITR-03)
    old_daily = dict(ctx.data.last_daily_by_drug).get(new.drug)
    if ctx.data.program is not None and ctx.data.program.drug == new.drug:
        old_daily = ctx.data.program.daily_fg_s_per_day
    if old_daily is None:
        if t is not None and t.max_first_daily_dose_ng is not None:
            first = t.max_first_daily_dose_ng.value
            if new.daily_fg_s_per_day > dose.ng_to_fg_s_per_day(first):
                return DoseError(
                    "daily dose",
                    dose.fg_s_per_day_to_ng_ceil(new.daily_fg_s_per_day),
                    f"0..{first:_} ng/day for a first {drug.id} program",
                    requirement="SR-TITR-01",
                )
        mult = t.first_dose_multiplier_of_effective_trial_bolus if t else None
        effective_ng = ctx.data.trial_effective_dose_ng
        if mult is not None and ctx.data.trial_drug == drug.id:
            cap = effective_ng * mult.value
            # no effective trial bolus (0) caps nothing
            if (effective_ng > 0) & (new.daily_fg_s_per_day > dose.ng_to_fg_s_per_day(cap)):
                return DoseError(
                    "daily dose",
                    dose.fg_s_per_day_to_ng_ceil(new.daily_fg_s_per_day),
                    f"0..{cap:_} ng/day ({mult.value} x the effective trial bolus)",
                    requirement="SR-TITR-03",
                )
        return None
    step = new.daily_fg_s_per_day - old_daily
    if step < 0:
        return _decrease_confirmed(ctx, old_daily, new.daily_fg_s_per_day)
    if step == 0 or t is None:
        return None
    last = ctx.data.last_increase_s
    gap = t.min_increase_interval_s.value
    if last is not None and ctx.data.now_s - last < gap:
        return DoseError(
            "now_s",
            ctx.data.now_s,
            f">= {last + gap:_} (last increase at {last:_} s + {gap:_} s)",
            requirement="SR-TITR-02" if t.max_increase_ng else "SR-TITR-04",
            reason="is too soon after the last dose increase",
        )
    pct = 0
    if t.max_increase_percent:
        origin = p.spasticity_origin
        if origin is None or origin not in t.max_increase_percent:
            return DoseError(
                "spasticity_origin",
                origin,
                f"one of {sorted(t.max_increase_percent)}",
                requirement="SR-TITR-04",
                reason=f"is required to titrate {drug.id}",
            )
        pct = t.max_increase_percent[origin].value
    max_ng = t.max_increase_ng.value if t.max_increase_ng else 0
    if not dose.titration_increase_allowed(
        old_daily,
        new.daily_fg_s_per_day,
        max_increase_ng=dose.ng_to_fg_s_per_day(max_ng),
        max_increase_percent=pct,
    ):
        allowed = []
        if max_ng:
            allowed.append(f"+{max_ng:_} ng/day")
        if pct:
            allowed.append(f"+{pct} %")
        return DoseError(
            "daily dose",
            dose.fg_s_per_day_to_ng_ceil(new.daily_fg_s_per_day),
            f"an increase of at most {' and '.join(allowed)} over "
            f"{dose.fg_s_per_day_to_ng_ceil(old_daily):_} ng/day",
            requirement="SR-TITR-02" if max_ng else "SR-TITR-04",
            reason="is too large a step",
        )
    return None


def _decrease_confirmed(ctx: Ctx, old: int, new: int) -> PumpSafetyError | None:
    """SR-TITR-05: a stop, or a cut larger than the drug's threshold, must be confirmed."""
    drug = ctx.drug
    p = ctx.prescription
    if drug is None or p is None or not drug.abrupt_stop_hazard:
        return None
    t = drug.titration
    limit = t.max_decrease_percent_without_confirmation if t else None
    too_big = new == 0
    if limit is not None:
        too_big |= (old - new) * 100 > old * limit.value
    # one condition: a confirmed cut and a small cut are the same case, accepted
    if not_(too_big & not_(p.confirm_decrease)):
        return None
    allowed = "a dose above zero" if limit is None else f"a cut of at most {limit.value} %"
    return DoseError(
        "daily dose",
        dose.fg_s_per_day_to_ng_ceil(new),
        f"{allowed} from {dose.fg_s_per_day_to_ng_ceil(old):_} ng/day, or "
        "confirm_decrease=True (abrupt reduction risks withdrawal)",
        requirement="SR-TITR-05",
        reason="is a reduction that was not confirmed",
    )


@_guard
def trial_dose_allowed(ctx: Ctx) -> PumpSafetyError | None:
    drug = ctx.drug
    assert drug is not None
    mass = ctx.args["mass_ng"]
    given = ctx.data.trial_doses
    if drug.trial is None or not drug.trial.bolus_doses_ng:
        return None  # no fixed sequence: the window rule still applies
    seq = drug.trial.bolus_doses_ng
    if len(given) >= len(seq):
        return DoseError(
            "mass_ng",
            mass,
            f"no further trial dose after {len(seq)}",
            requirement="SR-STATE-03",
            reason="exceeds the trial sequence",
        )
    expected = seq[len(given)]
    if mass != expected:
        return DoseError(
            "mass_ng",
            mass,
            f"exactly {expected:_} ng (trial dose {len(given) + 1} of {len(seq)})",
            requirement="SR-STATE-03",
            reason="is not the next trial dose",
        )
    gap = drug.trial.min_bolus_interval_s
    if given and gap is not None and ctx.data.now_s - given[-1][0] < gap.value:
        return DoseError(
            "now_s",
            ctx.data.now_s,
            f">= {given[-1][0] + gap.value:_}",
            requirement="SR-STATE-03",
            reason="is too soon after the previous trial dose",
        )
    return None


@_guard
def bolus_within_daily_limit(ctx: Ctx) -> PumpSafetyError | None:
    name, value, mass = point_mass(ctx)
    if ctx.event == "give_trial_bolus":
        drug = ctx.drug
        assert drug is not None
        return _window_check(
            ctx, mass, None, drug.max_daily_dose_ng.value, "SR-DOSE-01", name, value
        )
    program = ctx.data.program
    if program is None:
        return ctx.refuse("no program", requirement="SR-DOSE-01", guard="bolus_within_daily_limit")
    return _window_check(
        ctx, mass, program, program.prescription.max_daily_dose_ng, "SR-DOSE-01", name, value
    )


@_guard
def trial_dose_given(ctx: Ctx) -> PumpSafetyError | None:
    if ctx.state == "trial_single_shot" and not ctx.data.trial_doses:
        return ctx.refuse(
            "no trial dose has been given", requirement="SR-STATE-03", guard="trial_dose_given"
        )
    return None


@_guard
def trial_observation_complete(ctx: Ctx) -> PumpSafetyError | None:
    drug = ctx.spec.drugs.get(ctx.data.trial_drug or "")
    if (
        ctx.state != "trial_single_shot"
        or drug is None
        or drug.trial is None
        or not ctx.data.trial_doses
    ):
        return None
    ready = ctx.data.trial_doses[-1][0] + drug.trial.observation_s.value
    if ctx.data.now_s < ready:
        return DoseError(
            "now_s",
            ctx.data.now_s,
            f">= {ready:_} (observation after the last dose)",
            requirement="SR-STATE-04",
            reason="is before the observation period ends",
        )
    return None


def _succeeded(ctx: Ctx) -> bool:
    got = ctx.data.trial_improvement_percent
    return got is not None and got >= ctx.spec.min_trial_improvement_percent.value


@_guard
def trial_succeeded(ctx: Ctx) -> PumpSafetyError | None:
    if not _succeeded(ctx):
        need = ctx.spec.min_trial_improvement_percent.value
        return DoseError(
            "improvement_percent",
            ctx.data.trial_improvement_percent,
            f"{need}..100 %",
            requirement="SR-TRIAL-01",
            reason="is below the trial success gate",
        )
    return None


@_guard
def trial_failed(ctx: Ctx) -> PumpSafetyError | None:
    if _succeeded(ctx):
        return ctx.refuse("the trial succeeded", requirement="SR-STATE-03", guard="trial_failed")
    return None


@_guard
def further_trial_dose_available(ctx: Ctx) -> PumpSafetyError | None:
    drug = ctx.spec.drugs.get(ctx.data.trial_drug or "")
    seq = drug.trial.bolus_doses_ng if drug is not None and drug.trial is not None else ()
    if seq and len(ctx.data.trial_doses) >= len(seq):
        return ctx.refuse(
            f"all {len(seq)} trial doses were given",
            requirement="SR-STATE-03",
            guard="further_trial_dose_available",
        )
    return None


def _expected_residual_nl_s_per_day(ctx: Ctx) -> int:
    return ctx.data.reservoir_nl_s_per_day


@_guard
def residual_plausible(ctx: Ctx) -> PumpSafetyError | None:
    dev = ctx.device
    cap = dev.reservoir_capacity_nl.value if dev else 0
    if ctx.args["residual_nl"] > cap:
        return DoseError(
            "residual_nl",
            ctx.args["residual_nl"],
            f"0..{cap:_} nl",
            requirement="SR-RES-05",
            reason="is more than the reservoir holds",
        )
    return None


def _discrepancy(ctx: Ctx) -> tuple[int, int]:
    dev = ctx.device
    assert dev is not None
    diff = dose.residual_discrepancy_nl(
        _expected_residual_nl_s_per_day(ctx), ctx.args["residual_nl"]
    )
    return diff, dev.refill_discrepancy_tolerance_nl.value


@_guard
def residual_within_tolerance(ctx: Ctx) -> PumpSafetyError | None:
    diff, tol = _discrepancy(ctx)
    if diff > tol:
        return DoseError(
            "residual_nl",
            ctx.args["residual_nl"],
            f"expected residual ± {tol:_} nl",
            requirement="SR-RES-05",
            reason=f"differs by {diff:_} nl",
        )
    return None


@_guard
def residual_outside_tolerance(ctx: Ctx) -> PumpSafetyError | None:
    diff, tol = _discrepancy(ctx)
    if diff <= tol:
        return ctx.refuse(
            "residual within tolerance", requirement="SR-RES-05", guard="residual_outside_tolerance"
        )
    return None


@_guard
def residual_not_recorded(ctx: Ctx) -> PumpSafetyError | None:
    if ctx.data.residual_recorded:
        return ctx.refuse(
            "the residual of this session is already recorded",
            requirement="SR-RES-05",
            guard="residual_not_recorded",
        )
    return None


@_guard
def residual_recorded(ctx: Ctx) -> PumpSafetyError | None:
    if not ctx.data.residual_recorded:
        return ctx.refuse(
            "aspirate and record the residual before filling",
            requirement="SR-RES-05",
            guard="residual_recorded",
        )
    return None


@_guard
def reservoir_not_filled(ctx: Ctx) -> PumpSafetyError | None:
    if ctx.data.filled_this_session:
        return ctx.refuse(
            "the reservoir was already filled in this session",
            requirement="SR-RES-02",
            guard="reservoir_not_filled",
        )
    return None


@_guard
def reservoir_filled(ctx: Ctx) -> PumpSafetyError | None:
    if not ctx.data.filled_this_session:
        return ctx.refuse(
            "the reservoir has not been filled in this session",
            requirement="SR-RES-02",
            guard="reservoir_filled",
        )
    return None


@_guard
def program_matches_reservoir(ctx: Ctx) -> PumpSafetyError | None:
    p, d = ctx.data.program, ctx.data
    if p is None or p.drug != d.drug or p.concentration_ng_per_ml != d.concentration_ng_per_ml:
        have = "none" if p is None else f"{p.drug} at {p.concentration_ng_per_ml:_} ng/ml"
        return ctx.refuse(
            f"the program ({have}) does not match the reservoir ({d.drug} at "
            f"{d.concentration_ng_per_ml:_} ng/ml)",
            requirement="SR-DOSE-05",
            guard="program_matches_reservoir",
        )
    return None


@_guard
def program_stale(ctx: Ctx) -> PumpSafetyError | None:
    if program_matches_reservoir(ctx) is None:
        return ctx.refuse(
            "the program matches the reservoir", requirement="SR-DOSE-05", guard="program_stale"
        )
    return None


@_guard
def catheter_primed(ctx: Ctx) -> PumpSafetyError | None:
    if not ctx.data.catheter_primed:
        return ctx.refuse(
            "the catheter is not primed", requirement="SR-STATE-01", guard="catheter_primed"
        )
    return None


@_guard
def catheter_unprimed(ctx: Ctx) -> PumpSafetyError | None:
    if ctx.data.catheter_primed:
        return ctx.refuse(
            "the catheter is primed", requirement="SR-STATE-01", guard="catheter_unprimed"
        )
    return None


@_guard
def priming_volume_correct(ctx: Ctx) -> PumpSafetyError | None:
    dev = ctx.device
    assert dev is not None
    want = ctx.data.catheter_dead_volume_nl + dev.pump_tubing_volume_nl.value
    if ctx.args["volume_nl"] != want:
        return DoseError(
            "volume_nl",
            ctx.args["volume_nl"],
            f"exactly {want:_} nl (catheter dead volume + pump tubing volume)",
            requirement="SR-PRIME-01",
        )
    return None


@_guard
def reservoir_holds_bolus(ctx: Ctx) -> PumpSafetyError | None:
    dev = ctx.device
    assert dev is not None
    need = point_volume_nl(ctx)
    usable = ctx.data.reservoir_nl_s_per_day - dev.empty_threshold_nl.value * DAY_S
    if need * DAY_S > usable:
        return DoseError(
            "volume_nl",
            need,
            f"0..{max(usable, 0) // DAY_S:_} nl usable in the reservoir",
            requirement="SR-DEL-02",
            reason="is more than the reservoir holds",
        )
    return None


@_guard
def reservoir_above_empty(ctx: Ctx) -> PumpSafetyError | None:
    dev = ctx.device
    assert dev is not None
    if ctx.data.reservoir_nl_s_per_day <= dev.empty_threshold_nl.value * DAY_S:
        return ctx.refuse(
            "the reservoir is empty", requirement="SR-DEL-02", guard="reservoir_above_empty"
        )
    return None


@_guard
def patient_bolus_configured(ctx: Ctx) -> PumpSafetyError | None:
    p = ctx.data.program
    if p is None or p.prescription.patient_bolus is None:
        return ctx.refuse(
            "no patient bolus is programmed",
            requirement="SR-BOL-01",
            guard="patient_bolus_configured",
        )
    return None


@_guard
def lockout_elapsed(ctx: Ctx) -> PumpSafetyError | None:
    p = ctx.data.program
    assert p is not None and p.prescription.patient_bolus is not None
    times = ctx.data.patient_bolus_times
    lockout = p.prescription.patient_bolus.lockout_s
    if times and ctx.data.now_s - times[-1] < lockout:
        return DoseError(
            "now_s",
            ctx.data.now_s,
            f">= {times[-1] + lockout:_} (lockout {lockout:_} s after the bolus at {times[-1]:_})",
            requirement="SR-BOL-01",
            reason="is inside the bolus lockout",
        )
    return None


@_guard
def bolus_count_below_max(ctx: Ctx) -> PumpSafetyError | None:
    p = ctx.data.program
    assert p is not None and p.prescription.patient_bolus is not None
    now = ctx.data.now_s
    recent = sum(1 for t in ctx.data.patient_bolus_times if t > now - DAY_S)
    most = p.prescription.patient_bolus.max_per_day
    if recent >= most:
        return DoseError(
            "patient boluses in 24 h", recent + 1, f"0..{most}", requirement="SR-BOL-04"
        )
    return None


@_guard
def stop_confirmed(ctx: Ctx) -> PumpSafetyError | None:
    drug = ctx.spec.drugs.get(ctx.data.drug or "")
    if drug is not None and drug.abrupt_stop_hazard and not ctx.args["confirm_withdrawal_risk"]:
        return DoseError(
            "confirm_withdrawal_risk",
            False,
            f"True: stopping {drug.id} abruptly risks withdrawal",
            requirement="SR-TITR-05",
            reason="was not given",
        )
    return None


@_guard
def mri_conditions_met(ctx: Ctx) -> PumpSafetyError | None:
    dev = ctx.device
    assert dev is not None
    empty = ctx.data.reservoir_nl_s_per_day <= dev.empty_threshold_nl.value * DAY_S
    if dev.mri_policy == "empty_before_scan" and not empty:
        return ctx.refuse(
            f"{dev.id} must be emptied before MRI",
            requirement="SR-MRI-01",
            guard="mri_conditions_met",
        )
    return None


@_guard
def battery_eri_active(ctx: Ctx) -> PumpSafetyError | None:
    if not ctx.data.battery_eri_active:
        return ctx.refuse("no ERI", guard="battery_eri_active")
    return None


@_guard
def battery_eri_inactive(ctx: Ctx) -> PumpSafetyError | None:
    if ctx.data.battery_eri_active:
        return ctx.refuse(
            "ERI is already active", requirement="SR-PWR-01", guard="battery_eri_inactive"
        )
    return None


@_guard
def low_reservoir_active(ctx: Ctx) -> PumpSafetyError | None:
    return None if ctx.data.low_reservoir_active else ctx.refuse("no low-reservoir alarm")


@_guard
def refill_overdue_active(ctx: Ctx) -> PumpSafetyError | None:
    return None if ctx.data.refill_overdue_active else ctx.refuse("no refill-overdue alarm")


@_guard
def replacement_indicated(ctx: Ctx) -> PumpSafetyError | None:
    if ctx.data.battery_eri_active or ctx.state in ("end_of_service", "alarm_motor_stall"):
        return None
    return ctx.refuse(
        "replacement needs ERI, end of service or a motor stall",
        requirement="SR-PWR-01",
        guard="replacement_indicated",
    )
