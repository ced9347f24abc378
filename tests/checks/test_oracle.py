"""The oracle on hand-built logs: each check passes a good log and fails a log that breaks it."""

from __future__ import annotations

import pytest

from pumpsafety import Delivery, EventRecord, PatientBolus, Prescription, Spec
from pumpsafety.checks.oracle import check_log

DAY = 86_400
CONC = 500_000  # baclofen ng/ml
# baclofen 100_000 ng/day at 500_000 ng/ml is 200_000 nl/day; limit 400_000 ng
P = Prescription.constant(
    "baclofen",
    CONC,
    100_000,
    max_daily_dose_ng=400_000,
    patient_bolus=PatientBolus(10_000, 3_600, 2),
)


def rec(now_s, event, source, dest, expected=None, **args):
    return EventRecord(
        now_s,
        event,
        tuple(sorted(args.items())),
        True,
        source,
        dest,
        expected_residual_nl_s_per_day=expected,
    )


def basal(start_s, end_s, rate_nl_per_day=200_000, state="delivering", conc=CONC):
    v = rate_nl_per_day * (end_s - start_s)
    return Delivery("basal", start_s, end_s, "baclofen", conc, v, v * conc, state)


def point(kind, at_s, volume_nl, state="delivering", conc=CONC):
    v = volume_nl * DAY
    return Delivery(kind, at_s, at_s, "baclofen", conc, v, v * conc, state)


def prefix(fill_nl=20_000_000):
    return [
        rec(
            0,
            "implant",
            "trial_evaluation",
            "implanted",
            device="synchromed_ii_20",
            catheter_dead_volume_nl=0,
        ),
        rec(0, "begin_refill", "implanted", "filling"),
        rec(0, "aspirate", "filling", "filling", expected=0, residual_nl=0),
        rec(
            0,
            "fill",
            "filling",
            "filling",
            drug="baclofen",
            concentration_ng_per_ml=CONC,
            confirm_concentration_ng_per_ml=CONC,
            volume_nl=fill_nl,
        ),
        rec(0, "finish_refill", "filling", "awaiting_program"),
        rec(0, "program", "awaiting_program", "priming", prescription=P),
        rec(0, "prime", "priming", "delivering", volume_nl=140_000),
        point("priming", 0, 140_000, state="priming"),
    ]


def ids(log, spec):
    return {v.requirement_id for v in check_log(log, spec).violations}


def bolus(at_s):
    return [
        rec(at_s, "request_patient_bolus", "delivering", "delivering"),
        point("patient_bolus", at_s, 20_000),
    ]


def test_a_correct_log_passes_and_reports_the_exact_window(spec: Spec):
    log = [*prefix(), basal(0, DAY), *bolus(DAY)]
    report = check_log(log, spec)
    assert report.passed, report.violations
    (w,) = report.windows
    # priming 140_000 nl = 70_000 ng, a day of basal 100_000 ng, bolus 20_000 nl = 10_000 ng:
    # the closed window [0, 86_400) holds 170_000 ng, the half-open (0, 86_400] 110_000 ng
    assert (w.start_s, w.closed_left, w.total_ng_ceil, w.limit_ng) == (0, True, 170_000, 400_000)


def test_sliding_window_total_is_exact(spec: Spec):
    """Priming at 0 (70_000 ng) and a 330_001 ng bolus at 86_399: the window (−1, 86_399]
    holds 400_001 ng, one over the limit; at 86_400 the priming has left the window."""
    nl = 660_002  # 330_001 ng at 500_000 ng/ml
    over = [
        *prefix(),
        rec(86_399, "give_clinician_bolus", "delivering", "delivering", mass_ng=330_001),
        point("clinician_bolus", 86_399, nl),
    ]
    report = check_log(over, spec)
    assert {v.requirement_id for v in report.violations} == {"SR-DOSE-01"}
    (w,) = report.windows
    assert w.total_ng_ceil == 400_001
    ok = [
        *prefix(),
        rec(86_400, "give_clinician_bolus", "delivering", "delivering", mass_ng=330_001),
        point("clinician_bolus", 86_400, nl),
    ]
    assert ids(ok, spec) == set()


def test_lockout_one_second_short_is_caught(spec: Spec):
    assert ids([*prefix(), *bolus(10_000), *bolus(13_600)], spec) == set()
    assert ids([*prefix(), *bolus(10_000), *bolus(13_599)], spec) == {"SR-BOL-01"}


