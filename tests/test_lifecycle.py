"""Scenario tests: every lifecycle path of the shipped spec, through the public API."""

from __future__ import annotations

import pytest

from pumpsafety import DoseError, EventRejected, PatientBolus, Prescription, PumpModel, Spec
from pumpsafety.dose import DAY_S
from tests.scenarios import (
    BACLOFEN_500,
    DAY,
    HOUR,
    baclofen_prescription,
    delivering,
    fill,
    implanted,
)


def test_declined_candidate_ends_therapy(spec: Spec) -> None:
    m = PumpModel(spec)
    m.fire("decline_candidate")
    assert m.state == "not_a_candidate"
    assert m.allowed_events() == ()
    with pytest.raises(EventRejected):
        m.fire("implant", device="synchromed_ii_40", catheter_dead_volume_nl=0)


def test_baclofen_screening_escalates_50_75_100_then_fails_for_good(spec: Spec) -> None:
    m = PumpModel(spec)
    m.fire("start_single_shot_trial", drug="baclofen")
    for dose_ng in (50_000, 75_000, 100_000):
        m.fire("give_trial_bolus", mass_ng=dose_ng)
        m.advance(8 * HOUR)
        m.fire("end_trial", improvement_percent=20)
        assert m.state == "trial_evaluation"
        with pytest.raises(DoseError) as no_implant:
            m.fire("implant", device="synchromed_ii_40", catheter_dead_volume_nl=0)
        assert no_implant.value.requirement == "SR-TRIAL-01"
        if dose_ng < 100_000:
            m.fire("continue_trial")
            m.advance(16 * HOUR)
    with pytest.raises(EventRejected) as no_fourth:
        m.fire("continue_trial")
    assert no_fourth.value.guard == "further_trial_dose_available"
    m.fire("reject_candidate")
    assert m.state == "not_a_candidate"


def test_trial_doses_must_follow_the_sequence_and_spacing(spec: Spec) -> None:
    m = PumpModel(spec)
    m.fire("start_single_shot_trial", drug="baclofen")
    with pytest.raises(DoseError) as wrong:
        m.fire("give_trial_bolus", mass_ng=75_000)
    assert wrong.value.requirement == "SR-STATE-03"
    m.fire("give_trial_bolus", mass_ng=50_000)
    with pytest.raises(DoseError, match="observation"):
        m.fire("end_trial", improvement_percent=80)  # observation (4 h) not over
    m.advance(4 * HOUR)
    m.fire("end_trial", improvement_percent=10)
    m.fire("continue_trial")
    m.advance(19 * HOUR)  # 23 h after the first dose
    with pytest.raises(DoseError, match="too soon"):
        m.fire("give_trial_bolus", mass_ng=75_000)
    m.advance(HOUR)
    m.fire("give_trial_bolus", mass_ng=75_000)


def test_successful_trial_leads_to_implant_fill_program_prime_and_delivery(spec: Spec) -> None:
    m = implanted(spec)
    assert m.state == "implanted"
    m.advance(DAY)
    fill(m, 20_000_000)
    assert m.state == "awaiting_program"  # a first fill always needs a program
    m.fire("program", prescription=baclofen_prescription())
    assert m.state == "priming"
    with pytest.raises(DoseError) as bad_prime:
        m.fire("prime", volume_nl=500_000)
    assert bad_prime.value.requirement == "SR-PRIME-01"
    m.fire("prime", volume_nl=240_000)  # 0.1 ml catheter + 0.14 ml pump tubing
    assert m.state == "delivering"
    assert m.reservoir_nl == 20_000_000 - 240_000


def test_continuous_trial_with_an_external_pump_then_implant(spec: Spec) -> None:
    m = PumpModel(spec)
    trial = Prescription.constant("morphine", 1_000_000, 500_000, confirm_soft_limits=True)
    with pytest.raises(DoseError):
        m.fire(
            "start_continuous_trial",
            device="synchromed_ii_20",
            volume_nl=5_000_000,
            prescription=trial,
        )
    m.fire(
        "start_continuous_trial", device="external_trial", volume_nl=5_000_000, prescription=trial
    )
    assert m.state == "trial_continuous"
    m.advance(3 * DAY)
    delivered_ng = m.data.delivered_fg_s_per_day // (10**6 * DAY_S)
    assert delivered_ng == 3 * 500_000
    m.fire("end_trial", improvement_percent=55)
    m.fire("implant", device="prometra_ii_20", catheter_dead_volume_nl=150_000)
    assert m.state == "implanted"
    assert m.data.reservoir_nl_s_per_day == 0


