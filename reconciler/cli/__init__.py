"""The command line: parsing, dispatch, one small ``run_*`` per command, and all printing
and prompting. The only sub-package (with ``render``) that writes to the terminal."""

from __future__ import annotations

from typing import NoReturn

from reconciler.collector import collector_paused


def run() -> NoReturn:
    """The ``exoplan`` command, and ``python -m reconciler``."""
    with collector_paused():  # modules load thousands of objects that live until exit
        from reconciler.cli.main import main
    raise SystemExit(main())
