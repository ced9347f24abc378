"""Every rejection rule: a specific error naming value, range and requirement; nothing changes."""

from __future__ import annotations

import math
from typing import Any

import pytest

from pumpsafety import (
    DoseError,
    DoseLimitExceeded,
    EventRecord,
    EventRejected,
    PatientBolus,
    Prescription,
    PumpSafetyError,
    Spec,
    Step,
)
from tests.scenarios import BACLOFEN_500, DAY, baclofen_prescription, delivering

FILL = {
    "drug": "baclofen",
    "concentration_ng_per_ml": BACLOFEN_500,
    "confirm_concentration_ng_per_ml": BACLOFEN_500,
    "volume_nl": 1_000_000,
}


def _rx(**changes: Any) -> Prescription:
    base = baclofen_prescription()
    fields = {f: getattr(base, f) for f in base.__dataclass_fields__}
    fields.update(changes)
    return Prescription(**fields)


CASES = [
    # (id, setup events, event, args, error type, requirement)
    pytest.param(
        [], "give_clinician_bolus", {"mass_ng": 0}, DoseError, "SR-INPUT-01", id="zero-mass"
    ),
    pytest.param(
        [], "give_clinician_bolus", {"mass_ng": -5}, DoseError, "SR-INPUT-01", id="negative-mass"
    ),
    pytest.param(
        [], "give_clinician_bolus", {"mass_ng": 1.5}, DoseError, "SR-DOSE-04", id="float-mass"
    ),
    pytest.param(
        [], "give_clinician_bolus", {"mass_ng": math.nan}, DoseError, "SR-DOSE-04", id="nan-mass"
    ),
    pytest.param(
        [], "give_clinician_bolus", {"mass_ng": math.inf}, DoseError, "SR-DOSE-04", id="inf-mass"
    ),
    pytest.param(
        [], "give_clinician_bolus", {"mass_ng": True}, DoseError, "SR-DOSE-04", id="bool-mass"
    ),
    pytest.param(
        [],
        "give_clinician_bolus",
        {"mass_ng": "20 ml"},
        DoseError,
        "SR-DOSE-04",
        id="volume-for-mass",
    ),
    pytest.param(
        [],
        "give_clinician_bolus",
        {"mass_ng": "20 mcg/h"},
        DoseError,
        "SR-DOSE-04",
        id="unknown-unit",
    ),
    pytest.param(
        [],
        "give_clinician_bolus",
        {"mass_ng": "0.0005 ng"},
        DoseError,
        "SR-DOSE-04",
        id="sub-ng-mass",
    ),
    pytest.param(
        [],
        "give_clinician_bolus",
        {"mass_ng": "1 mg"},
        DoseLimitExceeded,
        "SR-DOSE-01",
        id="mg-for-mcg-bolus",
    ),
    pytest.param([], "give_clinician_bolus", {}, DoseError, "SR-INPUT-01", id="missing-arg"),
    pytest.param(
        [],
        "give_clinician_bolus",
        {"mass_ng": 1, "volume_nl": 1},
        DoseError,
        "SR-INPUT-01",
        id="unknown-arg",
    ),
    pytest.param([], "no_such_event", {}, EventRejected, "SR-INPUT-01", id="unknown-event"),
    pytest.param(
        [], "reservoir_empty", {}, EventRejected, "SR-INPUT-01", id="clock-event-from-outside"
    ),
    pytest.param(
        [],
        "prime",
        {"volume_nl": 240_000},
        EventRejected,
        "SR-INPUT-01",
        id="event-not-allowed-in-state",
    ),
    pytest.param(
        [],
        "program",
        {"prescription": _rx(drug="baclofen ")},
        DoseError,
        "SR-DOSE-03",
        id="unknown-drug",
    ),
    pytest.param(
        [],
        "program",
        {"prescription": _rx(max_daily_dose_ng=2_000_000)},
        DoseError,
        "SR-DOSE-01",
        id="max-above-hard-limit",
    ),
    pytest.param(
        [],
        "program",
        {"prescription": _rx(steps=(Step(0, 100_000, "week"),))},
        DoseError,
        "SR-DOSE-06",
        id="unknown-time-base",
    ),
    pytest.param(
        [],
        "program",
        {"prescription": _rx(steps=(Step(0, 100_000, "hour"),))},
        DoseError,
        "SR-DOSE-06",
        id="per-hour-instead-of-per-day",
    ),
    pytest.param(
        [],
        "program",
        {"prescription": _rx(steps=(Step(0, 100_000_000, "day"),))},
        DoseError,
        "SR-DOSE-06",
        id="mg-instead-of-mcg-daily-dose",
    ),
    pytest.param(
        [],
        "program",
        {
            "prescription": _rx(
                steps=(Step(0, 1_000_000, "day"),),
                max_daily_dose_ng=1_100_000,
                confirm_soft_limits=False,
            )
        },
        DoseError,
        "SR-CONF-01",
        id="decimal-slip-above-usual-range",
    ),
    pytest.param(
        [],
        "program",
        {"prescription": _rx(steps=(Step(0, 10_000, "day"),))},
        DoseError,
        "SR-DOSE-06",
        id="decimal-slip-below-pump-minimum-rate",
    ),
    pytest.param(
        [],
        "program",
        {
            "prescription": _rx(
                concentration_ng_per_ml=5_000_000, confirm_concentration_ng_per_ml=5_000_000
            )
        },
        DoseError,
        "SR-DOSE-03",
        id="concentration-10x-above-hard-limit",
    ),
    pytest.param(
        [],
        "program",
        {"prescription": _rx(confirm_concentration_ng_per_ml=50_000)},
        DoseError,
        "SR-RES-07",
        id="concentration-entries-differ",
    ),
    pytest.param(
        [],
        "program",
        {
            "prescription": _rx(
                max_daily_dose_ng=110_000, patient_bolus=PatientBolus(20_000, 3_600, 4)
            )
        },
        DoseLimitExceeded,
        "SR-DOSE-02",
        id="worst-case-with-boluses-over-max",
    ),
    pytest.param(
        [],
        "program",
        {"prescription": _rx(patient_bolus=PatientBolus(5_000, 60, 4))},
        DoseError,
        "SR-BOL-01",
        id="lockout-below-device-minimum",
    ),
    pytest.param(
        [],
        "program",
        {"prescription": "100 mcg/day"},
        DoseError,
        "SR-INPUT-01",
        id="prescription-not-a-prescription",
    ),
    pytest.param(
        [], "request_patient_bolus", {}, EventRejected, "SR-BOL-01", id="no-bolus-programmed"
    ),
    pytest.param(
        [],
        "give_clinician_bolus",
        {"mass_ng": 301_000},
        DoseLimitExceeded,
        "SR-DOSE-01",
        id="bolus-over-window",
    ),
    pytest.param(
        [("begin_refill", {})],
        "fill",
        FILL,
        EventRejected,
        "SR-RES-05",
        id="fill-before-aspiration",
    ),
    pytest.param(
        [("begin_refill", {}), ("aspirate", {"residual_nl": 19_760_000})],
        "fill",
        {**FILL, "volume_nl": 41_000_000},
        DoseError,
        "SR-RES-02",
        id="over-capacity-fill",
    ),
    pytest.param(
        [("begin_refill", {}), ("aspirate", {"residual_nl": 19_760_000})],
        "fill",
        {**FILL, "volume_nl": "40 mg"},
        DoseError,
        "SR-DOSE-04",
        id="mass-for-volume",
    ),
    pytest.param(
        [("begin_refill", {}), ("aspirate", {"residual_nl": 19_760_000})],
        "fill",
        {
            **FILL,
            "drug": "morphine",
            "concentration_ng_per_ml": 50_000_000,
            "confirm_concentration_ng_per_ml": 50_000_000,
        },
        DoseError,
        "SR-DOSE-03",
        id="fill-above-max-concentration",
    ),
    pytest.param(
        [("begin_refill", {})],
        "aspirate",
        {"residual_nl": 50_000_000},
        DoseError,
        "SR-RES-05",
        id="residual-larger-than-reservoir",
    ),
    pytest.param(
        [("begin_refill", {}), ("aspirate", {"residual_nl": 19_760_000})],
        "finish_refill",
        {},
        EventRejected,
        "SR-RES-02",
        id="finish-without-fill",
    ),
    pytest.param(
        [],
        "stop_delivery",
        {"confirm_withdrawal_risk": "yes"},
        DoseError,
        "SR-INPUT-01",
        id="non-boolean-confirmation",
    ),
    pytest.param(
        [],
        "replace_pump",
        {"device": "synchromed_ii_40"},
        EventRejected,
        "SR-INPUT-01",
        id="replace-without-indication",
    ),
    pytest.param([], "battery_fault", {}, None, None, id="accepted-control"),
]