def test_bolus_count_uses_a_sliding_window_not_the_calendar_day(spec: Spec):
    """Two allowed per 24 h: boluses at 23:00, 00:00 and 01:00 are three in one window."""
    log = [*prefix(), *bolus(82_800), *bolus(86_400), *bolus(90_000)]
    assert ids(log, spec) == {"SR-BOL-04"}
    assert ids([*prefix(), *bolus(82_800), *bolus(86_400), *bolus(169_201)], spec) == set()


def test_bolus_during_an_alarm_is_caught(spec: Spec):
    log = [
        *prefix(),
        rec(10, "request_patient_bolus", "alarm_low_reservoir", "alarm_low_reservoir"),
        point("patient_bolus", 10, 20_000, state="alarm_low_reservoir"),
    ]
    assert ids(log, spec) == {"SR-BOL-01"}


def test_basal_in_a_state_that_does_not_deliver_is_caught(spec: Spec):
    log = [
        *prefix(),
        rec(10, "stop_delivery", "delivering", "suspended", confirm_withdrawal_risk=True),
        basal(10, 100, state="suspended"),
    ]
    assert ids(log, spec) == {"SR-DEL-01"}


def test_delivery_below_empty_is_caught(spec: Spec):
    """A 1_000_000 nl fill less 140_000 nl priming runs 4.3 days at 200_000 nl/day."""
    ok = [*prefix(1_000_000), basal(0, 371_520)]  # exactly 860_000 nl
    assert ids(ok, spec) == set()
    assert "SR-DEL-02" in ids([*prefix(1_000_000), basal(0, 371_521)], spec)


def test_new_concentration_with_the_old_program_is_caught(spec: Spec):
    log = [
        *prefix(),
        rec(100, "begin_refill", "delivering", "filling"),
        rec(100, "aspirate", "filling", "filling", expected=None, residual_nl=0),
        rec(
            100,
            "fill",
            "filling",
            "filling",
            drug="baclofen",
            concentration_ng_per_ml=2 * CONC,
            confirm_concentration_ng_per_ml=2 * CONC,
            volume_nl=1_000_000,
        ),
        rec(100, "finish_refill", "filling", "delivering"),
        basal(100, 200, conc=2 * CONC),
    ]
    assert "SR-DEL-03" in ids(log, spec)


def test_reservoir_conservation_and_discrepancy(spec: Spec):
    # 20_000_000 - 140_000 priming = 19_860_000 nl left
    left = 19_860_000
    good = [
        *prefix(),
        rec(10, "begin_refill", "delivering", "filling"),
        rec(10, "aspirate", "filling", "filling", expected=left * DAY, residual_nl=left),
    ]
    assert ids(good, spec) == set()
    wrong_expectation = [
        *good[:-1],
        rec(10, "aspirate", "filling", "filling", expected=(left + 1) * DAY, residual_nl=left),
    ]
    assert ids(wrong_expectation, spec) == {"SR-RES-08"}
    tol = 1_000_000  # 20 ml pump
    undetected = [
        *good[:-1],
        rec(10, "aspirate", "filling", "filling", expected=left * DAY, residual_nl=left - tol - 1),
    ]
    assert ids(undetected, spec) == {"SR-RES-05"}
    at_tolerance = [
        *good[:-1],
        rec(10, "aspirate", "filling", "filling", expected=left * DAY, residual_nl=left - tol),
    ]
    assert ids(at_tolerance, spec) == set()


def test_mass_not_as_requested_is_caught(spec: Spec):
    log = [
        *prefix(),
        rec(10, "give_clinician_bolus", "delivering", "delivering", mass_ng=1_000),
        point("clinician_bolus", 10, 2_000_000),
    ]  # 1000x: 2_000 nl is 1_000 ng
    assert {"SR-DOSE-04", "SR-DOSE-01"} <= ids(log, spec)


def test_delivery_after_end_of_service_is_caught(spec: Spec):
    eri_s = 1_000
    eos = eri_s + 7_776_000
    log = [
        *prefix(),
        rec(eri_s, "battery_fault", "delivering", "alarm_battery_eri"),
        basal(eri_s, eos, state="alarm_battery_eri"),
    ]
    assert ids(log, spec) == set()
    late = [*log[:-1], basal(eri_s, eos + 1, state="alarm_battery_eri")]
    assert ids(late, spec) == {"SR-PWR-01"}


@pytest.mark.parametrize("shift", [pytest.param(-1, id="backwards")])
def test_log_out_of_order_is_caught(spec: Spec, shift: int):
    log = [
        *prefix(),
        rec(100, "begin_refill", "delivering", "filling"),
        rec(100 + shift - 1, "begin_refill", "filling", "filling"),
    ]
    assert ids(log, spec) == {"SR-LOG-01"}
