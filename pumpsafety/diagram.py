"""State diagrams of the lifecycle, drawn from the spec as Mermaid, Graphviz DOT, SVG or PNG."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from pumpsafety.errors import PumpSafetyError
from pumpsafety.spec import PHASES, RESUME, Spec, StateSpec, load_spec

__all__ = [
    "FORMATS",
    "GraphvizError",
    "Step",
    "phases",
    "render",
    "run_diagram",
    "to_dot",
    "to_mermaid",
]

FORMATS = ("mermaid", "dot", "svg", "png")
INSTALL_HINT = (
    "install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; "
    "Windows: winget install graphviz) or use --format mermaid or --format dot, "
    "which need no system program"
)
# Edges of one event from this many states or more meet in a small junction dot first;
# from _LIST_MIN_SOURCES or more, the sources are listed in one box instead (DOT only).
_JUNCTION_MIN_SOURCES = 3
_LIST_MIN_SOURCES = 8
_WRAP = 34

Step = tuple[str, str, str]
"""One step of a trace: (source state, trigger, destination state)."""


class GraphvizError(PumpSafetyError, RuntimeError):
    """Graphviz's ``dot`` program is missing or failed to lay out a diagram."""


# ---------------------------------------------------------------------------------------------
# the drawing model shared by both output languages


@dataclass(slots=True)
class _Edge:
    source: str
    dest: str
    lines: tuple[str, ...]
    clock: bool = False
    steps: tuple[Step, ...] = ()
    feeder: bool = False  # the unlabelled leg into a junction


@dataclass(slots=True)
class _Drawing:
    states: list[StateSpec]
    outside: list[StateSpec]
    edges: list[_Edge]
    junctions: list[str] = field(default_factory=list)
    lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    choice: str | None = None
    choice_dests: list[str] = field(default_factory=list)
    visited: set[str] = field(default_factory=set)
    order: dict[Step, list[int]] = field(default_factory=dict)
    phase: str | None = None
    self_loops: bool = False


def phases(spec: Spec) -> tuple[str, ...]:
    """The phases used by *spec*'s states, in lifecycle order."""
    used = {s.phase for s in spec.states.values()}
    return tuple(p for p in PHASES if p in used) + tuple(sorted(used - set(PHASES)))


def _phase_name(spec: Spec, phase: str) -> str:
    name = phase.strip().lower().replace("-", "_").replace(" ", "_")
    if name not in phases(spec):
        msg = f"phase={phase!r} is not a phase of the spec; phases: {', '.join(phases(spec))}"
        raise ValueError(msg)
    return name


def _wrap(items: Sequence[str], *, width: int = _WRAP) -> list[str]:
    lines: list[str] = []
    current = ""
    for item in items:
        if current and len(current) + len(item) + 2 > width:
            lines.append(current + ",")
            current = item
        else:
            current = f"{current}, {item}" if current else item
    if current:
        lines.append(current)
    return lines


def _label(trigger: str, guards: Sequence[str], when: Sequence[str]) -> tuple[str, ...]:
    lines = [trigger]
    if guards:
        wrapped = _wrap(guards)
        wrapped[0] = "[" + wrapped[0]
        wrapped[-1] += "]"
        lines += wrapped
    if when:
        lines += _wrap([f"when {', '.join(when)}"], width=_WRAP)
    return tuple(lines)


def _unique(base: str, taken: set[str]) -> str:
    name = base
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def _check_highlight(spec: Spec, highlight: Iterable[Sequence[str]] | None) -> list[Step]:
    if highlight is None:
        return []
    known = {(src, t.trigger, dest) for t, src, dest, _ in spec.expanded()}
    steps: list[Step] = []
    for i, raw in enumerate(highlight):
        items = list(raw)
        if len(items) != 3 or not all(isinstance(x, str) for x in items):
            msg = (
                f"highlight[{i}]={raw!r} must be [source, trigger, dest] (three state/event names)"
            )
            raise ValueError(msg)
        step: Step = (items[0], items[1], items[2])
        if step not in known:
            msg = (
                f"highlight[{i}]={list(step)!r} is not a transition of the spec "
                f"({spec.path}); no edge {step[0]} --{step[1]}--> {step[2]}"
            )
            raise ValueError(msg)
        steps.append(step)
    return steps


