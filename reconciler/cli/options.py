"""Option types and the option groups several commands share; every default in one place.

Bad values exit 1 naming the flag (argparse's own exit 2 is kept for "changes present").
"""

from __future__ import annotations

import argparse
import os

from reconciler.model import DEFAULT_RATE_LIMIT, DEFAULT_TIMEOUT, Manifest

#: The environment variable naming the state (a path or a URL), after --state.
STATE_ENV = "EXOPLAN_STATE"


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


def state_path_for(args: argparse.Namespace, manifest: Manifest | None = None) -> str:
    """Where the state lives, first match wins: --state, EXOPLAN_STATE, the manifest's
    ``state.url``, the default file beside -f's manifest. A path or a PostgreSQL URL.

    Without a loaded ``manifest``, -f's manifest is read for its ``state.url`` when it
    exists (a broken manifest is an error: guessing the state's home could be wrong).
    """
    from reconciler.state.file import default_state_path

    chosen = args.state or os.environ.get(STATE_ENV)
    if chosen:
        return str(chosen)
    if manifest is None and os.path.exists(args.manifest):
        from reconciler.manifest.load import load_manifest

        manifest = load_manifest(args.manifest)
    if manifest is not None and manifest.state_url:
        return manifest.state_url
    return default_state_path(args.manifest)
