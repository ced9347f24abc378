"""The safety evidence report: traceability matrix, coverage, counterexamples, provenance.

Writes ``report.json``, ``report.md``, a self-contained ``report.html`` and ``junit.xml``.
Everything here is plain data and text; the checks that produce it live elsewhere.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

__all__ = [
    "CheckOutcome",
    "Evidence",
    "RequirementRow",
    "VerifyReport",
    "trailing_window_points",
    "write_report",
]

VERDICTS = ("proved", "sampled", "failed", "uncovered")


@dataclass(frozen=True, slots=True)
class Evidence:
    """One check's contribution to one requirement."""

    check: str
    kind: str  # "proof" | "property" | "conformance" | "spec"
    verdict: str  # "proved" | "passed" | "failed" | "unknown"
    detail: str


@dataclass(frozen=True, slots=True)
class RequirementRow:
    id: str
    title: str
    hazard: str
    source: str
    confidence: str
    verdict: str
    evidence: tuple[Evidence, ...]


@dataclass
class CheckOutcome:
    """A check run by verify: its verdict, the requirements it covers, and what it found."""

    name: str
    kind: str
    verdict: str  # "proved" | "passed" | "failed" | "unknown"
    requirements: tuple[str, ...]
    detail: str
    seconds: float = 0.0
    counterexample: dict[str, Any] | None = None


@dataclass
class VerifyReport:
    spec_path: str
    spec_digest: str
    provenance: dict[str, Any]
    requirements: list[RequirementRow]
    checks: list[CheckOutcome]
    coverage: dict[str, Any] = field(default_factory=dict)
    diagram_svg: str | None = None
    diagram_text: str | None = None

    @property
    def exit_code(self) -> int:
        """0 all requirements hold; 1 any failed; 3 anything undecided or uncovered."""
        verdicts = {r.verdict for r in self.requirements}
        if "failed" in verdicts or any(c.verdict == "failed" for c in self.checks):
            return 1
        if "uncovered" in verdicts or any(c.verdict == "unknown" for c in self.checks):
            return 3
        return 0

    def to_json(self) -> dict[str, Any]:
        return {
            "result": {0: "pass", 1: "fail", 3: "undecided"}[self.exit_code],
            "exit_code": self.exit_code,
            "spec": {"path": self.spec_path, "sha256": self.spec_digest},
            "provenance": self.provenance,
            "requirements": [
                {
                    "id": r.id,
                    "title": r.title,
                    "hazard": r.hazard,
                    "source": r.source,
                    "confidence": r.confidence,
                    "verdict": r.verdict,
                    "evidence": [asdict(e) for e in r.evidence],
                }
                for r in self.requirements
            ],
            "checks": [asdict(c) for c in self.checks],
            "coverage": self.coverage,
        }


def requirement_verdict(evidence: Sequence[Evidence]) -> str:
    """proved > sampled; any failure wins; no evidence at all is uncovered."""
    if not evidence:
        return "uncovered"
    if any(e.verdict == "failed" for e in evidence):
        return "failed"
    proofs = [e for e in evidence if e.kind == "proof"]
    if proofs and all(e.verdict == "proved" for e in proofs):
        return "proved"
    if any(e.verdict == "passed" for e in evidence):
        return "sampled"
    return "uncovered"


def build_rows(requirements: Iterable[Any], checks: Sequence[CheckOutcome]) -> list[RequirementRow]:
    rows = []
    for req in requirements:
        ev = tuple(
            Evidence(c.name, c.kind, c.verdict, c.detail)
            for c in checks
            if req.id in c.requirements
        )
        rows.append(
            RequirementRow(
                req.id,
                req.title,
                req.hazard,
                req.source,
                req.confidence,
                requirement_verdict(ev),
                ev,
            )
        )
    return rows


# --- counterexample timeline ----------------------------------------------------------------


def trailing_window_points(
    deliveries: Sequence[dict[str, Any]], *, day_s: int = 86_400
) -> list[tuple[int, int]]:
    """(t, mass in fg·s/day delivered in (t - 24 h, t]) at every breakpoint, exact.

    Each delivery is {"start_s", "end_s", "mass_fg_s_per_day"}; basal mass is spread
    evenly over [start_s, end_s]. Between breakpoints the total is linear.
    """
    marks: set[int] = set()
    for d in deliveries:
        for t in (d["start_s"], d["end_s"]):
            marks.update((t, t + day_s))
    out = []
    for t in sorted(marks):
        lo = t - day_s
        total = 0
        for d in deliveries:
            s, e, m = d["start_s"], d["end_s"], d["mass_fg_s_per_day"]
            if s == e:
                total += m if lo < s <= t else 0
            else:
                overlap = min(e, t) - max(s, lo)
                if overlap > 0:
                    total += m * overlap // (e - s)
        out.append((t, total))
    return out


