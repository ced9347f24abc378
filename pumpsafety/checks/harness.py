"""Conformance harness: check anyone's pump controller against the reference model and the oracle.

Write an adapter with four members and check it from your own test suite::

    from pumpsafety.checks.harness import assert_conforms

    class MyPump:
        def __init__(self, spec): ...
        def fire(self, event, **args): ...   # raise any exception to refuse the event
        def advance(self, dt_s): ...
        @property
        def state(self): ...                 # a state name of the spec
        @property
        def log(self): ...                   # Delivery and EventRecord entries, in order

    def test_my_pump_conforms():
        assert_conforms(MyPump)

The harness draws event sequences aimed at the spec's thresholds, offers every event to
the reference model and to the implementation, and reports two kinds of failure: a
requirement the implementation's own log breaks (found by the independent oracle), and
a divergence from the reference (an event accepted by one and refused by the other, a
different state, or a different delivered mass).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

from hypothesis import HealthCheck, Verbosity, given
from hypothesis import seed as hypothesis_seed
from hypothesis import settings as Settings
from hypothesis import strategies as st

from pumpsafety.checks.oracle import CHECKS, OracleReport, Violation, WindowReport, check_log
from pumpsafety.checks.strategies import Action, actions
from pumpsafety.machine import PumpModel
from pumpsafety.records import Delivery, EventRecord
from pumpsafety.spec import Spec, load_spec

__all__ = [
    "COVERED_REQUIREMENTS",
    "AdapterFactory",
    "ConformanceResult",
    "CounterexampleStep",
    "Divergence",
    "PumpAdapter",
    "ReferenceAdapter",
    "assert_conforms",
    "check_implementation",
    "replay",
]

LogEntry = Delivery | EventRecord


@runtime_checkable
class PumpAdapter(Protocol):
    """What the harness needs from an implementation.

    ``fire(event, **args)`` offers an event with the arguments of
    :data:`pumpsafety.inputs.EVENT_ARGS`; raising any exception means the event was
    refused (a :class:`~pumpsafety.PumpSafetyError` with a ``requirement`` attribute names
    the reason). ``advance(dt_s)`` lets time pass; the implementation raises its own clock
    events on time. ``state`` is the spec state it is in. ``log`` lists, in order, an
    :class:`~pumpsafety.EventRecord` for every event offered (``accepted``, ``source``,
    ``dest``; for an aspiration the expected residual in nl·s/day) and a
    :class:`~pumpsafety.Delivery` for every delivery, in exact units, each point dose
    right after the record of the event that gave it.
    """

    def fire(self, event: str, **args: Any) -> None: ...

    def advance(self, dt_s: int) -> None: ...

    @property
    def state(self) -> str: ...

    @property
    def log(self) -> Sequence[LogEntry]: ...


AdapterFactory = Callable[[Spec], PumpAdapter]


class ReferenceAdapter:
    """The reference model (or *model*, a PumpModel instance) behind the adapter protocol."""

    def __init__(self, spec: Spec | None = None, *, model: PumpModel | None = None) -> None:
        self.model = model if model is not None else PumpModel(spec)

    def fire(self, event: str, **args: Any) -> None:
        self.model.fire(event, **args)

    def advance(self, dt_s: int) -> None:
        self.model.advance(dt_s)

    @property
    def state(self) -> str:
        return self.model.state

    @property
    def log(self) -> Sequence[LogEntry]:
        return self.model.log


COVERED_REQUIREMENTS: dict[str, list[str]] = {}
for _check, _ids in CHECKS.items():
    for _rid in _ids:
        COVERED_REQUIREMENTS.setdefault(_rid, []).append(_check)
for _rid in COVERED_REQUIREMENTS:
    COVERED_REQUIREMENTS[_rid].sort()


@dataclass(frozen=True, slots=True)
class CounterexampleStep:
    """One offered event (``advance`` for time) with both answers, at the reference's time."""

    at_s: int
    event: str
    args: dict[str, Any]
    accepted_by_reference: bool
    accepted_by_implementation: bool
    reference_state: str
    implementation_state: str

    def call(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in sorted(self.args.items()))
        return f"{self.event}({inner})"

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["args"] = {
            k: v if isinstance(v, int | str | bool) else repr(v) for k, v in self.args.items()
        }
        return out


@dataclass(frozen=True, slots=True)
class Divergence:
    """The implementation answered differently from the reference model."""

    kind: str  # "acceptance", "state" or "delivered_mass"
    at_s: int
    event: str
    message: str
    requirement_ids: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["requirement_ids"] = list(self.requirement_ids)
        return out


@dataclass(frozen=True, slots=True)
class RequirementCoverage:
    """How much of one requirement the run exercised."""

    checks: tuple[str, ...]
    examples: int
    items: int


