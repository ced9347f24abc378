"""Command line: ``pumpsafety verify | prove | diagram | check-spec | timeline``.

Exit codes: 0 everything holds, 1 a safety property failed, 2 bad input, 3 undecided.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from pumpsafety.errors import PumpSafetyError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pumpsafety",
        description="Safety model of an implantable intrathecal drug pump: verify, prove, draw.",
    )
    parser.add_argument("--verbose", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    v = sub.add_parser("verify", help="run every check and write the safety evidence report")
    v.add_argument("--spec", metavar="DIR", help="spec directory (default: the shipped spec)")
    v.add_argument(
        "--impl", metavar="MODULE:FACTORY", help="adapter factory of an implementation to check"
    )
    v.add_argument("--profile", choices=("dev", "ci", "thorough"), default="dev")
    v.add_argument("--seed", type=int, default=0, help="seed of the property runs")
    v.add_argument("--jobs", type=int, default=2, help="parallel processes for the proofs")
    v.add_argument("--report", metavar="DIR", default="report", help="where the report goes")
    v.add_argument(
        "--prove-timeout",
        type=float,
        default=None,
        metavar="S",
        help="time budget per proof obligation (default: per profile)",
    )
    v.add_argument(
        "--skip-proofs",
        action="store_true",
        help="leave out the CrossHair obligations (quick runs: nothing can be proved)",
    )

    p = sub.add_parser("prove", help="run the CrossHair proof obligations")
    p.add_argument("--spec", metavar="DIR")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--timeout", type=float, default=60.0, metavar="S", help="budget per obligation")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--only", metavar="TEXT", help="run the obligations whose name contains TEXT")
    p.add_argument(
        "--samples",
        type=int,
        default=50,
        metavar="N",
        help="concrete frames drawn per step obligation before CrossHair (0: none)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the sampled frames")

    d = sub.add_parser("diagram", help="draw the lifecycle from the spec")
    d.add_argument("--spec", metavar="DIR")
    d.add_argument("--format", choices=("mermaid", "dot", "svg", "png"), default="mermaid")
    d.add_argument("--output", metavar="FILE", help="write here instead of standard output")
    d.add_argument("--phase", metavar="NAME", help="draw one phase only")
    d.add_argument(
        "--highlight",
        metavar="FILE",
        help="JSON list of [source, trigger, dest] steps to highlight (a trace)",
    )

    c = sub.add_parser("check-spec", help="validate a spec directory and summarise it")
    c.add_argument("--spec", metavar="DIR")

    t = sub.add_parser("timeline", help="therapy timeline: alarms, refill due, ERI, end of service")
    t.add_argument("--spec", metavar="DIR")
    t.add_argument("--device", required=True)
    t.add_argument("--drug", required=True)
    t.add_argument("--concentration", required=True, help="e.g. '2 mg/ml' or 2000000 (ng/ml)")
    t.add_argument("--dose", required=True, help="daily dose, e.g. '500 mcg' or 500000 (ng)")
    t.add_argument("--volume", required=True, help="fill volume, e.g. '40 ml' or 40000000 (nl)")
    return parser


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 0 if exc.code == 0 else 2
    try:
        if args.command == "verify":
            from pumpsafety.verify import run_verify

            return run_verify(args, out, err)
        if args.command == "prove":
            from pumpsafety.checks.prove import run_prove

            return run_prove(args, out, err)
        if args.command == "diagram":
            from pumpsafety.diagram import run_diagram

            return run_diagram(args, out, err)
        if args.command == "timeline":
            from pumpsafety.timeline import run_timeline

            return run_timeline(args, out, err)
        return _check_spec(args, out)
    except PumpSafetyError as exc:
        if args.verbose:
            raise
        first = str(exc).splitlines()
        print(
            f"pumpsafety: error: {type(exc).__name__}: {' '.join(x.strip() for x in first)}",
            file=err,
        )
        return 2


def _check_spec(args: argparse.Namespace, out: TextIO) -> int:
    from pumpsafety.spec import load_spec

    spec = load_spec(args.spec)
    unverified = sum(
        1
        for drug in spec.drugs.values()
        for v in (drug.max_daily_dose_ng, drug.max_concentration_ng_per_ml)
        if v.unverified
    )
    print(f"spec {spec.path}: valid (sha256 {spec.digest[:12]})", file=out)
    print(
        f"  {len(spec.states)} states, {len(spec.transitions)} transitions, "
        f"{len(spec.triggers)} events",
        file=out,
    )
    print(
        f"  {len(spec.drugs)} drugs, {len(spec.devices)} devices, "
        f"{len(spec.requirements)} safety requirements",
        file=out,
    )
    print(f"  {unverified} hard drug limits are unverified [U] configurable defaults", file=out)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
