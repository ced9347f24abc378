"""The exact dose core: rounding directions and the sliding-window supremum."""

from __future__ import annotations

import pytest

from pumpsafety import dose
from pumpsafety.dose import DAY_S, Basal, Point


@pytest.mark.parametrize(
    ("a", "b", "want"), [(0, 3, 0), (1, 3, 1), (3, 3, 1), (4, 3, 2), (-4, 3, -1)]
)
def test_ceil_div(a: int, b: int, want: int) -> None:
    assert dose.ceil_div(a, b) == want


def test_volume_rate_is_floored_so_the_dose_never_exceeds_the_prescription() -> None:
    # 100 mcg/day at 3 mg/ml is 33.33... ul/day: the pump runs at 33_333 nl/day
    assert dose.volume_rate_floor_nl_per_day(100_000, 3_000_000) == 33_333
    assert dose.volume_rate_floor_nl_per_day(500_000, 2_000_000) == 250_000


def test_seconds_until_level_is_the_first_whole_second_at_or_below() -> None:
    level = 3 * 1_000_000 * DAY_S  # 3 ml
    assert dose.seconds_until_level(level, 2_000_000, 200_000) == 5 * DAY_S
    assert dose.seconds_until_level(level, 2_000_000, 7) == dose.ceil_div(1_000_000 * DAY_S, 7)
    assert dose.seconds_until_level(level, 3_000_000, 1) == 0


def test_residual_discrepancy_rounds_up() -> None:
    assert dose.residual_discrepancy_nl(10 * DAY_S + 1, 10) == 1
    assert dose.residual_discrepancy_nl(10 * DAY_S, 12) == 2


def test_titration_steps() -> None:
    kw = {"max_increase_ng": 0, "max_increase_percent": 30}
    assert dose.titration_increase_allowed(100, 130, **kw)
    assert not dose.titration_increase_allowed(100, 131, **kw)
    assert dose.titration_increase_allowed(100, 50, **kw)
    assert not dose.titration_increase_allowed(
        2_400, 4_900, max_increase_ng=2_400, max_increase_percent=0
    )


def test_window_supremum_counts_points_exactly_24h_apart_in_separate_windows() -> None:
    points = [Point(0, 10), Point(DAY_S, 10)]
    assert dose.max_window_total(points, [], min_start_s=-DAY_S, max_start_s=DAY_S) == 10
    points = [Point(0, 10), Point(DAY_S - 1, 10)]
    assert dose.max_window_total(points, [], min_start_s=-DAY_S, max_start_s=DAY_S) == 20


def test_window_supremum_with_basal_and_a_bolus() -> None:
    # 1 unit/day basal for two days plus a point of 5 at noon of day 1
    basal = [Basal(0, 2 * DAY_S, 1)]
    points = [Point(DAY_S + DAY_S // 2, 5 * DAY_S)]
    got = dose.max_window_total(points, basal, min_start_s=-DAY_S, max_start_s=2 * DAY_S)
    assert got == DAY_S + 5 * DAY_S


def test_window_supremum_finds_the_peak_between_two_rates() -> None:
    basal = [Basal(0, DAY_S, 3), Basal(DAY_S, 2 * DAY_S, 1)]
    points = [Point(DAY_S - 10, 100)]
    # best window ends just after the point's day: all of day 0 (3 * DAY_S) plus the point
    got = dose.max_window_total(points, basal, min_start_s=-DAY_S, max_start_s=2 * DAY_S)
    assert got == 3 * DAY_S + 100


def _histories() -> object:
    from hypothesis import strategies as st

    t = st.integers(-2 * DAY_S, 2 * DAY_S)
    points = st.lists(st.builds(Point, t, st.integers(0, 10**6)), max_size=4)
    basal = st.lists(
        st.tuples(t, st.integers(1, DAY_S), st.integers(0, 50)).map(
            lambda x: Basal(x[0], x[0] + x[1], x[2])
        ),
        max_size=3,
    )
    return st.tuples(points, basal, st.integers(0, 4 * 10**6))


def test_first_window_over_agrees_with_the_supremum() -> None:
    """The guard's check (first window over the limit) decides exactly what the supremum
    decides, on histories with points and basal segments around every boundary."""
    from hypothesis import given

    @given(_histories())
    def check(h: tuple[list[Point], list[Basal], int]) -> None:
        points, basal, limit = h
        kw = {"min_start_s": -DAY_S, "max_start_s": 0}
        worst = dose.max_window_total(points, basal, **kw)
        over = dose.first_window_over(points, basal, limit_fg_s_per_day=limit, **kw)
        assert (over is None) == (worst <= limit)
        assert over is None or limit < over <= worst

    check()


def test_first_window_over_finds_a_window_the_limit_does_not_hold_for() -> None:
    points = [Point(0, 10), Point(DAY_S - 1, 10)]
    kw = {"min_start_s": -DAY_S, "max_start_s": DAY_S}
    assert dose.first_window_over(points, [], limit_fg_s_per_day=19, **kw) == 20
    assert dose.first_window_over(points, [], limit_fg_s_per_day=20, **kw) is None