def test_failed_trial_can_never_reach_implant_even_with_a_good_second_reading(spec: Spec) -> None:
    m = PumpModel(spec)
    m.fire("start_single_shot_trial", drug="morphine")
    m.fire("give_trial_bolus", mass_ng=200_000)
    m.advance(6 * HOUR)
    m.fire("end_trial", improvement_percent=49)
    with pytest.raises(DoseError):
        m.fire("implant", device="synchromed_ii_20", catheter_dead_volume_nl=0)
    assert m.state == "trial_evaluation"


def test_low_reservoir_and_empty_alarms_fire_on_the_exact_second(spec: Spec) -> None:
    m = delivering(spec, volume_nl=3_240_000)  # 3 ml left after priming at 0.2 ml/day
    t0 = m.now_s
    # low alarm (2 ml) after 1 ml at 200_000 nl/day = 5 days exactly
    m.advance(5 * DAY - 1)
    assert m.state == "delivering"
    m.advance(1)
    assert m.state == "alarm_low_reservoir"
    assert m.now_s - t0 == 5 * DAY
    m.advance(10 * DAY - 1)
    assert m.state == "alarm_low_reservoir"
    m.advance(1)
    assert m.state == "alarm_empty_reservoir"
    assert m.reservoir_nl == 0
    before = m.data.delivered_nl_s_per_day
    m.advance(30 * DAY)
    assert m.data.delivered_nl_s_per_day == before  # nothing from an empty reservoir
    fill(m, 20_000_000)
    assert m.state == "delivering"  # same drug and concentration: the program still holds


def test_refill_discrepancy_blocks_delivery_until_acknowledged(spec: Spec) -> None:
    m = delivering(spec)
    m.advance(10 * DAY)  # 2 ml delivered: 17.76 ml expected
    m.fire("begin_refill")
    m.fire("aspirate", residual_nl=15_000_000)  # 2.76 ml missing: more than the 2 ml tolerance
    assert m.state == "alarm_volume_discrepancy"
    assert m.allowed_events() == ("acknowledge_discrepancy", "battery_fault", "explant")
    m.fire("acknowledge_discrepancy")
    m.fire(
        "fill",
        drug="baclofen",
        concentration_ng_per_ml=BACLOFEN_500,
        confirm_concentration_ng_per_ml=BACLOFEN_500,
        volume_nl=40_000_000,
    )
    m.fire("finish_refill")
    assert m.state == "delivering"


def test_discrepancy_within_tolerance_passes(spec: Spec) -> None:
    m = delivering(spec)
    m.advance(10 * DAY)
    m.fire("begin_refill")
    m.fire("aspirate", residual_nl=17_760_000 - 2_000_000)  # exactly at the 2 ml tolerance
    assert m.state == "filling"


def test_new_concentration_forces_reprogramming(spec: Spec) -> None:
    m = delivering(spec)
    m.advance(DAY)
    fill(m, 20_000_000, residual_nl=19_560_000, conc=1_000_000)
    assert m.state == "awaiting_program"
    with pytest.raises(EventRejected):
        m.fire("resume_delivery")
    with pytest.raises(DoseError) as stale:
        m.fire("program", prescription=baclofen_prescription())  # still says 500 mcg/ml
    assert stale.value.requirement == "SR-DOSE-05"
    m.fire("program", prescription=baclofen_prescription(concentration_ng_per_ml=1_000_000))
    assert m.state == "delivering"
    assert m.data.program is not None
    assert m.data.program.rates == ((0, 100_000),)  # half the volume rate, same dose


def test_fill_concentration_is_entered_twice(spec: Spec) -> None:
    m = delivering(spec)
    m.fire("begin_refill")
    m.fire("aspirate", residual_nl=19_760_000)
    with pytest.raises(DoseError) as typo:
        m.fire(
            "fill",
            drug="baclofen",
            concentration_ng_per_ml=2_000_000,
            confirm_concentration_ng_per_ml=200_000,
            volume_nl=1_000_000,
        )
    assert typo.value.requirement == "SR-RES-07"


