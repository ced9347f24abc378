"""Generated documentation: requirements, drug and device numbers, and the lifecycle diagrams.

``python -m pumpsafety.docgen`` writes the pages under ``docs/``; ``--check`` only compares
them with what the spec generates now and exits 1 when they have drifted.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import struct
import sys
import tomllib
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pumpsafety.diagram import dot_to_image, phases, to_dot, to_mermaid
from pumpsafety.spec import Spec, load_spec

__all__ = ["check_docs", "generate_docs", "main", "write_docs"]

REQUIREMENTS = "docs/reference/requirements.md"
DRUG_LIBRARY = "docs/reference/drug-library.md"
DIAGRAMS_PAGE = "docs/reference/diagrams.md"
DIAGRAMS = "docs/diagrams"
SVG = f"{DIAGRAMS}/lifecycle.svg"
PNG = f"{DIAGRAMS}/lifecycle.png"
_HEADER = "<!-- Generated from the spec by `python -m pumpsafety.docgen`; do not edit by hand. -->"
_DIGEST_KEY = "pumpsafety-dot-sha256"
_CONFIDENCE = {
    "S": "S: read in the cited source",
    "S2": "S2: read in a secondary source citing the primary",
    "U": "**U: unverified**, a configurable default to confirm",
}


def generate_docs(spec: Spec, root: str | Path, *, images: bool = False) -> dict[Path, str | bytes]:
    """Return ``{path under root: content}`` for every generated page and diagram.

    Text pages and the Mermaid and DOT diagrams are always included. With *images*, the
    full lifecycle is also rendered to SVG and PNG through Graphviz (raises GraphvizError
    when ``dot`` is missing); each image records the sha256 of the DOT it was drawn from.
    """
    base = Path(root)
    pages: dict[Path, str | bytes] = {
        base / REQUIREMENTS: requirements_page(spec),
        base / DRUG_LIBRARY: drug_library_page(spec),
        base / DIAGRAMS_PAGE: diagrams_page(spec),
        base / DIAGRAMS / "lifecycle.mmd": to_mermaid(spec),
        base / DIAGRAMS / "lifecycle.dot": to_dot(spec),
    }
    for phase in phases(spec):
        slug = phase.replace("_", "-")
        pages[base / DIAGRAMS / f"phase-{slug}.mmd"] = to_mermaid(spec, phase=phase)
        pages[base / DIAGRAMS / f"phase-{slug}.dot"] = to_dot(spec, phase=phase)
    if images:
        source = to_dot(spec)
        digest = _sha256(source)
        svg = dot_to_image(source, "svg").decode("utf-8")
        pages[base / SVG] = svg.replace("<svg", f"<!-- {_DIGEST_KEY}: {digest} -->\n<svg", 1)
        pages[base / PNG] = _png_with_text(dot_to_image(source, "png"), _DIGEST_KEY, digest)
    return dict(sorted(pages.items()))


def check_docs(spec: Spec, root: str | Path) -> list[str]:
    """Return one line per generated file under *root* that differs from what *spec* generates.

    The SVG and PNG are checked through the DOT digest they carry, so no Graphviz is needed.
    """
    problems: list[str] = []
    for path, expected in generate_docs(spec, root).items():
        if not path.is_file():
            problems.append(f"{path}: missing; run python -m pumpsafety.docgen")
        elif path.read_text(encoding="utf-8") != expected:
            problems.append(f"{path}: differs from the spec; run python -m pumpsafety.docgen")
    digest = _sha256(to_dot(spec))
    for name in (SVG, PNG):
        path = Path(root) / name
        if not path.is_file():
            problems.append(f"{path}: missing; run python -m pumpsafety.docgen (needs Graphviz)")
        elif f"{_DIGEST_KEY}: {digest}".encode() not in _image_text(path.read_bytes()):
            problems.append(
                f"{path}: drawn from an older lifecycle; run python -m pumpsafety.docgen"
            )
    return problems


def write_docs(spec: Spec, root: str | Path, *, images: bool = True) -> list[Path]:
    """Write every generated file under *root*; return the paths whose content changed."""
    changed: list[Path] = []
    for path, content in generate_docs(spec, root, images=images).items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        if path.is_file() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        changed.append(path)
    return changed


# ---------------------------------------------------------------------------------------------
# pages


def requirements_page(spec: Spec) -> str:
    """The safety requirements table with each requirement's hazard, source and confidence."""
    used: dict[str, set[str]] = {}
    for t in spec.transitions:
        for req in t.requirements:
            used.setdefault(req, set()).add(t.trigger)
    lines = [
        _HEADER,
        "",
        "# Safety requirements",
        "",
        f"The spec declares {len(spec.requirements)} safety requirements.",
        "Confidence: S = read in the cited source; S2 = read in a secondary source that cites the "
        "primary; U = unverified, to be confirmed before any clinical use.",
        "",
        "| id | title | hazard class | confidence |",
        "| --- | --- | --- | --- |",
    ]
    ordered = sorted(spec.requirements.values(), key=lambda r: _natural(r.id))
    for r in ordered:
        anchor = r.id.lower()
        conf = f"**{r.confidence}** (unverified)" if r.confidence == "U" else r.confidence
        lines.append(f"| [{r.id}](#{anchor}) | {_cell(r.title)} | {r.hazard_class} | {conf} |")
    for r in ordered:
        events = ", ".join(f"`{e}`" for e in sorted(used.get(r.id, ())))
        lines += [
            "",
            f"## {r.id}",
            "",
            f"**{r.title}**",
            "",
            r.text,
            "",
            f"- Hazard: {r.hazard} ({r.hazard_class})",
            f"- Source: {r.source}",
            f"- Confidence: {_CONFIDENCE.get(r.confidence, r.confidence)}",
            f"- Guarded events: {events or 'none (enforced by the dose core and the clock)'}",
        ]
    return "\n".join(lines) + "\n"