def _build(
    spec: Spec,
    *,
    phase: str | None,
    highlight: Iterable[Sequence[str]] | None,
    include_self_loops: bool | None,
    junctions: bool,
) -> _Drawing:
    trace = _check_highlight(spec, highlight)
    order: dict[Step, list[int]] = {}
    for n, step in enumerate(trace, start=1):
        order.setdefault(step, []).append(n)
    phase = _phase_name(spec, phase) if phase is not None else None
    self_loops = include_self_loops if include_self_loops is not None else phase is not None
    inside = {n for n, s in spec.states.items() if phase is None or s.phase == phase}

    taken = set(spec.states)
    choice_id = _unique("resume", taken)
    direct: dict[tuple[int, str], list[tuple[str, Step]]] = {}
    meta: dict[int, tuple[str, tuple[str, ...], tuple[str, ...], bool]] = {}
    to_choice: dict[tuple[int, str], list[Step]] = {}
    from_choice: dict[str, list[Step]] = {}
    for t, src, dest, _when in spec.expanded():
        step = (src, t.trigger, dest)
        if src == dest and not self_loops and step not in order:
            continue
        if src not in inside and dest not in inside:
            continue
        meta[t.index] = (t.trigger, t.guards, t.when, t.clock)
        if t.dest == RESUME:
            to_choice.setdefault((t.index, src), []).append(step)
            from_choice.setdefault(dest, []).append(step)
        else:
            direct.setdefault((t.index, dest), []).append((src, step))

    edges: list[_Edge] = []
    loops: dict[tuple[str, bool], list[tuple[tuple[str, ...], Step]]] = {}
    for (index, dest), group in list(direct.items()):
        if all(src == dest for src, _ in group):
            del direct[(index, dest)]
            trigger, guards, when, clock = meta[index]
            loops.setdefault((dest, clock), []).append((_label(trigger, guards, when), group[0][1]))
    for (state, clock), items in loops.items():
        # one loop per state and kind: several loops on one node would stack their labels
        items.sort()
        lines = tuple(line for label, _ in items for line in label)
        edges.append(_Edge(state, state, lines, clock, tuple(step for _, step in items)))
    junction_ids: list[str] = []
    lists: dict[str, tuple[str, ...]] = {}
    for (index, dest), group in direct.items():
        trigger, guards, when, clock = meta[index]
        lines = _label(trigger, guards, when)
        if junctions and len(group) >= _LIST_MIN_SOURCES:
            box = _unique(f"{trigger}__{dest}__from", taken)
            lists[box] = tuple(sorted(src for src, _ in group))
            edges.append(_Edge(box, dest, lines, clock, tuple(s for _, s in group)))
        elif junctions and len(group) >= _JUNCTION_MIN_SOURCES:
            j = _unique(f"{trigger}__{dest}", taken)
            junction_ids.append(j)
            for src, step in group:
                edges.append(_Edge(src, j, (), clock, (step,), feeder=True))
            edges.append(_Edge(j, dest, lines, clock, tuple(s for _, s in group)))
        else:
            edges.extend(_Edge(src, dest, lines, clock, (step,)) for src, step in group)
    for (index, src), steps in to_choice.items():
        trigger, guards, when, clock = meta[index]
        edges.append(_Edge(src, choice_id, _label(trigger, guards, when), clock, tuple(steps)))
    choice_dests: list[str] = []
    if to_choice:
        for n, rule in enumerate(spec.resume, start=1):
            steps = from_choice.get(rule.state, [])
            if not steps:
                continue
            text = f"{n}. when {rule.when}" if rule.when else f"{n}. otherwise"
            edges.append(_Edge(choice_id, rule.state, (text,), False, tuple(steps)))
            choice_dests.append(rule.state)

    ends = {e.source for e in edges} | {e.dest for e in edges}
    visited = {s for step in trace for s in (step[0], step[2])}
    return _Drawing(
        states=[spec.states[n] for n in sorted(inside)],
        outside=[spec.states[n] for n in sorted(ends - inside) if n in spec.states],
        edges=sorted(edges, key=lambda e: (e.source, e.dest, e.lines)),
        junctions=sorted(junction_ids),
        lists=lists,
        choice=choice_id if to_choice else None,
        choice_dests=choice_dests,
        visited=visited,
        order=order,
        phase=phase,
        self_loops=self_loops,
    )