def test_refill_overdue_by_drug_stability(spec: Spec) -> None:
    m = delivering(spec, volume_nl=40_000_000)
    due = m.data.refill_due_at_s
    assert due is not None
    m.advance(due - m.now_s - 1)
    assert m.state == "delivering"
    m.advance(1)
    assert m.state == "alarm_refill_overdue"
    fill(m, 10_000_000, residual_nl=m.reservoir_nl)
    assert m.state == "delivering"


def test_ziconotide_first_refill_is_due_within_14_days(spec: Spec) -> None:
    m = implanted(spec, device="synchromed_ii_20")
    fill(m, 20_000_000, conc=25_000, drug="ziconotide")
    assert m.data.refill_due_at_s == m.now_s + 14 * DAY


def test_eri_then_end_of_service_90_days_later_then_replacement(spec: Spec) -> None:
    m = delivering(spec, volume_nl=1_000_000)
    dev = spec.devices["synchromed_ii_40"]
    assert dev.service_life_s is not None and dev.eri_to_eos_s is not None
    implanted_at = m.data.implanted_at_s
    assert implanted_at is not None
    eri = implanted_at + dev.service_life_s.value - dev.eri_to_eos_s.value
    m.advance(eri - m.now_s - 1)
    assert m.data.battery_eri_active is False
    m.advance(1)
    assert m.data.battery_eri_active is True
    m.advance(dev.eri_to_eos_s.value - 1)
    assert m.state != "end_of_service"
    m.advance(1)
    assert m.state == "end_of_service"
    assert m.now_s == eri + 90 * DAY
    m.fire("replace_pump", device="synchromed_ii_20")
    assert m.state == "implanted"
    assert m.data.battery_eri_active is False
    assert m.data.eos_at_s == m.now_s + dev.service_life_s.value


def test_eri_while_delivering_is_a_non_critical_alarm_that_keeps_delivering(spec: Spec) -> None:
    m = delivering(spec)
    m.fire("battery_fault")
    assert m.state == "alarm_battery_eri"
    before = m.data.delivered_nl_s_per_day
    m.advance(DAY)
    assert m.data.delivered_nl_s_per_day - before == 200_000 * DAY_S
    fill(m, 10_000_000, residual_nl=m.reservoir_nl)
    assert m.state == "alarm_battery_eri"  # a refill does not clear ERI
    m.advance(89 * DAY)
    assert m.state == "end_of_service"


def test_occlusion_needs_catheter_revision_and_priming(spec: Spec) -> None:
    m = delivering(spec)
    m.fire("detect_occlusion")
    assert m.state == "alarm_occlusion"
    before = m.data.delivered_nl_s_per_day
    m.advance(HOUR)
    assert m.data.delivered_nl_s_per_day == before
    m.fire("revise_catheter", catheter_dead_volume_nl=120_000)
    assert m.state == "priming"
    m.fire("prime", volume_nl=260_000)
    assert m.state == "delivering"


def test_motor_stall_recovery_and_replacement(spec: Spec) -> None:
    m = delivering(spec)
    m.fire("detect_motor_stall")
    assert m.state == "alarm_motor_stall"
    m.fire("recover_stall")
    assert m.state == "delivering"
    m.fire("detect_motor_stall")
    m.fire("replace_pump", device="synchromed_ii_40")
    assert m.state == "implanted"
    assert m.data.catheter_primed is False


def test_mri_on_a_peristaltic_pump_needs_interrogation_after(spec: Spec) -> None:
    m = delivering(spec)
    m.fire("begin_mri")
    assert m.state == "mri_suspended"
    m.fire("end_mri")
    assert m.state == "suspended"
    m.fire("resume_delivery")
    assert m.state == "delivering"


def test_mri_on_a_valve_gated_pump_requires_an_empty_reservoir(spec: Spec) -> None:
    m = delivering(spec, device="prometra_ii_40")
    with pytest.raises(EventRejected) as full:
        m.fire("begin_mri")
    assert full.value.requirement == "SR-MRI-01"
    m.fire("begin_refill")
    m.fire("aspirate", residual_nl=m.reservoir_nl)
    m.fire("begin_mri")
    m.fire("end_mri")
    with pytest.raises(EventRejected):
        m.fire("resume_delivery")  # nothing to deliver from
    fill(m, 10_000_000)
    assert m.state == "delivering"


