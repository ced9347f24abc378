"""``pumpsafety verify``: every check, one evidence report.

Runs, in order: spec validation, the requirement scenarios, the property suite against
the reference model (and against an implementation named with ``--impl``), and the
CrossHair proof obligations; then writes report.json, report.md, report.html and
junit.xml. Exit 0: every requirement holds; 1: one failed; 2: bad input; 3: undecided.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import platform
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pumpsafety.errors import SpecError
from pumpsafety.report import (
    CheckOutcome,
    VerifyReport,
    build_rows,
    trailing_window_points,
    write_report,
)
from pumpsafety.spec import Spec, load_spec

__all__ = ["run_verify", "verify"]

# per-profile budgets: seconds of CrossHair per proof obligation, and the concrete frames
# sampled per step obligation before it
PROOF_TIMEOUT_S = {"dev": 2.0, "ci": 120.0, "thorough": 300.0}
PROOF_SAMPLES = {"dev": 20, "ci": 50, "thorough": 500}
DEPENDENCIES = ("transitions", "hypothesis", "crosshair-tool", "z3-solver")


class Progress:
    """Live progress on a terminal, plain lines otherwise."""

    def __init__(self, out: TextIO, total: int) -> None:
        self.out, self.total, self.done = out, total, 0
        self.live = bool(getattr(out, "isatty", lambda: False)())
        self.t0 = time.monotonic()

    def start(self, what: str) -> None:
        msg = f"[{self.done + 1}/{self.total}] {what} ..."
        if self.live:
            self.out.write(f"\r\x1b[2K{msg}")
            self.out.flush()
        else:
            print(msg, file=self.out, flush=True)

    def finish(self, what: str, verdict: str, detail: str = "") -> None:
        self.done += 1
        line = f"[{self.done}/{self.total}] {what}: {verdict}{f' ({detail})' if detail else ''}"
        if self.live:
            self.out.write(f"\r\x1b[2K{line}\n")
            self.out.flush()
        else:
            print(line, file=self.out, flush=True)


def load_factory(text: str) -> Callable[[Spec], Any]:
    """Resolve ``MODULE:FACTORY`` (e.g. ``mypump.adapter:make``)."""
    module_name, _, attr = text.partition(":")
    if not module_name or not attr:
        raise SpecError([f"--impl {text!r}: expected MODULE:FACTORY, e.g. 'mypump.adapter:make'"])
    sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise SpecError([f"--impl {text!r}: cannot import {module_name!r} ({err})"]) from err
    finally:
        sys.path.pop(0)
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise SpecError([f"--impl {text!r}: {module_name} has no callable {attr!r}"])
    return factory  # type: ignore[no-any-return]


def verify(
    spec: Spec,
    *,
    impl: Callable[[Spec], Any] | None = None,
    impl_name: str | None = None,
    profile: str = "dev",
    seed: int = 0,
    jobs: int = 2,
    prove_timeout_s: float | None = None,
    run_proofs: bool = True,
    out: TextIO | None = None,
    argv: Sequence[str] = (),
) -> VerifyReport:
    """Run every check on *spec* (and *impl*) and return the report (nothing is written).

    With ``run_proofs=False`` the CrossHair obligations are skipped: no requirement can then
    be reported as proved, only sampled.
    """
    from hypothesis import settings as hyp_settings

    from pumpsafety.checks.harness import ReferenceAdapter, check_implementation
    from pumpsafety.checks.profiles import register_profiles
    from pumpsafety.checks.scenarios import run_scenarios

    out = out or sys.stdout
    started = time.monotonic()
    started_utc = datetime.now(UTC).isoformat(timespec="seconds")
    phase_s: dict[str, float] = {}  # wall seconds per phase, for the provenance
    progress = Progress(out, 3 + (impl is not None) + run_proofs)
    checks: list[CheckOutcome] = []

    progress.start("spec")
    checks.append(
        CheckOutcome(
            "spec validation",
            "spec",
            "passed",
            (),
            (
                f"{len(spec.states)} states, {len(spec.transitions)} transitions, "
                f"{len(spec.drugs)} drugs, {len(spec.devices)} devices, "
                f"{len(spec.requirements)} requirements: all checks passed"
            ),
        )
    )
    progress.finish("spec", "valid")

    progress.start("requirement scenarios")
    t0 = time.monotonic()
    passed = failed = 0
    for sc, verdict, events, detail in run_scenarios(spec):
        if verdict == "not_applicable":
            continue
        passed += verdict == "passed"
        failed += verdict == "failed"
        checks.append(
            CheckOutcome(
                f"scenario {sc.name}",
                "scenario",
                verdict,
                sc.requirements,
                detail if verdict == "failed" else f"{events} events",
                seconds=time.monotonic() - t0,
            )
        )
    phase_s["scenarios"] = round(time.monotonic() - t0, 1)
    progress.finish(
        "requirement scenarios",
        "failed" if failed else "passed",
        f"{passed} passed, {failed} failed",
    )

    register_profiles()
    settings = hyp_settings.get_profile(profile)
    progress.start(f"property suite on the reference model (profile {profile})")
    t0 = time.monotonic()
    ref = check_implementation(ReferenceAdapter, spec=spec, settings=settings, seed=seed)
    phase_s["properties"] = round(time.monotonic() - t0, 1)
    checks.extend(
        _property_outcomes("reference model", ref, spec, ReferenceAdapter, phase_s["properties"])
    )
    progress.finish(
        "property suite on the reference model",
        "passed" if ref.passed else "failed",
        f"{ref.examples} examples, {ref.steps} events",
    )
    coverage = _coverage(spec, ref)

    if impl is not None:
        name = str(impl_name or getattr(impl, "__name__", "implementation"))
        progress.start(f"conformance of {name}")
        t0 = time.monotonic()
        res = check_implementation(impl, spec=spec, settings=settings, seed=seed)
        phase_s["conformance"] = round(time.monotonic() - t0, 1)
        checks.extend(_property_outcomes(name, res, spec, impl, phase_s["conformance"]))
        progress.finish(
            f"conformance of {name}",
            "passed" if res.passed else "failed",
            f"{res.examples} examples, {res.steps} events",
        )

    timeout = prove_timeout_s if prove_timeout_s is not None else PROOF_TIMEOUT_S[profile]
    if run_proofs:
        samples = PROOF_SAMPLES[profile]
        progress.start(
            f"proof obligations ({samples} sampled frames per step, then CrossHair, "
            f"{jobs} jobs, {timeout:g} s each)"
        )
        t0 = time.monotonic()
        proof_checks = _proof_outcomes(
            spec, jobs=jobs, timeout_s=timeout, samples=samples, seed=seed
        )
        checks.extend(proof_checks)
        phase_s["proofs"] = round(time.monotonic() - t0, 1)
        counts = {
            v: sum(1 for c in proof_checks if c.verdict == v)
            for v in ("proved", "unknown", "failed")
        }
        verdict = "failed" if counts["failed"] else "unknown" if counts["unknown"] else "proved"
        progress.finish(
            "proof obligations",
            verdict,
            f"{counts['proved']} proved, {counts['unknown']} unknown, {counts['failed']} refuted, "
            f"{phase_s['proofs']:.0f} s",
        )

    rows = build_rows(spec.requirements.values(), checks)
    path = _highlight_path(checks)
    svg, text = _diagram(spec, path or _covered_edges(coverage))
    provenance = {
        "pumpsafety": importlib.metadata.version("pumpsafety"),
        "spec_sha256": spec.digest,
        "spec_path": spec.path,
        "profile": profile,
        "seed": seed,
        "jobs": jobs,
        "proof_timeout_s": timeout,
        "impl": impl_name,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "dependencies": {d: _version(d) for d in DEPENDENCIES},
        "command": ["pumpsafety", *argv],
        "started_utc": started_utc,
        "duration_s": round(time.monotonic() - started, 1),
        "phase_s": phase_s,
    }
    return VerifyReport(spec.path, spec.digest, provenance, rows, checks, coverage, svg, text)


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - all are dependencies
        return "not installed"


def _property_outcomes(
    name: str, result: Any, spec: Spec, factory: Callable[[Spec], Any], seconds: float
) -> list[CheckOutcome]:
    """One outcome per requirement the property suite covers, so failures land on the right row."""
    outcomes = []
    failing = set(result.failing_requirements)
    cx = _counterexample(result, spec, factory) if not result.passed else None
    for rid, cov in sorted(result.requirements.items()):
        verdict = "failed" if rid in failing else "passed"
        detail = (
            f"{', '.join(cov.checks)}: exercised in {cov.examples} of {result.examples} examples "
            f"({cov.items} items), {result.steps} events in all"
        )
        outcomes.append(
            CheckOutcome(
                f"property suite ({name}) {rid}",
                "property",
                verdict,
                (rid,),
                detail,
                seconds=seconds,
                counterexample=cx if verdict == "failed" else None,
            )
        )
    for rid in sorted(failing - set(result.requirements)):
        outcomes.append(
            CheckOutcome(
                f"property suite ({name}) {rid}",
                "property",
                "failed",
                (rid,),
                "divergence from the reference model",
                seconds=seconds,
                counterexample=cx,
            )
        )
    if not result.passed and not failing:
        outcomes.append(
            CheckOutcome(
                f"property suite ({name})",
                "property",
                "failed",
                (),
                "failed without a requirement id",
                seconds=seconds,
                counterexample=cx,
            )
        )
    return outcomes


def _counterexample(result: Any, spec: Spec, factory: Callable[[Spec], Any]) -> dict[str, Any]:
    steps = []
    for s in result.counterexample:
        same = s.accepted_by_reference == s.accepted_by_implementation
        ref = "accepted" if s.accepted_by_reference else "refused"
        steps.append(
            {
                "at_s": s.at_s,
                "text": f"{s.call():<60} reference {ref}, "
                f"implementation {'accepted' if s.accepted_by_implementation else 'refused'}"
                f"{'' if same else '  <-- differs'} -> {s.implementation_state}",
                "event": s.event,
                "source": s.reference_state,
            }
        )
    windows = []
    for w in result.windows:
        shape = (
            f"[{w.start_s:_}, {w.end_s:_})" if w.closed_left else f"({w.start_s:_}, {w.end_s:_}]"
        )
        windows.append(
            {
                "text": f"{w.drug} {shape}: {w.total_ng_ceil:_} ng of {w.limit_ng:_} ng "
                f"({'within' if w.within_limit else 'OVER'})"
            }
        )
    for d in result.divergences:
        steps.append(
            {"at_s": d.at_s, "text": f"divergence ({d.kind}): {d.message}", "event": d.event}
        )
    for v in result.violations:
        steps.append(
            {"at_s": v.at_s, "text": f"violation {v.requirement_id}: {v.message}", "event": ""}
        )
    return {
        "steps": steps,
        "windows": windows,
        "snippet": result.regression_test,
        "plots": _plots(result, spec, factory),
        "path": _path(spec, result.counterexample),
    }


def _path(spec: Spec, steps: Sequence[Any]) -> list[list[str]]:
    """The reference model's transitions along a counterexample, as [source, trigger, dest]."""
    path = []
    state = spec.initial
    for s in steps:
        if s.accepted_by_reference and s.event != "advance":
            path.append([state, s.event, s.reference_state])
        state = s.reference_state
    return path


