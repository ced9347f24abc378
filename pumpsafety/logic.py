"""Combining conditions and choosing values without case splits.

On plain values these are ``not``, ``any``, a conditional expression, ``min`` and ``max``.
On the symbolic values of a proof, ``not``, ``and``, ``or``, ``any``, ``min``, ``max`` and
``x if c else y`` each make the solver split the path in two, while ``&``, ``|`` and ``^``
build one condition. The model and the invariants use these helpers where a condition or a
value may be symbolic, so that a decision costs one split, not one per part, and a value
that only feeds later arithmetic costs none: during proofs ``where``, ``min_of`` and
``max_of`` are replaced by one if-then-else term of the solver each
(``pumpsafety.checks.proof_crosshair``), which is exactly the value they compute here.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["any_of", "max_of", "min_of", "not_", "where"]


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
    """*then* if *condition* holds, else *otherwise* (one term during proofs)."""
    return then if condition else otherwise


def min_of(x: int, y: int) -> int:
    """The smaller of *x* and *y* (one term during proofs)."""
    return x if x <= y else y


def max_of(x: int, y: int) -> int:
    """The larger of *x* and *y* (one term during proofs)."""
    return x if x >= y else y
