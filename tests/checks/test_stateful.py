"""The lifecycle state machine over the reference model, and proof that its invariants can fail."""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings

from pumpsafety import Spec
from pumpsafety.checks.stateful import INVARIANTS, PumpLifecycle, run_lifecycle
from tests.broken import mg_mcg_confusion

TestPumpLifecycle = PumpLifecycle.TestCase


def test_every_invariant_is_named_after_a_requirement_of_the_spec(spec: Spec):
    assert set(INVARIANTS.values()) <= set(spec.requirements)
    assert all(name == rid.lower().replace("-", "_") for name, rid in INVARIANTS.items())


def test_the_lifecycle_catches_a_broken_model(spec: Spec, monkeypatch: pytest.MonkeyPatch):
    """The same machine driving a pump that gives mcg for ng fails (detection only: the
    harness tests check shrinking)."""
    monkeypatch.setattr("pumpsafety.checks.stateful.PumpModel", mg_mcg_confusion.Model)
    with pytest.raises(AssertionError, match=r"SR-D(OSE-0[14]|EL-02)"):
        run_lifecycle(
            spec,
            settings=settings(
                max_examples=400,
                stateful_step_count=10,
                database=None,
                derandomize=True,
                deadline=None,
                report_multiple_bugs=False,
                phases=[Phase.generate],
            ),
        )
