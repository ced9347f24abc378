"""Running one obligation under CrossHair, with the adjustments the model needs.

Two CrossHair behaviours would leave every refusal path of the model undecidable, because
each realises a symbolic integer (fixes it to one value), after which the other values are
never exhausted:

* formatting a symbolic integer into text (every error message the model builds shows the
  refused value). Here a symbolic integer formats as ``<symbolic>``. No decision of the
  model reads an error message, so no verdict depends on this text.
* hashing a symbolic integer (a set of window starts, the set of rates of a program). Here a
  symbolic integer hashes to a constant, which is a valid hash: equal values still hash
  equally, and set membership is decided by ``==``. A set that mixes concrete and symbolic
  integers may then hold one value twice; the only such set left is the candidate window
  starts of ``dose.max_window_total`` (duplicates change nothing): the model's guards keep
  symbolic quantities out of sets.

A third adjustment is about cost, not decidability: ``logic.where``, ``min_of`` and
``max_of`` become one if-then-else term of the solver each, instead of a split of the path
(see ``_install_terms``).

A fourth is about the solver: a question the incremental solver leaves undecided within its
time limit is asked once more of a fresh solver holding the same assertions (see
``_install_retry``). The answer is the solver's either way; only its search state differs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

__all__ = ["Verdict", "analyse", "install_adjustments"]

_installed = False


def install_adjustments() -> bool:
    """Install the two adjustments (once per process); False if this CrossHair lacks the hooks."""
    global _installed
    if _installed:
        return True
    from crosshair.libimpl import builtinslib
    from crosshair.tracers import NoTracing

    original = getattr(builtinslib, "_format", None)
    symbolic_int = getattr(builtinslib, "SymbolicInt", None)
    intable = getattr(builtinslib, "SymbolicIntable", None)
    if original is None or symbolic_int is None or intable is None:
        return False

    def _format(obj: Any, format_spec: str = "") -> Any:
        with NoTracing():  # type: ignore[no-untyped-call]
            symbolic = isinstance(obj, intable)
        return "<symbolic>" if symbolic else original(obj, format_spec)

    def _hash(self: Any) -> int:
        return 0

    builtinslib._format = _format
    symbolic_int.__hash__ = _hash
    _install_terms(builtinslib)
    _install_retry()
    _installed = True
    return True


def _install_terms(builtinslib: Any) -> None:
    """``logic.where``, ``min_of`` and ``max_of`` become one if-then-else term each.

    Written in Python, each of them branches, and CrossHair splits the path on the
    condition although nothing after it depends on which side was taken; CrossHair has no
    Python spelling of a conditional value. Here the call builds the solver's term
    ``ite(condition, then, otherwise)``, which denotes exactly the value the function
    returns. Arguments of any other kind (floats, strings, concrete conditions) take the
    function itself.
    """
    from crosshair import core, smt
    from crosshair.core import register_patch
    from crosshair.core_and_libs import _make_registrations
    from crosshair.tracers import NoTracing

    from pumpsafety import logic

    symbolic_int = builtinslib.SymbolicInt
    symbolic_bool = builtinslib.SymbolicBool

    def int_term(value: object) -> Any:
        if isinstance(value, symbolic_int):
            return value.var
        if type(value) is int:
            return smt.int_val(value)
        return None

    def ite(condition: Any, then: object, otherwise: object) -> Any:
        # called without tracing; None when the arguments are not symbolic integers
        t, o = int_term(then), int_term(otherwise)
        if t is None or o is None:
            return None
        if isinstance(condition, symbolic_bool):
            return symbolic_int(smt.ite(condition.var, t, o))
        return None

    def where(condition: bool, then: int, otherwise: int) -> int:
        with NoTracing():  # type: ignore[no-untyped-call]
            term = ite(condition, then, otherwise)
        if term is None:  # traced as written in logic.where
            return then if condition else otherwise
        return term  # type: ignore[no-any-return]

    def extreme(smaller: bool) -> Any:
        def patched(x: int, y: int) -> int:
            with NoTracing():  # type: ignore[no-untyped-call]
                tx, ty = int_term(x), int_term(y)
                term = None
                if tx is not None and ty is not None and not (type(x) is type(y) is int):
                    cond = (tx <= ty) if smaller else (tx >= ty)
                    term = symbolic_int(smt.ite(cond, tx, ty))
            if term is None:  # traced as written in logic.min_of and logic.max_of
                if smaller:
                    return x if x <= y else y
                return x if x >= y else y
            return term  # type: ignore[no-any-return]

        return patched

    # CrossHair makes its own registrations (and forgets earlier ones) when it first needs
    # them; make them now, so that these survive
    if not core._SIMPLE_PROXIES:
        _make_registrations()  # type: ignore[no-untyped-call]
    register_patch(logic.where, where)
    register_patch(logic.min_of, extreme(smaller=True))
    register_patch(logic.max_of, extreme(smaller=False))


# questions the incremental solver left undecided, and of those the ones a fresh solver
# decided, in this process (read by tests and the profiler)
RETRIES = {"asked": 0, "decided": 0}
# the incremental solver's time limit per question before the fresh solver is asked
FIRST_TRY_MS = 1_000


def _fresh_solver() -> Any:
    """The solver a retry asks: z3's default solver, not CrossHair's.

    CrossHair's solver runs z3's general ``smt`` tactic on every question. z3's default
    solver first looks at the logic of the assertions and, for nonlinear integer arithmetic
    (a rate floored by a symbolic concentration, times that concentration), uses a strategy
    made for it. Measured on questions from ``start_continuous_trial``: CrossHair's fresh
    solver ran out its 18.75 s limit, z3's default solver answered in under 0.01 s.
    """
    import z3  # type: ignore[import-untyped]

    solver = z3.Solver()
    solver.set("random_seed", 42)  # deterministic, as CrossHair's own solver is
    return solver


def _install_retry() -> None:
    """Ask a fresh solver what CrossHair's incremental solver leaves undecided.

    CrossHair keeps one incremental solver per path, and a question it cannot decide in
    time (``z3.unknown``) abandons the path, which leaves the whole analysis unconfirmed.
    Such a question is often easy for a solver without the incremental one's search state
    (a dumped one took 0.04 s alone, having timed out in the run). The retry asks a new
    solver (see ``_fresh_solver``), with the same time limit, the same assertions and the
    question asserted too, then asks it with a plain ``check()``. Asserting matters: z3's
    default solver is a combined one, which probes the logic and picks a strategy for it
    (nonlinear integer arithmetic here) only for a plain check; a check under assumptions,
    the way CrossHair asks its questions, goes to its general incremental core. Measured
    on a question of ``start_continuous_trial`` (is there a nonzero rate, floored from a
    symbolic dose and concentration, outside the device's range) that came back unknown
    after the 15 s limit in a pool run: asserted, sat in 0.00 s; behind an assumed
    literal, unknown after 15 s. sat gives its model to CrossHair as the incremental
    solver's would be, unsat answers no, and unknown is left as it was. The incremental
    solver gets ``FIRST_TRY_MS`` per question, the fresh one CrossHair's whole limit: an
    easy question is answered well inside the first, and a hard one no longer spends the
    whole limit twice.
    """
    import z3
    from crosshair import statespace
    from crosshair.util import UnknownSatisfiability

    original_init = statespace.StateSpace.__init__
    original_witness = statespace.StateSpace.witness
    original_is_possible = statespace.StateSpace.is_possible

    def fresh_check(space: Any, exprs: tuple[Any, ...]) -> Any:
        RETRIES["asked"] += 1
        solver = _fresh_solver()
        if space.smt_timeout is not None:
            solver.set(timeout=space.smt_timeout)
        solver.add(*space.solver.assertions(), *exprs)
        answer = solver.check()
        if answer == z3.unknown:
            raise UnknownSatisfiability
        RETRIES["decided"] += 1
        return solver.model() if answer == z3.sat else None

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if self.smt_timeout is not None and self.smt_timeout > FIRST_TRY_MS:
            self.solver.set(timeout=FIRST_TRY_MS)

    def witness(self: Any, *exprs: Any) -> Any:
        try:
            return original_witness(self, *exprs)
        except UnknownSatisfiability:
            model = fresh_check(self, exprs)
            if model is not None:
                self._remember_model(model)
            return model

    def is_possible(self: Any, expr: Any) -> bool:
        try:
            return original_is_possible(self, expr)
        except UnknownSatisfiability:
            return fresh_check(self, (getattr(expr, "var", expr),)) is not None

    statespace.StateSpace.__init__ = init  # type: ignore[method-assign]
    statespace.StateSpace.witness = witness  # type: ignore[method-assign]
    statespace.StateSpace.is_possible = is_possible  # type: ignore[method-assign]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What CrossHair concluded about one function."""

    verdict: str  # proved | unknown | refuted
    message: str
    seconds: float


def analyse(fn: Any, timeout_s: float) -> Verdict:
    """Analyse *fn*'s PEP 316 contract; keep "confirmed over all paths" apart from the rest."""
    install_adjustments()
    from crosshair.core_and_libs import analyze_function, run_checkables
    from crosshair.options import AnalysisOptionSet
    from crosshair.statespace import MessageType

    options = AnalysisOptionSet(per_condition_timeout=timeout_s, per_path_timeout=timeout_s / 4)
    start = time.perf_counter()
    messages = list(run_checkables(analyze_function(fn, options)))
    seconds = time.perf_counter() - start
    if not messages:
        return Verdict("unknown", "CrossHair found no condition to check", seconds)
    worst = max(messages, key=lambda m: m.state)
    text = f"{worst.message} ({worst.filename}:{worst.line})".strip()
    if worst.state == MessageType.CONFIRMED:
        return Verdict("proved", "confirmed over all paths", seconds)
    if worst.state in (MessageType.POST_FAIL, MessageType.EXEC_ERR):
        return Verdict("refuted", text, seconds)
    if worst.state == MessageType.CANNOT_CONFIRM:
        return Verdict("unknown", "no counterexample within the budget (not a proof)", seconds)
    # PRE_UNSAT, POST_ERR, SYNTAX_ERR, IMPORT_ERR: never a proof
    return Verdict("unknown", f"{worst.state.name}: {worst.message}", seconds)
