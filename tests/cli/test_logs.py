"""The log: escaped on stderr whoever logs, even though ``logging`` is imported late.

Each case runs in a fresh interpreter, where nothing has imported ``logging`` yet (as in
``exoplan plan``), and logs as a library would: after importing ``logging`` itself.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HOSTILE = "\x1b]0;owned\x07 \x1b[2J\u202e"
SHOWN = "\\x1b]0;owned\\x07 \\x1b[2J\\u202e"


def logged(verbose: int, *, early: bool = False, forget: bool = False) -> str:
    """What stderr shows when exoplan's HTTP log and urllib3 each say HOSTILE at debug and
    warning level, with ``-v`` given ``verbose`` times.

    early: ``logging`` is already imported when the log is configured. forget: the
    configuration is taken back before anything imports ``logging``."""
    code = f"""
import sys
{"import logging" if early else ""}
from reconciler.cli import logs
logs.configure({verbose})
{"logs.forget()" if forget else ""}
assert ("logging" in sys.modules) == {early}
import logging
assert type(logging.__loader__).__name__ == "SourceFileLoader", logging.__loader__
assert not [f for f in sys.meta_path if type(f).__module__ == "reconciler.cli.logs"]
for name in ("exoplan.http", "urllib3"):
    logging.getLogger(name).debug("%s debug %s", name, {HOSTILE!r})
    logging.getLogger(name).warning("%s warning %s", name, {HOSTILE!r})
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return run.stderr


@pytest.mark.parametrize("early", [False, True])
@pytest.mark.parametrize(
    ("verbose", "shown"),
    [
        (0, {"exoplan.http warning", "urllib3 warning"}),
        (1, {"exoplan.http debug", "exoplan.http warning", "urllib3 warning"}),
        (2, {"exoplan.http debug", "exoplan.http warning", "urllib3 debug", "urllib3 warning"}),
    ],
)
def test_every_line_is_escaped_and_verbosity_holds_whenever_logging_is_imported(
    verbose: int, shown: set[str], early: bool
) -> None:
    lines = logged(verbose, early=early).splitlines()
    assert {line.removesuffix(f" {SHOWN}") for line in lines} == shown
    assert all(line.endswith(SHOWN) for line in lines)


def test_a_configuration_taken_back_configures_nothing() -> None:
    # Python's last-resort handler prints warnings plainly: nothing of exoplan's is set up.
    assert logged(2, forget=True).splitlines() == [
        f"exoplan.http warning {HOSTILE}",
        f"urllib3 warning {HOSTILE}",
    ]


def test_logging_found_by_another_finder_is_set_up_too() -> None:
    """A build that freezes logging, or any finder ahead of the standard one, finds it
    instead: the set-up follows the spec it gives."""
    code = f"""
import sys
from importlib.machinery import PathFinder
asked = []
class Elsewhere:
    def find_spec(self, name, path, target=None):
        if name != "logging":
            return None
        asked.append(name)
        return PathFinder.find_spec(name, path)
sys.meta_path.insert(0, Elsewhere())
from reconciler.cli import logs
logs.configure(0)
import logging
assert asked == ["logging"], asked
logging.getLogger("urllib3").warning("%s", {HOSTILE!r})
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stderr == f"{SHOWN}\n"
