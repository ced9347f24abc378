"""The prover: every obligation of a spec under CrossHair, in parallel, one verdict each.

Verdicts are kept strictly apart: ``proved`` (CrossHair confirmed the contract over all
paths), ``unknown`` (no counterexample within the budget, which is not a proof) and
``refuted`` (a concrete counterexample).

Before CrossHair sees a step obligation, Hypothesis draws concrete frames for it (see
``proof_sampling``): a counterexample found that way refutes the obligation on every run
with the same seed, where a time-limited solver may find it on one run and miss it on the
next. Sampling never proves anything; an obligation only becomes ``proved`` through
CrossHair.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import tempfile
import time
from collections.abc import Collection
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from pumpsafety.checks.contracts import CONTRACTS
from pumpsafety.checks.obligations import (
    WITNESS_PREFIX,
    Obligation,
    case_name,
    generate,
    load_module,
)
from pumpsafety.spec import Spec, load_spec

__all__ = ["ObligationResult", "ProofReport", "prove", "run_prove"]

VERDICTS = ("proved", "unknown", "refuted")
# the solver's budget for finding a frame that takes a proved step (usually a few seconds)
WITNESS_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class ObligationResult:
    """The verdict on one obligation."""

    name: str
    kind: str  # contract | step
    state: str | None
    trigger: str | None
    requirements: tuple[str, ...]
    statement: str
    verdict: str  # proved | unknown | refuted
    message: str
    seconds: float
    samples: int = 0  # concrete frames stepped before the symbolic analysis
    taken: int = 0  # of those, the frames from which the step was taken, not refused
    # a proved step: whether some frame takes it (sampled, or found by the solver); None
    # when not searched (contracts, steps not proved)
    witness: bool | None = None
    # a split obligation (see Obligation.split): each case's label, verdict and seconds
    cases: tuple[tuple[str, str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class ProofReport:
    """Every obligation's verdict for one spec."""

    spec_path: str
    spec_digest: str
    timeout_s: float
    jobs: int
    wall_s: float
    results: tuple[ObligationResult, ...]
    samples: int = 0
    seed: int = 0

    def count(self, verdict: str) -> int:
        return sum(1 for r in self.results if r.verdict == verdict)

    @property
    def exit_code(self) -> int:
        """0 all proved, 1 something refuted, 3 something unknown (and nothing refuted)."""
        if self.count("refuted"):
            return 1
        return 3 if self.count("unknown") else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "spec": {"path": self.spec_path, "digest": self.spec_digest},
            "timeout_s": self.timeout_s,
            "samples_per_step": self.samples,
            "seed": self.seed,
            "jobs": self.jobs,
            "wall_s": round(self.wall_s, 3),
            "summary": {v: self.count(v) for v in VERDICTS},
            "obligations": [
                {**asdict(r), "requirements": list(r.requirements), "seconds": round(r.seconds, 3)}
                for r in self.results
            ],
        }


def _check_one(
    spec_path: str,
    name: str,
    target: str,
    timeout_s: float,
    directory: str,
    samples: int,
    seed: int,
    search_witness: bool,
) -> tuple[str, str, float, int, int, bool | None]:
    """Worker: sample obligation *name*, then analyse its function *target* (the obligation
    itself, or one case of it) in this process (the spec is cached).

    With *search_witness*, for a proved step no sampled frame of which took the step, also
    search for a frame that takes it (see ``_witness``): None when not searched.
    """
    from pumpsafety.checks.proof_crosshair import analyse

    stepped = taken = 0
    spent = 0.0
    if name.startswith("contract__"):
        fn = CONTRACTS[name.removeprefix("contract__")].function
    else:
        spec = load_spec(spec_path)
        obligations = generate(spec)
        if samples > 0:
            from pumpsafety.checks.proof_sampling import sample_step

            t0 = time.perf_counter()
            ob = next(o for o in obligations if o.name == name)
            sample = sample_step(spec, ob, max_examples=samples, seed=seed)
            spent = time.perf_counter() - t0
            stepped, taken = sample.examples, sample.taken
            if sample.verdict == "refuted":
                message = f"sampled counterexample: {sample.message}"
                return "refuted", message, spent, stepped, taken, True
        module = load_module(spec, obligations, Path(directory))
        fn = getattr(module, target)
    v = analyse(fn, timeout_s)
    spent += v.seconds
    witness: bool | None = None
    if search_witness and v.verdict == "proved" and name.startswith("step__"):
        witness = taken > 0
        if not witness:
            witness, seconds = _witness(spec_path, name, timeout_s, directory)
            spent += seconds
    return v.verdict, v.message, spent, stepped, taken, witness


def _witness(spec_path: str, name: str, timeout_s: float, directory: str) -> tuple[bool, float]:
    """Worker: whether CrossHair finds a frame from which step *name* is taken (a
    counterexample to its witness search, which says the step is always refused)."""
    from pumpsafety.checks.proof_crosshair import analyse

    spec = load_spec(spec_path)
    module = load_module(spec, generate(spec), Path(directory))
    w = analyse(getattr(module, WITNESS_PREFIX + name), min(timeout_s, WITNESS_TIMEOUT_S))
    return w.verdict == "refuted", w.seconds