@dataclass
class ConformanceResult:
    """The outcome of :func:`check_implementation`; :meth:`as_dict` is JSON-serialisable."""

    passed: bool
    examples: int
    steps: int
    failing_requirements: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    divergences: list[Divergence] = field(default_factory=list)
    counterexample: list[CounterexampleStep] = field(default_factory=list)
    actions: int = 0
    windows: list[WindowReport] = field(default_factory=list)
    regression_test: str = ""
    examples_to_first_failure: int | None = None
    seconds_to_first_failure: float | None = None
    coverage_states: Counter[str] = field(default_factory=Counter)
    coverage_transitions: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    requirements: dict[str, RequirementCoverage] = field(default_factory=dict)
    seed: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "examples": self.examples,
            "steps": self.steps,
            "seed": self.seed,
            "examples_to_first_failure": self.examples_to_first_failure,
            "seconds_to_first_failure": self.seconds_to_first_failure,
            "failing_requirements": list(self.failing_requirements),
            "violations": [v.as_dict() for v in self.violations],
            "divergences": [d.as_dict() for d in self.divergences],
            "actions": self.actions,
            "counterexample": [s.as_dict() for s in self.counterexample],
            "windows": [w.as_dict() for w in self.windows],
            "regression_test": self.regression_test,
            "coverage": {
                "states": dict(sorted(self.coverage_states.items())),
                "transitions": [
                    {"source": s, "trigger": t, "dest": d, "count": n}
                    for (s, t, d), n in sorted(self.coverage_transitions.items())
                ],
            },
            "requirements": {
                rid: {"checks": list(c.checks), "examples": c.examples, "items": c.items}
                for rid, c in sorted(self.requirements.items())
            },
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, sort_keys=True)

    def report(self) -> str:
        """A readable account: verdict, counterexample with times, windows, regression test."""
        if self.passed:
            return (
                f"conforms: {self.examples} examples, {self.steps} events, no violation and "
                "no divergence from the reference model"
            )
        lines = [
            f"does not conform ({', '.join(self.failing_requirements)}); counterexample of "
            f"{self.actions} drawn steps, {len(self.counterexample)} events:"
        ]
        for s in self.counterexample:
            mark = (
                "" if s.accepted_by_reference == s.accepted_by_implementation else "  <-- differs"
            )
            lines.append(
                f"  t={s.at_s:>13_} s  {s.call()}\n"
                f"      reference: {'accepted' if s.accepted_by_reference else 'refused '} -> "
                f"{s.reference_state:<24} implementation: "
                f"{'accepted' if s.accepted_by_implementation else 'refused '} -> "
                f"{s.implementation_state}{mark}"
            )
        for d in self.divergences:
            lines.append(
                f"divergence ({d.kind}, {', '.join(d.requirement_ids)}) at "
                f"t={d.at_s:_} s: {d.message}"
            )
        for v in self.violations:
            lines.append(f"violation {v.requirement_id} [{v.check}] at t={v.at_s:_} s: {v.message}")
        for w in self.windows:
            shape = (
                f"[{w.start_s:_}, {w.end_s:_})"
                if w.closed_left
                else f"({w.start_s:_}, {w.end_s:_}]"
            )
            lines.append(
                f"24 h window {w.drug} {shape}: {w.total_ng_ceil:_} ng of limit "
                f"{w.limit_ng:_} ng ({'ok' if w.within_limit else 'OVER'})"
            )
        lines.append("regression test:")
        lines.append(self.regression_test)
        return "\n".join(lines)


# --- running one sequence ----------------------------------------------------------------------


def _requirement_of(err: BaseException | None) -> str | None:
    rid = getattr(err, "requirement", None)
    return rid if isinstance(rid, str) else None


def _offer(
    target: PumpModel | PumpAdapter, event: str, args: dict[str, Any]
) -> BaseException | None:
    try:
        if event == "advance":
            target.advance(args["dt_s"])
        else:
            target.fire(event, **args)
    except Exception as err:
        return err
    return None


def _mass_by_drug(entries: Sequence[LogEntry]) -> Counter[str]:
    out: Counter[str] = Counter()
    for e in entries:
        if isinstance(e, Delivery):
            out[e.drug] += e.mass_fg_s_per_day
    return out


