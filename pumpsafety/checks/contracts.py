"""Dose-arithmetic contracts for CrossHair: the PEP 316 functions of ``dose.py`` and entry points.

Each entry point is top-level, deterministic and I/O-free, calls the dose core, and states
in its docstring what must hold for every input the precondition admits. ``CONTRACTS`` lists
every function the prover analyses with the requirement ids each one supports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pumpsafety import dose
from pumpsafety.dose import DAY_S, FG_PER_NG, NL_PER_ML, Basal, Point

__all__ = [
    "CONTRACTS",
    "Contract",
    "bolus_mass_never_exceeds_request",
    "ng_round_trip_is_bracketed",
    "rate_mass_never_exceeds_dose",
    "window_headroom_counts_committed_basal",
    "worst_case_daily_counts_every_bolus",
]

_LIMIT = FG_PER_NG * DAY_S


def rate_mass_never_exceeds_dose(dose_ng_per_day: int, concentration_ng_per_ml: int) -> int:
    """Mass one day at the floored rate delivers, in fg: never above the dose, short by < 1 nl.

    pre: 0 <= dose_ng_per_day <= 10**9
    pre: 1 <= concentration_ng_per_ml <= 10**8
    post: __return__ <= dose_ng_per_day * FG_PER_NG
    post: __return__ + concentration_ng_per_ml > dose_ng_per_day * FG_PER_NG
    """
    rate = dose.volume_rate_floor_nl_per_day(dose_ng_per_day, concentration_ng_per_ml)
    return rate * concentration_ng_per_ml * FG_PER_NG // NL_PER_ML


def bolus_mass_never_exceeds_request(mass_ng: int, concentration_ng_per_ml: int) -> int:
    """Mass of the floored bolus volume, in fg: never above the requested mass.

    pre: 1 <= mass_ng <= 10**9
    pre: 1 <= concentration_ng_per_ml <= 10**8
    post: 0 <= __return__ <= mass_ng * FG_PER_NG
    post: __return__ + concentration_ng_per_ml > mass_ng * FG_PER_NG
    """
    volume_nl = dose.bolus_volume_floor_nl(mass_ng, concentration_ng_per_ml)
    return volume_nl * concentration_ng_per_ml


def ng_round_trip_is_bracketed(amount_fg_s_per_day: int) -> tuple[int, int]:
    """Floor and ceiling to whole ng bracket the exact amount, one ng apart at most.

    pre: amount_fg_s_per_day >= 0
    post: __return__[0] * _LIMIT <= amount_fg_s_per_day <= __return__[1] * _LIMIT
    post: 0 <= __return__[1] - __return__[0] <= 1
    """
    return (
        dose.fg_s_per_day_to_ng_floor(amount_fg_s_per_day),
        dose.fg_s_per_day_to_ng_ceil(amount_fg_s_per_day),
    )


def worst_case_daily_counts_every_bolus(
    basal_fg_s_per_day: int, bolus_nl: int, boluses_per_day: int, concentration: int
) -> int:
    """The worst case is the basal plus each bolus at full mass, and grows with the count.

    pre: basal_fg_s_per_day >= 0 and bolus_nl >= 0 and concentration >= 1
    pre: 0 <= boluses_per_day <= 48
    post: __return__ >= basal_fg_s_per_day
    post: __return__ - basal_fg_s_per_day == boluses_per_day * bolus_nl * concentration * DAY_S
    """
    return dose.worst_case_daily_fg_s_per_day(
        basal_fg_s_per_day, bolus_nl, boluses_per_day, concentration
    )


# the fixed timeline of the window contract: now, one earlier bolus, the committed basal
_NOW_S = 10 * DAY_S
_EARLIER_S = _NOW_S - 7_200


def window_headroom_counts_committed_basal(
    earlier_fg_s_per_day: int,
    bolus_fg_s_per_day: int,
    past_rate_fg_per_day: int,
    rate_fg_per_day: int,
    limit_ng: int,
) -> bool:
    """A bolus the window rule admits keeps every 24 h window containing it within the limit,
    counting the basal committed for the next 24 h (SR-DOSE-01).

    Checked against an independent sum over the windows that start at now - 24 h, at the
    earlier bolus, and at now (the breakpoints of this timeline).

    pre: earlier_fg_s_per_day >= 0 and bolus_fg_s_per_day >= 0
    pre: past_rate_fg_per_day >= 0 and rate_fg_per_day >= 0
    pre: 1 <= limit_ng <= 10**9
    post: __return__
    """
    points = [Point(_EARLIER_S, earlier_fg_s_per_day), Point(_NOW_S, bolus_fg_s_per_day)]
    basal = [
        Basal(_NOW_S - DAY_S, _NOW_S, past_rate_fg_per_day),
        Basal(_NOW_S, _NOW_S + DAY_S, rate_fg_per_day),
    ]
    worst = dose.max_window_total(points, basal, min_start_s=_NOW_S - DAY_S, max_start_s=_NOW_S)
    if worst > limit_ng * _LIMIT:
        return True  # refused: nothing to show
    age = _NOW_S - _EARLIER_S
    windows = (  # the largest window at each breakpoint: now - 24 h, the earlier bolus, now
        past_rate_fg_per_day * DAY_S + earlier_fg_s_per_day + bolus_fg_s_per_day,
        earlier_fg_s_per_day
        + bolus_fg_s_per_day
        + past_rate_fg_per_day * age
        + rate_fg_per_day * (DAY_S - age),
        bolus_fg_s_per_day + rate_fg_per_day * DAY_S,
    )
    return all(w <= limit_ng * _LIMIT for w in windows)


@dataclass(frozen=True, slots=True)
class Contract:
    """A function CrossHair checks against its PEP 316 docstring."""

    function: Callable[..., Any]
    requirements: tuple[str, ...]
    statement: str


CONTRACTS: dict[str, Contract] = {
    "ceil_div": Contract(dose.ceil_div, ("SR-DOSE-01",), "ceil_div rounds up exactly"),
    "volume_rate_floor_nl_per_day": Contract(
        dose.volume_rate_floor_nl_per_day,
        ("SR-DOSE-05",),
        "the pump rate is the largest whole nl/day not above the dose",
    ),
    "rate_mass_never_exceeds_dose": Contract(
        rate_mass_never_exceeds_dose,
        ("SR-DOSE-05", "SR-DOSE-02"),
        "a day at the floored rate never delivers more than the prescribed dose",
    ),
    "bolus_volume_floor_nl": Contract(
        dose.bolus_volume_floor_nl,
        ("SR-BOL-01", "SR-BOL-02"),
        "a bolus volume never holds more than the requested mass",
    ),
    "bolus_mass_never_exceeds_request": Contract(
        bolus_mass_never_exceeds_request,
        ("SR-BOL-01", "SR-BOL-02", "SR-DOSE-01"),
        "the delivered bolus mass is within 1 nl of drug below the request, never above",
    ),
    "seconds_until_level": Contract(
        dose.seconds_until_level,
        ("SR-RES-03", "SR-RES-04"),
        "a reservoir alarm is raised at the first whole second at or below its level",
    ),
    "residual_discrepancy_nl": Contract(
        dose.residual_discrepancy_nl,
        ("SR-RES-05",),
        "the residual discrepancy is never under-reported",
    ),
    "titration_increase_allowed": Contract(
        dose.titration_increase_allowed,
        ("SR-TITR-02", "SR-TITR-04"),
        "a titration step is allowed exactly when both step limits hold",
    ),
    "ng_to_fg_s_per_day": Contract(
        dose.ng_to_fg_s_per_day, ("SR-DOSE-01",), "ng convert to fg·s/day exactly"
    ),
    "fg_s_per_day_to_ng_ceil": Contract(
        dose.fg_s_per_day_to_ng_ceil,
        ("SR-DOSE-01",),
        "an amount counted against a limit is rounded up to whole ng",
    ),
    "fg_s_per_day_to_ng_floor": Contract(
        dose.fg_s_per_day_to_ng_floor,
        ("SR-DOSE-01",),
        "an amount granted as an allowance is rounded down to whole ng",
    ),
    "worst_case_daily_fg_s_per_day": Contract(
        dose.worst_case_daily_fg_s_per_day,
        ("SR-DOSE-02",),
        "the worst-case day is never below the basal",
    ),
    "ng_round_trip_is_bracketed": Contract(
        ng_round_trip_is_bracketed,
        ("SR-DOSE-01",),
        "rounding to whole ng brackets the exact amount",
    ),
    "worst_case_daily_counts_every_bolus": Contract(
        worst_case_daily_counts_every_bolus,
        ("SR-DOSE-02", "SR-BOL-04"),
        "the worst-case day counts every allowed patient bolus at full mass",
    ),
    "window_headroom_counts_committed_basal": Contract(
        window_headroom_counts_committed_basal,
        ("SR-DOSE-01",),
        "a bolus the window rule admits keeps every window within the limit, "
        "committed basal included",
    ),
}
