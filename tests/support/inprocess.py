"""Running exoplan's ``main(argv)`` in the test's own process, for tests that need only
its exit code and output: the same :class:`~tests.support.run.Result` as a subprocess
run, without an interpreter's start-up per command.

The run sees what a subprocess run sees: the working directory ``cwd``, the environment
scrubbed of credentials and proxies (:func:`~tests.support.run.exoplan_env`) plus the
sandbox's and ``env``, standard input at end of file (not a terminal), and its own
standard output and error, with the log set up afresh for them. Everything is put back
afterwards.

Not for tests about signals, start-up (what a fresh interpreter imports) or processes
(locks held by another process, a kill): those run :func:`tests.support.run.exoplan`.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from reconciler.cli.main import main
from reconciler.sandbox.server import Sandbox
from tests.support.run import FAST, Result, exoplan_env


@contextlib.contextmanager
def _fresh_log() -> Iterator[None]:
    """The root logger without handlers while exoplan runs (it sets up its own, writing
    to the run's stderr), as it finds it in a fresh process; put back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers.clear()
    try:
        yield
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)


def exoplan(
    sandbox: Sandbox | None,
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
) -> Result:
    """``exoplan ARGS`` in ``cwd`` against ``sandbox`` (None: no API), in this process."""
    wanted = exoplan_env({**(sandbox.env() if sandbox is not None else {}), **(env or {})})
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name in set(os.environ) - set(wanted):
            patch.delenv(name)
        for name, value in wanted.items():
            patch.setenv(name, value)
        patch.chdir(cwd)
        patch.setattr(sys, "stdin", io.StringIO(""))
        patch.setattr(sys, "stdout", stdout)
        patch.setattr(sys, "stderr", stderr)
        with _fresh_log():
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse: usage errors and --help
                code = 0 if exit_.code is None else exit_.code if isinstance(exit_.code, int) else 1
    return Result(code, stdout.getvalue(), stderr.getvalue())


def apply(sandbox: Sandbox, cwd: Path, *args: str) -> Result:
    """``exoplan apply --auto-approve --rate-limit 0 --read-rate-limit 0 ARGS``, in this
    process, against ``sandbox``."""
    return exoplan(sandbox, cwd, "apply", "--auto-approve", *FAST, *args)
