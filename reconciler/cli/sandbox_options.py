"""The flags of ``exoplan sandbox``: where it listens, which accounts it serves, how it
limits, slows and fails what it is asked, and what it owns and sells at start."""

from __future__ import annotations

import argparse

from reconciler.cli.options import (
    add_account_sid_option,
    milliseconds,
    non_negative,
    per_minute,
    port,
    probability,
)


def add_sandbox_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    cmd.add_argument(
        "--port", type=port, default=8080, help="port (default: 8080; 0 picks a free one)"
    )
    add_account_sid_option(cmd, "the account SID it serves (default: acme1)", "acme1")
    cmd.add_argument(
        "--background",
        action="store_true",
        help="return once listening (a busy port fails first) and serve from a child process",
    )
    cmd.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="SID:KEY:TOKEN",
        help="serve this account, with its own API key and token, instead (repeatable)",
    )
    _add_sandbox_limits(cmd)
    _add_sandbox_files(cmd)


def _add_sandbox_limits(cmd: argparse.ArgumentParser) -> None:
    """How the sandbox limits, slows and fails what it is asked."""
    cmd.add_argument(
        "--rate-limit",
        type=per_minute,
        default=0,
        metavar="N/min",
        help="answer 429 beyond N writes (buy, change, release) a minute (default: no limit)",
    )
    cmd.add_argument(
        "--read-rate-limit",
        type=per_minute,
        default=0,
        metavar="N/min",
        help="answer 429 beyond N reads (GET) a minute (default: no limit)",
    )
    cmd.add_argument(
        "--one-budget",
        action="store_true",
        help="count reads and writes in one --rate-limit window per account, as Exotel documents",
    )
    cmd.add_argument(
        "--latency", type=milliseconds, default=0, metavar="MS", help="delay every answer"
    )
    cmd.add_argument(
        "--fail-rate",
        type=probability,
        default=0.0,
        metavar="P",
        help="answer this share of requests with a random 5xx (0 to 1)",
    )
    cmd.add_argument(
        "--drop-rate",
        type=probability,
        default=0.0,
        metavar="P",
        help="make this share of purchases, then close the connection unanswered (0 to 1)",
    )


def _add_sandbox_files(cmd: argparse.ArgumentParser) -> None:
    """What the sandbox's account owns and sells at start, and how releases linger."""
    cmd.add_argument(
        "--seed", metavar="FILE", help="JSON or YAML list of numbers the account owns at start"
    )
    cmd.add_argument(
        "--inventory",
        metavar="FILE",
        help="JSON or YAML list of numbers for sale, replacing the built-in inventory",
    )
    cmd.add_argument("--calls", metavar="FILE", help="JSON or YAML list of calls to serve")
    cmd.add_argument(
        "--release-lingers",
        type=non_negative,
        default=5.0,
        metavar="SECONDS",
        help="how long a released number stays listed after its 202, as Exotel's may (default: 5)",
    )
