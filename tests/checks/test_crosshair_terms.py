"""During proofs ``logic.where``, ``min_of`` and ``max_of`` are one solver term each.

The replacement must denote exactly what the Python functions compute: CrossHair proves that
each agrees with Python's own conditional expression (which it explores by splitting), and
refutes a deliberately swapped comparison, so the check can fail.
"""

from __future__ import annotations

import pytest

from pumpsafety import logic
from pumpsafety.checks.proof_crosshair import analyse, install_adjustments

pytestmark = pytest.mark.crosshair


def where_agrees(c: bool, x: int, y: int) -> bool:
    """post: __return__"""
    return logic.where(c, x, y) == (x if c else y)


def where_with_a_concrete_condition_agrees(x: int, y: int) -> bool:
    """post: __return__"""
    return logic.where(True, x, y) == x and logic.where(False, x, y) == y


def min_agrees(x: int, y: int) -> bool:
    """post: __return__"""
    return logic.min_of(x, y) == (x if x <= y else y) and logic.min_of(x, 3) == min(x, 3)


def max_agrees(x: int, y: int) -> bool:
    """post: __return__"""
    return logic.max_of(x, y) == (x if x >= y else y) and logic.max_of(7, y) == max(7, y)


def where_swapped(c: bool, x: int, y: int) -> bool:
    """post: __return__"""
    return logic.where(c, x, y) == (y if c else x)


def min_taken_as_max(x: int, y: int) -> bool:
    """post: __return__"""
    return logic.min_of(x, y) == max(x, y)


def test_the_terms_are_registered_with_crosshair():
    from crosshair.core import _PATCH_REGISTRATIONS

    assert install_adjustments()
    assert {logic.where, logic.min_of, logic.max_of} <= set(_PATCH_REGISTRATIONS)


@pytest.mark.parametrize(
    "fn",
    [where_agrees, where_with_a_concrete_condition_agrees, min_agrees, max_agrees],
    ids=lambda f: f.__name__,
)
def test_each_term_has_the_value_of_the_python_function(fn):
    assert analyse(fn, 20.0).verdict == "proved"


@pytest.mark.parametrize("fn", [where_swapped, min_taken_as_max], ids=lambda f: f.__name__)
def test_a_wrong_equation_about_the_terms_is_refuted(fn):
    verdict = analyse(fn, 20.0)
    assert verdict.verdict == "refuted", verdict.message