def drug_library_page(spec: Spec) -> str:
    """Every drug and device number in the spec with its unit, source and confidence."""
    root = Path(spec.path)
    lines = [
        _HEADER,
        "",
        "# Drug library and device models",
        "",
        "Every number below is read from the spec files with the source and confidence stored "
        "next to it.",
        "Values marked **⚠ U** are unverified configurable defaults: they were not found in a "
        "source and must be confirmed before anyone relies on them.",
        "This is a specification aid, not clinical guidance.",
        "",
    ]
    for file, table, title in (
        ("drugs.toml", "drugs", "Drugs"),
        ("devices.toml", "devices", "Devices"),
    ):
        data = tomllib.loads((root / file).read_text(encoding="utf-8"))
        entries: Mapping[str, Any] = data.get(table, {})
        lines += [f"## {title}", ""]
        for entry_id in sorted(entries):
            body = entries[entry_id]
            values = list(_sourced_values(body, ()))
            unverified = sum(1 for _, v in values if v.get("confidence") == "U")
            lines += [
                f"### {entry_id}",
                "",
                f"{body.get('name', entry_id)}.",
                f"{len(values)} sourced values, {unverified} of them unverified.",
                "",
                "| key | value | confidence | source |",
                "| --- | --- | --- | --- |",
            ]
            for key, v in values:
                conf = "**⚠ U**" if v.get("confidence") == "U" else str(v.get("confidence"))
                shown = _value_text(key[-1], v.get("value"))
                lines.append(
                    f"| `{'.'.join(key)}` | {shown} | {conf} | {_cell(str(v.get('source')))} |"
                )
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def diagrams_page(spec: Spec) -> str:
    """The page that shows the lifecycle picture and links every generated diagram."""
    lines = [
        _HEADER,
        "",
        "# Lifecycle diagrams",
        "",
        "Drawn from the spec by `pumpsafety diagram`; a test fails when these files drift from it.",
        "",
        "![The whole pump lifecycle](../diagrams/lifecycle.svg)",
        "",
        "Red states are critical alarms (delivery stopped), amber ones non-critical alarms "
        "(basal continues), green ones run the basal schedule and grey ones are terminal.",
        "Dashed brown edges are clock events the model raises itself.",
        "Self-loops are left out of the full picture and drawn in the phase views.",
        "",
        "| view | Mermaid | Graphviz DOT |",
        "| --- | --- | --- |",
        "| full lifecycle | [lifecycle.mmd](../diagrams/lifecycle.mmd) "
        "| [lifecycle.dot](../diagrams/lifecycle.dot) |",
    ]
    for phase in phases(spec):
        slug = phase.replace("_", "-")
        states = sorted(n for n, s in spec.states.items() if s.phase == phase)
        lines.append(
            f"| {phase.replace('_', ' ')} ({', '.join(states)}) "
            f"| [phase-{slug}.mmd](../diagrams/phase-{slug}.mmd) "
            f"| [phase-{slug}.dot](../diagrams/phase-{slug}.dot) |"
        )
    lines += [
        "",
        "## Mermaid source of the full lifecycle",
        "",
        "```mermaid",
        to_mermaid(spec).rstrip(),
        "```",
    ]
    return "\n".join(lines) + "\n"


