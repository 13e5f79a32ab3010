"""The flags of the read-only comparisons: ``exoplan drift`` and ``exoplan state diff``.

Kept beside :mod:`reconciler.cli.parser`, which adds them with its common options (-f,
--state and the global flags) so that every command reads those the same way.
"""

from __future__ import annotations

import argparse

from reconciler.cli import commands
from reconciler.cli.options import add_api_options, add_format_options


def serial(text: str) -> int:
    """A state version: its serial, as ``exoplan state history`` lists them."""
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise argparse.ArgumentTypeError(
            f"expected a serial (a whole number from 0, see `exoplan state history`), got {text[:40]!r}"
        )
    return int(text)


def add_drift_flags(cmd: argparse.ArgumentParser) -> None:
    add_format_options(cmd)
    add_api_options(cmd)
    cmd.set_defaults(handler=commands.drift)


def add_state_diff_flags(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "states",
        nargs="*",
        metavar="STATE",
        help="two states (files or postgresql:// URLs), e.g. a state and its .backup",
    )
    cmd.add_argument(
        "--from-version",
        type=serial,
        metavar="N",
        help="with --to-version: compare two kept versions (serials) of -f's or --state's state",
    )
    cmd.add_argument("--to-version", type=serial, metavar="M", help="the later version (serial)")
    cmd.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    cmd.add_argument(
        "--json", dest="format", action="store_const", const="json", help="same as --format json"
    )
    cmd.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 2 when the states differ, 0 when they do not, 1 on error",
    )
    cmd.set_defaults(handler=commands.state_diff)