class _Run:
    """The reference and one implementation, offered the same events side by side."""

    def __init__(self, spec: Spec, factory: AdapterFactory) -> None:
        self.spec = spec
        self.ref = PumpModel(spec)
        self.impl = factory(spec)
        self.steps: list[CounterexampleStep] = []
        self.divergences: list[Divergence] = []
        self.actions = 0
        self._ref_seen = 0
        self._impl_seen = 0
        self._ref_mass: Counter[str] = Counter()
        self._impl_mass: Counter[str] = Counter()

    def _trigger_requirements(self, event: str, source: str | None = None) -> tuple[str, ...]:
        ids = {
            r
            for t in self.spec.transitions
            if t.trigger == event and (source is None or source in t.source)
            for r in t.requirements
        }
        return tuple(sorted(ids))

    def offer(self, event: str, args: dict[str, Any]) -> bool:
        """Offer one event to both; return False once they diverge."""
        at_s = self.ref.now_s
        ref_source = self.ref.state
        ref_err = _offer(self.ref, event, args)
        impl_err = _offer(self.impl, event, args)
        ref_log, impl_log = self.ref.log, list(self.impl.log)
        ref_new, impl_new = ref_log[self._ref_seen :], impl_log[self._impl_seen :]
        self._ref_seen, self._impl_seen = len(ref_log), len(impl_log)
        self._ref_mass.update(_mass_by_drug(ref_new))
        self._impl_mass.update(_mass_by_drug(impl_new))
        impl_state = str(self.impl.state)
        self.steps.append(
            CounterexampleStep(
                at_s,
                event,
                dict(args),
                ref_err is None,
                impl_err is None,
                self.ref.state,
                impl_state,
            )
        )
        if (ref_err is None) != (impl_err is None):
            rid = _requirement_of(ref_err) or _requirement_of(impl_err)
            ids = (rid,) if rid else self._trigger_requirements(event, ref_source)
            who, err = ("implementation", impl_err) if impl_err else ("reference", ref_err)
            self.divergences.append(
                Divergence(
                    "acceptance",
                    at_s,
                    event,
                    f"{event} was refused by the {who} only ({type(err).__name__}: {err})",
                    ids,
                )
            )
        elif impl_state != self.ref.state:
            ref_clock = [r.event for r in ref_new if isinstance(r, EventRecord) and r.accepted]
            impl_clock = [r.event for r in impl_new if isinstance(r, EventRecord) and r.accepted]
            missing = [e for e in ref_clock if e not in impl_clock] + [
                e for e in impl_clock if e not in ref_clock
            ]
            ids = tuple(
                sorted({r for e in (missing or [event]) for r in self._trigger_requirements(e)})
            )
            self.divergences.append(
                Divergence(
                    "state",
                    at_s,
                    event,
                    f"after {event} the reference is in {self.ref.state!r} (events {ref_clock}) "
                    "and "
                    f"the implementation in {impl_state!r} (events {impl_clock})",
                    ids,
                )
            )
        elif self._ref_mass != self._impl_mass:
            drugs = sorted(set(self._ref_mass) | set(self._impl_mass))
            diffs = ", ".join(
                f"{d}: reference {self._ref_mass[d]:_} vs implementation "
                f"{self._impl_mass[d]:_} fg·s/day"
                for d in drugs
                if self._ref_mass[d] != self._impl_mass[d]
            )
            ids = (
                self._trigger_requirements(event, ref_source)
                if event != "advance"
                else ("SR-DOSE-05",)
            )
            self.divergences.append(
                Divergence(
                    "delivered_mass",
                    at_s,
                    event,
                    f"delivered mass differs after {event}: {diffs}",
                    ids,
                )
            )
        return not self.divergences

    def run(self, action: Action) -> bool:
        self.actions += 1
        return all(self.offer(event, dict(args)) for event, args in action.events)

    def oracle(self) -> OracleReport:
        return check_log(list(self.impl.log), self.spec)


class _Failure(Exception):
    def __init__(self, run: _Run, report: OracleReport) -> None:
        super().__init__("implementation does not conform")
        self.run = run
        self.report = report


def _factory_path(factory: AdapterFactory) -> tuple[str, str]:
    module = getattr(factory, "__module__", None) or "your_tests"
    name = getattr(factory, "__qualname__", None) or "make_pump"
    if "<" in name or "." in name:
        return module, "make_pump"
    return module, name


def _regression_test(
    factory: AdapterFactory, steps: Sequence[CounterexampleStep], requirements: Sequence[str]
) -> str:
    module, name = _factory_path(factory)
    events = "\n".join(f"        ({s.event!r}, {s.args!r})," for s in steps)
    suffix = "_".join(r.lower().replace("-", "_") for r in requirements[:2]) or "divergence"
    return (
        "from pumpsafety import PatientBolus, Prescription, Step  # noqa: F401\n"
        "from pumpsafety.checks.harness import replay\n"
        f"from {module} import {name}\n\n\n"
        f"def test_regression_{suffix}():\n"
        f"    result = replay({name}, [\n{events}\n    ])\n"
        "    assert result.passed, result.report()\n"
    )