def _sourced_values(body: Mapping[str, Any], prefix: tuple[str, ...]) -> Any:
    for key in sorted(body):
        value = body[key]
        if isinstance(value, dict):
            if {"value", "source", "confidence"} <= set(value):
                yield (*prefix, key), value
            else:
                yield from _sourced_values(value, (*prefix, key))


_UNITS: Sequence[tuple[str, str, Sequence[tuple[int, str]]]] = (
    ("_ng_per_ml", "ng/ml", ((1_000_000, "mg/ml"), (1_000, "mcg/ml"))),
    ("_nl_per_day", "nl/day", ((1_000_000, "ml/day"), (1_000, "µl/day"))),
    ("_ng", "ng", ((1_000_000, "mg"), (1_000, "mcg"))),
    ("_nl", "nl", ((1_000_000, "ml"), (1_000, "µl"))),
    ("_s", "s", ((86_400, "days"), (3_600, "h"), (60, "min"))),
    ("_permille", "‰", ()),
)
_ORIGINS = ("spinal", "cerebral", "pediatric")


def _value_text(key: str, value: object) -> str:
    if isinstance(value, list):
        return ", ".join(_value_text(key, v) for v in value)
    if not isinstance(value, int) or isinstance(value, bool):
        return f"`{value!r}`"
    if "_percent" in key or key in _ORIGINS:
        return f"{value:_} %"
    for suffix, unit, bigger in _UNITS:
        if key.endswith(suffix):
            text = f"{value:_} {unit}"
            for factor, name in bigger:
                if value >= factor:
                    return f"{text} ({_exact_decimal(value, factor)} {name})"
            return text
    return f"{value:_}"


def _exact_decimal(value: int, factor: int) -> str:
    whole, rest = divmod(value, factor)
    if rest == 0:
        return f"{whole:,}"
    digits = len(str(factor)) - 1
    frac = str(rest * 10**digits // factor).rjust(digits, "0").rstrip("0")
    exact = rest * 10**digits % factor == 0
    return f"{whole:,}.{frac}" if exact else f"≈{whole:,}.{frac[:3]}"


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _natural(text: str) -> list[object]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _png_with_text(png: bytes, key: str, text: str) -> bytes:
    """Insert a tEXt chunk right after the PNG header chunk."""
    body = key.encode("latin-1") + b"\0" + text.encode("latin-1")
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + body) & 0xFFFFFFFF)
    end_of_ihdr = 8 + 8 + 13 + 4
    return png[:end_of_ihdr] + chunk + png[end_of_ihdr:]


def _image_text(data: bytes) -> bytes:
    """The text an image carries: the SVG itself, or a PNG's tEXt chunks as ``key: value``."""
    if not data.startswith(b"\x89PNG"):
        return data
    found: list[bytes] = []
    at = 8
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if kind == b"tEXt":
            found.append(data[at + 8 : at + 8 + size].replace(b"\0", b": ", 1))
        at += 12 + size
    return b"\n".join(found)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pumpsafety.docgen [--check] [--spec DIR] [--root DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m pumpsafety.docgen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on drift")
    parser.add_argument("--spec", metavar="DIR", help="spec directory (default: the shipped spec)")
    parser.add_argument("--root", metavar="DIR", default=".", help="repository root (default: .)")
    args = parser.parse_args(argv)
    spec = load_spec(args.spec)
    if args.check:
        problems = check_docs(spec, args.root)
        for line in problems:
            print(line, file=sys.stderr)
        return 1 if problems else 0
    for path in write_docs(spec, args.root):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
