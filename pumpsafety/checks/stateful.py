"""A Hypothesis state machine that walks the reference model through its whole lifecycle.

Each ``@invariant`` is named after the requirement it checks and asks the independent
oracle (:mod:`pumpsafety.checks.oracle`) about the model's log, so the checks never
trust the model's own bookkeeping.
"""

from __future__ import annotations

from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from pumpsafety.checks.oracle import OracleReport, check_log
from pumpsafety.checks.strategies import (
    Action,
    actions,
    apply_action,
    bolus_requests,
    clock_advances,
    faults,
    lifecycle_setups,
    refills,
)
from pumpsafety.machine import PumpModel
from pumpsafety.spec import Spec, load_spec

__all__ = ["INVARIANTS", "PumpLifecycle", "run_lifecycle"]

# invariant method -> the requirement it is named after
INVARIANTS: dict[str, str] = {}


def _requirement_invariant(requirement_id: str) -> Any:
    name = requirement_id.lower().replace("-", "_")

    def check(self: PumpLifecycle) -> None:
        found = [v for v in self.report().violations if v.requirement_id == requirement_id]
        assert not found, "\n".join(
            f"{v.requirement_id} [{v.check}] t={v.at_s:_}: {v.message}" for v in found
        )

    check.__name__ = name
    check.__doc__ = f"The log never breaks {requirement_id}."
    INVARIANTS[name] = requirement_id
    return invariant()(check)


class PumpLifecycle(RuleBasedStateMachine):
    """The reference model driven through screening, trial, implant, refills, boluses,
    faults and years of time, with one invariant per safety requirement."""

    spec: ClassVar[Spec]

    def __init__(self) -> None:
        super().__init__()
        if not hasattr(type(self), "spec"):
            type(self).spec = load_spec()
        self.model = PumpModel(self.spec)
        self._report: tuple[int, OracleReport] | None = None

    def report(self) -> OracleReport:
        n = len(self.model.log)
        if self._report is None or self._report[0] != n:
            self._report = (n, check_log(self.model.log, self.spec))
        return self._report[1]

    def _apply(self, action: Action) -> None:
        apply_action(self.model, action)

    def _delivering(self) -> bool:
        return self.model.data.program is not None and self.model.data.device is not None

    @precondition(lambda self: self.model.state == self.spec.initial)
    @rule(data=st.data())
    def set_up_to_delivery(self, data: st.DataObject) -> None:
        self._apply(data.draw(lifecycle_setups(self.spec)))

    @rule(data=st.data())
    def advance(self, data: st.DataObject) -> None:
        self.model.advance(data.draw(clock_advances(self.model)))

    @precondition(
        lambda self: (
            self.model.data.program is not None
            and self.model.data.program.prescription.patient_bolus is not None
        )
    )
    @rule(data=st.data(), burst=st.booleans())
    def request_boluses(self, data: st.DataObject, burst: bool) -> None:
        self._apply(data.draw(bolus_requests(self.model, burst=burst)))

    @precondition(_delivering)
    @rule(data=st.data())
    def refill(self, data: st.DataObject) -> None:
        self._apply(data.draw(refills(self.model)))

    @precondition(_delivering)
    @rule(data=st.data())
    def fault(self, data: st.DataObject) -> None:
        event = data.draw(faults(self.spec))
        self._apply(Action("fault", ((event, {}),)))

    @rule(data=st.data())
    def any_step(self, data: st.DataObject) -> None:
        self._apply(data.draw(actions(self.model)))

    sr_dose_01 = _requirement_invariant("SR-DOSE-01")
    sr_dose_04 = _requirement_invariant("SR-DOSE-04")
    sr_dose_05 = _requirement_invariant("SR-DOSE-05")
    sr_bol_01 = _requirement_invariant("SR-BOL-01")
    sr_bol_03 = _requirement_invariant("SR-BOL-03")
    sr_bol_04 = _requirement_invariant("SR-BOL-04")
    sr_prime_01 = _requirement_invariant("SR-PRIME-01")
    sr_del_01 = _requirement_invariant("SR-DEL-01")
    sr_del_02 = _requirement_invariant("SR-DEL-02")
    sr_del_03 = _requirement_invariant("SR-DEL-03")
    sr_res_01 = _requirement_invariant("SR-RES-01")
    sr_res_05 = _requirement_invariant("SR-RES-05")
    sr_res_08 = _requirement_invariant("SR-RES-08")
    sr_pwr_01 = _requirement_invariant("SR-PWR-01")
    sr_state_03 = _requirement_invariant("SR-STATE-03")
    sr_log_01 = _requirement_invariant("SR-LOG-01")

    @invariant()
    def sr_res_04(self) -> None:
        """An empty reservoir never leaves the pump in a state that delivers."""
        d = self.model.data
        dev = self.spec.devices.get(d.device or "")
        if dev is None or d.program is None or self.model.state == "trial_continuous":
            return
        if self.spec.states[self.model.state].delivers:
            assert d.reservoir_nl_s_per_day > dev.empty_threshold_nl.value * 86_400, (
                f"state {self.model.state!r} delivers with an empty reservoir"
            )


INVARIANTS["sr_res_04"] = "SR-RES-04"


def run_lifecycle(spec: Spec | None = None, *, settings: Any = None) -> None:
    """Run :class:`PumpLifecycle` on *spec* (the shipped spec by default); raise on a failure."""

    class Lifecycle(PumpLifecycle):
        pass

    Lifecycle.spec = spec if spec is not None else load_spec()
    run_state_machine_as_test(Lifecycle, settings=settings)