def _numbers(drawing: _Drawing, edge: _Edge) -> list[int]:
    return sorted(n for step in edge.steps for n in drawing.order.get(step, []))


def _step_text(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:4])
    return f"step {shown}{', …' if len(numbers) > 4 else ''}"


def _title(phase: str | None) -> str:
    return "Pump lifecycle" if phase is None else f"Pump lifecycle: {phase.replace('_', ' ')} phase"


# ---------------------------------------------------------------------------------------------
# Mermaid


def to_mermaid(
    spec: Spec,
    *,
    phase: str | None = None,
    highlight: Iterable[Sequence[str]] | None = None,
    include_self_loops: bool | None = None,
) -> str:
    """Return the lifecycle of *spec* as a Mermaid ``stateDiagram-v2``.

    *phase* draws one phase (its states, their neighbours and every edge touching them).
    *highlight* is a trace or a coverage set of ``(source, trigger, dest)`` steps; its states
    are highlighted and its edges numbered. Self-loops are left out of the full lifecycle and
    kept in phase views unless *include_self_loops* says otherwise.

    Raises:
        ValueError: unknown *phase*, or a highlighted step that is not a transition of *spec*.
    """
    d = _build(
        spec,
        phase=phase,
        highlight=highlight,
        include_self_loops=include_self_loops,
        junctions=False,
    )
    out = [
        "---",
        f"title: {_title(d.phase)}",
        "---",
        "stateDiagram-v2",
        "    %% Generated from the spec by pumpsafety.diagram; do not edit by hand.",
        "    %% Legend: red = critical alarm (no delivery), amber = non-critical alarm (basal",
        "    %% continues), green = basal runs here, grey = terminal, dashed = outside this phase.",
        "    %% Edge labels: event, then [guards], then 'when' routing conditions;",
        "    %% '(clock)' marks events the model raises itself when a threshold is crossed.",
        "    %% 'resume' is a choice: the first matching numbered condition wins.",
        f"    %% Self-loops (events that stay in the same state): "
        f"{'shown' if d.self_loops else 'omitted; see the phase views'}.",
    ]
    kinds: dict[str, list[str]] = {}
    for phase_name in (*PHASES, *sorted({s.phase for s in d.states} - set(PHASES))):
        members = [s for s in d.states if s.phase == phase_name]
        if not members:
            continue
        out.append(f"    %% phase: {phase_name}")
        for s in members:
            out.append(f"    {s.name} : {s.name}")
            kinds.setdefault(_kind_class(s), []).append(s.name)
    if d.outside:
        out.append("    %% neighbours outside this phase")
        for s in d.outside:
            out.append(f"    {s.name} : {s.name} ({s.phase})")
            kinds.setdefault("outside", []).append(s.name)
    if d.choice is not None:
        out.append(f"    state {d.choice} <<choice>>")
    if spec.initial in {s.name for s in d.states}:
        out.append(f"    [*] --> {spec.initial}")
    for e in d.edges:
        lines = list(e.lines)
        if e.clock and lines:
            lines[0] = f"(clock) {lines[0]}"
        numbers = _numbers(d, e)
        if numbers:
            lines.append(f"▶ {_step_text(numbers)}")
        label = "<br/>".join(lines)
        out.append(f"    {e.source} --> {e.dest}" + (f" : {label}" if label else ""))
    for s in d.states:
        if s.terminal:
            out.append(f"    {s.name} --> [*]")
    styles = {
        "normal": "fill:#ffffff,stroke:#555555",
        "delivers": "fill:#e3f4e1,stroke:#2e7d32",
        "alarm_critical": "fill:#f9d0cc,stroke:#b71c1c,stroke-width:2px",
        "alarm_non_critical": "fill:#fdebc0,stroke:#b26a00",
        "terminal": "fill:#d6d6d6,stroke:#212121,stroke-width:3px",
        "outside": "fill:#fafafa,stroke:#9e9e9e,stroke-dasharray:4 3,color:#757575",
        "visited": "stroke:#1565c0,stroke-width:4px",
    }
    for name, style in styles.items():
        out.append(f"    classDef {name} {style}")
    for name in styles:
        if name in kinds:
            out.append(f"    class {','.join(sorted(kinds[name]))} {name}")
    if d.visited:
        out.append(f"    class {','.join(sorted(d.visited))} visited")
    return "\n".join(out) + "\n"


