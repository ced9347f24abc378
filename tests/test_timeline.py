"""Therapy timeline: hand-checked examples, and agreement with the model's own alarms."""

from __future__ import annotations

import pytest

from pumpsafety import DoseError, Spec
from pumpsafety.timeline import therapy_timeline
from tests.scenarios import DAY, implanted


def test_40_ml_of_2_mg_per_ml_baclofen_at_500_mcg_per_day(spec: Spec) -> None:
    t = therapy_timeline(
        spec,
        device="synchromed_ii_40",
        drug="baclofen",
        concentration_ng_per_ml=2_000_000,
        dose_ng_per_day=500_000,
        volume_nl=40_000_000,
    )
    assert t.rate_nl_per_day == 250_000
    assert t.empty_s == 160 * DAY  # 40 ml / 0.25 ml/day
    assert t.low_reservoir_s == 152 * DAY  # 2 ml alarm: 38 ml / 0.25 ml/day
    assert t.refill_due_s == 152 * DAY  # the volume limit comes before 180 days of stability
    assert t.eri_s is not None and t.end_of_service_s is not None
    assert t.end_of_service_s - t.eri_s == 90 * DAY


def test_ziconotide_refill_is_due_by_stability_first(spec: Spec) -> None:
    t = therapy_timeline(
        spec,
        device="synchromed_ii_20",
        drug="ziconotide",
        concentration_ng_per_ml=25_000,
        dose_ng_per_day=2_400,
        volume_nl=20_000_000,
        first_fill=True,
    )
    assert t.stability_due_s == 14 * DAY
    assert t.refill_due_s == 14 * DAY
    later = therapy_timeline(
        spec,
        device="synchromed_ii_20",
        drug="ziconotide",
        concentration_ng_per_ml=25_000,
        dose_ng_per_day=2_400,
        volume_nl=20_000_000,
    )
    assert later.stability_due_s == 84 * DAY  # undiluted


def test_constant_flow_pump_runs_at_its_fixed_rate_with_no_battery(spec: Spec) -> None:
    t = therapy_timeline(
        spec,
        device="constant_flow_30",
        drug="morphine",
        concentration_ng_per_ml=1_000_000,
        dose_ng_per_day=1_000_000,
        volume_nl=30_000_000,
    )
    fixed = spec.devices["constant_flow_30"].fixed_rate_nl_per_day
    assert fixed is not None and t.rate_nl_per_day == fixed.value
    assert t.eri_s is None and t.end_of_service_s is None


def test_timeline_matches_the_models_alarms(spec: Spec) -> None:
    from pumpsafety import Prescription

    t = therapy_timeline(
        spec,
        device="synchromed_ii_40",
        drug="baclofen",
        concentration_ng_per_ml=2_000_000,
        dose_ng_per_day=100_000,
        volume_nl=8_000_000,
    )
    m = implanted(spec, catheter_nl=0)
    m.fire("begin_refill")
    m.fire("aspirate", residual_nl=0)
    m.fire(
        "fill",
        drug="baclofen",
        concentration_ng_per_ml=2_000_000,
        confirm_concentration_ng_per_ml=2_000_000,
        volume_nl=8_000_000 + 140_000,
    )
    m.fire("finish_refill")
    m.fire(
        "program",
        prescription=Prescription.constant(
            "baclofen", 2_000_000, 100_000, max_daily_dose_ng=400_000, confirm_soft_limits=True
        ),
    )
    m.fire("prime", volume_nl=140_000)  # leaves exactly 8 ml
    start = m.now_s
    assert t.low_reservoir_s is not None and t.empty_s is not None
    m.advance(t.low_reservoir_s - 1)
    assert m.state == "delivering"
    m.advance(1)
    assert m.state == "alarm_low_reservoir"
    m.advance(t.empty_s - (m.now_s - start) - 1)
    assert m.state == "alarm_low_reservoir"
    m.advance(1)
    assert m.state == "alarm_empty_reservoir"


def test_timeline_rejects_bad_input(spec: Spec) -> None:
    with pytest.raises(DoseError) as over:
        therapy_timeline(
            spec,
            device="synchromed_ii_20",
            drug="baclofen",
            concentration_ng_per_ml=2_000_000,
            dose_ng_per_day=500_000,
            volume_nl=40_000_000,
        )
    assert over.value.requirement == "SR-RES-02"
    with pytest.raises(DoseError):
        therapy_timeline(
            spec,
            device="synchromed_ii_20",
            drug="aspirin",
            concentration_ng_per_ml=1,
            dose_ng_per_day=1,
            volume_nl=1,
        )
