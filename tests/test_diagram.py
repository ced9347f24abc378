"""Diagrams drawn from the spec: golden files, styling, phases, highlights, Graphviz handling."""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
from pathlib import Path

import pytest

from pumpsafety import load_spec
from pumpsafety.cli import main
from pumpsafety.diagram import GraphvizError, phases, render, to_dot, to_mermaid
from pumpsafety.spec import default_spec_dir

GOLDEN = Path(__file__).parent / "golden"
HAS_DOT = shutil.which("dot") is not None
TRACE = [
    ("filling", "aspirate", "alarm_volume_discrepancy"),
    ("alarm_volume_discrepancy", "acknowledge_discrepancy", "filling"),
    ("filling", "finish_refill", "delivering"),
]


def check_golden(name: str, text: str) -> None:
    """Compare with tests/golden/NAME; UPDATE_GOLDEN=1 rewrites the file instead."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} missing; run UPDATE_GOLDEN=1 pytest tests/test_diagram.py"
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; review, then UPDATE_GOLDEN=1"


@pytest.mark.parametrize(
    ("name", "draw"),
    [
        pytest.param("lifecycle.mmd", lambda s: to_mermaid(s), id="mermaid-full"),
        pytest.param("lifecycle.dot", lambda s: to_dot(s), id="dot-full"),
        pytest.param(
            "phase-refill.mmd", lambda s: to_mermaid(s, phase="refill"), id="mermaid-refill"
        ),
        pytest.param("phase-refill.dot", lambda s: to_dot(s, phase="refill"), id="dot-refill"),
        pytest.param(
            "highlight-refill.mmd",
            lambda s: to_mermaid(s, phase="refill", highlight=TRACE),
            id="mermaid-highlight",
        ),
        pytest.param(
            "highlight-refill.dot",
            lambda s: to_dot(s, phase="refill", highlight=TRACE),
            id="dot-highlight",
        ),
    ],
)
def test_diagram_matches_golden_file(spec, name, draw):
    check_golden(name, draw(spec))


def test_output_is_deterministic(spec):
    assert to_dot(spec) == to_dot(load_spec())
    assert to_mermaid(spec, phase="alarm") == to_mermaid(load_spec(), phase="alarm")


def test_every_state_and_non_loop_edge_of_the_spec_is_drawn(spec):
    mermaid = to_mermaid(spec)
    for name in spec.states:
        assert f"    {name} : {name}" in mermaid
    for t, src, dest, _ in spec.expanded():
        if src == dest:
            continue
        target = "resume" if t.dest == "resume" else dest
        assert f"    {src} --> {target} : " in mermaid, (src, t.trigger, dest)


def test_guards_appear_on_edges_in_the_full_views(spec):
    mermaid, dot = to_mermaid(spec), to_dot(spec)
    line = next(
        x for x in mermaid.splitlines() if x.startswith("    screening --> trial_single_shot")
    )
    assert "start_single_shot_trial<br/>[drug_in_library]" in line
    assert "start_continuous_trial\\n[drug_in_library," in dot


def test_alarms_and_terminal_states_are_styled_apart(spec):
    mermaid, dot = to_mermaid(spec), to_dot(spec)

    def names(pred):
        return ",".join(sorted(n for n, s in spec.states.items() if pred(s)))

    critical = names(lambda s: s.alarm and s.severity == "critical")
    non_critical = names(lambda s: s.alarm and s.severity == "non_critical")
    assert "alarm_occlusion" in critical and "alarm_low_reservoir" in non_critical
    assert f"class {critical} alarm_critical" in mermaid
    assert f"class {non_critical} alarm_non_critical" in mermaid
    assert f"class {names(lambda s: s.terminal)} terminal" in mermaid
    assert '"explanted" [fillcolor="#d6d6d6", color="#212121", peripheries=2' in dot
    assert '"alarm_occlusion" [fillcolor="#f9d0cc"' in dot
    assert '"alarm_low_reservoir" [fillcolor="#fdebc0"' in dot


def test_clock_events_are_dashed_and_labelled(spec):
    dot = to_dot(spec)
    clock = [x for x in dot.splitlines() if "reservoir_empty" in x and "->" in x]
    assert clock
    assert all("style=dashed" in x for x in clock)
    assert "(clock) reservoir_low" in to_mermaid(spec)


def test_self_loops_are_omitted_from_the_full_view_and_shown_in_phase_views(spec):
    assert "filling --> filling" not in to_mermaid(spec)
    assert "filling --> filling" in to_mermaid(spec, phase="refill")
    assert "filling --> filling" in to_mermaid(spec, include_self_loops=True)
    assert "self-loops omitted" in to_dot(spec)


def test_resume_is_a_choice_with_ordered_conditions(spec):
    mermaid = to_mermaid(spec)
    assert "state resume <<choice>>" in mermaid
    assert "resume --> alarm_low_reservoir : 1. when low_reservoir_active" in mermaid
    assert "resume --> delivering : 4. otherwise" in mermaid


def test_a_phase_view_holds_its_states_and_neighbours_only(spec):
    dot = to_dot(spec, phase="trial")
    assert 'subgraph "cluster_trial"' in dot
    assert 'subgraph "cluster_delivery"' not in dot
    assert '"implanted" [fillcolor="#fafafa"' in dot  # a neighbour, drawn dashed outside
    assert '"delivering"' not in dot


@pytest.mark.parametrize("name", ["end of life", "end-of-life", "END_OF_LIFE"])
def test_phase_names_are_forgiving(spec, name):
    assert to_mermaid(spec, phase=name) == to_mermaid(spec, phase="end_of_life")


def test_unknown_phase_is_refused_with_the_choices(spec):
    with pytest.raises(
        ValueError, match="phase='dosing' is not a phase of the spec; phases: screening, trial"
    ):
        to_mermaid(spec, phase="dosing")


def test_highlight_marks_states_and_numbers_steps(spec):
    mermaid = to_mermaid(spec, phase="refill", highlight=TRACE)
    assert "▶ step 1" in mermaid
    assert "class alarm_volume_discrepancy,delivering,filling visited" in mermaid
    dot = to_dot(spec, highlight=TRACE)
    line = next(
        x for x in dot.splitlines() if x.startswith('    "alarm_volume_discrepancy" -> "filling"')
    )
    assert "step 2" in line and "penwidth=3" in line


def test_highlight_of_a_self_loop_draws_it_in_the_full_view(spec):
    step = ("delivering", "give_clinician_bolus", "delivering")
    assert "delivering --> delivering" in to_mermaid(spec, highlight=[step])


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param([("screening", "implant", "implanted")], id="not-an-edge"),
        pytest.param([("screening", "decline_candidate")], id="two-items"),
    ],
)
def test_highlight_step_not_in_the_spec_is_refused(spec, bad):
    with pytest.raises(ValueError, match=r"highlight\[0\]"):
        to_dot(spec, highlight=bad)


def test_a_users_own_spec_gets_its_own_diagram(spec, tmp_path):
    mine = tmp_path / "spec"
    shutil.copytree(default_spec_dir(), mine)
    life = mine / "lifecycle.toml"
    life.write_text(life.read_text().replace('trigger = "end_mri"', 'trigger = "leave_scanner"'))
    custom = load_spec(mine)
    assert "leave_scanner" in to_mermaid(custom)
    assert "leave_scanner" not in to_mermaid(spec)


def test_phases_follow_the_lifecycle_order(spec):
    assert phases(spec) == (
        "screening",
        "trial",
        "implant",
        "refill",
        "delivery",
        "alarm",
        "end_of_life",
    )


# ---------------------------------------------------------------------------------------------
# CLI and Graphviz


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_mermaid_is_the_default(spec):
    code, out, err = run("diagram")
    assert (code, err) == (0, "")
    assert out == to_mermaid(spec)


def test_cli_writes_dot_for_a_phase_to_a_file(spec, tmp_path):
    target = tmp_path / "delivery.dot"
    code, out, _ = run("diagram", "--format", "dot", "--phase", "delivery", "--output", str(target))
    assert code == 0
    assert "wrote" in out
    assert target.read_text() == to_dot(spec, phase="delivery")


def test_cli_highlight_reads_a_json_trace(spec, tmp_path):
    trace = tmp_path / "trace.json"
    trace.write_text(json.dumps([list(s) for s in TRACE]))
    code, out, _ = run("diagram", "--phase", "refill", "--highlight", str(trace))
    assert code == 0
    assert out == to_mermaid(spec, phase="refill", highlight=TRACE)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("{not json", "not valid JSON", id="bad-json"),
        pytest.param('{"a": 1}', "must hold a JSON list", id="not-a-list"),
        pytest.param(
            '[["screening", "explant", "explanted"]]', "is not a transition", id="bad-step"
        ),
    ],
)
def test_cli_bad_highlight_is_one_line_and_exit_2(tmp_path, content, message):
    trace = tmp_path / "trace.json"
    trace.write_text(content)
    code, _, err = run("diagram", "--highlight", str(trace))
    assert code == 2
    assert message in err
    assert err.count("\n") == 1


def test_cli_unknown_phase_exits_2():
    code, _, err = run("diagram", "--phase", "dosing")
    assert code == 2
    assert "phases: screening" in err


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_missing_graphviz_gives_a_one_line_install_hint(spec, monkeypatch, fmt, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    with pytest.raises(GraphvizError, match="apt-get install graphviz"):
        render(spec, fmt)
    code, _, err = run("diagram", "--format", fmt, "--output", str(tmp_path / f"x.{fmt}"))
    assert code == 2
    assert err.count("\n") == 1
    assert "needs Graphviz's 'dot' program, which is not on PATH" in err
    assert "--format mermaid" in err
    # text formats keep working without Graphviz
    assert run("diagram", "--format", "dot")[0] == 0


def test_graphviz_failure_is_reported(spec, monkeypatch, tmp_path):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'syntax error in line 1' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizError, match=r"failed \(exit 3\): syntax error in line 1"):
        render(spec, "svg")


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz 'dot' is not installed")
def test_svg_and_png_render_with_graphviz(spec, tmp_path):
    svg = render(spec, "svg")
    assert isinstance(svg, str)
    assert "<svg" in svg and "alarm_occlusion" in svg
    png = render(spec, "png", phase="trial")
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG")
    target = tmp_path / "trial.png"
    assert run("diagram", "--format", "png", "--phase", "trial", "--output", str(target))[0] == 0
    assert target.read_bytes().startswith(b"\x89PNG")


def test_png_to_a_text_stream_is_refused():
    from pumpsafety.diagram import run_diagram

    args = argparse.Namespace(spec=None, format="png", output=None, phase=None, highlight=None)
    err = io.StringIO()
    if HAS_DOT:
        assert run_diagram(args, io.StringIO(), err) == 2
        assert "give --output FILE" in err.getvalue()
    else:
        assert run_diagram(args, io.StringIO(), err) == 2
        assert "not on PATH" in err.getvalue()
