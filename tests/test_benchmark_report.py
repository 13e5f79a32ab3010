"""benchmarks/report.py: each benchmark replaces its own section of benchmarks/README.md,
headed by the date, commit and machine, and leaves the others' sections as they were."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def report() -> ModuleType:
    spec = importlib.util.spec_from_file_location("report", REPO / "benchmarks" / "report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_new_section_is_added_after_the_header(report: ModuleType, tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    section = report.Section("plan", "Plan")
    section.line("| a |")
    section.write(readme)
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n")
    assert "<!-- begin plan -->\n## Plan\n" in text and text.endswith("| a |\n<!-- end plan -->\n")


def test_a_section_is_replaced_and_the_others_kept(
    report: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = tmp_path / "README.md"
    for name, row in (("plan", "| old plan |"), ("apply", "| apply |"), ("state", "| state |")):
        section = report.Section(name, name.title())
        section.line(row)
        section.write(readme)
    monkeypatch.setattr(sys, "argv", ["benchmarks/plan_bench.py", "--sizes", "1000"])
    again = report.Section("plan", "Plan")
    again.line("| new plan |")
    again.write(readme)
    text = readme.read_text(encoding="utf-8")
    assert "| old plan |" not in text and text.count("<!-- begin plan -->") == 1
    order = [text.index(row) for row in ("| new plan |", "| apply |", "| state |")]
    assert order == sorted(order)
    head = text[text.index("## Plan") :].splitlines()[2]
    assert head.startswith("`python benchmarks/plan_bench.py --sizes 1000`, ")
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC, commit `[^`]+`; .* cores", head)


def test_the_commit_names_the_checkout(report: ModuleType) -> None:
    assert re.fullmatch(r"[0-9a-f]{12}(\+changes)?|unknown \(not a git checkout\)", report.commit())