def _combine(
    ob: Obligation, outcomes: list[tuple[str, str, float, int, int, bool | None]]
) -> ObligationResult:
    """One verdict for an obligation from its cases' (one outcome when unsplit): refuted if
    any case is, proved if every case is, else unknown."""
    labels = [", ".join(f"{k}={v}" for k, v in case) for case in ob.cases]
    verdicts = [o[0] for o in outcomes]
    verdict = next((v for v in ("refuted", "unknown") if v in verdicts), "proved")
    message = outcomes[0][1]
    if ob.split and verdict != "proved":
        message = "; ".join(
            f"case {label}: {o[1]}"
            for label, o in zip(labels, outcomes, strict=True)
            if o[0] == verdict
        )
    # a split obligation is sampled with its first case; its witness search, if no sampled
    # frame took the step, runs once the whole obligation is proved (see prove)
    witness = (outcomes[0][4] > 0 or None) if ob.split else outcomes[0][5]
    if verdict != "proved":
        witness = None
    return ObligationResult(
        ob.name,
        ob.kind,
        ob.state,
        ob.trigger,
        ob.requirements,
        ob.statement,
        verdict,
        message,
        sum(o[2] for o in outcomes),
        outcomes[0][3],
        outcomes[0][4],
        witness,
        tuple((label, o[0], round(o[2], 3)) for label, o in zip(labels, outcomes, strict=True))
        if ob.split
        else (),
    )


def prove(
    spec: Spec,
    *,
    jobs: int = 2,
    timeout_s: float = 60.0,
    only: str | None = None,
    names: Collection[str] | None = None,
    samples: int = 50,
    seed: int = 0,
) -> ProofReport:
    """Run every obligation of *spec* (those whose name contains *only*, and those named in
    *names*, if given).

    Obligations run in *jobs* worker processes, each within *timeout_s* seconds of CPU time
    per condition; each case of a split obligation is a condition of its own, with its own
    budget. Each step obligation is first sampled with up to *samples* concrete frames
    drawn with *seed* (0 samples skips this).
    """
    obligations: tuple[Obligation, ...] = tuple(
        ob
        for ob in generate(spec)
        if (only is None or only in ob.name) and (names is None or ob.name in names)
    )
    start = time.perf_counter()
    results: list[ObligationResult] = []
    if not obligations:
        return ProofReport(spec.path, spec.digest, timeout_s, jobs, 0.0, (), samples, seed)
    with tempfile.TemporaryDirectory(prefix="pumpsafety-proofs-") as directory:
        # write the module once here, so the workers only import it
        load_module(spec, generate(spec), Path(directory))
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=context) as pool:
            futures = [
                [
                    pool.submit(
                        _check_one,
                        spec.path,
                        ob.name,
                        case_name(ob.name, case),
                        timeout_s,
                        directory,
                        samples if k == 0 else 0,  # the obligation is sampled once
                        seed,
                        not ob.split,
                    )
                    for k, case in enumerate(ob.cases)
                ]
                for ob in obligations
            ]
            for ob, futs in zip(obligations, futures, strict=True):
                result = _combine(ob, [f.result() for f in futs])
                if ob.split and result.verdict == "proved" and not result.taken:
                    found, seconds = pool.submit(
                        _witness, spec.path, ob.name, timeout_s, directory
                    ).result()
                    result = replace(result, witness=found, seconds=result.seconds + seconds)
                results.append(result)
    return ProofReport(
        spec.path,
        spec.digest,
        timeout_s,
        jobs,
        time.perf_counter() - start,
        tuple(results),
        samples,
        seed,
    )


def run_prove(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``pumpsafety prove``: one line per obligation; exit 0 proved, 1 refuted, 3 unknown."""
    if args.jobs < 1 or args.timeout <= 0 or args.samples < 0:
        print("pumpsafety prove: --jobs must be >= 1, --timeout > 0 and --samples >= 0", file=err)
        return 2
    spec = load_spec(args.spec)
    report = prove(
        spec,
        jobs=args.jobs,
        timeout_s=args.timeout,
        only=args.only,
        samples=args.samples,
        seed=args.seed,
    )
    if not report.results:
        print(f"pumpsafety prove: no obligation matches --only {args.only!r}", file=err)
        return 2
    width = max(len(r.name) for r in report.results)
    for r in report.results:
        line = f"{r.verdict:8} {r.name:{width}} {r.seconds:7.1f}s {r.samples:5} sampled"
        line += f" {r.taken:5} taken"
        if r.witness is False:
            line += "  (no frame found that takes the step: the proof may cover refusals only)"
        if r.verdict != "proved":
            line += f"  {r.message}"
        print(line, file=out)
        for label, verdict, seconds in r.cases:
            print(f"         case {label}: {verdict} {seconds:.1f}s", file=out)
    summary = ", ".join(f"{report.count(v)} {v}" for v in VERDICTS)
    print(
        f"{len(report.results)} obligations: {summary} "
        f"(wall {report.wall_s:.1f}s, jobs {report.jobs}, timeout {report.timeout_s:g}s, "
        f"up to {report.samples} sampled frames per step, seed {report.seed})",
        file=out,
    )
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    return report.exit_code
