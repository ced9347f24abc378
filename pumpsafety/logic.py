"""Combining conditions and choosing values without case splits.

On plain values these are ``not``, ``any``, a conditional expression and ``min``.
On the symbolic values of a proof, ``not``, ``and``, ``or``, ``any`` and ``min``
each make the solver split the path in two, while ``&``, ``|`` and ``^`` build one condition
(and arithmetic on a condition one term). The model and the invariants use these helpers
where a condition may be symbolic, so that a decision costs one split, not one per part, and
a value that only feeds later arithmetic costs none.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["any_of", "min_of", "not_", "where"]


def not_(condition: bool) -> bool:
    """The negation of *condition*, as one condition."""
    return condition ^ True


def any_of(conditions: Iterable[bool]) -> bool:
    """Whether any of *conditions* holds, as one condition (False for none)."""
    out = False
    for c in conditions:
        out |= c
    return out


def where(condition: bool, then: int, otherwise: int) -> int:
    """*then* if *condition* holds, else *otherwise*, as one term."""
    return otherwise + (then - otherwise) * condition


def min_of(x: int, y: int) -> int:
    """The smaller of *x* and *y*, as one term (``min`` splits on the comparison).

    Written with ``abs``, which a solver takes as a choice of sign, rather than with
    ``where``, which multiplies by a condition (a nonlinear term).
    """
    return (x + y - abs(x - y)) // 2
