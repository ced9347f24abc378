"""Number of proof obligations and the wall time of ``pumpsafety prove`` on this machine.

Usage: python benchmarks/bench_prove.py [--jobs 2] [--timeout 60] [--only TEXT]
Prints the obligation count, the verdicts, the wall time, and the median and maximum
time per obligation.
"""

from __future__ import annotations

import argparse
import os
import statistics

from pumpsafety.checks.prove import prove
from pumpsafety.spec import load_spec


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--only", default=None)
    args = parser.parse_args()
    report = prove(load_spec(), jobs=args.jobs, timeout_s=args.timeout, only=args.only)
    seconds = [r.seconds for r in report.results]
    print(f"cpus available: {os.cpu_count()}, jobs: {args.jobs}, timeout: {args.timeout:g} s")
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


if __name__ == "__main__":
    main()
