"""The split-free condition helpers agree with Python's own operators on plain values."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pumpsafety.logic import any_of, not_


@given(st.booleans())
def test_not(b: bool) -> None:
    assert not_(b) is (not b)


@given(st.lists(st.booleans(), max_size=6))
def test_any_of(bs: list[bool]) -> None:
    assert any_of(bs) is any(bs)
