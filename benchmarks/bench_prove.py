"""Number of proof obligations and the wall time of ``pumpsafety prove`` on this machine.

Usage: python benchmarks/bench_prove.py [--jobs 2] [--timeout 60] [--samples 50] [--only TEXT]
       [--json FILE]
Prints the obligation count, the verdicts, the wall time, the median and maximum time per
obligation, and for the proved steps whether some frame takes the step.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path

from pumpsafety.checks.prove import prove
from pumpsafety.spec import load_spec


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--only", default=None)
    parser.add_argument("--json", default=None, help="also write the report as JSON")
    args = parser.parse_args()
    report = prove(
        load_spec(), jobs=args.jobs, timeout_s=args.timeout, only=args.only, samples=args.samples
    )
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    seconds = [r.seconds for r in report.results]
    print(
        f"cpus available: {os.cpu_count()}, jobs: {args.jobs}, timeout: {args.timeout:g} s, "
        f"samples per step: {args.samples}"
    )
    print(f"obligations: {len(report.results)}")
    print(
        "verdicts: " + ", ".join(f"{report.count(v)} {v}" for v in ("proved", "unknown", "refuted"))
    )
    print(f"wall time: {report.wall_s:.1f} s")
    if seconds:
        print(
            f"per obligation: median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s"
        )
    for kind in ("contract", "step"):
        ks = [r.seconds for r in report.results if r.kind == kind]
        if ks:
            print(f"  {kind}: {len(ks)}, median {statistics.median(ks):.2f} s, max {max(ks):.2f} s")
    proved_steps = [r.name for r in report.results if r.kind == "step" and r.verdict == "proved"]
    print(f"proved steps ({len(proved_steps)}): {', '.join(proved_steps) or '-'}")
    unproved = [r.name for r in report.results if r.kind == "step" and r.verdict != "proved"]
    print(f"steps not proved ({len(unproved)}): {', '.join(unproved) or '-'}")
    found = [r for r in report.results if r.witness is not None]
    print(
        f"proved steps taken from some frame: {sum(bool(r.witness) for r in found)} of "
        f"{len(found)} ({sum(r.taken > 0 for r in found)} by a sampled frame, the rest by a "
        "frame CrossHair found)"
    )
    for r in found:
        if not r.witness:
            print(f"  no frame found that takes {r.name}")
    frames = [r.samples for r in report.results if r.kind == "step"]
    if frames:
        print(f"sampled frames: {sum(frames)} in all, fewest for one step {min(frames)}")
    for r in report.results:
        if r.verdict == "refuted":
            print(f"refuted {r.name}: {r.message}")


if __name__ == "__main__":
    main()