def _plots(result: Any, spec: Spec, factory: Callable[[Spec], Any]) -> list[dict[str, Any]]:
    """The implementation's 24 h window total over the counterexample, per drug, with the limit."""
    from pumpsafety.records import Delivery

    impl = factory(spec)
    for s in result.counterexample:
        try:
            if s.event == "advance":
                impl.advance(s.args["dt_s"])
            else:
                impl.fire(s.event, **s.args)
        except Exception:
            continue
    deliveries: dict[str, list[dict[str, int]]] = {}
    for e in impl.log:
        if isinstance(e, Delivery):
            deliveries.setdefault(e.drug, []).append(
                {"start_s": e.start_s, "end_s": e.end_s, "mass_fg_s_per_day": e.mass_fg_s_per_day}
            )
    limits = {w.drug: w.limit_ng for w in result.windows}
    plots = []
    for drug, ds in sorted(deliveries.items()):
        limit_ng = limits.get(
            drug, spec.drugs[drug].max_daily_dose_ng.value if drug in spec.drugs else 0
        )
        unit = 10**6 * 86_400
        points = [(t, v // unit) for t, v in trailing_window_points(ds)]
        plots.append(
            {
                "title": f"{drug}: mass in the trailing 24 h (ng) against the limit",
                "points": points,
                "limit": limit_ng,
            }
        )
    return plots


def _proof_outcomes(
    spec: Spec, *, jobs: int, timeout_s: float, samples: int, seed: int
) -> list[CheckOutcome]:
    from pumpsafety.checks.prove import prove

    report = prove(spec, jobs=jobs, timeout_s=timeout_s, samples=samples, seed=seed)
    outcomes = []
    for r in report.results:
        verdict = {"proved": "proved", "refuted": "failed"}.get(r.verdict, "unknown")
        evidence = r.message
        if r.kind == "step" and r.verdict != "refuted":
            evidence += (
                f"; {r.samples} sampled frames ({r.taken} taking the step), no counterexample"
            )
            if r.cases:
                evidence += "; by case: " + "; ".join(
                    f"{label} {verdict} ({seconds:.1f} s)" for label, verdict, seconds in r.cases
                )
            if r.witness is not None:
                evidence += (
                    "; a frame that takes the step exists"
                    if r.witness
                    else "; no frame found that takes the step (may cover refusals only)"
                )
        outcomes.append(
            CheckOutcome(
                f"proof {r.name}", "proof", verdict, tuple(r.requirements), evidence, r.seconds
            )
        )
    return outcomes


def _coverage(spec: Spec, result: Any) -> dict[str, Any]:
    states = dict.fromkeys(spec.states, 0)
    states.update(result.coverage_states)
    transitions: dict[str, int] = {}
    for t, src, dest, _ in spec.expanded():
        transitions.setdefault(f"{src} --{t.trigger}--> {dest}", 0)
    for (src, trig, dest), n in result.coverage_transitions.items():
        key = f"{src} --{trig}--> {dest}"
        transitions[key] = transitions.get(key, 0) + n
    return {
        "states": states,
        "transitions": transitions,
        "examples": result.examples,
        "events": result.steps,
    }


def _covered_edges(coverage: dict[str, Any]) -> list[tuple[str, str, str]]:
    edges = []
    for key, n in coverage.get("transitions", {}).items():
        if n:
            src, rest = key.split(" --", 1)
            trig, dest = rest.split("--> ", 1)
            edges.append((src, trig, dest))
    return edges


def _highlight_path(checks: Sequence[CheckOutcome]) -> list[tuple[str, str, str]]:
    for c in checks:
        if c.counterexample and c.counterexample.get("path"):
            return [(a, b, d) for a, b, d in c.counterexample["path"]]
    return []


def _diagram(spec: Spec, highlight: list[tuple[str, str, str]]) -> tuple[str | None, str | None]:
    from pumpsafety import diagram

    try:
        svg = diagram.render(spec, "svg", highlight=highlight)
    except (diagram.GraphvizError, ValueError):
        return None, diagram.to_mermaid(spec)
    return (svg.decode() if isinstance(svg, bytes) else svg), None


def run_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    spec = load_spec(args.spec)
    factory = load_factory(args.impl) if args.impl else None
    if args.jobs < 1:
        raise SpecError([f"--jobs {args.jobs}: must be at least 1"])
    report = verify(
        spec,
        impl=factory,
        impl_name=args.impl,
        profile=args.profile,
        seed=args.seed,
        jobs=args.jobs,
        prove_timeout_s=args.prove_timeout,
        run_proofs=not args.skip_proofs,
        out=out,
        argv=sys.argv[1:],
    )
    files = write_report(report, Path(args.report))
    counts = {
        v: sum(1 for r in report.requirements if r.verdict == v)
        for v in ("proved", "sampled", "failed", "uncovered")
    }
    print(
        f"requirements: {counts['proved']} proved, {counts['sampled']} sampled, "
        f"{counts['failed']} failed, {counts['uncovered']} uncovered",
        file=out,
    )
    print(f"report: {', '.join(str(f) for f in files)}", file=out)
    print(f"result: {report.to_json()['result']} (exit {report.exit_code})", file=out)
    return report.exit_code