def test_stopping_baclofen_needs_a_withdrawal_confirmation(spec: Spec) -> None:
    m = delivering(spec)
    with pytest.raises(DoseError) as unconfirmed:
        m.fire("stop_delivery")
    assert unconfirmed.value.requirement == "SR-TITR-05"
    m.fire("stop_delivery", confirm_withdrawal_risk=True)
    assert m.state == "suspended"
    m.fire("resume_delivery")
    assert m.state == "delivering"


def test_explant_ends_therapy(spec: Spec) -> None:
    m = delivering(spec)
    left = m.data.reservoir_nl_s_per_day
    m.fire("explant")
    assert m.state == "explanted"
    assert m.data.aspirated_nl_s_per_day >= left
    assert m.allowed_events() == ()


def test_patient_bolus_lockout_and_count(spec: Spec) -> None:
    bolus = PatientBolus(mass_ng=10_000, lockout_s=2 * HOUR, max_per_day=3)
    m = delivering(spec, prescription=baclofen_prescription(patient_bolus=bolus))
    m.advance(DAY)
    m.fire("request_patient_bolus")
    m.advance(2 * HOUR - 1)
    with pytest.raises(DoseError) as locked:
        m.fire("request_patient_bolus")
    assert locked.value.requirement == "SR-BOL-01"
    m.advance(1)
    m.fire("request_patient_bolus")
    m.advance(2 * HOUR)
    m.fire("request_patient_bolus")
    m.advance(2 * HOUR)
    with pytest.raises(DoseError) as counted:
        m.fire("request_patient_bolus")
    assert counted.value.requirement == "SR-BOL-04"
    m.advance(DAY - 6 * HOUR + 1)  # first bolus now outside the sliding window
    m.fire("request_patient_bolus")


def test_no_patient_bolus_during_an_alarm(spec: Spec) -> None:
    bolus = PatientBolus(mass_ng=10_000, lockout_s=HOUR, max_per_day=4)
    m = delivering(
        spec, volume_nl=2_200_000, prescription=baclofen_prescription(patient_bolus=bolus)
    )
    assert m.state == "alarm_low_reservoir"
    with pytest.raises(EventRejected) as alarm:
        m.fire("request_patient_bolus")
    assert "not allowed in this state" in str(alarm.value)


def test_bolus_is_refused_when_a_window_with_committed_basal_would_pass_the_limit(
    spec: Spec,
) -> None:
    # 100 mcg/day basal under a 250 mcg/day maximum; the 120 mcg priming dose is a day old
    m = delivering(spec, prescription=baclofen_prescription(100_000, max_daily_dose_ng=250_000))
    m.advance(DAY)
    # any window through now holds 100 mcg of past plus committed basal: 150 mcg headroom
    m.fire("give_clinician_bolus", mass_ng=150_000)
    with pytest.raises(DoseError) as over:
        m.fire("give_clinician_bolus", mass_ng=1_000)
    assert over.value.requirement == "SR-DOSE-01"


def test_flex_schedule_states_its_time_base(spec: Spec) -> None:
    from pumpsafety import Step

    m = delivering(spec)
    # the ISMP error: a 60 mcg morning dose entered per hour instead of per day
    slip = Prescription(
        drug="baclofen",
        concentration_ng_per_ml=BACLOFEN_500,
        confirm_concentration_ng_per_ml=BACLOFEN_500,
        max_daily_dose_ng=400_000,
        steps=(
            Step(0, 80_000, "day"),
            Step(6 * HOUR, 60_000, "hour"),
            Step(7 * HOUR, 80_000, "day"),
        ),
        spasticity_origin="spinal",
        confirm_soft_limits=True,
    )
    with pytest.raises(DoseError) as caught:
        m.fire("program", prescription=slip)
    assert "1_440_000 ng/day" in str(caught.value)
    assert m.state == "delivering"


def test_titration_baclofen_at_most_30_percent_once_per_day(spec: Spec) -> None:
    m = delivering(spec)
    with pytest.raises(DoseError) as big:
        m.fire("program", prescription=baclofen_prescription(140_000))
    assert big.value.requirement == "SR-TITR-04"
    m.fire("program", prescription=baclofen_prescription(130_000))
    with pytest.raises(DoseError, match="too soon"):
        m.fire("program", prescription=baclofen_prescription(140_000))
    m.advance(DAY)
    m.fire("program", prescription=baclofen_prescription(160_000))


