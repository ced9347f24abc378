"""The strategies reach delivery, land on thresholds and draw the realistic slips."""

from __future__ import annotations

from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from pumpsafety import PumpModel, Spec, load_spec
from pumpsafety.checks.strategies import (
    apply_action,
    clock_advances,
    lifecycle_setups,
    prescription_slips,
    prescriptions,
)

SPEC = load_spec()


def test_most_setups_reach_a_delivering_state():
    reached = []

    @settings(
        max_examples=60,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(lifecycle_setups(SPEC))
    def run(action):
        model = PumpModel(SPEC)
        apply_action(model, action)
        reached.append(SPEC.states[model.state].delivers)

    run()
    assert sum(reached) * 3 >= len(reached) * 2, (sum(reached), len(reached))


def test_clock_advances_land_on_and_next_to_the_lockout_end(spec: Spec):
    model = PumpModel(spec)
    apply_action(model, find(lifecycle_setups(spec), lambda _: True))
    seen = set()

    @settings(max_examples=200, derandomize=True, database=None)
    @given(st.data())
    def run(data):
        seen.add(data.draw(clock_advances(model)))

    run()
    midnight = 86_400 - model.now_s % 86_400
    assert {midnight - 1, midnight, midnight + 1} <= seen


@given(
    prescriptions(SPEC, "baclofen", 500_000, "synchromed_ii_40").flatmap(
        lambda p: st.tuples(st.just(p), prescription_slips(p))
    )
)
@settings(max_examples=50, database=None)
def test_every_slip_changes_the_prescription(pair):
    good, slipped = pair
    assert slipped != good
