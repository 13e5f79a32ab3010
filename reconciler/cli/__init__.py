"""The command line: parsing, dispatch, one small ``run_*`` per command, and all printing
and prompting. The only sub-package (with ``render``) that writes to the terminal.

This module imports nothing at all: until :func:`run` has taken the signals over
(:func:`reconciler.cli.signals.quietly`), a Ctrl-C would end the run with Python's
traceback, so the time before it is kept as short as it can be.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing alone takes milliseconds to import
if TYPE_CHECKING:
    from typing import NoReturn


def run() -> NoReturn:
    """The ``exoplan`` command, and ``python -m reconciler``: from its first line on, a
    Ctrl-C or SIGTERM ends it with 130 or 143 and one line, never a traceback."""
    try:
        from reconciler.cli.signals import quietly

        code = quietly(_main)
    except KeyboardInterrupt:  # before quietly could take it over
        import sys

        print("error: interrupted", file=sys.stderr)
        code = 130
    raise SystemExit(code)


def _main() -> int:
    """The command, with the cycle collector paused throughout: the one place that sets
    it (see :mod:`reconciler.collector`)."""
    from reconciler.collector import collector_paused

    with collector_paused():
        from reconciler.cli.main import main

        return main()
