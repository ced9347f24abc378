"""A solver question left undecided by CrossHair's incremental solver is asked again.

The retry must give the answer a solver gives: a model that satisfies the assertions and
the question when there is one, "no" when there is none, and still "undecided" when the
fresh solver cannot decide either. Here the incremental solver is made to give up on every
question, so that every answer comes from the retry.
"""

from __future__ import annotations

import time

import pytest

from pumpsafety.checks.proof_crosshair import RETRIES, install_adjustments

pytestmark = pytest.mark.crosshair


@pytest.fixture
def space(monkeypatch):
    import z3
    from crosshair import statespace
    from crosshair.util import UnknownSatisfiability

    install_adjustments()

    def gives_up(solver, *exprs):
        raise UnknownSatisfiability

    monkeypatch.setattr(statespace, "solver_is_sat", gives_up)
    s = statespace.StateSpace(time.process_time() + 60, 10.0, statespace.RootNode())
    x, y = z3.Ints("x y")
    s.solver.add(x * y == 391, x > 1, y > 1)  # nonlinear: 17 * 23
    return s, x, y


def test_a_question_the_incremental_solver_gives_up_on_is_answered_fresh(space):
    import z3

    s, x, y = space
    before = dict(RETRIES)
    model = s.witness(x < y)
    assert model is not None
    assert (model.eval(x).as_long(), model.eval(y).as_long()) == (17, 23)
    assert s.witness(x == 2) is None  # 391 is odd
    assert s.is_possible(y == 17) is True
    assert s.is_possible(z3.And(x < 17, y < 17)) is False
    assert RETRIES["asked"] - before["asked"] == 4
    assert RETRIES["decided"] - before["decided"] == 4


def test_a_question_the_fresh_solver_cannot_decide_stays_undecided(space, monkeypatch):
    import z3
    from crosshair.util import UnknownSatisfiability

    from pumpsafety.checks import proof_crosshair

    s, x, y = space

    def undecided_solver():
        return z3.Tactic("fail").solver()  # answers unknown to everything

    monkeypatch.setattr(proof_crosshair, "_fresh_solver", undecided_solver)
    with pytest.raises(UnknownSatisfiability):
        s.witness(x < y)
    with pytest.raises(UnknownSatisfiability):
        s.is_possible(x < y)


def test_the_fresh_solver_is_asked_without_assumptions(space, monkeypatch):
    """The question is asserted, then checked plainly: z3's default solver uses its
    nonlinear strategy only for a check without assumptions (see ``_install_retry``)."""
    from pumpsafety.checks import proof_crosshair

    s, x, y = space
    asked: list[int] = []
    original = proof_crosshair._fresh_solver

    def spied_solver():
        solver = original()
        check = solver.check

        def spied_check(*assumptions):
            asked.append(len(assumptions))
            return check(*assumptions)

        solver.check = spied_check
        return solver

    monkeypatch.setattr(proof_crosshair, "_fresh_solver", spied_solver)
    assert s.witness(x < y) is not None
    assert s.is_possible(x == 2) is False
    assert asked == [0, 0]
