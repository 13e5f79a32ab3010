"""Command-line parsing, dispatch and exit codes; the commands live elsewhere.

Exit codes: 0 success, 1 error the user can act on, 2 changes present (plan with
--detailed-exitcode), 3 a bug in exoplan, 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Callable, Sequence

from . import __version__
from .errors import ExoplanError

Handler = Callable[[argparse.Namespace], int]
EXIT_BUG, EXIT_INTERRUPTED = 3, 130


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ExoplanError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 1
    except Exception:
        traceback.print_exc()
        print(
            "exoplan hit a bug (the traceback is above). Please report it with the "
            "command you ran; your state file was not changed by the failed step.",
            file=sys.stderr,
        )
        return EXIT_BUG


def _configure_logging(verbose: int) -> None:
    level = logging.DEBUG if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="exoplan",
        description="Declarative management of Exotel ExoPhones: validate, plan, apply.",
    )
    parser.add_argument("--version", action="version", version=f"exoplan {__version__}")
    common = _common_options()
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_validate(sub, common)
    _add_plan(sub, common)
    return parser


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-f",
        "--manifest",
        default="numbers.yaml",
        metavar="M",
        help="the manifest (default: numbers.yaml)",
    )
    common.add_argument(
        "--state",
        metavar="S",
        help="the state file (default: the manifest's path with .state.json)",
    )
    common.add_argument("-v", "--verbose", action="count", default=0, help="log more to stderr")
    common.add_argument("--no-color", action="store_true", help="never colour the output")
    return common


def _add_validate(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    from .commands import run_validate

    cmd = sub.add_parser(
        "validate", parents=[common], help="check the manifest; report every problem"
    )
    cmd.set_defaults(handler=run_validate)


def add_format_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="output format (default: text)",
    )
    cmd.add_argument(
        "--json", dest="format", action="store_const", const="json", help="same as --format json"
    )


def _add_plan(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    from .commands import run_plan

    cmd = sub.add_parser("plan", parents=[common], help="show what apply would change")
    add_format_options(cmd)
    cmd.add_argument(
        "--out", metavar="PLANFILE", help="also save the plan for `exoplan apply PLANFILE`"
    )
    cmd.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 when there are no changes, 2 when there are, 1 on error",
    )
    cmd.set_defaults(handler=run_plan)
