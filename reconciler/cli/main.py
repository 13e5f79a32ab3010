"""``exoplan``'s entry point: parse, dispatch to the command's ``run_*``, map exit codes.

Exit codes: 0 success, 1 error the user can act on, 2 changes present (plan with
--detailed-exitcode), 3 a bug in exoplan, 130 interrupted (SIGINT), 143 terminated
(SIGTERM).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from reconciler.cli import logs
from reconciler.cli.io import (
    EXIT_BUG,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    error_lines,
    use_color,
)
from reconciler.cli.parser import build_parser
from reconciler.cli.signals import (
    Terminated,
    install_terminate_handler,
    restore_terminate_handler,
)
from reconciler.errors import ExoplanError

Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if args.command is None:  # bare `exoplan`: say what it can do
        parser.print_help()
        return EXIT_OK
    logs.configure(args.verbose)
    previous = install_terminate_handler()
    try:
        return _run(args)
    finally:
        restore_terminate_handler(previous)


def _run(args: argparse.Namespace) -> int:
    """Run the command; every way it can end becomes an exit code."""
    try:
        handler: Handler = args.handler
        return handler(args)
    except ExoplanError as exc:
        error_lines(exc, use_color(args, sys.stderr))
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("error: terminated (SIGTERM)", file=sys.stderr)
        return EXIT_TERMINATED
    except BrokenPipeError:
        return EXIT_ERROR
    except Exception:
        import traceback

        traceback.print_exc()
        print(
            "exoplan hit a bug (the traceback is above). Please report it with the "
            "command you ran; your state file was not changed by the failed step.",
            file=sys.stderr,
        )
        return EXIT_BUG
