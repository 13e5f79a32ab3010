"""Start-up: the CPU time of a whole ``exoplan plan -f examples/numbers.yaml`` process
against a whole ``python -c pass`` of the same environment, for ``plan_bench.py``.

It is measured in two setups, because the bare interpreter costs more in one:

- **This checkout, in the benchmark's environment** (``python -m reconciler``), the way
  issue 15 measured it. A development environment has exoplan installed editable
  (``pip install -e .``), and an editable install makes every interpreter there,
  ``python -c pass`` too, import a finder (and pathlib with it) as it starts.
- **A regular install** (``pip install .``, as the README's Quickstart installs it), in
  an environment of its own kept in a cache folder (``--installed-venv`` names
  another): made with the benchmark's interpreter and the dependencies from the package
  index on the first run, exoplan reinstalled from this checkout on every run. There
  ``python -c pass`` starts with nothing extra, so the same process shows a larger
  ratio than in the checkout.

The regular install's last rows are floors for it: the same interpreter importing only
the libraries a plain ``exoplan plan`` imports (PyYAML, dataclasses, argparse, ...),
and their two largest parts, which no change to exoplan's own code can take off.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from report import Section

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = ["plan", "-f", "examples/numbers.yaml"]
#: Floors for a regular install: what a plain `exoplan plan` imports of other people's
#: code (tests/cli/test_startup.py holds what it does not import), and its largest parts.
FLOORS = (
    ("PyYAML alone", "import yaml"),
    ("PyYAML and dataclasses", "import dataclasses, yaml"),
    ("its libraries alone", "import argparse, dataclasses, decimal, hashlib, json, typing, yaml"),
)


def process_env(folder: Path) -> dict[str, str]:
    """The environment of every whole-process run: bytecode cached, as in an install.

    pip compiles an installed package's bytecode; an editable checkout run with
    PYTHONDONTWRITEBYTECODE would compile exoplan's modules on every start instead.
    Each side writes its bytecode to one cache of the run's own (a warm-up run fills
    it), and nothing else in the environment is changed for either side.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return env


def cpu_of(command: list[str], env: dict[str, str]) -> float:
    """CPU seconds (user + system) of one whole process, its output dropped."""
    child = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise subprocess.CalledProcessError(child.returncode, command)
    return usage.ru_utime + usage.ru_stime


def alternated(commands: list[list[str]], env: dict[str, str], runs: int) -> list[list[float]]:
    """CPU seconds of ``runs`` runs of each command, taken in turn so that all see the
    same machine load; after one warm-up run of each."""
    samples: list[list[float]] = [[] for _ in commands]
    for command in commands:
        cpu_of(command, env)
    for _ in range(runs):
        for taken, command in zip(samples, commands, strict=True):
            taken.append(cpu_of(command, env))
    return samples


def default_venv() -> Path:
    """Where the regular install is kept between runs."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    interpreter = f"py{sys.version_info.major}.{sys.version_info.minor}"
    return cache / "exoplan-benchmarks" / f"exoplan-installed-{interpreter}"


def installed(venv: Path) -> Path:
    """The ``bin`` folder of ``venv``, where this checkout is installed as ``pip install .``
    installs it: the whole environment made on the first run, exoplan replaced on each."""
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    ready = [str(python), "-c", "import yaml, jsonschema, requests, deepdiff"]
    if not python.exists() or subprocess.run(ready, capture_output=True).returncode != 0:
        print(f"installing exoplan and its dependencies into {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([*pip, str(REPO)], check=True)
    else:
        subprocess.run([*pip, "--no-deps", "--force-reinstall", str(REPO)], check=True)
    return venv / "bin"


class Row(NamedTuple):
    """One line of the table: a command, the bare interpreter it is compared with, and
    its target (none for a floor)."""

    label: str
    measured: list[str]
    bare: list[str]
    target: str = ""


def rows(venv: Path | None) -> list[Row]:
    """What the table compares: exoplan in each setup, then the regular install's floors."""
    bare = [sys.executable, "-c", "pass"]
    checkout = [sys.executable, "-m", "reconciler", *EXAMPLE]
    found = [Row("this checkout (`python -m reconciler`)", checkout, bare, "<= 4")]
    if venv is not None:
        where = installed(venv)
        python = str(where / "python")
        found.append(
            Row(
                "regular install (`pip install .`)",
                [str(where / "exoplan"), *EXAMPLE],
                [python, "-c", "pass"],
            )
        )
        found += [
            Row(f"regular install, {label}", [python, "-c", imports], [python, "-c", "pass"])
            for label, imports in FLOORS
        ]
    return found


def startup_table(folder: Path, venv: Path | None, out: Section, runs: int = 21) -> None:
    """The table, into ``out``: median CPU of ``runs`` runs of every command, in turn."""
    table = rows(venv)
    commands = list({" ".join(c): c for row in table for c in (row.measured, row.bare)}.values())
    samples = alternated(commands, process_env(folder), runs)
    median = {" ".join(c): statistics.median(s) for c, s in zip(commands, samples, strict=True)}
    out.line()
    out.line(
        f"| start-up, median of {runs} ({os.cpu_count()} cores) | measured (ms CPU) "
        "| `python -c pass` (ms CPU) | ratio | target |"
    )
    out.line("| --- | ---: | ---: | ---: | ---: |")
    for row in table:
        ours, idle = median[" ".join(row.measured)], median[" ".join(row.bare)]
        out.line(
            f"| {row.label} | {ours * 1000:.1f} | {idle * 1000:.1f} | {ours / idle:.2f} | {row.target} |"
        )
