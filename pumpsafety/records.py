"""Value types of the model: prescriptions, the pump's data, and the delivery log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Delivery",
    "EventRecord",
    "PatientBolus",
    "Prescription",
    "Program",
    "PumpData",
    "Step",
]

TimeBase = Literal["hour", "day"]
DeliveryKind = Literal[
    "basal", "patient_bolus", "clinician_bolus", "catheter_access_bolus", "priming", "trial_bolus"
]


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a daily schedule: from *start_s* into the 24 h cycle, *dose_ng* per *per*.

    The time base is always explicit (SR-DOSE-06): 60_000 ng per "hour" is 1_440_000 ng/day.
    """

    start_s: int
    dose_ng: int
    per: TimeBase


@dataclass(frozen=True, slots=True)
class PatientBolus:
    """Patient-activated bolus settings (SR-BOL-01)."""

    mass_ng: int
    lockout_s: int
    max_per_day: int


@dataclass(frozen=True, slots=True)
class Prescription:
    """What a clinician programs. The concentration is entered twice (SR-RES-07)."""

    drug: str
    concentration_ng_per_ml: int
    confirm_concentration_ng_per_ml: int
    max_daily_dose_ng: int
    steps: tuple[Step, ...]
    patient_bolus: PatientBolus | None = None
    spasticity_origin: str | None = None
    confirm_soft_limits: bool = False
    confirm_decrease: bool = False

    @classmethod
    def constant(
        cls,
        drug: str,
        concentration_ng_per_ml: int,
        dose_ng_per_day: int,
        *,
        max_daily_dose_ng: int | None = None,
        patient_bolus: PatientBolus | None = None,
        spasticity_origin: str | None = None,
        confirm_soft_limits: bool = False,
        confirm_decrease: bool = False,
    ) -> Prescription:
        """A constant-rate prescription; the daily maximum defaults to the basal dose."""
        return cls(
            drug=drug,
            concentration_ng_per_ml=concentration_ng_per_ml,
            confirm_concentration_ng_per_ml=concentration_ng_per_ml,
            max_daily_dose_ng=dose_ng_per_day if max_daily_dose_ng is None else max_daily_dose_ng,
            steps=(Step(0, dose_ng_per_day, "day"),),
            patient_bolus=patient_bolus,
            spasticity_origin=spasticity_origin,
            confirm_soft_limits=confirm_soft_limits,
            confirm_decrease=confirm_decrease,
        )


@dataclass(frozen=True, slots=True)
class Program:
    """A prescription compiled to pump rates (rates floored, SR-DOSE-05)."""

    prescription: Prescription
    rates: tuple[tuple[int, int], ...]  # (start_s in cycle, rate_nl_per_day), sorted by start
    daily_fg_s_per_day: int
    bolus_volume_nl: int

    @property
    def drug(self) -> str:
        return self.prescription.drug

    @property
    def concentration_ng_per_ml(self) -> int:
        return self.prescription.concentration_ng_per_ml

    def rate_at(self, cycle_s: int) -> int:
        """Volume rate in nl/day at *cycle_s* seconds into the 24 h cycle."""
        rate = self.rates[-1][1]
        for start, r in self.rates:
            if start <= cycle_s:
                rate = r
        return rate

    def next_change_after(self, cycle_s: int) -> int | None:
        """Seconds from *cycle_s* to the next rate change; None for a constant rate."""
        if all(r == self.rates[0][1] for _, r in self.rates):
            return None
        for start, _ in self.rates:
            if start > cycle_s:
                return start - cycle_s
        return 86_400 - cycle_s + self.rates[0][0]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery: a basal segment [start_s, end_s] or a point dose (start_s == end_s).

    Amounts are exact: ``volume_nl_s_per_day`` in nl·s/day drawn from the reservoir (0 for
    a trial injection, which does not come from the pump) and ``mass_fg_s_per_day`` in
    fg·s/day reaching the patient. For reservoir deliveries mass = volume x concentration.
    A basal segment runs at one constant rate over its whole duration; the model records
    that rate (``rate_nl_per_day``, None for a point dose), so that nothing needs to divide
    an amount by a duration to find it again.
    """

    kind: DeliveryKind
    start_s: int
    end_s: int
    drug: str
    concentration_ng_per_ml: int
    volume_nl_s_per_day: int
    mass_fg_s_per_day: int
    state: str
    rate_nl_per_day: int | None = None

    @property
    def point(self) -> bool:
        return self.start_s == self.end_s

    @property
    def rate_fg_per_day(self) -> int:
        """Constant mass rate of a basal segment, in fg/day."""
        if self.rate_nl_per_day is not None:
            return self.rate_nl_per_day * self.concentration_ng_per_ml
        duration = self.end_s - self.start_s
        assert duration > 0 and self.mass_fg_s_per_day % duration == 0, "basal segments only"
        return self.mass_fg_s_per_day // duration


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An event offered to the model, accepted or rejected, with its arguments."""

    now_s: int
    event: str
    args: tuple[tuple[str, object], ...]
    accepted: bool
    source: str
    dest: str
    error: str | None = None
    # what the model expected to find at an aspiration, nl·s/day (SR-RES-05, SR-RES-08)
    expected_residual_nl_s_per_day: int | None = None


@dataclass(frozen=True, slots=True)
class PumpData:
    """Everything the model knows besides its state name. Frozen: every change makes a new one."""

    now_s: int = 0
    # trial
    trial_drug: str | None = None
    trial_doses: tuple[tuple[int, int], ...] = ()  # (at_s, mass_ng)
    trial_improvement_percent: int | None = None
    # what of the trial outlives the implant: its last (effective) bolus, which caps the first
    # program (SR-TITR-03); 0 when no trial bolus was given. At implant the trial doses and
    # the improvement are condensed into it and cleared.
    trial_effective_dose_ng: int = 0
    # device and catheter
    device: str | None = None
    catheter_dead_volume_nl: int = 0
    catheter_primed: bool = False
    implanted_at_s: int | None = None
    eri_at_s: int | None = None
    eos_at_s: int | None = None
    # reservoir
    drug: str | None = None
    concentration_ng_per_ml: int = 0
    reservoir_nl_s_per_day: int = 0
    residual_recorded: bool = False
    filled_this_session: bool = False
    fills: int = 0
    refill_due_at_s: int | None = None
    # program
    program: Program | None = None
    last_increase_s: int | None = None
    last_daily_by_drug: tuple[tuple[str, int], ...] = ()  # (drug, daily fg·s/day) of last program
    # alarm conditions that outlive a state change
    low_reservoir_active: bool = False
    empty_active: bool = False
    refill_overdue_active: bool = False
    battery_eri_active: bool = False
    # boluses and the last 24 h of delivery (for the window rule and lockouts); patient bolus
    # times are trimmed to the last 24 h when a bolus is given, so older ones may linger
    patient_bolus_times: tuple[int, ...] = ()
    recent: tuple[Delivery, ...] = ()
    # totals since the start, exact (SR-RES-08)
    filled_nl: int = 0
    aspirated_nl_s_per_day: int = 0
    delivered_nl_s_per_day: int = 0
    delivered_fg_s_per_day: int = field(default=0)
