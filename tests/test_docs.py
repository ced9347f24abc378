"""The docs: generated pages match the spec, examples run, references are complete, site builds."""

from __future__ import annotations

import importlib.util
import io
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import pumpsafety
from pumpsafety import diagram, load_spec
from pumpsafety.cli import build_parser, main
from pumpsafety.docgen import check_docs, generate_docs
from pumpsafety.docgen import main as docgen_main
from pumpsafety.spec import default_spec_dir

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
FENCE = re.compile(r"(<!-- skip-test -->\s*\n)?```(\w+)\n(.*?)```", re.DOTALL)
# Console commands fast enough to run on every test run; the rest are shown, not run.
FAST_COMMANDS = ("diagram", "check-spec")


def blocks(page: Path) -> list[tuple[str, str, bool]]:
    """(language, code, skipped) for every fenced block of *page*, in order."""
    text = page.read_text(encoding="utf-8")
    return [(m[2], m[3], m[1] is not None) for m in FENCE.finditer(text)]


# ---------------------------------------------------------------------------------------------
# generated pages


def test_committed_generated_docs_match_the_spec():
    problems = check_docs(load_spec(), ROOT)
    assert problems == [], "\n".join(problems)


def test_drift_is_detected_when_the_spec_changes(tmp_path):
    mine = tmp_path / "spec"
    shutil.copytree(default_spec_dir(), mine)
    reqs = mine / "requirements.toml"
    reqs.write_text(
        reqs.read_text().replace(
            'title = "Sliding 24 h dose limit"', 'title = "Rolling 24 h dose limit"'
        )
    )
    life = mine / "lifecycle.toml"
    life.write_text(life.read_text().replace('trigger = "end_mri"', 'trigger = "leave_scanner"'))
    problems = check_docs(load_spec(mine), ROOT)
    assert any("requirements.md: differs" in p for p in problems)
    assert any("lifecycle.mmd: differs" in p for p in problems)
    assert any("lifecycle.svg: drawn from an older lifecycle" in p for p in problems)
    assert any("lifecycle.png: drawn from an older lifecycle" in p for p in problems)


def test_docgen_check_exits_1_on_drift_and_0_after_writing(tmp_path, capsys):
    assert docgen_main(["--check", "--root", str(tmp_path)]) == 1
    assert "missing" in capsys.readouterr().err
    if shutil.which("dot") is None:
        pytest.skip("writing the SVG and PNG needs Graphviz")
    assert docgen_main(["--root", str(tmp_path)]) == 0
    assert docgen_main(["--check", "--root", str(tmp_path)]) == 0
    (tmp_path / "docs/diagrams/lifecycle.dot").write_text("digraph {}\n")
    assert docgen_main(["--check", "--root", str(tmp_path)]) == 1


def test_generated_pages_carry_every_requirement_and_mark_unverified_values(spec):
    pages = {p.relative_to(ROOT).as_posix(): c for p, c in generate_docs(spec, ROOT).items()}
    requirements = pages["docs/reference/requirements.md"]
    assert isinstance(requirements, str)
    for r in spec.requirements.values():
        assert f"## {r.id}\n" in requirements
        assert r.hazard in requirements
        assert r.text in requirements
    library = pages["docs/reference/drug-library.md"]
    assert isinstance(library, str)
    unverified = spec.drugs["baclofen"].max_daily_dose_ng
    assert unverified.unverified
    row = next(
        x for x in library.splitlines() if x.startswith("| `hard.max_daily_dose_ng` | 1_200_000")
    )
    assert "**⚠ U**" in row
    for drug in spec.drugs:
        assert f"### {drug}\n" in library
    for device in spec.devices:
        assert f"### {device}\n" in library


def test_every_sourced_number_in_the_spec_is_in_the_drug_library(spec):
    library = DOCS.joinpath("reference/drug-library.md").read_text(encoding="utf-8")
    count = 0
    for name in ("drugs.toml", "devices.toml"):
        text = (Path(spec.path) / name).read_text(encoding="utf-8")
        count += len(re.findall(r"confidence = \"(?:S|S2|U)\"", text))
    assert library.count("\n| `") == count


# ---------------------------------------------------------------------------------------------
# examples in the docs


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(DOCS).as_posix() for p in PAGES])
def test_examples_in_the_docs_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "docs_example"}
    for language, code, skipped in blocks(page):
        if skipped:
            continue
        if language == "python":
            exec(compile(code, str(page), "exec"), namespace)
        elif language == "console":
            for line in code.splitlines():
                if not line.startswith("$ pumpsafety "):
                    continue
                argv = shlex.split(line.removeprefix("$ pumpsafety "))
                if argv[0] not in FAST_COMMANDS:
                    continue
                out, err = io.StringIO(), io.StringIO()
                assert main(argv, out=out, err=err) == 0, f"{line}: {err.getvalue()}"


def test_skipped_examples_are_rare_and_only_for_slow_or_external_parts():
    skipped = [(p.name, code) for p in PAGES for lang, code, skip in blocks(p) if skip]
    reasons = ("verify", "prove", "pytest", "timeline", "harness", "--format svg")
    for name, code in skipped:
        assert any(r in code for r in reasons), f"{name}: skip-test on a block that should run"


def test_every_docs_page_is_in_the_mkdocs_nav():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in PAGES:
        assert page.relative_to(DOCS).as_posix() in nav


# ---------------------------------------------------------------------------------------------
# references stay complete


def _spec_keys() -> set[str]:
    keys: set[str] = set()

    def walk(node: object, parent: str) -> None:
        if isinstance(node, dict):
            if {"value", "source", "confidence"} <= set(node):
                keys.add(parent)
                return
            for key, value in node.items():
                if parent in ("drugs", "devices", "states"):
                    walk(value, "")  # the ids below these tables are names, not keys
                else:
                    if not isinstance(value, dict) or {"value", "source"} <= set(value):
                        keys.add(key)
                    walk(value, key)
        elif isinstance(node, list):
            for item in node:
                walk(item, parent)

    for file in default_spec_dir().glob("*.toml"):
        walk(tomllib.loads(file.read_text(encoding="utf-8")), "")
    return keys - {""}


def test_spec_format_page_describes_every_key_of_the_spec():
    page = DOCS.joinpath("reference/spec-format.md").read_text(encoding="utf-8")
    missing = sorted(k for k in _spec_keys() if not re.search(rf"[`.\[]{re.escape(k)}[`\]]", page))
    assert missing == []


def test_cli_page_lists_every_command_and_option():
    page = DOCS.joinpath("reference/cli.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command in sub.choices.items():  # type: ignore[union-attr]
        assert f"## `pumpsafety {name}`" in page
        section = page.split(f"## `pumpsafety {name}`")[1].split("\n## ")[0]
        for action in command._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert f"`{flag}" in section, (name, flag)


def test_api_page_lists_every_public_name():
    page = DOCS.joinpath("reference/api.md").read_text(encoding="utf-8")
    for name in (*pumpsafety.__all__, *diagram.__all__):
        assert f"`{name}" in page, name


# ---------------------------------------------------------------------------------------------
# the site builds


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None, reason="mkdocs is not installed")
def test_mkdocs_builds_strict(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site/reference/requirements/index.html").is_file()
