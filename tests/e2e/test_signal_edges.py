"""Signals at the edges of a run: however early a Ctrl-C or SIGTERM comes, and when it
comes while apply saves what it did, exoplan ends with 130 or 143 and one line.

Each signal is sent at a chosen point, not after a tuned sleep: the run sends it to
itself when a given module is imported, or it waits on its stdin just before the state
is saved until the test has sent it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.sandbox.server import Sandbox
from tests.support.project import JOURNAL, STATE, number, write_manifest
from tests.support.run import FAST, exoplan, finish, start_exoplan
from tests.support.sandbox import new_sandbox

#: Sends ``SIGNUM`` to the run itself when it first imports ``MODULE``, then starts
#: exoplan through ``ENTRY``: as the installed ``exoplan`` script does, or as
#: ``python -m reconciler`` does.
ON_IMPORT = """
import os, sys

class SignalOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == MODULE:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), SIGNUM)
        return None

sys.meta_path.insert(0, SignalOnImport())
"""
ENTRIES = {
    "script": "from reconciler.cli import run\nsys.exit(run())\n",
    "module": "import runpy\nrunpy.run_module('reconciler', run_name='__main__', alter_sys=True)\n",
}
#: Before the state is saved, says so on stderr and waits for a line on stdin.
BEFORE_SAVE = """
import sys
from reconciler.state.store import FileStore

saving = FileStore.save

def save(self, state):
    print("saving the state", file=sys.stderr, flush=True)
    sys.stdin.readline()
    saving(self, state)

FileStore.save = save
from reconciler.cli import run
run()
"""
MESSAGES = {signal.SIGINT: "error: interrupted\n", signal.SIGTERM: "error: terminated (SIGTERM)\n"}
EXITS = {signal.SIGINT: 130, signal.SIGTERM: 143}
#: The modules imported on the way to the command, in order: the first is the one the
#: entry point imports before it can take SIGTERM over.
EARLY = ["reconciler.cli.signals", "reconciler.collector", "reconciler.cli.main"]
EARLY += ["reconciler.cli.parser", "reconciler.cli.logs", "reconciler.cli.validate"]


def on_import(module: str, signum: int, entry: str) -> list[str]:
    prologue = f"MODULE = {module!r}\nSIGNUM = {int(signum)}\n"
    return [sys.executable, "-c", prologue + ON_IMPORT + ENTRIES[entry]]


@pytest.mark.parametrize("entry", sorted(ENTRIES))
@pytest.mark.parametrize("module", EARLY)
def test_a_ctrl_c_however_early_exits_130_without_a_traceback(
    tmp_path: Path, module: str, entry: str
) -> None:
    write_manifest(tmp_path, [number(1)])
    program = on_import(module, signal.SIGINT, entry)
    result = exoplan(None, tmp_path, "validate", program=program)
    assert (result.code, result.stderr) == (130, MESSAGES[signal.SIGINT])


@pytest.mark.parametrize("entry", sorted(ENTRIES))
@pytest.mark.parametrize("module", EARLY[1:])
def test_a_sigterm_from_the_entry_point_on_exits_143_without_a_traceback(
    tmp_path: Path, module: str, entry: str
) -> None:
    write_manifest(tmp_path, [number(1)])
    program = on_import(module, signal.SIGTERM, entry)
    result = exoplan(None, tmp_path, "validate", program=program)
    assert (result.code, result.stderr) == (143, MESSAGES[signal.SIGTERM])


def apply_until_the_save(sandbox: Sandbox, folder: Path) -> subprocess.Popen[str]:
    """Start apply; return once it waits before saving the state (on stdin)."""
    program = [sys.executable, "-c", BEFORE_SAVE]
    args = ("apply", "--auto-approve", *FAST)
    process = start_exoplan(sandbox, folder, *args, program=program, stdin=subprocess.PIPE)
    assert process.stderr is not None
    seen = ""
    while "saving the state\n" not in seen:
        line = process.stderr.readline()
        assert line, f"apply ended before saving the state: {seen}"
        seen += line
    return process


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_apply_saves_exits_with_its_code_after_the_save(
    tmp_path: Path, signum: int
) -> None:
    numbers = [number(1), number(2)]
    write_manifest(tmp_path, numbers)
    with new_sandbox() as sandbox:
        process = apply_until_the_save(sandbox, tmp_path)
        process.send_signal(signum)
        assert process.stdin is not None
        process.stdin.write("go on\n")
        process.stdin.flush()
        result = finish(process)
    assert result.code == EXITS[signum], result.stderr
    assert "Traceback" not in result.stderr
    assert "Apply finished: 2 purchased" in result.stdout
    assert sorted(json.loads((tmp_path / STATE).read_text())["numbers"]) == numbers
    assert not (tmp_path / JOURNAL).exists()