def test_large_decrease_needs_confirmation(spec: Spec) -> None:
    m = delivering(spec)
    with pytest.raises(DoseError) as cut:
        m.fire("program", prescription=baclofen_prescription(50_000))
    assert cut.value.requirement == "SR-TITR-05"
    m.fire("program", prescription=baclofen_prescription(50_000, confirm_decrease=True))


def test_ziconotide_titration_start_and_steps(spec: Spec) -> None:
    m = implanted(spec, device="synchromed_ii_20")
    fill(m, 20_000_000, conc=25_000, drug="ziconotide")

    def zic(dose_ng: int) -> Prescription:
        return Prescription.constant(
            "ziconotide", 25_000, dose_ng, max_daily_dose_ng=16_000, confirm_soft_limits=True
        )

    with pytest.raises(DoseError) as start:
        m.fire("program", prescription=zic(2_500))
    assert start.value.requirement == "SR-TITR-01"
    m.fire("program", prescription=zic(2_400))
    assert m.state == "priming"


def test_log_alone_reconstructs_the_totals(spec: Spec) -> None:
    from pumpsafety import Delivery, EventRecord

    m = delivering(spec)
    m.advance(3 * DAY)
    m.fire("give_clinician_bolus", mass_ng=20_000)
    fill(m, 5_000_000, residual_nl=m.reservoir_nl)
    m.advance(2 * DAY)
    deliveries = [e for e in m.log if isinstance(e, Delivery)]
    events = [e for e in m.log if isinstance(e, EventRecord)]
    assert sum(d.volume_nl_s_per_day for d in deliveries) == m.data.delivered_nl_s_per_day
    assert sum(d.mass_fg_s_per_day for d in deliveries) == m.data.delivered_fg_s_per_day
    filled = sum(dict(e.args)["volume_nl"] for e in events if e.accepted and e.event == "fill")
    assert filled == m.data.filled_nl
    assert (
        filled * DAY_S
        == m.data.delivered_nl_s_per_day
        + m.data.reservoir_nl_s_per_day
        + m.data.aspirated_nl_s_per_day
    )


def test_seven_years_cost_events_not_seconds(spec: Spec) -> None:
    m = delivering(spec, volume_nl=40_000_000)
    m.advance(7 * 365 * DAY)
    # one basal segment per interval between clock events, not per second or per day
    assert len(m.log) < 100
    assert m.state in ("end_of_service", "alarm_empty_reservoir")


def test_low_battery_reset_stops_delivery_and_discards_the_program(spec: Spec) -> None:
    m = delivering(spec)
    m.fire("low_battery_reset")
    assert m.state == "alarm_low_battery_reset"
    assert m.data.program is None and m.data.battery_eri_active
    before = m.data.delivered_nl_s_per_day
    m.advance(HOUR)
    assert m.data.delivered_nl_s_per_day == before
    with pytest.raises(EventRejected):
        m.fire("resume_delivery")  # never resumes an unverified program (SR-PWR-02)
    # a new program is titrated from the last known dose, not from the trial bolus
    with pytest.raises(DoseError) as jump:
        m.fire("program", prescription=baclofen_prescription(200_000))
    assert jump.value.requirement == "SR-TITR-04"
    m.fire("program", prescription=baclofen_prescription(100_000))
    assert m.state == "alarm_battery_eri"


def test_catheter_access_bolus_counts_the_catheter_content(spec: Spec) -> None:
    m = delivering(spec, prescription=baclofen_prescription(100_000, max_daily_dose_ng=400_000))
    m.advance(DAY)
    # catheter 0.1 ml of 500 mcg/ml = 50 mcg pushed ahead of the injected 100 mcg
    m.fire("give_catheter_access_bolus", mass_ng=100_000)
    last = m.log[-1]
    assert last.mass_fg_s_per_day == (50_000 + 100_000) * 10**6 * DAY_S  # type: ignore[union-attr]
    m.fire("give_catheter_access_bolus", mass_ng=100_000)  # window total exactly 400 mcg
    with pytest.raises(DoseError) as over:
        m.fire("give_catheter_access_bolus", mass_ng=1)
    assert over.value.requirement == "SR-DOSE-01"