def _kind_class(s: StateSpec) -> str:
    if s.terminal:
        return "terminal"
    if s.alarm:
        return "alarm_critical" if s.severity == "critical" else "alarm_non_critical"
    return "delivers" if s.delivers else "normal"


# ---------------------------------------------------------------------------------------------
# Graphviz DOT

_NODE_STYLE = {
    "normal": 'fillcolor="#ffffff", color="#555555"',
    "delivers": 'fillcolor="#e3f4e1", color="#2e7d32"',
    "alarm_critical": 'fillcolor="#f9d0cc", color="#b71c1c", penwidth=2',
    "alarm_non_critical": 'fillcolor="#fdebc0", color="#b26a00"',
    "terminal": 'fillcolor="#d6d6d6", color="#212121", peripheries=2, penwidth=2',
}
_HIGHLIGHT = "#1565c0"


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_label(lines: Sequence[str]) -> str:
    return _q("\n".join(lines)).replace("\n", "\\n")


def to_dot(
    spec: Spec,
    *,
    phase: str | None = None,
    highlight: Iterable[Sequence[str]] | None = None,
    include_self_loops: bool | None = None,
) -> str:
    """Return the lifecycle of *spec* as a Graphviz DOT digraph, one cluster per phase.

    Same arguments and errors as :func:`to_mermaid`. An event that leaves three or more
    states for the same destination is drawn once, from a small junction dot.
    """
    d = _build(
        spec,
        phase=phase,
        highlight=highlight,
        include_self_loops=include_self_loops,
        junctions=True,
    )
    out = [
        "// Generated from the spec by pumpsafety.diagram; do not edit by hand.",
        f"digraph {_q('lifecycle' if d.phase is None else d.phase)} {{",
        "    graph [rankdir=TB, newrank=true, nodesep=0.25, ranksep=0.55, fontname=Helvetica,"
        " fontsize=18, labelloc=t, labeljust=l,",
        f"           label={_q(_title(d.phase))}];",
        '    node [shape=box, style="rounded,filled", fontname=Helvetica, fontsize=12,'
        ' margin="0.12,0.06"];',
        '    edge [fontname=Helvetica, fontsize=9, color="#424242", fontcolor="#212121",'
        " arrowsize=0.7];",
    ]
    if spec.initial in {s.name for s in d.states}:
        out.append(
            '    "__start" [shape=circle, style=filled, fillcolor=black, label="",'
            " width=0.18, fixedsize=true];"
        )
        out.append(f'    "__start" -> {_q(spec.initial)};')
    for phase_name in (*PHASES, *sorted({s.phase for s in d.states} - set(PHASES))):
        members = [s for s in d.states if s.phase == phase_name]
        if not members:
            continue
        out.append(f"    subgraph {_q('cluster_' + phase_name)} {{")
        out.append(
            f'        label={_q(phase_name.replace("_", " "))}; style="rounded,filled";'
            ' fillcolor="#f5f7fa"; color="#b0bec5"; fontsize=14;'
        )
        for s in members:
            out.append(f"        {_q(s.name)} [{_node_attrs(d, s)}];")
        out.append("    }")
    for s in d.outside:
        attrs = (
            'fillcolor="#fafafa", color="#9e9e9e", fontcolor="#757575", '
            'style="rounded,filled,dashed"'
        )
        if s.name in d.visited:
            attrs += f', color="{_HIGHLIGHT}", penwidth=3'

        label = _q(f"{s.name}\n({s.phase.replace('_', ' ')})").replace("\n", "\\n")
        out.append(f"    {_q(s.name)} [{attrs}, label={label}];")
    if d.choice is not None:
        out.append(
            f'    {_q(d.choice)} [shape=diamond, style=filled, fillcolor="#eceff1",'
            ' color="#546e7a", label="resume", fontsize=10, width=0.9, height=0.5];'
        )
    for j in d.junctions:
        out.append(f'    {_q(j)} [shape=point, width=0.09, color="#424242", label=""];')
    for box, sources in sorted(d.lists.items()):
        lines = [f"from any of these {len(sources)} states:", *_wrap(sources, width=44)]
        hit = any(s in d.visited for s in sources)
        colour = _HIGHLIGHT if hit else "#78909c"
        out.append(
            f'    {_q(box)} [shape=note, style=filled, fillcolor="#ffffff", color="{colour}",'
            f" fontsize=10, label={_dot_label(lines)}];"
        )
        # invisible edges rank the box below its sources, as if every edge were drawn
        out.extend(f"    {_q(src)} -> {_q(box)} [style=invis];" for src in sources)
    for e in d.edges:
        out.append(f"    {_q(e.source)} -> {_q(e.dest)} [{_edge_attrs(d, e)}];")
    out.append(f"    {_legend(d)}")
    out.append("}")
    return "\n".join(out) + "\n"


