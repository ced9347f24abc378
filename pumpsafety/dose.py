"""Exact dose arithmetic: integers only, rounding direction in every helper's name.

Units. Volumes are nl, concentrations ng/ml, masses ng, times s, rates per day.
A volume of v nl at c ng/ml holds exactly ``v * c`` fg. Delivery integrated over
seconds at a per-day rate is kept multiplied by ``DAY_S`` so that it stays an
integer: ``*_nl_s_per_day`` is nl·s/day (1/86 400 nl) and ``*_fg_s_per_day`` is
fg·s/day (1/86 400 fg). Nothing here uses ``/`` on amounts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "DAY_S",
    "FG_PER_NG",
    "NL_PER_ML",
    "Basal",
    "Point",
    "bolus_volume_floor_nl",
    "ceil_div",
    "fg_s_per_day_to_ng_ceil",
    "fg_s_per_day_to_ng_floor",
    "first_window_over",
    "max_window_total",
    "ng_to_fg_s_per_day",
    "residual_discrepancy_nl",
    "schedule_daily_total_fg_s_per_day",
    "seconds_until_level",
    "titration_increase_allowed",
    "volume_rate_floor_nl_per_day",
    "worst_case_daily_fg_s_per_day",
]

DAY_S = 86_400
NL_PER_ML = 1_000_000
FG_PER_NG = 1_000_000


def ceil_div(a: int, b: int) -> int:
    """Smallest integer >= a / b for b > 0.

    pre: b > 0
    post: __return__ * b >= a
    post: (__return__ - 1) * b < a
    """
    return -((-a) // b)


def volume_rate_floor_nl_per_day(dose_ng_per_day: int, concentration_ng_per_ml: int) -> int:
    """Pump volume rate for a daily dose, rounded down so the delivered dose never exceeds it.

    SR-DOSE-05: rate = dose / concentration, computed exactly and floored.

    pre: dose_ng_per_day >= 0
    pre: concentration_ng_per_ml > 0
    post: __return__ * concentration_ng_per_ml <= dose_ng_per_day * NL_PER_ML
    post: (__return__ + 1) * concentration_ng_per_ml > dose_ng_per_day * NL_PER_ML
    """
    return (dose_ng_per_day * NL_PER_ML) // concentration_ng_per_ml


def bolus_volume_floor_nl(mass_ng: int, concentration_ng_per_ml: int) -> int:
    """Volume that holds at most *mass_ng* at the given concentration (rounded down).

    pre: mass_ng >= 0
    pre: concentration_ng_per_ml > 0
    post: __return__ * concentration_ng_per_ml <= mass_ng * FG_PER_NG
    """
    return (mass_ng * NL_PER_ML) // concentration_ng_per_ml


def ng_to_fg_s_per_day(mass_ng: int) -> int:
    """A mass in ng expressed in fg·s/day (exact).

    post: __return__ == mass_ng * FG_PER_NG * DAY_S
    """
    return mass_ng * FG_PER_NG * DAY_S


def fg_s_per_day_to_ng_ceil(amount: int) -> int:
    """Round an fg·s/day amount up to whole ng (used when counting against a limit).

    post: __return__ * FG_PER_NG * DAY_S >= amount
    post: (__return__ - 1) * FG_PER_NG * DAY_S < amount
    """
    return ceil_div(amount, FG_PER_NG * DAY_S)


def fg_s_per_day_to_ng_floor(amount: int) -> int:
    """Round an fg·s/day amount down to whole ng (used when granting an allowance).

    post: __return__ * FG_PER_NG * DAY_S <= amount
    post: (__return__ + 1) * FG_PER_NG * DAY_S > amount
    """
    return amount // (FG_PER_NG * DAY_S)


def seconds_until_level(level_nl_s_per_day: int, threshold_nl: int, rate_nl_per_day: int) -> int:
    """Whole seconds until a reservoir at *level* falls to *threshold_nl* or below at *rate*.

    Rounded up: the alarm fires at the first whole second at which the level is at or
    below the threshold (SR-RES-03, SR-RES-04).

    pre: level_nl_s_per_day >= 0 and threshold_nl >= 0 and rate_nl_per_day > 0
    post: __return__ >= 0
    post: level_nl_s_per_day - rate_nl_per_day * __return__ <= threshold_nl * DAY_S
    post: __return__ == 0 or level_nl_s_per_day - rate_nl_per_day * (__return__ - 1) > threshold_nl * DAY_S
    """
    excess = level_nl_s_per_day - threshold_nl * DAY_S
    if excess <= 0:
        return 0
    return ceil_div(excess, rate_nl_per_day)


def residual_discrepancy_nl(expected_nl_s_per_day: int, measured_nl: int) -> int:
    """Absolute difference between the expected and the measured residual, in nl, rounded up.

    Rounded up so that a discrepancy just over the tolerance is never missed (SR-RES-05).

    pre: expected_nl_s_per_day >= 0 and measured_nl >= 0
    post: __return__ >= 0
    post: __return__ * DAY_S >= abs(expected_nl_s_per_day - measured_nl * DAY_S)
    """
    return ceil_div(abs(expected_nl_s_per_day - measured_nl * DAY_S), DAY_S)


def titration_increase_allowed(
    old_dose_ng_per_day: int,
    new_dose_ng_per_day: int,
    *,
    max_increase_ng: int,
    max_increase_percent: int,
) -> bool:
    """True when going from *old* to *new* daily dose respects both step limits.

    A limit of 0 means "not limited by this rule". Percent is of the old dose, exactly:
    ``(new - old) * 100 <= old * percent`` (SR-TITR-02, SR-TITR-04).

    pre: old_dose_ng_per_day >= 0 and new_dose_ng_per_day >= 0
    pre: max_increase_ng >= 0 and 0 <= max_increase_percent <= 100
    post: __return__ == (new_dose_ng_per_day <= old_dose_ng_per_day or ((max_increase_ng == 0 or new_dose_ng_per_day - old_dose_ng_per_day <= max_increase_ng) and (max_increase_percent == 0 or (new_dose_ng_per_day - old_dose_ng_per_day) * 100 <= old_dose_ng_per_day * max_increase_percent)))
    """
    step = new_dose_ng_per_day - old_dose_ng_per_day
    if step <= 0:
        return True
    if max_increase_ng and step > max_increase_ng:
        return False
    return not (max_increase_percent and step * 100 > old_dose_ng_per_day * max_increase_percent)


# ---------------------------------------------------------------------------------------------
# sliding 24 h windows


@dataclass(frozen=True, slots=True)
class Point:
    """A mass delivered at one instant (a bolus, a priming or trial dose)."""

    at_s: int
    mass_fg_s_per_day: int


@dataclass(frozen=True, slots=True)
class Basal:
    """Continuous delivery at a constant mass rate over [start_s, end_s]."""

    start_s: int
    end_s: int
    rate_fg_per_day: int


def _window(points: Sequence[Point], basal: Sequence[Basal], lo: int, closed_left: bool) -> int:
    # (lo, lo + DAY_S] or, when closed_left, [lo, lo + DAY_S)
    hi = lo + DAY_S
    total = 0
    for p in points:
        inside = lo <= p.at_s < hi if closed_left else lo < p.at_s <= hi
        if inside:
            total += p.mass_fg_s_per_day
    for b in basal:
        overlap = min(b.end_s, hi) - max(b.start_s, lo)
        if overlap > 0:
            total += b.rate_fg_per_day * overlap
    return total


def max_window_total(
    points: Sequence[Point], basal: Sequence[Basal], *, min_start_s: int, max_start_s: int
) -> int:
    """Largest total in any 24 h window starting in [min_start_s, max_start_s], in fg·s/day.

    Exact: the total is piecewise linear in the window start with jumps at point masses,
    so its supremum is reached at (or just before) a breakpoint; every breakpoint is tried
    with both the half-open and the closed-left window (SR-DOSE-01).
    """
    starts = {min_start_s, max_start_s}
    for p in points:
        starts.update((p.at_s, p.at_s - DAY_S))
    for b in basal:
        starts.update((b.start_s, b.end_s, b.start_s - DAY_S, b.end_s - DAY_S))
    best = 0
    for lo in starts:
        if min_start_s <= lo <= max_start_s:
            best = max(best, _window(points, basal, lo, False), _window(points, basal, lo, True))
    return best


def first_window_over(
    points: Sequence[Point],
    basal: Sequence[Basal],
    *,
    min_start_s: int,
    max_start_s: int,
    limit_fg_s_per_day: int,
) -> int | None:
    """Total of the first 24 h window (start in [min_start_s, max_start_s]) over the limit,
    or None if none is: None exactly when ``max_window_total(...) <= limit``.

    The same breakpoints as :func:`max_window_total`, each compared with the limit on its
    own rather than through a running maximum, so that a symbolic check splits once per
    window instead of once per candidate maximum (SR-DOSE-01).
    """
    # a list, not a set: a repeated start is checked twice, which changes nothing, while
    # hashing or sorting symbolic times would make the solver fix or order them
    starts = [min_start_s, max_start_s]
    for p in points:
        starts += (p.at_s, p.at_s - DAY_S)
    for b in basal:
        starts += (b.start_s, b.end_s, b.start_s - DAY_S, b.end_s - DAY_S)
    for lo in starts:
        if min_start_s <= lo <= max_start_s:
            for closed_left in (False, True):
                total = _window(points, basal, lo, closed_left)
                if total > limit_fg_s_per_day:
                    return total
    return None


def schedule_daily_total_fg_s_per_day(
    steps: Iterable[tuple[int, int]], concentration_ng_per_ml: int
) -> int:
    """Mass one 24 h cycle of a schedule delivers: steps are (duration_s, rate_nl_per_day)."""
    return sum(d * r for d, r in steps) * concentration_ng_per_ml


def worst_case_daily_fg_s_per_day(
    basal_fg_s_per_day: int,
    bolus_volume_nl: int,
    boluses_per_day: int,
    concentration_ng_per_ml: int,
) -> int:
    """Basal plus every allowed patient bolus in one day (SR-DOSE-02).

    pre: basal_fg_s_per_day >= 0 and bolus_volume_nl >= 0 and boluses_per_day >= 0
    pre: concentration_ng_per_ml > 0
    post: __return__ >= basal_fg_s_per_day
    """
    return basal_fg_s_per_day + boluses_per_day * bolus_volume_nl * concentration_ng_per_ml * DAY_S
