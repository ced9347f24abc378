"""Combining conditions without case splits.

On plain booleans these are ``not`` and ``any``. On the symbolic booleans of a proof, ``not``,
``and``, ``or`` and ``any`` each make the solver split the path in two, while ``&``, ``|``
and ``^`` build one condition; the model and the invariants use these helpers where a
condition may be symbolic, so that a decision costs one split, not one per part.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["any_of", "not_"]


def not_(condition: bool) -> bool:
    """The negation of *condition*, as one condition."""
    return condition ^ True


def any_of(conditions: Iterable[bool]) -> bool:
    """Whether any of *conditions* holds, as one condition (False for none)."""
    out = False
    for c in conditions:
        out |= c
    return out