def test_replacement_keeps_titrating_from_the_last_dose(spec: Spec) -> None:
    m = delivering(spec, prescription=baclofen_prescription(100_000))
    m.advance(DAY)
    m.fire("program", prescription=baclofen_prescription(130_000))
    m.fire("detect_motor_stall")
    m.fire("replace_pump", device="synchromed_ii_40")
    fill(m, 20_000_000)
    m.fire("program", prescription=baclofen_prescription(130_000))  # no trial-bolus cap now
    assert m.state == "priming"


def test_models_of_one_spec_share_the_machine_but_not_their_state(spec):
    from pumpsafety import PumpModel

    a, b = PumpModel(spec), PumpModel(spec)
    assert a._machine is b._machine
    a.fire("start_single_shot_trial", drug="baclofen")
    assert a.state == "trial_single_shot"
    assert b.state == spec.initial and b.log == ()


def test_derived_values_are_kept_per_spec_object(spec):
    from pumpsafety import load_spec
    from pumpsafety.spec import derived

    built: list[object] = []

    def build(s: object) -> object:
        built.append(s)
        return object()

    first = derived(spec, "test_kind", build)
    assert derived(spec, "test_kind", build) is first and built == [spec]
    other = load_spec()  # equal content, another object: built anew
    assert derived(other, "test_kind", build) is not first and built == [spec, other]


def test_implant_keeps_only_the_effective_trial_bolus(spec: Spec) -> None:
    """After implant the trial lives on as its last bolus, which caps the first program
    (SR-TITR-03, 2 x the effective 50 mcg); the dose list and the improvement are gone."""
    m = PumpModel(spec)
    m.fire("start_single_shot_trial", drug="baclofen")
    m.fire("give_trial_bolus", mass_ng=50_000)
    m.advance(8 * HOUR)
    m.fire("end_trial", improvement_percent=10)
    m.fire("continue_trial")
    m.advance(16 * HOUR)
    m.fire("give_trial_bolus", mass_ng=75_000)
    m.advance(8 * HOUR)
    m.fire("end_trial", improvement_percent=60)
    assert m.data.trial_improvement_percent == 60
    m.fire("implant", device="synchromed_ii_40", catheter_dead_volume_nl=100_000)
    assert m.data.trial_doses == ()
    assert m.data.trial_improvement_percent is None
    assert m.data.trial_effective_dose_ng == 75_000
    fill(m, 20_000_000)
    with pytest.raises(DoseError) as too_much:
        m.fire("program", prescription=baclofen_prescription(dose_ng_per_day=150_001))
    assert too_much.value.requirement == "SR-TITR-03"
    m.fire("program", prescription=baclofen_prescription(dose_ng_per_day=150_000))


def test_each_guard_runs_once_per_event_across_the_routes_of_a_resume(
    spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A program given while primed meets the same guards on every route of its "resume"
    destination; each guard's verdict is reused there, not computed again per route."""
    from collections import Counter

    from pumpsafety.guards import GUARDS, Guard

    routes = [
        t
        for t, src, _, _ in spec.expanded()
        if src == "awaiting_program" and t.trigger == "program"
    ]
    assert len(routes) > 2  # the unprimed branch and the resume routes
    m = delivering(spec)
    m.advance(DAY)
    fill(m, 20_000_000, residual_nl=19_560_000, conc=1_000_000)
    assert m.state == "awaiting_program"
    calls: Counter[str] = Counter()

    def counted(self: PumpModel, name: str) -> Guard:
        calls[name] += 1
        return GUARDS[name]

    monkeypatch.setattr(PumpModel, "_guard", counted)
    with pytest.raises(DoseError) as stale:  # still says 500 mcg/ml
        m.fire("program", prescription=baclofen_prescription())
    assert stale.value.requirement == "SR-DOSE-05"  # the first failing guard's reason
    assert m.state == "awaiting_program"
    calls.clear()
    m.fire("program", prescription=baclofen_prescription(concentration_ng_per_ml=1_000_000))
    assert m.state == "delivering"
    assert set(routes[1].guards) <= set(calls) and max(calls.values()) == 1, calls
    # the next event runs its guards afresh
    calls.clear()
    m.fire("program", prescription=baclofen_prescription(concentration_ng_per_ml=1_000_000))
    assert calls["program_fits_window"] == 1
