"""The split-free helpers agree with Python's own operators on plain values."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pumpsafety.logic import any_of, min_of, not_, where


@given(st.booleans())
def test_not(b: bool) -> None:
    assert not_(b) is (not b)


@given(st.lists(st.booleans(), max_size=6))
def test_any_of(bs: list[bool]) -> None:
    assert any_of(bs) is any(bs)


@given(st.booleans(), st.integers(), st.integers())
def test_where(b: bool, x: int, y: int) -> None:
    assert where(b, x, y) == (x if b else y)


@given(st.integers(), st.integers())
def test_min_of(x: int, y: int) -> None:
    assert min_of(x, y) == min(x, y)
