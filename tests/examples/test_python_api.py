"""docs/python-api.md: every Python example runs as written, from the repository root
in a fresh interpreter, and prints the output the page shows under it."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.support.project import REPO

PAGE = REPO / "docs" / "python-api.md"
README = REPO / "README.md"
#: A ```python block and the ```text block right after it (what it prints).
EXAMPLE = re.compile(r"```python\n(.*?)```\n\n```text\n(.*?)```", re.S)


def examples() -> list[tuple[str, str]]:
    return [(code, shown) for code, shown in EXAMPLE.findall(PAGE.read_text(encoding="utf-8"))]


def test_the_page_has_the_offline_plan_and_the_sandbox_apply() -> None:
    codes = [code for code, _ in examples()]
    assert len(codes) >= 2
    assert "examples/numbers.yaml" in codes[0] and "Sandbox" not in codes[0]
    assert "Sandbox(" in codes[1] and "api.apply(" in codes[1]


@pytest.mark.parametrize("index", range(len(examples())))
def test_each_example_prints_what_the_page_shows(index: int) -> None:
    code, shown = examples()[index]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXOTEL_", "EXOPLAN_"))}
    env["PYTHONPATH"] = str(REPO)
    ran = subprocess.run(
        [sys.executable, "-"],
        input=code,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == shown
    assert ran.stderr == ""


def test_the_readme_links_the_page() -> None:
    assert "(docs/python-api.md)" in README.read_text(encoding="utf-8")


def test_the_readme_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks
    for code in blocks:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        ran = subprocess.run(
            [sys.executable, "-"], input=code, cwd=REPO, env=env, capture_output=True, text=True
        )
        assert ran.returncode == 0 and "'purchase': 7" in ran.stdout, ran.stderr
