"""Option types and the option groups several commands share; every default in one place.

Bad values exit 1 naming the flag (argparse's own exit 2 is kept for "changes present").
"""

from __future__ import annotations

import argparse

from reconciler.model import DEFAULT_RATE_LIMIT, DEFAULT_TIMEOUT


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


def positive_int(text: str) -> int:
    value = int(text) if text.isdigit() else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def positive(text: str) -> float:
    value = non_negative(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def add_api_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--rate-limit",
        type=non_negative,
        default=DEFAULT_RATE_LIMIT,
        metavar="N",
        help=(
            f"API requests per minute, client-side (default: {DEFAULT_RATE_LIMIT:g}, the "
            "ExoPhone API's limit; 0: none)"
        ),
    )
    cmd.add_argument(
        "--timeout",
        type=positive,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"how long to wait for each Exotel answer (default: {DEFAULT_TIMEOUT:g})",
    )


def add_lock_option(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--lock-timeout",
        type=non_negative,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another exoplan holding the state lock (default: fail at once)",
    )


def per_minute(text: str) -> int:
    """'50' or '50/min' -> 50."""
    value = text.removesuffix("/min").strip()
    if not value.isdigit():
        raise argparse.ArgumentTypeError(
            f"expected requests per minute such as 50 or 50/min, got {text!r}"
        )
    return int(value)


def probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a probability from 0 to 1, got {text!r}")
    return value


def state_path_for(args: argparse.Namespace) -> str:
    """The state named by --state, or the default file beside -f's manifest."""
    from reconciler.state.file import default_state_path

    return str(args.state or default_state_path(args.manifest))


def add_scope_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="NUMBER",
        help="plan only this number (any spelling; repeatable)",
    )
    cmd.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="NUMBER",
        help="leave this number out of the plan (any spelling; repeatable)",
    )
