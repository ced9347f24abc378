"""Wall time of ``pumpsafety verify`` per profile on this machine: one run each.

Usage: ``python benchmarks/bench_verify.py [--profiles dev ci] [--skip-proofs] [--keep DIR]``.
Prints the wall time, the exit code and the requirement verdict counts of each run; with
``--keep`` the reports stay in DIR/<profile>.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profiles", nargs="+", default=["dev", "ci"])
    parser.add_argument("--skip-proofs", action="store_true")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", default=None, help="keep each report in KEEP/<profile>")
    args = parser.parse_args()
    for profile in args.profiles:
        with tempfile.TemporaryDirectory() as scratch:
            where = scratch if args.keep is None else str(Path(args.keep) / profile)
            cmd = [
                sys.executable,
                "-m",
                "pumpsafety",
                "verify",
                "--profile",
                profile,
                "--jobs",
                str(args.jobs),
                "--report",
                where,
            ]
            if args.skip_proofs:
                cmd.append("--skip-proofs")
            t0 = time.perf_counter()
            rc = subprocess.run(cmd, capture_output=True, text=True, check=False).returncode
            wall = time.perf_counter() - t0
            report = json.loads((Path(where) / "report.json").read_text())
            verdicts: dict[str, int] = {}
            for row in report["requirements"]:
                verdicts[row["verdict"]] = verdicts.get(row["verdict"], 0) + 1
            proofs = [c for c in report["checks"] if c["kind"] == "proof"]
            print(
                f"verify --profile {profile:<8} {wall:8.1f} s  exit {rc}  requirements {verdicts}  "
                f"proof obligations {len(proofs)} "
                f"({sum(c['verdict'] == 'proved' for c in proofs)} proved)",
                flush=True,
            )


if __name__ == "__main__":
    main()