def _node_attrs(d: _Drawing, s: StateSpec) -> str:
    attrs = _NODE_STYLE[_kind_class(s)]
    if s.name in d.visited:
        attrs += f', color="{_HIGHLIGHT}", penwidth=4'
    return attrs


def _edge_attrs(d: _Drawing, e: _Edge) -> str:
    attrs: list[str] = []
    lines = list(e.lines)
    numbers = _numbers(d, e)
    if numbers and not e.feeder:
        lines.append(_step_text(numbers))
    if lines:
        attrs.append(f"label={_dot_label(lines)}")
    if e.clock:
        attrs.append('style=dashed, color="#6d4c41", fontcolor="#6d4c41"')
    if e.feeder:
        attrs.append("arrowhead=none")
    if numbers:
        attrs.append(f'color="{_HIGHLIGHT}", fontcolor="{_HIGHLIGHT}", penwidth=3')
    return ", ".join(attrs)


def _legend(d: _Drawing) -> str:
    rows = [
        ("#f9d0cc", "critical alarm: delivery stopped"),
        ("#fdebc0", "non-critical alarm: basal continues"),
        ("#e3f4e1", "basal delivery runs in this state"),
        ("#d6d6d6", "terminal state (double border)"),
    ]
    cells = "".join(
        f'<TR><TD BGCOLOR="{c}" WIDTH="18"> </TD><TD ALIGN="LEFT">{t}</TD></TR>' for c, t in rows
    )
    notes = [
        "edge label: event, [guards], when routing conditions",
        "dashed brown edge: clock event raised by the model",
        "black dot or note: one event leaving several states",
        "resume diamond: first matching numbered condition wins",
        "self-loops " + ("shown" if d.self_loops else "omitted here; see the phase views"),
    ]
    if d.order:
        notes.append("thick blue: highlighted steps, numbered in trace order")
    cells += "".join(f'<TR><TD COLSPAN="2" ALIGN="LEFT">{n}</TD></TR>' for n in notes)
    return (
        '"__legend" [shape=plaintext, style="", fontsize=10, label=<<TABLE BORDER="1" '
        f'CELLBORDER="0" CELLSPACING="2" COLOR="#b0bec5"><TR><TD COLSPAN="2"><B>Legend</B></TD>'
        f"</TR>{cells}</TABLE>>];"
    )


