"""The conformance harness passes the reference model and catches every broken pump."""

from __future__ import annotations

import importlib
import json

import pytest
from hypothesis import settings

from pumpsafety import Spec
from pumpsafety.checks.harness import (
    COVERED_REQUIREMENTS,
    ReferenceAdapter,
    assert_conforms,
    check_implementation,
    replay,
)
from tests.broken import BROKEN

CI = settings(max_examples=200, stateful_step_count=10, derandomize=True)


def test_the_reference_model_conforms_through_its_own_adapter(spec: Spec):
    result = check_implementation(ReferenceAdapter, spec=spec, settings=CI)
    assert result.passed, result.report()
    assert result.examples >= 100
    assert result.coverage_states["delivering"] > 0
    assert result.requirements["SR-DOSE-01"].examples > 0
    json.loads(result.to_json())


def test_every_covered_requirement_is_in_the_spec(spec: Spec):
    assert set(COVERED_REQUIREMENTS) <= set(spec.requirements)


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_pump_is_caught_with_a_short_counterexample(spec: Spec, name: str):
    broken = importlib.import_module(f"tests.broken.{name}")
    result = check_implementation(broken.make, spec=spec, settings=CI)
    assert not result.passed
    assert set(broken.EXPECTED) & set(result.failing_requirements), result.report()
    assert result.actions <= 12, result.report()
    assert result.counterexample
    data = json.loads(result.to_json())
    assert len(data["counterexample"]) == len(result.counterexample)
    # the regression snippet replays the same failure
    events = [(s.event, s.args) for s in result.counterexample]
    again = replay(broken.make, events, spec=spec)
    assert not again.passed
    assert set(again.failing_requirements) & set(result.failing_requirements)
    assert "replay(make, [" in result.regression_test


def test_assert_conforms_raises_the_readable_counterexample(spec: Spec):
    broken = importlib.import_module("tests.broken.mg_mcg_confusion")
    with pytest.raises(AssertionError, match=r"(?s)t=.*give_clinician_bolus.*24 h window"):
        assert_conforms(broken.make, spec=spec, settings=CI)
