"""An independent oracle: safety requirements checked from a delivery log and the spec alone.

The oracle trusts nothing an implementation computes about itself: it rebuilds the
reservoir, the program in force and the 24 h windows from the events and deliveries in
the log, with its own exact arithmetic (it does not use the model's dose or guard code).
Amounts are in the library's exact units: volumes in nl·s/day, masses in fg·s/day.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

from pumpsafety.errors import PumpSafetyError
from pumpsafety.inputs import parse_quantity
from pumpsafety.records import Delivery, EventRecord, Prescription
from pumpsafety.spec import DeviceSpec, Spec

__all__ = [
    "CHECKS",
    "OracleReport",
    "Violation",
    "WindowReport",
    "check_log",
]

_DAY_S = 86_400
_NL_PER_ML = 1_000_000
_FG_PER_NG = 1_000_000

# check name -> requirement ids it covers
CHECKS: Mapping[str, tuple[str, ...]] = {
    "window_within_daily_limit": ("SR-DOSE-01", "SR-BOL-02"),
    "patient_bolus_lockout": ("SR-BOL-01",),
    "patient_bolus_count": ("SR-BOL-04",),
    "point_dose_in_allowed_state": (
        "SR-BOL-01",
        "SR-DEL-01",
        "SR-PRIME-01",
        "SR-STATE-03",
        "SR-BOL-03",
    ),
    "basal_only_in_delivering_states": ("SR-DEL-01",),
    "no_delivery_from_empty_reservoir": ("SR-DEL-02", "SR-RES-04"),
    "delivered_concentration_confirmed": ("SR-DEL-03", "SR-RES-07"),
    "rate_follows_dose_and_concentration": ("SR-DOSE-05",),
    "dose_as_requested": ("SR-DOSE-04", "SR-PRIME-01", "SR-BOL-03"),
    "reservoir_conservation": ("SR-RES-08",),
    "reservoir_within_capacity": ("SR-RES-01",),
    "residual_discrepancy_detected": ("SR-RES-05",),
    "no_delivery_after_end_of_service": ("SR-PWR-01",),
    "log_in_time_order": ("SR-LOG-01",),
}

# the event that gives each kind of point dose
_POINT_EVENT = {
    "patient_bolus": "request_patient_bolus",
    "clinician_bolus": "give_clinician_bolus",
    "catheter_access_bolus": "give_catheter_access_bolus",
    "priming": "prime",
    "trial_bolus": "give_trial_bolus",
}
_POINT_REQUIREMENT = {
    "patient_bolus": "SR-BOL-01",
    "clinician_bolus": "SR-DEL-01",
    "catheter_access_bolus": "SR-BOL-03",
    "priming": "SR-PRIME-01",
    "trial_bolus": "SR-STATE-03",
}
# events after which the pump's reservoir content leaves the model (pump out or replaced)
_EMPTIES = ("implant", "replace_pump", "explant")


@dataclass(frozen=True, slots=True)
class Violation:
    """One breach of a safety requirement found in a log."""

    requirement_id: str
    check: str
    message: str
    at_s: int
    details: Mapping[str, int | str | None] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["details"] = dict(self.details)
        return out


@dataclass(frozen=True, slots=True)
class WindowReport:
    """The most critical 24 h window of one drug: its total against the limit in force.

    The window is ``(start_s, end_s]``, or ``[start_s, end_s)`` when *closed_left* (the
    supremum of windows ending just before *end_s*). A total that is not a whole number
    of fg·s/day (a basal rate that does not divide) is rounded up.
    """

    drug: str
    start_s: int
    end_s: int
    closed_left: bool
    total_fg_s_per_day: int
    limit_ng: int
    limit_fg_s_per_day: int

    @property
    def within_limit(self) -> bool:
        return self.total_fg_s_per_day <= self.limit_fg_s_per_day

    @property
    def total_ng_ceil(self) -> int:
        return -((-self.total_fg_s_per_day) // (_FG_PER_NG * _DAY_S))

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["total_ng_ceil"] = self.total_ng_ceil
        out["within_limit"] = self.within_limit
        return out


@dataclass(frozen=True, slots=True)
class OracleReport:
    """Violations, window totals, and how many items each check examined."""

    violations: tuple[Violation, ...]
    windows: tuple[WindowReport, ...]
    exercised: Mapping[str, int]

    @property
    def passed(self) -> bool:
        return not self.violations

    def requirement_ids(self) -> list[str]:
        return sorted({v.requirement_id for v in self.violations})


def _ng(amount: int | Fraction) -> int:
    """fg·s/day rounded up to ng, for messages."""
    return int(-((-amount) // (_FG_PER_NG * _DAY_S)))


def _arg(record: EventRecord, name: str) -> Any:
    return dict(record.args).get(name)


def _quantity(record: EventRecord, name: str, dimension: str) -> int | None:
    value = _arg(record, name)
    if value is None:
        return None
    try:
        return parse_quantity(name, value, dimension)
    except PumpSafetyError:
        return None


# --- exact sliding windows -------------------------------------------------------------------


class _Cumulative:
    """F(t): mass delivered in (-inf, t], piecewise linear with jumps at point doses."""

    def __init__(self, deliveries: Sequence[Delivery]) -> None:
        jumps: dict[int, int] = {}
        slope_delta: dict[int, int | Fraction] = {}
        for d in deliveries:
            if d.start_s == d.end_s:
                jumps[d.start_s] = jumps.get(d.start_s, 0) + d.mass_fg_s_per_day
                continue
            duration = d.end_s - d.start_s
            rate: int | Fraction = (
                d.mass_fg_s_per_day // duration
                if d.mass_fg_s_per_day % duration == 0
                else Fraction(d.mass_fg_s_per_day, duration)
            )
            slope_delta[d.start_s] = slope_delta.get(d.start_s, 0) + rate
            slope_delta[d.end_s] = slope_delta.get(d.end_s, 0) - rate
        self.times = sorted(set(jumps) | set(slope_delta))
        self.before: list[int | Fraction] = []  # F just before times[i]
        self.after: list[int | Fraction] = []  # F at times[i], jumps included
        self.slope: list[int | Fraction] = []  # rate on (times[i], times[i+1])
        total: int | Fraction = 0
        slope: int | Fraction = 0
        last = None
        for t in self.times:
            if last is not None:
                total += slope * (t - last)
            self.before.append(total)
            total += jumps.get(t, 0)
            self.after.append(total)
            slope += slope_delta.get(t, 0)
            self.slope.append(slope)
            last = t

    def at(self, t: int, *, include_t: bool) -> int | Fraction:
        i = bisect_right(self.times, t) - 1
        if i < 0:
            return 0
        if self.times[i] == t:
            return self.after[i] if include_t else self.before[i]
        return self.after[i] + self.slope[i] * (t - self.times[i])


def _windows(
    drug: str, deliveries: Sequence[Delivery], limits: Sequence[tuple[int, int]]
) -> tuple[WindowReport, list[tuple[int, bool, int | Fraction, int]]]:
    """The most critical window and every window over its limit: (start, closed, total, limit)."""
    f = _Cumulative(deliveries)
    change_times = [t for t, _ in limits]

    def limit_at(end_s: int, *, inclusive: bool) -> int:
        i = (bisect_right if inclusive else bisect_left)(change_times, end_s) - 1
        return limits[max(i, 0)][1]

    starts: set[int] = set()
    for t in f.times:
        starts.update((t, t - _DAY_S))
    for t in change_times[1:]:
        starts.add(t - _DAY_S)
    best: tuple[int | Fraction, int, bool, int | Fraction, int] | None = None
    over: list[tuple[int, bool, int | Fraction, int]] = []
    for a in sorted(starts):
        for closed in (False, True):
            e = a + _DAY_S
            total = f.at(e, include_t=not closed) - f.at(a, include_t=not closed)
            limit_ng = limit_at(e, inclusive=not closed)
            limit = limit_ng * _FG_PER_NG * _DAY_S
            excess = total - limit
            if best is None or excess > best[0]:
                best = (excess, a, closed, total, limit_ng)
            if excess > 0:
                over.append((a, closed, total, limit_ng))
    assert best is not None
    _, a, closed, total, limit_ng = best
    total_int = int(-((-total) // 1))
    report = WindowReport(
        drug, a, a + _DAY_S, closed, total_int, limit_ng, limit_ng * _FG_PER_NG * _DAY_S
    )
    return report, over


# --- the walk over the log -------------------------------------------------------------------


@dataclass
class _Walk:
    spec: Spec
    violations: list[Violation] = field(default_factory=list)
    exercised: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHECKS, 0))
    state: str = ""
    device: DeviceSpec | None = None
    dead_volume_nl: int = 0
    drug: str | None = None
    concentration: int = 0
    confirmed: bool = False
    prescription: Prescription | None = None
    residual: int = 0  # nl·s/day
    filled: int = 0  # nl·s/day
    delivered: int = 0
    aspirated: int = 0
    eos_at_s: int | None = None
    last_record: EventRecord | None = None
    last_at_s: int = 0
    basal_end: dict[str, int] = field(default_factory=dict)
    bolus_times: list[int] = field(default_factory=list)
    by_drug: dict[str, list[Delivery]] = field(default_factory=dict)
    limits: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    def fail(
        self,
        check: str,
        message: str,
        at_s: int,
        requirement: str | None = None,
        **details: int | str | None,
    ) -> None:
        rid = requirement or CHECKS[check][0]
        self.violations.append(Violation(rid, check, message, at_s, details))

    def seen(self, check: str) -> None:
        self.exercised[check] += 1

    # records

    def record(self, r: EventRecord) -> None:
        self.seen("log_in_time_order")
        if r.now_s < self.last_at_s:
            self.fail(
                "log_in_time_order",
                f"event {r.event!r} at {r.now_s:_} s is logged after "
                f"an entry at {self.last_at_s:_} s",
                r.now_s,
            )
        self.last_at_s = max(self.last_at_s, r.now_s)
        if not r.accepted:
            return
        self.last_record = r
        if (
            self.eos_at_s is not None
            and r.now_s >= self.eos_at_s
            and r.dest in self.spec.states
            and self.spec.states[r.dest].delivers
            and r.event not in ("implant", "replace_pump")
        ):
            self.seen("no_delivery_after_end_of_service")
            self.fail(
                "no_delivery_after_end_of_service",
                f"{r.event!r} at {r.now_s:_} s leaves the pump in the delivering state "
                f"{r.dest!r} after end of service at {self.eos_at_s:_} s",
                r.now_s,
                eos_at_s=self.eos_at_s,
                state=r.dest,
            )
        handler = getattr(self, f"_on_{r.event}", None)
        if handler is not None:
            handler(r)
        self.state = r.dest

    def _remove_content(self) -> None:
        self.aspirated += self.residual
        self.residual = 0
        self.drug = None
        self.concentration = 0
        self.confirmed = False
        self.prescription = None

    def _install(self, r: EventRecord, device_id: object) -> None:
        self._remove_content()
        dev = self.spec.devices.get(device_id) if isinstance(device_id, str) else None
        self.device = dev
        self.eos_at_s = None
        if dev is not None and dev.has_battery and dev.service_life_s is not None:
            self.eos_at_s = r.now_s + dev.service_life_s.value

    def _on_implant(self, r: EventRecord) -> None:
        self._install(r, _arg(r, "device"))
        self.dead_volume_nl = _quantity(r, "catheter_dead_volume_nl", "volume") or 0

    def _on_replace_pump(self, r: EventRecord) -> None:
        self._install(r, _arg(r, "device"))

    def _on_explant(self, r: EventRecord) -> None:
        self._remove_content()
        self.eos_at_s = None

    def _on_revise_catheter(self, r: EventRecord) -> None:
        self.dead_volume_nl = _quantity(r, "catheter_dead_volume_nl", "volume") or 0

    def _on_end_trial(self, r: EventRecord) -> None:
        if r.source == "trial_continuous":
            self._remove_content()
            self.device = None

    def _on_battery_fault(self, r: EventRecord) -> None:
        self._eri(r)

    def _on_battery_eri_reached(self, r: EventRecord) -> None:
        self._eri(r)

    def _on_low_battery_reset(self, r: EventRecord) -> None:
        self._eri(r)
        self.prescription = None

    def _eri(self, r: EventRecord) -> None:
        dev = self.device
        if dev is not None and dev.eri_to_eos_s is not None:
            eos = r.now_s + dev.eri_to_eos_s.value
            self.eos_at_s = eos if self.eos_at_s is None else min(self.eos_at_s, eos)

    def _fill(
        self,
        r: EventRecord,
        drug: object,
        conc: int | None,
        confirm: int | None,
        volume_nl: int | None,
    ) -> None:
        self.drug = drug if isinstance(drug, str) else None
        self.concentration = conc or 0
        self.confirmed = conc is not None and conc == confirm
        self.residual += (volume_nl or 0) * _DAY_S
        self.filled += (volume_nl or 0) * _DAY_S
        self._capacity(r.now_s)

    def _on_fill(self, r: EventRecord) -> None:
        self._fill(
            r,
            _arg(r, "drug"),
            _quantity(r, "concentration_ng_per_ml", "concentration"),
            _quantity(r, "confirm_concentration_ng_per_ml", "concentration"),
            _quantity(r, "volume_nl", "volume"),
        )

    def _on_start_continuous_trial(self, r: EventRecord) -> None:
        dev = _arg(r, "device")
        self.device = self.spec.devices.get(dev) if isinstance(dev, str) else None
        p = _arg(r, "prescription")
        if isinstance(p, Prescription):
            self._fill(
                r,
                p.drug,
                p.concentration_ng_per_ml,
                p.confirm_concentration_ng_per_ml,
                _quantity(r, "volume_nl", "volume"),
            )
            self._program(r, p)

    def _on_program(self, r: EventRecord) -> None:
        p = _arg(r, "prescription")
        if isinstance(p, Prescription):
            self._program(r, p)

    def _program(self, r: EventRecord, p: Prescription) -> None:
        self.prescription = p
        drug = self.spec.drugs.get(p.drug)
        hard = drug.max_daily_dose_ng.value if drug else p.max_daily_dose_ng
        self._limits(p.drug).append((r.now_s, min(p.max_daily_dose_ng, hard)))

    def _limits(self, drug_id: str) -> list[tuple[int, int]]:
        if drug_id not in self.limits:
            drug = self.spec.drugs.get(drug_id)
            hard = drug.max_daily_dose_ng.value if drug else 0
            self.limits[drug_id] = [(-(10**18), hard)]
        return self.limits[drug_id]

    def _on_aspirate(self, r: EventRecord) -> None:
        self.seen("reservoir_conservation")
        expected = r.expected_residual_nl_s_per_day
        if expected is not None and expected != self.residual:
            self.fail(
                "reservoir_conservation",
                f"the expected residual at aspiration is {expected:_} nl·s/day but filled "
                f"{self.filled:_} - delivered {self.delivered:_} - aspirated "
                f"{self.aspirated:_} leaves {self.residual:_} nl·s/day",
                r.now_s,
                reported_nl_s_per_day=expected,
                conserved_nl_s_per_day=self.residual,
            )
        measured = _quantity(r, "residual_nl", "volume")
        if self.device is not None and measured is not None:
            self.seen("residual_discrepancy_detected")
            diff_nl = -((-abs(self.residual - measured * _DAY_S)) // _DAY_S)
            tol = self.device.refill_discrepancy_tolerance_nl.value
            if diff_nl > tol and r.dest != "alarm_volume_discrepancy":
                self.fail(
                    "residual_discrepancy_detected",
                    f"the measured residual {measured:_} nl differs from the expected "
                    f"{self.residual // _DAY_S:_} nl by {diff_nl:_} nl (tolerance {tol:_} nl) "
                    f"but the pump went to {r.dest!r}",
                    r.now_s,
                    difference_nl=diff_nl,
                    tolerance_nl=tol,
                )
        self.aspirated += self.residual
        self.residual = 0

    def _capacity(self, at_s: int) -> None:
        self.seen("reservoir_within_capacity")
        cap = self.device.reservoir_capacity_nl.value if self.device else None
        if self.residual < 0 or (cap is not None and self.residual > cap * _DAY_S):
            self.fail(
                "reservoir_within_capacity",
                f"the reservoir holds {self.residual:_} nl·s/day, outside 0.."
                f"{(cap or 0) * _DAY_S:_}",
                at_s,
                reservoir_nl_s_per_day=self.residual,
            )

    # deliveries

    def delivery(self, d: Delivery) -> None:
        self.seen("log_in_time_order")
        prev_end = self.basal_end.get(d.drug)
        if d.end_s < d.start_s or (not d.point and prev_end is not None and d.start_s < prev_end):
            self.fail(
                "log_in_time_order",
                f"{d.kind} delivery [{d.start_s:_}, {d.end_s:_}] overlaps or runs backwards",
                d.start_s,
            )
        if not d.point:
            self.basal_end[d.drug] = max(prev_end or d.end_s, d.end_s)
        self.last_at_s = max(self.last_at_s, d.start_s)
        self.by_drug.setdefault(d.drug, []).append(d)
        self._limits(d.drug)
        if self.eos_at_s is not None:
            self.seen("no_delivery_after_end_of_service")
            if d.end_s > self.eos_at_s or (d.point and d.start_s >= self.eos_at_s):
                self.fail(
                    "no_delivery_after_end_of_service",
                    f"{d.kind} delivery [{d.start_s:_}, {d.end_s:_}] after end of service "
                    f"at {self.eos_at_s:_} s",
                    d.start_s,
                    eos_at_s=self.eos_at_s,
                )
        if d.point:
            self._point(d)
        else:
            self._basal(d)
        if d.kind in ("trial_bolus", "catheter_access_bolus"):
            # injected by hand: nothing leaves the reservoir
            self._dose_check(d, self.concentration)
            return
        self._reservoir(d)

    def _point(self, d: Delivery) -> None:
        self.seen("point_dose_in_allowed_state")
        r = self.last_record
        event = _POINT_EVENT.get(d.kind)
        allowed = {s for t in self.spec.transitions if t.trigger == event for s in t.source}
        source = r.source if r is not None and r.event == event else None
        if source is None or source not in allowed:
            self.fail(
                "point_dose_in_allowed_state",
                f"{d.kind} at {d.start_s:_} s given in state {source or self.state!r}; "
                f"allowed only in {sorted(allowed)}",
                d.start_s,
                requirement=_POINT_REQUIREMENT.get(d.kind),
                state=source or self.state,
            )
        if d.kind == "patient_bolus":
            self._patient_bolus(d)

    def _patient_bolus(self, d: Delivery) -> None:
        pb = self.prescription.patient_bolus if self.prescription else None
        t = d.start_s
        if pb is not None:
            self.seen("patient_bolus_lockout")
            if self.bolus_times and t - self.bolus_times[-1] < pb.lockout_s:
                self.fail(
                    "patient_bolus_lockout",
                    f"patient bolus at {t:_} s is {t - self.bolus_times[-1]:_} s after the one "
                    f"at {self.bolus_times[-1]:_} s; lockout {pb.lockout_s:_} s",
                    t,
                    lockout_s=pb.lockout_s,
                    previous_s=self.bolus_times[-1],
                )
        self.bolus_times.append(t)
        if pb is not None:
            self.seen("patient_bolus_count")
            count = len(self.bolus_times) - bisect_right(self.bolus_times, t - _DAY_S)
            if count > pb.max_per_day:
                self.fail(
                    "patient_bolus_count",
                    f"{count} patient boluses in the 24 h window ({t - _DAY_S:_}, {t:_}]; "
                    f"at most {pb.max_per_day}",
                    t,
                    count=count,
                    max_per_day=pb.max_per_day,
                )

    def _basal(self, d: Delivery) -> None:
        self.seen("basal_only_in_delivering_states")
        for state in {self.state, d.state}:
            spec_state = self.spec.states.get(state)
            if spec_state is None or not spec_state.delivers:
                self.fail(
                    "basal_only_in_delivering_states",
                    f"basal delivery [{d.start_s:_}, {d.end_s:_}] in state {state!r}, which "
                    "does not deliver",
                    d.start_s,
                    state=state,
                )
        p = self.prescription
        if p is None or d.volume_nl_s_per_day == 0:
            return
        self.seen("rate_follows_dose_and_concentration")
        programmed = _max_rate_nl_per_day(p, d.start_s, d.end_s)
        duration = d.end_s - d.start_s
        if d.volume_nl_s_per_day > programmed * duration:
            self.fail(
                "rate_follows_dose_and_concentration",
                f"basal delivery [{d.start_s:_}, {d.end_s:_}] runs at "
                f"{d.volume_nl_s_per_day / duration:.0f} nl/day; the program gives at most "
                f"{programmed:_} nl/day ({p.drug} at {p.concentration_ng_per_ml:_} ng/ml)",
                d.start_s,
                programmed_nl_per_day=programmed,
            )

    def _dose_check(self, d: Delivery, conc: int | None) -> None:
        r = self.last_record
        if r is None or r.event != _POINT_EVENT.get(d.kind):
            return
        self.seen("dose_as_requested")
        want_volume: int | None = None
        if d.kind == "trial_bolus":
            mass = _quantity(r, "mass_ng", "mass")
            if mass is not None and d.mass_fg_s_per_day != mass * _FG_PER_NG * _DAY_S:
                self.fail(
                    "dose_as_requested",
                    f"trial dose of {_ng(d.mass_fg_s_per_day):_} ng for a request of {mass:_} ng",
                    d.start_s,
                    requested_ng=mass,
                )
            return
        if d.kind == "catheter_access_bolus":
            mass = _quantity(r, "mass_ng", "mass")
            if mass is not None:
                want = (self.dead_volume_nl * (conc or 0) + mass * _FG_PER_NG) * _DAY_S
                if d.mass_fg_s_per_day != want:
                    self.fail(
                        "dose_as_requested",
                        f"catheter access bolus at {d.start_s:_} s counts "
                        f"{_ng(d.mass_fg_s_per_day):_} ng; the injected {mass:_} ng plus the "
                        f"catheter content is {_ng(want):_} ng",
                        d.start_s,
                        requirement="SR-BOL-03",
                        requested_ng=mass,
                    )
            return
        if not conc:
            return
        if d.kind == "clinician_bolus":
            mass = _quantity(r, "mass_ng", "mass")
            want_volume = None if mass is None else mass * _NL_PER_ML // conc
        elif d.kind == "patient_bolus":
            pb = self.prescription.patient_bolus if self.prescription else None
            want_volume = None if pb is None else pb.mass_ng * _NL_PER_ML // conc
        elif d.kind == "priming":
            want_volume = _quantity(r, "volume_nl", "volume")
            dev = self.device
            if dev is not None:
                bound = self.dead_volume_nl + dev.pump_tubing_volume_nl.value
                if d.volume_nl_s_per_day > bound * _DAY_S:
                    self.fail(
                        "dose_as_requested",
                        f"priming of {d.volume_nl_s_per_day // _DAY_S:_} nl "
                        f"exceeds catheter dead volume + tubing = {bound:_} nl",
                        d.start_s,
                        requirement="SR-PRIME-01",
                        bound_nl=bound,
                    )
        if want_volume is not None and d.volume_nl_s_per_day != want_volume * _DAY_S:
            self.fail(
                "dose_as_requested",
                f"{d.kind} at {d.start_s:_} s drew {d.volume_nl_s_per_day // _DAY_S:_} nl; "
                f"the request at {conc:_} ng/ml is {want_volume:_} nl",
                d.start_s,
                delivered_nl=d.volume_nl_s_per_day // _DAY_S,
                requested_nl=want_volume,
            )

    def _reservoir(self, d: Delivery) -> None:
        self.seen("delivered_concentration_confirmed")
        p = self.prescription
        problems = []
        if d.drug != self.drug or d.concentration_ng_per_ml != self.concentration:
            problems.append(f"the reservoir holds {self.drug} at {self.concentration:_} ng/ml")
        if not self.confirmed:
            problems.append("the filled concentration was not confirmed")
        if p is None or p.drug != self.drug or p.concentration_ng_per_ml != self.concentration:
            have = (
                "no program"
                if p is None
                else (f"the program is for {p.drug} at {p.concentration_ng_per_ml:_} ng/ml")
            )
            problems.append(have)
        if problems and d.volume_nl_s_per_day:
            self.fail(
                "delivered_concentration_confirmed",
                f"{d.kind} [{d.start_s:_}, {d.end_s:_}] of {d.drug} at "
                f"{d.concentration_ng_per_ml:_} ng/ml: {'; '.join(problems)}",
                d.start_s,
                filled_ng_per_ml=self.concentration,
                programmed_ng_per_ml=p.concentration_ng_per_ml if p else None,
            )
        if d.mass_fg_s_per_day != d.volume_nl_s_per_day * self.concentration:
            self.fail(
                "rate_follows_dose_and_concentration",
                f"{d.kind} at {d.start_s:_} s reports {_ng(d.mass_fg_s_per_day):_} ng for "
                f"{d.volume_nl_s_per_day // _DAY_S:_} nl at the filled {self.concentration:_} "
                "ng/ml",
                d.start_s,
            )
        if d.point:
            self._dose_check(d, self.concentration)
        self.residual -= d.volume_nl_s_per_day
        self.delivered += d.volume_nl_s_per_day
        self.seen("no_delivery_from_empty_reservoir")
        empty = self.device.empty_threshold_nl.value * _DAY_S if self.device else 0
        if d.volume_nl_s_per_day and self.residual < empty:
            self.fail(
                "no_delivery_from_empty_reservoir",
                f"{d.kind} [{d.start_s:_}, {d.end_s:_}] takes the reservoir to "
                f"{self.residual:_} nl·s/day, below the empty threshold {empty:_}",
                d.start_s,
                reservoir_nl_s_per_day=self.residual,
            )
        self._capacity(d.start_s)

    def finish(self) -> tuple[WindowReport, ...]:
        windows = []
        for drug, deliveries in sorted(self.by_drug.items()):
            self.seen("window_within_daily_limit")
            report, over = _windows(drug, deliveries, self._limits(drug))
            windows.append(report)
            if over:
                a, closed, total, limit_ng = over[0]
                shape = f"[{a:_}, {a + _DAY_S:_})" if closed else f"({a:_}, {a + _DAY_S:_}]"
                self.fail(
                    "window_within_daily_limit",
                    f"{drug}: {_ng(total):_} ng delivered in the 24 h window {shape}; "
                    f"limit {limit_ng:_} ng",
                    a + _DAY_S,
                    drug=drug,
                    start_s=a,
                    closed_left=str(closed),
                    limit_ng=limit_ng,
                    total_ng_ceil=_ng(total),
                )
        return tuple(windows)


def _max_rate_nl_per_day(p: Prescription, start_s: int, end_s: int) -> int:
    """Largest volume rate the prescription allows over [start_s, end_s), floored."""
    steps = sorted(p.steps, key=lambda s: s.start_s)
    rates = [
        s.dose_ng * (24 if s.per == "hour" else 1) * _NL_PER_ML // p.concentration_ng_per_ml
        for s in steps
    ]
    if end_s - start_s >= _DAY_S:
        return max(rates)
    cycle = start_s % _DAY_S
    in_force = len(steps) - 1
    for i, s in enumerate(steps):
        if s.start_s <= cycle:
            in_force = i
    best = rates[in_force]
    span = end_s - start_s
    for i, s in enumerate(steps):
        offset = (s.start_s - cycle) % _DAY_S
        if 0 < offset < span:
            best = max(best, rates[i])
    return best


def check_log(log: Sequence[Delivery | EventRecord], spec: Spec) -> OracleReport:
    """Check every requirement the oracle covers (see :data:`CHECKS`) on *log*.

    *log* is in the order things happened: each point dose right after the accepted
    event that gave it, basal segments as time passed. Rejected events are ignored
    except for their place in time.
    """
    walk = _Walk(spec)
    for entry in log:
        if isinstance(entry, EventRecord):
            walk.record(entry)
        else:
            walk.delivery(entry)
    windows = walk.finish()
    return OracleReport(tuple(walk.violations), windows, dict(walk.exercised))
