"""Big plans, for ``plan_bench.py``: every output of a plan that buys N new numbers (a
first purchase, a bulk move), each a whole ``exoplan plan`` process, against the floor.

The floor is a whole process that parses the same manifest with PyYAML's C loader, its
cycle collector paused (as plan pauses its own while it parses): plan must at least
start an interpreter and read the manifest. Each output (text; ``--format json``;
``--format markdown``; ``--out PLANFILE``, which also prints the text plan) is timed as
CPU seconds (user + system) and its peak resident memory taken from the kernel's account
of that one process. Floor and outputs run in turn, after one warm-up run of each, so
that all see the same machine load; the best of ``repeat`` runs is kept.

Targets (issue 28): every output within 1.6x of the floor, at most 450 MiB.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from report import Section

REPO = Path(__file__).resolve().parent.parent
FLOOR = (
    "import gc, sys, yaml\n"
    "gc.disable()\n"
    "with open(sys.argv[1], encoding='utf-8') as handle:\n"
    "    yaml.load(handle.read(), Loader=yaml.CSafeLoader)\n"
)
OUTPUTS = {
    "text": [],
    "`--format json`": ["--format", "json"],
    "`--format markdown`": ["--format", "markdown"],
    "`--out PLANFILE`": ["--out", "{folder}/big.plan.json"],
}
TARGET_RATIO, TARGET_MIB = 1.6, 450


class Usage(NamedTuple):
    """What one whole process cost: CPU seconds and peak resident memory (MiB)."""

    cpu: float
    peak_mib: float


def write_purchases(size: int, folder: Path) -> Path:
    """A manifest of ``size`` numbers none of which is bought yet (no state beside it),
    in three spellings, each named and routed."""
    lines = ["version: 1", "account:", "  sid: bench1", "  region: mumbai", "flows:"]
    lines += ["  support:", "    app_id: 123456", "  sales:", "    app_id: 234567"]
    lines.append("numbers:")
    for i in range(size):
        national = f"80{30000000 + i:08d}"
        written = ["+91" + national, "0" + national, "91" + national][i % 3]
        flow = "support" if i % 2 else "sales"
        lines += [f'  - number: "{written}"', f"    friendly_name: Line {i}"]
        lines.append(f"    voice_flow: {flow}")
    manifest = folder / f"purchase{size}.yaml"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest


def usage_of(command: list[str], env: dict[str, str]) -> Usage:
    """CPU and peak memory of one whole process, its output dropped."""
    child = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert child.stderr is not None
    errors = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise subprocess.CalledProcessError(child.returncode, command, stderr=errors)
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    scale = 1 << 20 if sys.platform == "darwin" else 1 << 10
    return Usage(usage.ru_utime + usage.ru_stime, usage.ru_maxrss / scale)


def commands(manifest: Path, folder: Path) -> dict[str, list[str]]:
    """The floor and each output's ``exoplan plan``, by the label of their row."""
    state = folder / "none.state.json"  # never written: every number is new
    plan = [sys.executable, "-m", "reconciler", "plan", "-f", str(manifest)]
    plan += ["--state", str(state)]
    found = {"floor": [sys.executable, "-c", FLOOR, str(manifest)]}
    for label, flags in OUTPUTS.items():
        found[label] = [*plan, *(flag.format(folder=folder) for flag in flags)]
    return found


def big_plan_table(size: int, folder: Path, repeat: int, env: dict[str, str], out: Section) -> None:
    """The table, into ``out``: each output's best CPU time against the floor's, peak
    memory."""
    manifest = write_purchases(size, folder)
    runs = commands(manifest, folder)
    for command in runs.values():  # warm-up: bytecode cached, files in the page cache
        usage_of(command, env)
    taken: dict[str, list[Usage]] = {label: [] for label in runs}
    for _ in range(repeat):
        for label, command in runs.items():
            taken[label].append(usage_of(command, env))
    floor = min(u.cpu for u in taken["floor"])
    floor_peak = max(u.peak_mib for u in taken["floor"])
    out.line()
    out.line(
        f"| plan of {size:,} new numbers, best of {repeat} | s CPU | / floor "
        f"| target | peak memory (MiB) | target |"
    )
    out.line("| --- | ---: | ---: | ---: | ---: | ---: |")
    out.line(
        f"| floor: yaml.load (C loader, collector paused) | {floor:.2f} | 1.00 | | "
        f"{floor_peak:.0f} | |"
    )
    for label in OUTPUTS:
        cpu = min(u.cpu for u in taken[label])
        peak = max(u.peak_mib for u in taken[label])
        out.line(
            f"| {label} | {cpu:.2f} | {cpu / floor:.2f} | <= {TARGET_RATIO} | {peak:.0f} "
            f"| <= {TARGET_MIB} |"
        )