def _svg_plot(points: list[tuple[int, int]], limit: int, title: str) -> str:
    """A small inline SVG line chart in integer pixel coordinates."""
    w, h, pad = 720, 240, 40
    if not points:
        return ""
    t0, t1 = points[0][0], max(points[-1][0], points[0][0] + 1)
    top = max(limit, max(v for _, v in points), 1)

    def x(t: int) -> int:
        return pad + (t - t0) * (w - 2 * pad) // (t1 - t0)

    def y(v: int) -> int:
        return h - pad - v * (h - 2 * pad) // top

    path = " ".join(f"{x(t)},{y(v)}" for t, v in points)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" '
        f'aria-label="{html.escape(title)}">'
        f'<rect x="0" y="0" width="{w}" height="{h}" fill="#fff" stroke="#ccc"/>'
        f'<line x1="{pad}" y1="{y(limit)}" x2="{w - pad}" y2="{y(limit)}" stroke="#c00" '
        f'stroke-dasharray="6 4"/>'
        f'<text x="{w - pad}" y="{y(limit) - 4}" text-anchor="end" font-size="12" fill="#c00">'
        f"24 h limit</text>"
        f'<polyline fill="none" stroke="#036" stroke-width="2" points="{path}"/>'
        f'<text x="{pad}" y="20" font-size="13">{html.escape(title)}</text>'
        f'<text x="{pad}" y="{h - 10}" font-size="11">t = {t0:_} s</text>'
        f'<text x="{w - pad}" y="{h - 10}" font-size="11" text-anchor="end">t = {t1:_} s</text>'
        "</svg>"
    )


# --- writers ----------------------------------------------------------------


def write_report(report: VerifyReport, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "report.json": json.dumps(report.to_json(), indent=2, sort_keys=True, default=str) + "\n",
        "report.md": _markdown(report),
        "report.html": _html(report),
        "junit.xml": _junit(report),
    }
    written = []
    for name, text in files.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _distinct_counterexamples(checks: Sequence[CheckOutcome]) -> list[CheckOutcome]:
    """Checks with a counterexample, each counterexample once (it may fail several rows)."""
    seen: set[int] = set()
    out = []
    for c in checks:
        if c.counterexample is not None and id(c.counterexample) not in seen:
            seen.add(id(c.counterexample))
            out.append(c)
    return out


def _counterexample_lines(cx: dict[str, Any]) -> list[str]:
    lines = []
    for step in cx.get("steps", []):
        lines.append(f"t={step.get('at_s', 0):>12_} s  {step.get('text', '')}")
    for w in cx.get("windows", []):
        lines.append(f"24 h window {w.get('text', '')}")
    return lines


