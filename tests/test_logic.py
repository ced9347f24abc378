"""The split-free condition helpers agree with Python's own operators on plain values."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pumpsafety.logic import any_of, max_of, min_of, not_, where

ints = st.integers(-(10**20), 10**20)


@given(st.booleans())
def test_not(b: bool) -> None:
    assert not_(b) is (not b)


@given(st.lists(st.booleans(), max_size=6))
def test_any_of(bs: list[bool]) -> None:
    assert any_of(bs) is any(bs)


@given(ints, ints)
def test_min_max(x: int, y: int) -> None:
    assert min_of(x, y) == min(x, y)
    assert max_of(x, y) == max(x, y)


@given(ints, st.booleans())
def test_where(x: int, b: bool) -> None:
    assert where(x, b) == (x if b else 0)