def _result_from(
    run: _Run, report: OracleReport, factory: AdapterFactory, *, examples: int, steps: int
) -> ConformanceResult:
    failing = sorted(
        {v.requirement_id for v in report.violations}
        | {r for d in run.divergences for r in d.requirement_ids}
    )
    passed = not report.violations and not run.divergences
    return ConformanceResult(
        passed=passed,
        examples=examples,
        steps=steps,
        failing_requirements=failing,
        violations=list(report.violations),
        divergences=list(run.divergences),
        counterexample=[] if passed else list(run.steps),
        actions=run.actions,
        windows=list(report.windows),
        regression_test="" if passed else _regression_test(factory, run.steps, failing),
    )


def replay(
    factory: AdapterFactory,
    events: Sequence[tuple[str, dict[str, Any]]],
    *,
    spec: Spec | None = None,
) -> ConformanceResult:
    """Offer a fixed list of ``(event, args)`` (``("advance", {"dt_s": n})`` for time) to the
    reference and the implementation and check the result as :func:`check_implementation` does."""
    spec = spec if spec is not None else load_spec()
    run = _Run(spec, factory)
    for event, args in events:
        run.actions += 1
        if not run.offer(event, dict(args)):
            break
    result = _result_from(run, run.oracle(), factory, examples=1, steps=len(run.steps))
    _cover(result, run, run.oracle())
    return result


def _cover(result: ConformanceResult, run: _Run, report: OracleReport) -> None:
    for entry in run.ref.log:
        if isinstance(entry, EventRecord) and entry.accepted:
            result.coverage_states[entry.dest] += 1
            result.coverage_transitions[(entry.source, entry.event, entry.dest)] += 1
    for rid, checks in COVERED_REQUIREMENTS.items():
        items = sum(report.exercised.get(c, 0) for c in checks)
        old = result.requirements.get(rid, RequirementCoverage(tuple(checks), 0, 0))
        result.requirements[rid] = RequirementCoverage(
            old.checks, old.examples + (1 if items else 0), old.items + items
        )


def _harness_settings(base: Settings | None, seed: int | None) -> Settings:
    parent = base if base is not None else Settings()
    return Settings(
        parent,
        database=None,
        deadline=None,
        derandomize=parent.derandomize if seed is None else False,
        report_multiple_bugs=False,
        verbosity=Verbosity.quiet,
        suppress_health_check=[
            *parent.suppress_health_check,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
    )


def check_implementation(
    factory: AdapterFactory,
    *,
    spec: Spec | None = None,
    settings: Settings | None = None,
    seed: int | None = None,
) -> ConformanceResult:
    """Run the conformance property against ``factory(spec)``; never raises on a failure.

    *settings* default to the loaded Hypothesis profile (``max_examples`` sequences of up
    to ``stateful_step_count`` drawn steps). The counterexample is the shrunk one.
    """
    spec = spec if spec is not None else load_spec()
    s = _harness_settings(settings, seed)
    summary = ConformanceResult(passed=True, examples=0, steps=0, seed=seed)
    max_actions = max(1, s.stateful_step_count)

    def one_example(data: st.DataObject) -> None:
        summary.examples += 1
        run = _Run(spec, factory)
        count = data.draw(st.integers(1, max_actions), label="steps")
        ok = True
        for _ in range(count):
            ok = run.run(data.draw(actions(run.ref)))
            if not ok:
                break
        report = run.oracle()
        summary.steps += len(run.steps)
        _cover(summary, run, report)
        if not ok or report.violations:
            if summary.examples_to_first_failure is None:
                summary.examples_to_first_failure = summary.examples
                summary.seconds_to_first_failure = time.perf_counter() - started
            raise _Failure(run, report)

    started = time.perf_counter()
    test = given(st.data())(one_example)
    test = s(test)
    if seed is not None:
        test = hypothesis_seed(seed)(test)
    try:
        test()
    except _Failure as failure:
        found = _result_from(
            failure.run, failure.report, factory, examples=summary.examples, steps=summary.steps
        )
        found.examples_to_first_failure = summary.examples_to_first_failure
        found.seconds_to_first_failure = summary.seconds_to_first_failure
        found.coverage_states = summary.coverage_states
        found.coverage_transitions = summary.coverage_transitions
        found.requirements = summary.requirements
        found.seed = seed
        return found
    return summary


def assert_conforms(factory: AdapterFactory, **kw: Any) -> ConformanceResult:
    """:func:`check_implementation`, raising AssertionError with the readable counterexample."""
    result = check_implementation(factory, **kw)
    if not result.passed:
        raise AssertionError(result.report())
    return result
