"""Broken twins: each keeps the contract of its original and breaks the implementation."""

from __future__ import annotations

from pumpsafety import dose
from pumpsafety.dose import DAY_S, FG_PER_NG, NL_PER_ML, Basal, Point

_LIMIT = FG_PER_NG * DAY_S
_NOW_S = 10 * DAY_S
_EARLIER_S = _NOW_S - 7_200


def bolus_volume_off_by_one(mass_ng: int, concentration_ng_per_ml: int) -> int:
    """The bolus volume rounded up instead of down.

    pre: 1 <= mass_ng <= 10**9
    pre: 1 <= concentration_ng_per_ml <= 10**8
    post: 0 <= __return__ <= mass_ng * FG_PER_NG
    """
    volume_nl = dose.ceil_div(mass_ng * NL_PER_ML, concentration_ng_per_ml)
    return volume_nl * concentration_ng_per_ml


def rate_rounded_up(dose_ng_per_day: int, concentration_ng_per_ml: int) -> int:
    """The pump rate rounded up: a day delivers more than prescribed.

    pre: 0 <= dose_ng_per_day <= 10**9
    pre: 1 <= concentration_ng_per_ml <= 10**8
    post: __return__ <= dose_ng_per_day * FG_PER_NG
    """
    rate = dose.ceil_div(dose_ng_per_day * NL_PER_ML, concentration_ng_per_ml)
    return rate * concentration_ng_per_ml * FG_PER_NG // NL_PER_ML


def window_headroom_ignores_committed_basal(
    earlier_fg_s_per_day: int,
    bolus_fg_s_per_day: int,
    past_rate_fg_per_day: int,
    rate_fg_per_day: int,
    limit_ng: int,
) -> bool:
    """Admission that counts only past deliveries, not the basal committed for the next day.

    pre: earlier_fg_s_per_day >= 0 and bolus_fg_s_per_day >= 0
    pre: past_rate_fg_per_day >= 0 and rate_fg_per_day >= 0
    pre: 1 <= limit_ng <= 10**9
    post: __return__
    """
    points = [Point(_EARLIER_S, earlier_fg_s_per_day), Point(_NOW_S, bolus_fg_s_per_day)]
    basal = [Basal(_NOW_S - DAY_S, _NOW_S, past_rate_fg_per_day)]  # the future is left out
    worst = dose.max_window_total(points, basal, min_start_s=_NOW_S - DAY_S, max_start_s=_NOW_S)
    if worst > limit_ng * _LIMIT:
        return True
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


def residual_rounded_down(expected_nl_s_per_day: int, measured_nl: int) -> int:
    """The residual discrepancy rounded down: a discrepancy just over tolerance is missed.

    pre: expected_nl_s_per_day >= 0 and measured_nl >= 0
    post: __return__ * DAY_S >= abs(expected_nl_s_per_day - measured_nl * DAY_S)
    """
    return abs(expected_nl_s_per_day - measured_nl * DAY_S) // DAY_S


def titration_off_by_one(old: int, new: int, pct: int) -> bool:
    """A titration check that lets a step one percent over the limit through.

    pre: old >= 0 and new >= 0 and 0 < pct <= 100
    post: __return__ == (new <= old or (new - old) * 100 <= old * pct)
    """
    step = new - old
    return step <= 0 or step * 100 <= old * (pct + 1)
