"""Requirement scenarios: short, deterministic therapy stories run against a model.

Each scenario names the requirements it exercises and the guards it relies on, and raises
``ScenarioFailed`` when the model lets something unsafe through or refuses something it
must accept. ``pumpsafety verify`` reports them as sampled evidence; the test suite shows
each one failing when its guards are switched off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pumpsafety import guards as _guards
from pumpsafety.dose import DAY_S
from pumpsafety.errors import PumpSafetyError
from pumpsafety.machine import PumpModel
from pumpsafety.records import EventRecord, PatientBolus, Prescription, Step
from pumpsafety.spec import Spec

__all__ = ["SCENARIOS", "Scenario", "ScenarioFailed", "guards_disabled", "run_scenarios"]

HOUR = 3_600
BACLOFEN = 500_000  # ng/ml


class ScenarioFailed(AssertionError):
    """The model did not behave as the requirement demands."""


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    requirements: tuple[str, ...]
    guards: tuple[str, ...]
    needs: tuple[str, ...]  # drug and device ids the story uses
    run: Callable[[Spec], int]  # returns the number of events it offered


SCENARIOS: list[Scenario] = []


def _scenario(
    requirements: tuple[str, ...], guards: tuple[str, ...], needs: tuple[str, ...]
) -> Callable[[Callable[[Spec], int]], Callable[[Spec], int]]:
    def wrap(fn: Callable[[Spec], int]) -> Callable[[Spec], int]:
        SCENARIOS.append(Scenario(fn.__name__, requirements, guards, needs, fn))
        return fn

    return wrap


class _Story:
    """A model plus an event counter and the two ways a step can go."""

    def __init__(self, spec: Spec) -> None:
        self.m = PumpModel(spec)
        self.events = 0

    def ok(self, event: str, **args: object) -> None:
        self.events += 1
        try:
            self.m.fire(event, **args)
        except PumpSafetyError as err:
            raise ScenarioFailed(f"{event} was refused but must be accepted: {err}") from err

    def refused(self, event: str, requirement: str, **args: object) -> None:
        self.events += 1
        before = self.m.snapshot()
        try:
            self.m.fire(event, **args)
        except PumpSafetyError as err:
            if self.m.snapshot() != before:
                raise ScenarioFailed(f"{event} was refused but changed the model") from err
            got = getattr(err, "requirement", None)
            if got != requirement:
                raise ScenarioFailed(
                    f"{event} was refused for {got}, expected {requirement}: {err}"
                ) from err
            return
        raise ScenarioFailed(f"{event} {args} was accepted but must be refused ({requirement})")

    def expect(self, condition: bool, what: str) -> None:
        if not condition:
            raise ScenarioFailed(what)


def _rx(dose_ng: int, **kw: object) -> Prescription:
    kw.setdefault("max_daily_dose_ng", 400_000)
    kw.setdefault("spasticity_origin", "spinal")
    kw.setdefault("confirm_soft_limits", True)
    return Prescription.constant("baclofen", kw.pop("concentration", BACLOFEN), dose_ng, **kw)  # type: ignore[arg-type]


def _implanted(spec: Spec, *, device: str = "synchromed_ii_40") -> _Story:
    """A baclofen patient whose 50 mcg screening dose worked, implanted a day ago."""
    s = _Story(spec)
    s.ok("start_single_shot_trial", drug="baclofen")
    s.ok("give_trial_bolus", mass_ng=50_000)
    s.m.advance(8 * HOUR)
    s.ok("end_trial", improvement_percent=60)
    s.ok("implant", device=device, catheter_dead_volume_nl=100_000)
    s.m.advance(DAY_S)
    return s


def _delivering(
    spec: Spec,
    *,
    device: str = "synchromed_ii_40",
    volume_nl: int = 20_000_000,
    rx: Prescription | None = None,
) -> _Story:
    s = _implanted(spec, device=device)
    _fill(s, volume_nl)
    s.ok("program", prescription=rx or _rx(100_000))
    s.ok("prime", volume_nl=100_000 + spec.devices[device].pump_tubing_volume_nl.value)
    return s


def _fill(
    s: _Story, volume_nl: int, *, conc: int = BACLOFEN, residual_nl: int | None = None
) -> None:
    s.ok("begin_refill")
    s.ok("aspirate", residual_nl=s.m.reservoir_nl if residual_nl is None else residual_nl)
    s.ok(
        "fill",
        drug="baclofen",
        concentration_ng_per_ml=conc,
        confirm_concentration_ng_per_ml=conc,
        volume_nl=volume_nl,
    )
    s.ok("finish_refill")


_BASE = ("baclofen", "synchromed_ii_40")


@_scenario(
    ("SR-STATE-02", "SR-STATE-03", "SR-TRIAL-01"),
    ("trial_succeeded", "trial_dose_allowed", "further_trial_dose_available"),
    _BASE,
)
def failed_baclofen_screening_never_reaches_implant(spec: Spec) -> int:
    s = _Story(spec)
    s.ok("start_single_shot_trial", drug="baclofen")
    s.refused("give_trial_bolus", "SR-STATE-03", mass_ng=75_000)
    for i, dose_ng in enumerate((50_000, 75_000, 100_000)):
        s.ok("give_trial_bolus", mass_ng=dose_ng)
        s.m.advance(8 * HOUR)
        s.ok("end_trial", improvement_percent=30)
        s.refused("implant", "SR-TRIAL-01", device="synchromed_ii_40", catheter_dead_volume_nl=0)
        if i < 2:
            s.ok("continue_trial")
            s.m.advance(16 * HOUR)
    s.refused("continue_trial", "SR-STATE-03")
    s.ok("reject_candidate")
    s.expect(s.m.state == "not_a_candidate", "a failed trial must end in not_a_candidate")
    return s.events


@_scenario(("SR-STATE-04",), ("trial_observation_complete",), ("morphine",))
def opioid_trial_observation_before_evaluation(spec: Spec) -> int:
    s = _Story(spec)
    s.ok("start_single_shot_trial", drug="morphine")
    s.ok("give_trial_bolus", mass_ng=200_000)
    s.m.advance(HOUR)
    s.refused("end_trial", "SR-STATE-04", improvement_percent=70)
    s.m.advance(24 * HOUR)
    s.ok("end_trial", improvement_percent=70)
    return s.events


@_scenario(("SR-STATE-01", "SR-PRIME-01"), ("priming_volume_correct",), _BASE)
def priming_volume_is_exact_before_first_delivery(spec: Spec) -> int:
    s = _implanted(spec)
    _fill(s, 20_000_000)
    s.ok("program", prescription=_rx(100_000))
    s.expect(s.m.state == "priming", "a first program must lead to priming")
    s.refused("prime", "SR-PRIME-01", volume_nl=400_000)
    s.ok("prime", volume_nl=240_000)
    return s.events


@_scenario(("SR-TITR-01",), ("titration_allowed",), ("ziconotide", "synchromed_ii_20"))
def ziconotide_starts_at_most_2_4_mcg(spec: Spec) -> int:
    s = _Story(spec)
    s.ok("start_single_shot_trial", drug="ziconotide")
    s.ok("give_trial_bolus", mass_ng=1_000)
    s.m.advance(8 * HOUR)
    s.ok("end_trial", improvement_percent=60)
    s.ok("implant", device="synchromed_ii_20", catheter_dead_volume_nl=0)
    s.ok("begin_refill")
    s.ok("aspirate", residual_nl=0)
    s.ok(
        "fill",
        drug="ziconotide",
        concentration_ng_per_ml=25_000,
        confirm_concentration_ng_per_ml=25_000,
        volume_nl=20_000_000,
    )
    s.ok("finish_refill")
    zic = Prescription.constant(
        "ziconotide", 25_000, 2_500, max_daily_dose_ng=16_000, confirm_soft_limits=True
    )
    s.refused("program", "SR-TITR-01", prescription=zic)
    s.ok(
        "program",
        prescription=Prescription.constant(
            "ziconotide", 25_000, 2_400, max_daily_dose_ng=16_000, confirm_soft_limits=True
        ),
    )
    return s.events


@_scenario(("SR-TITR-03", "SR-TITR-04", "SR-TITR-02"), ("titration_allowed",), _BASE)
def baclofen_titration_steps(spec: Spec) -> int:
    s = _implanted(spec)
    _fill(s, 20_000_000)
    s.refused("program", "SR-TITR-03", prescription=_rx(110_000))  # > 2 x the 50 mcg that worked
    s.ok("program", prescription=_rx(100_000))
    s.ok("prime", volume_nl=240_000)
    s.refused("program", "SR-TITR-04", prescription=_rx(131_000))  # more than 30 %
    s.ok("program", prescription=_rx(130_000))
    s.refused("program", "SR-TITR-04", prescription=_rx(140_000))  # a second step within 24 h
    s.m.advance(DAY_S)
    s.ok("program", prescription=_rx(160_000))
    return s.events


@_scenario(("SR-TITR-05",), ("titration_allowed", "stop_confirmed"), _BASE)
def baclofen_cuts_and_stops_need_confirmation(spec: Spec) -> int:
    s = _delivering(spec)
    s.refused("program", "SR-TITR-05", prescription=_rx(50_000))
    s.refused("stop_delivery", "SR-TITR-05")
    s.ok("program", prescription=_rx(50_000, confirm_decrease=True))
    s.ok("stop_delivery", confirm_withdrawal_risk=True)
    return s.events


@_scenario(
    ("SR-DOSE-02", "SR-DOSE-06", "SR-DOSE-07", "SR-CONF-01"), ("program_within_limits",), _BASE
)
def programs_are_checked_worst_case_before_acceptance(spec: Spec) -> int:
    s = _delivering(spec)
    bolus = PatientBolus(mass_ng=20_000, lockout_s=HOUR, max_per_day=4)
    s.refused(
        "program",
        "SR-DOSE-02",
        prescription=_rx(100_000, max_daily_dose_ng=150_000, patient_bolus=bolus),
    )
    per_hour = Prescription(
        drug="baclofen",
        concentration_ng_per_ml=BACLOFEN,
        confirm_concentration_ng_per_ml=BACLOFEN,
        max_daily_dose_ng=400_000,
        steps=(Step(0, 80_000, "day"), Step(6 * HOUR, 60_000, "hour")),
        spasticity_origin="spinal",
        confirm_soft_limits=True,
    )
    s.refused("program", "SR-DOSE-06", prescription=per_hour)
    near_hard = _rx(
        100_000, max_daily_dose_ng=1_100_000, patient_bolus=PatientBolus(250_000, HOUR, 4)
    )
    s.refused(
        "program", "SR-DOSE-07", prescription=near_hard
    )  # fits nominally, not with the margin
    above_usual = _rx(900_000, max_daily_dose_ng=1_000_000, confirm_soft_limits=False)
    s.refused("program", "SR-CONF-01", prescription=above_usual)  # unconfirmed, above 800 mcg/day
    return s.events


@_scenario(
    ("SR-DOSE-03", "SR-RES-07", "SR-RES-02", "SR-DOSE-05"),
    (
        "concentration_within_hard_limit",
        "concentration_confirmed",
        "fill_within_capacity",
        "program_for_reservoir",
        "program_matches_reservoir",
    ),
    _BASE,
)
def refills_check_concentration_capacity_and_reprogramming(spec: Spec) -> int:
    s = _delivering(spec)
    s.m.advance(DAY_S)
    s.ok("begin_refill")
    s.ok("aspirate", residual_nl=s.m.reservoir_nl)
    base = {"drug": "baclofen", "volume_nl": 10_000_000}
    s.refused(
        "fill",
        "SR-DOSE-03",
        concentration_ng_per_ml=3_000_000,
        confirm_concentration_ng_per_ml=3_000_000,
        **base,
    )
    s.refused(
        "fill",
        "SR-RES-07",
        concentration_ng_per_ml=1_000_000,
        confirm_concentration_ng_per_ml=100_000,
        **base,
    )
    s.refused(
        "fill",
        "SR-RES-02",
        concentration_ng_per_ml=1_000_000,
        confirm_concentration_ng_per_ml=1_000_000,
        drug="baclofen",
        volume_nl=41_000_000,
    )
    s.ok(
        "fill", concentration_ng_per_ml=1_000_000, confirm_concentration_ng_per_ml=1_000_000, **base
    )
    s.ok("finish_refill")
    s.expect(s.m.state == "awaiting_program", "a new concentration must force reprogramming")
    s.refused("program", "SR-DOSE-05", prescription=_rx(100_000))
    s.ok("program", prescription=_rx(100_000, concentration=1_000_000))
    return s.events


@_scenario(("SR-RES-05",), ("residual_within_tolerance", "residual_outside_tolerance"), _BASE)
def refill_discrepancy_blocks_delivery(spec: Spec) -> int:
    s = _delivering(spec)
    s.m.advance(10 * DAY_S)
    s.ok("begin_refill")
    s.ok("aspirate", residual_nl=s.m.reservoir_nl - 2_100_000)
    s.expect(
        s.m.state == "alarm_volume_discrepancy", "a 2.1 ml discrepancy on a 40 ml pump must alarm"
    )
    s.refused(
        "fill",
        "SR-INPUT-01",
        drug="baclofen",
        concentration_ng_per_ml=BACLOFEN,
        confirm_concentration_ng_per_ml=BACLOFEN,
        volume_nl=1_000_000,
    )
    s.ok("acknowledge_discrepancy")
    return s.events


@_scenario(("SR-RES-03", "SR-RES-04", "SR-DEL-02"), (), _BASE)
def reservoir_alarms_on_the_exact_second(spec: Spec) -> int:
    s = _delivering(spec, volume_nl=3_240_000)  # 3 ml after priming, 0.2 ml/day
    t0 = s.m.now_s
    start = len(s.m.log)
    s.m.advance(30 * DAY_S)
    raised = {
        e.event: e.now_s - t0
        for e in s.m.log[start:]
        if isinstance(e, EventRecord) and e.event in ("reservoir_low", "reservoir_empty")
    }
    s.expect(
        raised.get("reservoir_low") == 5 * DAY_S,
        f"the low-reservoir alarm must fire at exactly 2 ml (day 5), got {raised}",
    )
    s.expect(
        raised.get("reservoir_empty") == 15 * DAY_S,
        f"the empty alarm must fire at exactly 0 ml (day 15), got {raised}",
    )
    s.expect(s.m.state == "alarm_empty_reservoir", "an empty reservoir is a critical alarm")
    delivered = s.m.data.delivered_nl_s_per_day
    s.m.advance(DAY_S)
    s.expect(
        s.m.data.delivered_nl_s_per_day == delivered, "nothing is delivered from an empty reservoir"
    )
    return s.events + 2


@_scenario(("SR-RES-06",), (), _BASE)
def refill_overdue_by_stability(spec: Spec) -> int:
    s = _delivering(spec, volume_nl=40_000_000)
    fill_s = next(
        e.now_s for e in reversed(s.m.log) if isinstance(e, EventRecord) and e.event == "fill"
    )
    stable = spec.drugs["baclofen"].stability.refill_max_s
    assert stable is not None
    s.m.advance(fill_s + stable.value - s.m.now_s - 1)
    s.expect(s.m.state == "delivering", "no overdue alarm before the stability limit")
    s.m.advance(1)
    s.expect(s.m.state == "alarm_refill_overdue", "the overdue alarm must fire on the due second")
    return s.events + 2


@_scenario(("SR-PWR-01",), (), _BASE)
def eri_then_end_of_service_after_90_days(spec: Spec) -> int:
    s = _delivering(spec)
    s.ok("battery_fault")
    s.expect(s.m.state == "alarm_battery_eri", "ERI must be a (non-critical) alarm")
    eri_to_eos = spec.devices["synchromed_ii_40"].eri_to_eos_s
    assert eri_to_eos is not None
    s.m.advance(eri_to_eos.value - 1)
    s.expect(s.m.state != "end_of_service", "end of service must not come early")
    s.m.advance(1)
    s.expect(s.m.state == "end_of_service", "end of service must follow ERI after the interval")
    s.ok("replace_pump", device="synchromed_ii_40")
    return s.events


@_scenario(("SR-PWR-02", "SR-ALM-02", "SR-ALM-03"), (), _BASE)
def low_battery_reset_never_resumes_an_unverified_program(spec: Spec) -> int:
    s = _delivering(spec)
    s.ok("low_battery_reset")
    s.refused("resume_delivery", "SR-INPUT-01")
    s.ok("program", prescription=_rx(100_000))
    s.expect(s.m.state == "alarm_battery_eri", "after a reset the ERI alarm stays")
    return s.events


@_scenario(("SR-ALM-01", "SR-ALM-02"), (), _BASE)
def stall_and_occlusion_stop_delivery(spec: Spec) -> int:
    s = _delivering(spec)
    for fault, fix, args in (
        ("detect_motor_stall", "recover_stall", {}),
        ("detect_occlusion", "revise_catheter", {"catheter_dead_volume_nl": 100_000}),
    ):
        s.ok(fault)
        before = s.m.data.delivered_nl_s_per_day
        s.m.advance(HOUR)
        s.expect(
            s.m.data.delivered_nl_s_per_day == before,
            f"{fault}: stalled time counts as no delivery",
        )
        s.refused("request_patient_bolus", "SR-INPUT-01")
        s.ok(fix, **args)
    s.ok("prime", volume_nl=240_000)
    return s.events


@_scenario(("SR-MRI-01",), ("mri_conditions_met",), ("baclofen", "prometra_ii_40"))
def valve_pump_is_emptied_before_mri(spec: Spec) -> int:
    s = _delivering(spec, device="prometra_ii_40")
    s.refused("begin_mri", "SR-MRI-01")
    s.ok("begin_refill")
    s.ok("aspirate", residual_nl=s.m.reservoir_nl)
    s.ok("begin_mri")
    s.ok("end_mri")
    s.refused("resume_delivery", "SR-DEL-02")
    return s.events


@_scenario(("SR-MRI-02",), (), _BASE)
def peristaltic_pump_is_interrogated_after_mri(spec: Spec) -> int:
    s = _delivering(spec)
    s.ok("begin_mri")
    s.ok("end_mri")
    s.expect(s.m.state == "suspended", "after MRI the pump waits for interrogation")
    s.ok("resume_delivery")
    return s.events


@_scenario(("SR-BOL-02", "SR-BOL-03"), ("bolus_within_daily_limit",), _BASE)
def clinician_and_port_boluses_count_toward_the_window(spec: Spec) -> int:
    s = _delivering(spec, rx=_rx(100_000, max_daily_dose_ng=300_000))
    s.m.advance(DAY_S)
    s.ok("give_clinician_bolus", mass_ng=100_000)
    s.refused("give_catheter_access_bolus", "SR-DOSE-01", mass_ng=60_000)  # 50 mcg in the catheter
    s.ok("give_catheter_access_bolus", mass_ng=50_000)
    return s.events


@_scenario(("SR-DOSE-04", "SR-INPUT-01"), (), _BASE)
def unit_slips_are_rejected_not_guessed(spec: Spec) -> int:
    s = _delivering(spec)
    s.refused("give_clinician_bolus", "SR-DOSE-04", mass_ng="20 ml")
    s.refused("give_clinician_bolus", "SR-DOSE-04", mass_ng=20.0)
    s.refused("give_clinician_bolus", "SR-DOSE-01", mass_ng="2 mg")  # meant 2 mcg
    s.ok("give_clinician_bolus", mass_ng="20 mcg")
    return s.events


def run_scenarios(spec: Spec) -> list[tuple[Scenario, str, int, str]]:
    """Run every scenario whose drugs and devices the spec has: (scenario, verdict, events, detail).

    Verdicts: "passed", "failed", or "not_applicable" (the spec lacks a drug or device).
    """
    out = []
    for sc in SCENARIOS:
        missing = [n for n in sc.needs if n not in spec.drugs and n not in spec.devices]
        if missing:
            out.append((sc, "not_applicable", 0, f"spec has no {', '.join(missing)}"))
            continue
        try:
            events = sc.run(spec)
        except ScenarioFailed as err:
            out.append((sc, "failed", 0, str(err)))
        except PumpSafetyError as err:
            out.append((sc, "failed", 0, f"{type(err).__name__}: {err}"))
        else:
            out.append((sc, "passed", events, f"{events} events"))
    return out


@contextmanager
def guards_disabled(*names: str) -> Iterator[None]:
    """Switch guards off (they always hold) to show that a scenario depends on them."""
    saved = {n: _guards.GUARDS[n] for n in names}

    def holds(ctx: _guards.Ctx) -> PumpSafetyError | None:
        return None

    try:
        for n in names:
            _guards.GUARDS[n] = holds
        yield
    finally:
        _guards.GUARDS.update(saved)
