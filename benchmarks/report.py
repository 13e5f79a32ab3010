"""The one writer of ``benchmarks/README.md``: every benchmark prints its tables and
replaces its own section there, headed by the date, the commit, the machine and the
command line of the run. The sections of the other benchmarks are left as they were.

    section = Section("apply", "Apply against the sandbox")
    section.line("| a | b |")     # printed, and kept for the README
    section.write()               # replaces the section between its two markers
"""

from __future__ import annotations

import datetime
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
HEADER = """\
# Benchmarks

Written by the benchmarks themselves: each run of a script below replaces its own
section with the tables it measured, headed by when, on which commit and on what
machine it ran. The targets each table checks are in the script's docstring. Absolute
times depend on the machine and its load; the ratios compare runs taken side by side.

- `python benchmarks/plan_bench.py`: plan against parsing its manifest, validate,
  writing the state, big plans (every output of a plan buying many numbers), start-up,
  and plan against octoDNS.
- `python benchmarks/apply_bench.py`: apply and the commands that read the account,
  against the sandbox.
- `python benchmarks/state_bench.py`: the JSON file against PostgreSQL.
"""


def begin(name: str) -> str:
    return f"<!-- begin {name} -->"


def end(name: str) -> str:
    return f"<!-- end {name} -->"


def replace_section(text: str, name: str, body: str) -> str:
    """``text`` with the section ``name`` holding ``body``: replaced where it is, or
    added at the end; every other section as it was."""
    block = f"{begin(name)}\n{body.rstrip()}\n{end(name)}\n"
    start, stop = text.find(begin(name)), text.find(end(name))
    if start < 0 or stop < start:
        return text.rstrip("\n") + "\n\n" + block
    after = stop + len(end(name))
    return text[:start] + block.rstrip("\n") + text[after:]


def commit() -> str:
    """The checkout's commit, with ``+changes`` when its work tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=HERE,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=HERE,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{head}+changes" if changes else head


def machine() -> str:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores "
        f"(load average {load} at the end), Python {platform.python_version()}"
    )


class Section:
    """One benchmark's section: the lines it prints, then written to the README."""

    def __init__(self, name: str, title: str) -> None:
        self.name, self.title = name, title
        self.lines: list[str] = []

    def line(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)

    def render(self) -> str:
        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        command = shlex.join(["python", *sys.argv])
        head = f"## {self.title}\n\n`{command}`, {when}, commit `{commit()}`; {machine()}.\n"
        return head + "\n" + "\n".join(self.lines).strip("\n") + "\n"

    def write(self, readme: Path = README) -> None:
        text = readme.read_text(encoding="utf-8") if readme.exists() else HEADER
        readme.write_text(replace_section(text, self.name, self.render()), encoding="utf-8")
        print(f"\nsection {self.name!r} written to {readme.name}", file=sys.stderr)