def _markdown(r: VerifyReport) -> str:
    counts = {v: sum(1 for row in r.requirements if row.verdict == v) for v in VERDICTS}
    out = [
        "# pumpsafety verification report",
        "",
        f"Result: **{r.to_json()['result']}** (exit code {r.exit_code}).",
        f"Spec: `{r.spec_path}` (sha256 `{r.spec_digest}`).",
        "",
        "| verdict | requirements |",
        "| --- | --- |",
        *(f"| {v} | {counts[v]} |" for v in VERDICTS),
        "",
        "## Traceability matrix",
        "",
        "| id | title | hazard | verdict | evidence |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in r.requirements:
        ev = (
            "; ".join(f"{e.check} ({e.verdict})" for e in row.evidence)
            or "none: no check covers it"
        )
        out.append(f"| {row.id} | {row.title} | {row.hazard} | **{row.verdict}** | {ev} |")
    out += [
        "",
        "## Checks",
        "",
        "| check | kind | verdict | seconds | detail |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in r.checks:
        out.append(f"| {c.name} | {c.kind} | {c.verdict} | {c.seconds:.1f} | {c.detail} |")
    for c in _distinct_counterexamples(r.checks):
        if c.counterexample:
            out += [
                "",
                f"## Counterexample: {c.name}",
                "",
                "```text",
                *_counterexample_lines(c.counterexample),
                "```",
            ]
            snippet = c.counterexample.get("snippet")
            if snippet:
                out += ["", "Regression test:", "", "```python", snippet.rstrip(), "```"]
    cov = r.coverage
    if cov:
        out += ["", "## Coverage of the model by the property suite", ""]
        states = cov.get("states", {})
        out.append(f"States visited: {sum(1 for v in states.values() if v)} of {len(states)}.")
        trans = cov.get("transitions", {})
        out.append(f"Transitions taken: {sum(1 for v in trans.values() if v)} of {len(trans)}.")
        out += ["", "| state | visits |", "| --- | --- |"]
        out += [f"| {k} | {v} |" for k, v in sorted(states.items())]
        out += ["", "| transition | times |", "| --- | --- |"]
        out += [f"| {k} | {v} |" for k, v in sorted(trans.items())]
    out += [
        "",
        "## Provenance",
        "",
        "```json",
        json.dumps(r.provenance, indent=2, sort_keys=True, default=str),
        "```",
        "",
    ]
    return "\n".join(out)


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#111}
table{border-collapse:collapse;width:100%;margin:1rem 0}td,th{border:1px solid #ccc;padding:4px 6px;
vertical-align:top;text-align:left}th{background:#f3f3f3}.proved{background:#d7f5dd}
.sampled{background:#eef6d0}.failed{background:#f9d0d0}.uncovered{background:#ffe9b3}
.unknown{background:#ffe9b3}.passed{background:#eef6d0}pre{background:#f7f7f7;padding:8px;overflow:auto}
.badge{display:inline-block;padding:2px 8px;border-radius:4px;font-weight:bold}
"""


_BADGE = {"pass": "proved", "fail": "failed", "undecided": "unknown"}


def _html(r: VerifyReport) -> str:
    e = html.escape
    result = r.to_json()["result"]
    rows = "".join(
        f"<tr><td>{e(row.id)}</td><td>{e(row.title)}</td><td>{e(row.hazard)}</td>"
        f'<td class="{row.verdict}">{row.verdict}</td><td>'
        + (
            "<br>".join(f"{e(x.check)} ({e(x.verdict)})" for x in row.evidence)
            or "no check covers it"
        )
        + "</td></tr>"
        for row in r.requirements
    )
    checks = "".join(
        f'<tr><td>{e(c.name)}</td><td>{e(c.kind)}</td><td class="{c.verdict}">{c.verdict}</td>'
        f"<td>{c.seconds:.1f}</td><td>{e(c.detail)}</td></tr>"
        for c in r.checks
    )
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>pumpsafety verification report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>pumpsafety verification report</h1>",
        f'<p>Result: <span class="badge {_BADGE[result]}">{e(result)}</span> '
        f"(exit code {r.exit_code}). Spec <code>{e(r.spec_path)}</code>, "
        f"sha256 <code>{e(r.spec_digest)}</code>.</p>",
        "<h2>Traceability matrix</h2><table><tr><th>id</th><th>title</th><th>hazard</th>"
        f"<th>verdict</th><th>evidence</th></tr>{rows}</table>",
        "<h2>Checks</h2><table><tr><th>check</th><th>kind</th><th>verdict</th><th>s</th>"
        f"<th>detail</th></tr>{checks}</table>",
    ]
    for c in _distinct_counterexamples(r.checks):
        cx = c.counterexample
        if not cx:
            continue
        parts.append(f"<h2>Counterexample: {e(c.name)}</h2>")
        parts.append("<pre>" + e("\n".join(_counterexample_lines(cx))) + "</pre>")
        for plot in cx.get("plots", []):
            parts.append(
                _svg_plot([tuple(p) for p in plot["points"]], plot["limit"], plot["title"])
            )
        if cx.get("snippet"):
            parts.append("<h3>Regression test</h3><pre>" + e(cx["snippet"]) + "</pre>")
    if r.diagram_svg:
        parts.append(
            "<h2>State diagram</h2><p>Highlighted: the counterexample's path, or the "
            "transitions the checks covered.</p>"
        )
        svg = r.diagram_svg
        svg = svg[svg.find("<svg") :] if "<svg" in svg else svg
        parts.append(f'<div style="overflow:auto">{svg}</div>')
    elif r.diagram_text:
        parts.append("<h2>State diagram (Mermaid source; Graphviz not installed)</h2>")
        parts.append(f"<pre>{e(r.diagram_text)}</pre>")
    cov = r.coverage
    if cov:
        trans = cov.get("transitions", {})
        states = cov.get("states", {})
        parts.append(
            f"<h2>Coverage</h2><p>States visited: {sum(1 for v in states.values() if v)} of "
            f"{len(states)}; transitions taken: {sum(1 for v in trans.values() if v)} of "
            f"{len(trans)}.</p><table><tr><th>transition</th><th>times</th></tr>"
            + "".join(f"<tr><td>{e(k)}</td><td>{v}</td></tr>" for k, v in sorted(trans.items()))
            + "</table>"
        )
    parts.append(
        "<h2>Provenance</h2><pre>"
        + e(json.dumps(r.provenance, indent=2, sort_keys=True, default=str))
        + "</pre>"
    )
    parts.append("</body></html>\n")
    return "".join(parts)


def _junit(r: VerifyReport) -> str:
    suite = ET.Element("testsuite", name="pumpsafety.verify", tests=str(len(r.requirements)))
    failures = skipped = 0
    for row in r.requirements:
        case = ET.SubElement(
            suite, "testcase", classname="requirements", name=f"{row.id} {row.title}"
        )
        detail = "; ".join(f"{x.check}: {x.verdict}" for x in row.evidence)
        if row.verdict == "failed":
            failures += 1
            ET.SubElement(case, "failure", message=f"{row.id} failed").text = detail
        elif row.verdict == "uncovered":
            skipped += 1
            ET.SubElement(case, "skipped", message="no check covers this requirement")
        else:
            ET.SubElement(case, "system-out").text = f"{row.verdict}: {detail}"
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
