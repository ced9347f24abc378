"""pumpsafety verify: the evidence report, exit codes, and a failing implementation."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from pumpsafety import Spec
from pumpsafety.cli import main

ROOT = Path(__file__).parent.parent


def _verify(tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = main(
        ["verify", "--profile", "dev", "--skip-proofs", "--report", str(tmp_path), *extra],
        out=out,
        err=err,
    )
    return rc, out.getvalue(), err.getvalue()


def test_reference_model_report_lists_every_requirement(
    spec: Spec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import types

    import pumpsafety.verify

    # a clock of the run that moves on a minute at every monotonic reading
    elapsed = {"s": 0.0}

    def monotonic() -> float:
        elapsed["s"] += 60.0
        return elapsed["s"]

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def,override]
            return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=elapsed["s"])

    monkeypatch.setattr(pumpsafety.verify, "time", types.SimpleNamespace(monotonic=monotonic))
    monkeypatch.setattr(pumpsafety.verify, "datetime", Clock)
    rc, out, _ = _verify(tmp_path)
    assert rc == 0, out
    report = json.loads((tmp_path / "report.json").read_text())
    rows = report["requirements"]
    assert [r["id"] for r in rows] == list(spec.requirements)
    for row in rows:
        assert set(row) >= {"id", "title", "hazard", "verdict", "evidence"}
        assert row["verdict"] == "sampled", row  # no proofs were run: nothing can claim "proved"
        assert row["evidence"]
    assert report["provenance"]["spec_sha256"] == spec.digest
    assert report["provenance"]["seed"] == 0
    # when the run started, not when it ended, and how long each phase took
    # the start is read when the run starts, not when the report is written
    assert report["provenance"]["started_utc"] == "2026-01-01T00:01:00+00:00"
    assert report["provenance"]["duration_s"] > 60
    assert set(report["provenance"]["phase_s"]) == {"scenarios", "properties"}  # no proofs
    assert set(report["provenance"]["dependencies"]) == {
        "transitions",
        "hypothesis",
        "crosshair-tool",
        "z3-solver",
    }
    states = report["coverage"]["states"]
    assert states["delivering"] > 0
    assert "[1/3] spec: valid" in out  # plain progress lines when not a terminal
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    assert junit.get("tests") == str(len(spec.requirements)) and junit.get("failures") == "0"
    assert "Traceability matrix" in (tmp_path / "report.md").read_text()
    assert "<html" in (tmp_path / "report.html").read_text()


BROKEN = "tests.broken.empty_keeps_delivering:make"


@pytest.fixture(name="broken_report", scope="module")
def _broken_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("broken-report")
    rc, out, _ = _verify(where, "--impl", BROKEN)
    assert rc == 1, out
    return where


def test_broken_implementation_fails_with_its_counterexample_everywhere(
    broken_report: Path,
) -> None:
    tmp_path = broken_report
    report = json.loads((tmp_path / "report.json").read_text())
    failed = [r for r in report["requirements"] if r["verdict"] == "failed"]
    assert failed
    cx = next(c["counterexample"] for c in report["checks"] if c["counterexample"])
    assert cx["steps"] and cx["snippet"]
    first_event = cx["steps"][0]["text"].split("(")[0]
    md = (tmp_path / "report.md").read_text()
    html = (tmp_path / "report.html").read_text()
    junit = (tmp_path / "junit.xml").read_text()
    assert md.count("## Counterexample") == 1  # once, though it fails several requirements
    assert "Counterexample" in md and first_event in md
    assert "Counterexample" in html and first_event in html and "<svg" in html
    assert "<failure" in junit and failed[0]["id"] in junit


def test_unknown_implementation_is_bad_input(tmp_path: Path) -> None:
    rc, _, err = _verify(tmp_path, "--impl", "no_such_module:make")
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and "cannot import" in err


def test_broken_spec_is_bad_input(tmp_path: Path) -> None:
    rc, _, err = _verify(tmp_path, "--spec", str(ROOT / "tests" / "specs" / "broken" / "not_toml"))
    assert rc == 2 and err.count("\n") == 1


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium package")
def test_html_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    rc, _, _ = _verify(tmp_path, "--impl", BROKEN)
    assert rc == 1
    shot = tmp_path / "report.png"
    subprocess.run(
        [str(ROOT / "scripts" / "screenshot-report"), str(tmp_path), str(shot)],
        check=True,
        timeout=120,
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2000)
    # rendered, not blank: a blank page's pixels are one colour (plus PNG's row filter bytes)
    idat, at = b"", 8
    while at < len(data):
        length, kind = int.from_bytes(data[at : at + 4], "big"), data[at + 4 : at + 8]
        if kind == b"IDAT":
            idat += data[at + 8 : at + 8 + length]
        at += 12 + length
    assert len(set(zlib.decompress(idat))) > 32