@pytest.mark.parametrize(("setup", "event", "args", "error", "requirement"), CASES)
def test_rejection_is_specific_and_changes_nothing(
    spec: Spec,
    setup: list[tuple[str, dict[str, Any]]],
    event: str,
    args: dict[str, Any],
    error: type[PumpSafetyError] | None,
    requirement: str | None,
) -> None:
    m = delivering(spec)
    m.advance(DAY)
    for name, setup_args in setup:
        m.fire(name, **setup_args)
    before = m.snapshot()
    log_before = m.log
    if error is None:  # the control case shows the table can tell accepted from rejected
        m.fire(event, **args)
        assert m.snapshot() != before
        return
    with pytest.raises(error) as caught:
        m.fire(event, **args)
    assert type(caught.value) is error
    assert m.snapshot() == before
    assert m.log[: len(log_before)] == log_before
    (record,) = m.log[len(log_before) :]
    assert isinstance(record, EventRecord)
    assert record.accepted is False and record.event == event
    assert getattr(caught.value, "requirement", None) == requirement
    assert requirement in str(caught.value)


def test_dose_error_names_value_and_allowed_range(spec: Spec) -> None:
    m = delivering(spec)
    with pytest.raises(DoseError) as caught:
        m.fire("give_clinician_bolus", mass_ng=-5)
    e = caught.value
    assert (e.name, e.value, e.allowed, e.requirement) == ("mass_ng", -5, ">= 1", "SR-INPUT-01")
    assert str(e) == "mass_ng=-5 is outside the allowed range; allowed >= 1 (SR-INPUT-01)"
    assert isinstance(e, ValueError)


def test_unit_text_is_parsed_exactly(spec: Spec) -> None:
    m = delivering(spec)
    m.fire("give_clinician_bolus", mass_ng="0.01 mg")
    last = m.log[-1]
    assert last.mass_fg_s_per_day == 10_000 * 10**6 * DAY  # type: ignore[union-attr]


def test_negative_and_float_time_are_rejected(spec: Spec) -> None:
    m = delivering(spec)
    before = m.snapshot()
    with pytest.raises(DoseError):
        m.advance(-1)
    with pytest.raises(DoseError):
        m.advance(0.5)  # type: ignore[arg-type]
    assert m.snapshot() == before
