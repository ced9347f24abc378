"""Property-check throughput and time to catch each broken pump, from one run on this machine.

Run from the repository root:
``python benchmarks/bench_properties.py [--seeds 5] [--examples 300]``.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from pathlib import Path

from hypothesis import settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pumpsafety import load_spec
from pumpsafety.checks.harness import ReferenceAdapter, check_implementation
from tests.broken import BROKEN


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    spec = load_spec()
    base = settings(max_examples=args.examples, stateful_step_count=args.steps)

    t0 = time.perf_counter()
    ref = check_implementation(ReferenceAdapter, spec=spec, settings=base, seed=0)
    dt = time.perf_counter() - t0
    print(
        f"reference model vs itself: {ref.examples} examples, {ref.steps} events in {dt:.1f} s "
        f"= {ref.steps / dt:,.0f} events checked/s (passed={ref.passed})"
    )
    print(
        f"{'broken implementation':<28} {'caught':>6} {'median s':>9} {'median ex':>10} "
        f"{'max actions':>12} {'max events':>11} {'with shrink s':>14}"
    )
    for name in BROKEN:
        broken = importlib.import_module(f"tests.broken.{name}")
        times: list[float] = []
        totals: list[float] = []
        examples: list[int] = []
        actions: list[int] = []
        events: list[int] = []
        caught = 0
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            found = check_implementation(broken.make, spec=spec, settings=base, seed=seed)
            totals.append(time.perf_counter() - t0)
            if not found.passed:
                caught += 1
                times.append(found.seconds_to_first_failure or 0.0)
                examples.append(found.examples_to_first_failure or 0)
                actions.append(found.actions)
                events.append(len(found.counterexample))
        med_ex = f"{statistics.median(examples):.0f}" if examples else "-"
        med_s = f"{statistics.median(times):.2f}" if times else "-"
        print(
            f"{name:<28} {caught:>3}/{args.seeds:<2} {med_s:>9} {med_ex:>10} "
            f"{max(actions, default=0):>12} {max(events, default=0):>11} "
            f"{statistics.median(totals):>14.1f}"
        )
    print(
        "median s and median ex: wall time and examples up to the first failing example; "
        "'with shrink s': the whole call, shrinking included; actions and events: the shrunk "
        "counterexample (a setup action offers 11 events)"
    )


if __name__ == "__main__":
    main()
