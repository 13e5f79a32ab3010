"""The log: escaped on stderr whoever logs, at the verbosity -v asks for.

Each case runs in a fresh interpreter and logs as a library would: through a logger of
its own, after the command line's entry configured the log once.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HOSTILE = "\x1b]0;owned\x07 \x1b[2J\u202e"
SHOWN = "\\x1b]0;owned\\x07 \\x1b[2J\\u202e"


def logged(verbose: int, *, early: bool = False) -> str:
    """What stderr shows when exoplan's HTTP log and urllib3 each say HOSTILE at debug and
    warning level, with ``-v`` given ``verbose`` times.

    early: a library imported ``logging`` (and made its logger) before the configuration."""
    code = f"""
import sys
{"import logging; logging.getLogger('urllib3')" if early else ""}
from reconciler.cli import logs
logs.configure({verbose})
import logging
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
def test_every_line_is_escaped_and_verbosity_holds_whoever_logs(
    verbose: int, shown: set[str], early: bool
) -> None:
    lines = logged(verbose, early=early).splitlines()
    assert {line.removesuffix(f" {SHOWN}") for line in lines} == shown
    assert all(line.endswith(SHOWN) for line in lines)


def test_a_command_configures_the_log_before_it_runs() -> None:
    """The whole command line: a library's warning during a command comes out escaped."""
    code = f"""
import logging, sys
from reconciler.cli import commands
def noisy(args):
    logging.getLogger("urllib3").warning("%s", {HOSTILE!r})
    return 0
commands.validate = noisy
from reconciler.cli.main import main
sys.exit(main(["validate"]))
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stderr == f"{SHOWN}\n"
