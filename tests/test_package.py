"""The public surface: light import, sorted and complete __all__, the console script."""

from __future__ import annotations

import io
import subprocess
import sys

import pumpsafety
from pumpsafety.cli import main


def test_import_does_not_load_hypothesis_or_crosshair() -> None:
    code = (
        "import sys, pumpsafety; pumpsafety.PumpModel(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('hypothesis', 'crosshair')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_all_is_sorted_and_complete() -> None:
    assert list(pumpsafety.__all__) == sorted(pumpsafety.__all__)
    public = {n for n in dir(pumpsafety) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(pumpsafety.__all__)


def test_check_spec_command() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["check-spec"], out=out, err=err) == 0
    assert "43 safety requirements" in out.getvalue()


def test_bad_spec_dir_is_exit_2_with_one_line(tmp_path: object) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["check-spec", "--spec", "/nonexistent"], out=out, err=err) == 2
    assert len(err.getvalue().strip().splitlines()) == 1


def test_timeline_command() -> None:
    out = io.StringIO()
    rc = main(
        [
            "timeline",
            "--device",
            "synchromed_ii_40",
            "--drug",
            "baclofen",
            "--concentration",
            "2 mg/ml",
            "--dose",
            "500 mcg",
            "--volume",
            "40 ml",
        ],
        out=out,
        err=io.StringIO(),
    )
    assert rc == 0
    assert "day   152" in out.getvalue() and "day   160" in out.getvalue()


def test_unit_slip_on_the_command_line_is_exit_2() -> None:
    err = io.StringIO()
    rc = main(
        [
            "timeline",
            "--device",
            "synchromed_ii_40",
            "--drug",
            "baclofen",
            "--concentration",
            "2 mg",
            "--dose",
            "500 mcg",
            "--volume",
            "40 ml",
        ],
        out=io.StringIO(),
        err=err,
    )
    assert rc == 2
    assert "unit slip" in err.getvalue()


def test_readme_example_runs() -> None:
    from pathlib import Path

    text = (Path(__file__).parent.parent / "README.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})


def test_readme_opens_with_the_two_set_up_commands() -> None:
    from pathlib import Path

    lines = (Path(__file__).parent.parent / "README.md").read_text().splitlines()
    assert lines[0] == "```console"
    assert lines[1].endswith("pumpsafety verify --profile ci")
    assert lines[2].endswith("pytest")
    assert lines[3] == "```"
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    assert lines[2] in ci
