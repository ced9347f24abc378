"""Exceptions raised on purpose by pumpsafety.

::

    PumpSafetyError                 base: catch this to catch everything raised on purpose
    ├── SpecError(ValueError)       a spec directory is malformed or inconsistent (all at once)
    ├── DoseError(ValueError)       an input is outside its allowed range, mistyped or mis-unit
    │   └── DoseLimitExceeded       accepting the input would break a cumulative dose limit
    ├── EventRejected               event unknown, not allowed in this state, or a guard said no
    └── GraphvizError(RuntimeError) SVG/PNG asked for but Graphviz `dot` is not installed
                                    (defined in pumpsafety.diagram)

Every error carries its facts as attributes and builds its message from them.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "DoseError",
    "DoseLimitExceeded",
    "EventRejected",
    "PumpSafetyError",
    "SpecError",
    "quoted",
]


class PumpSafetyError(Exception):
    """Base class of every error pumpsafety raises on purpose."""


class SpecError(PumpSafetyError, ValueError):
    """A spec directory failed validation; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        head = f"{len(self.problems)} problem(s) in the spec"
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in self.problems))


class DoseError(PumpSafetyError, ValueError):
    """An input value is outside its allowed range, of the wrong type, or in the wrong unit."""

    def __init__(
        self,
        name: str,
        value: object,
        allowed: str,
        *,
        requirement: str,
        reason: str = "is outside the allowed range",
    ) -> None:
        self.name = name
        self.value = value
        self.allowed = allowed
        self.requirement = requirement
        self.reason = reason
        super().__init__(f"{name}={_show(value)} {reason}; allowed {allowed} ({requirement})")


class DoseLimitExceeded(DoseError):
    """Accepting the input would make a cumulative total pass its limit."""

    def __init__(
        self, name: str, value: object, *, total: str, allowed: str, requirement: str
    ) -> None:
        self.total = total
        super().__init__(
            name,
            value,
            allowed,
            requirement=requirement,
            reason=f"would make {total}",
        )


class EventRejected(PumpSafetyError):
    """An event is unknown, not allowed in the current state, or refused by a guard."""

    def __init__(
        self,
        event: str,
        state: str,
        reason: str,
        *,
        allowed: Sequence[str] = (),
        guard: str | None = None,
        requirement: str | None = None,
    ) -> None:
        self.event = event
        self.state = state
        self.reason = reason
        self.allowed = tuple(allowed)
        self.guard = guard
        self.requirement = requirement
        where = f" ({requirement})" if requirement else ""
        super().__init__(f"event {quoted(event)} in state {quoted(state)}: {reason}{where}")


def quoted(text: str | None) -> str:
    """*text* in single quotes (as ``repr`` shows a name), or ``None``.

    Messages on refusal paths avoid ``repr``: under the symbolic checker a ``repr`` call
    may be replaced by a fresh symbolic string, one more case split on every refusal.
    """
    return "None" if text is None else f"'{text}'"


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return f"{value:_}"
    if isinstance(value, str):
        return quoted(value)
    return repr(value)