# ---------------------------------------------------------------------------------------------
# rendering through Graphviz


def render(
    spec: Spec,
    fmt: str,
    *,
    phase: str | None = None,
    highlight: Iterable[Sequence[str]] | None = None,
    include_self_loops: bool | None = None,
) -> str | bytes:
    """Return the diagram in *fmt*: ``mermaid``/``dot``/``svg`` as text, ``png`` as bytes.

    SVG and PNG run Graphviz's ``dot`` program; Mermaid and DOT need nothing installed.

    Raises:
        GraphvizError: ``dot`` is not on PATH, or it failed.
        ValueError: unknown *fmt* or *phase*, or a highlighted step not in *spec*.
    """
    if fmt == "mermaid":
        return to_mermaid(
            spec, phase=phase, highlight=highlight, include_self_loops=include_self_loops
        )
    source = to_dot(spec, phase=phase, highlight=highlight, include_self_loops=include_self_loops)
    if fmt == "dot":
        return source
    if fmt not in FORMATS:
        msg = f"fmt={fmt!r} is not a diagram format; formats: {', '.join(FORMATS)}"
        raise ValueError(msg)
    image = dot_to_image(source, fmt)
    return image.decode("utf-8") if fmt == "svg" else image


def dot_to_image(source: str, fmt: str) -> bytes:
    """Lay out DOT *source* with Graphviz and return the *fmt* (svg or png) bytes."""
    program = shutil.which("dot")
    if program is None:
        msg = f"{fmt} output needs Graphviz's 'dot' program, which is not on PATH: {INSTALL_HINT}"
        raise GraphvizError(msg)
    done = subprocess.run(
        [program, f"-T{fmt}"],
        input=source.encode("utf-8"),
        capture_output=True,
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        detail = " ".join(done.stderr.decode("utf-8", "replace").split())
        msg = f"Graphviz 'dot -T{fmt}' failed (exit {done.returncode}): {detail}"
        raise GraphvizError(msg)
    return done.stdout


# ---------------------------------------------------------------------------------------------
# command line


def run_diagram(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``pumpsafety diagram``: write the diagram; 0 on success, 2 on bad input or no Graphviz."""
    spec = load_spec(args.spec)
    fmt = args.format or "mermaid"
    highlight: list[list[str]] | None = None
    try:
        if args.highlight:
            highlight = _read_highlight(Path(args.highlight))
        result = render(spec, fmt, phase=args.phase, highlight=highlight)
    except (ValueError, GraphvizError, OSError) as exc:
        print(f"pumpsafety: error: {exc}", file=err)
        return 2
    if args.output:
        target = Path(args.output)
        if isinstance(result, bytes):
            target.write_bytes(result)
        else:
            target.write_text(result, encoding="utf-8")
        print(f"wrote {target} ({fmt})", file=out)
        return 0
    if isinstance(result, bytes):
        if out is sys.stdout:
            sys.stdout.buffer.write(result)
            return 0
        print("pumpsafety: error: png output is binary; give --output FILE", file=err)
        return 2
    out.write(result)
    return 0


def _read_highlight(path: Path) -> list[list[str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        msg = f"--highlight {path}: not valid JSON ({exc.msg} at line {exc.lineno})"
        raise ValueError(msg) from exc
    if not isinstance(data, list):
        msg = f"--highlight {path}: must hold a JSON list of [source, trigger, dest] steps"
        raise ValueError(msg)
    return [list(step) if isinstance(step, list) else step for step in data]
