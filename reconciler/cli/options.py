"""Option types and the option groups several commands share; every default in one place.

Bad values exit 1 naming the flag (argparse's own exit 2 is kept for "changes present").
"""

from __future__ import annotations

import argparse
import math
import os
import re
from typing import TYPE_CHECKING

from reconciler.api.options import DEFAULT_MANIFEST as DEFAULT_MANIFEST
from reconciler.exotel.factory import ApiOptions
from reconciler.model import (
    DEFAULT_RATE_LIMIT,
    DEFAULT_READ_RATE_LIMIT,
    DEFAULT_TIMEOUT,
    NUMBER_TYPES,
    Manifest,
)

if TYPE_CHECKING:
    from reconciler.state.store import Store

#: The environment variable naming the state (a path or a URL), after --state.
STATE_ENV = "EXOPLAN_STATE"


class Manifests(argparse.Action):
    """-f repeated: every value in ``manifests``; the first also in ``manifest``, which
    the commands of one manifest read."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        given = [*(getattr(namespace, self.dest, None) or []), str(values)]
        setattr(namespace, self.dest, given)
        namespace.manifest = given[0]


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


#: The largest values the numeric options take: beyond them a value is a typo, and
#: sleeping or pacing with it would overflow or never end.
MAX_SECONDS = 86_400.0
MAX_RATE = 1_000_000.0
MIN_RATE = 0.01
MAX_PARALLELISM = 256


def positive_int(text: str) -> int:
    value = int(text) if text.isdigit() and len(text) <= 6 else 0
    if not 1 <= value <= MAX_PARALLELISM:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from 1 to {MAX_PARALLELISM}, got {text[:40]!r}"
        )
    return value


def _finite(text: str, low: float, high: float, what: str) -> float:
    """``text`` as a finite number from ``low`` to ``high``; nan, inf and 1e308 are refused."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text[:40]!r}")
    return value


def non_negative(text: str) -> float:
    """Seconds to wait: 0 up to a day."""
    return _finite(text, 0.0, MAX_SECONDS, f"a number of seconds from 0 to {MAX_SECONDS:g}")


def positive(text: str) -> float:
    """Seconds to wait for an answer: more than 0, up to a day."""
    value = non_negative(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text[:40]!r}")
    return value


def rate(text: str) -> float:
    """Requests per minute: 0 (no limit) or from MIN_RATE to MAX_RATE."""
    what = f"0 (no limit) or a rate from {MIN_RATE:g} to {MAX_RATE:g} requests per minute"
    value = _finite(text, 0.0, MAX_RATE, what)
    if 0 < value < MIN_RATE:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text[:40]!r}")
    return value


def add_api_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--rate-limit",
        type=rate,
        default=DEFAULT_RATE_LIMIT,
        metavar="N",
        help=(
            f"cap on API writes (buy, change, release) per minute (default: "
            f"{DEFAULT_RATE_LIMIT:g}, the ExoPhone API's limit; 0: no cap); reads and "
            "writes together keep to the account's one budget, as Exotel advertises it "
            "in X-RateLimit-*, at this rate until it does"
        ),
    )
    cmd.add_argument(
        "--read-rate-limit",
        type=rate,
        default=None,
        metavar="N",
        help=(
            "cap on API reads (GET) per minute (default: as Exotel advertises in its "
            f"X-RateLimit-* headers, {DEFAULT_READ_RATE_LIMIT:g} until it does; 0: no cap); "
            "reads also count in the account's one budget (see --rate-limit)"
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
    if not (value.isdigit() and len(value) <= 9):
        raise argparse.ArgumentTypeError(
            f"expected requests per minute such as 50 or 50/min, got {text!r}"
        )
    return int(value)


def probability(text: str) -> float:
    return _finite(text, 0.0, 1.0, "a probability from 0 to 1")


def port(text: str) -> int:
    """A TCP port, 0 (any free one) to 65535."""
    value = int(text) if text.isdigit() and len(text) <= 5 else -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text[:40]!r}")
    return value


def destination(text: str) -> str:
    """A state location given on the command line (``--to``): never empty, which is what
    an unset variable (``--to "$EXOPLAN_STATE"``) expands to."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "the destination is empty (is the variable it names set?): give a state file "
            "path or postgresql://[user@]host[:port]/db?name=STATE"
        )
    return text


def add_account_sid_option(
    cmd: argparse.ArgumentParser, help: str, default: str | None = None
) -> None:
    cmd.add_argument("--account-sid", type=account_sid, default=default, metavar="SID", help=help)


def account_sid(text: str) -> str:
    """An Exotel account SID: letters, digits, - and _ (it goes into every API path)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", text):
        raise argparse.ArgumentTypeError(
            f"an account SID is letters, digits, - and _ only, not {text[:40]!r}"
        )
    return text


def milliseconds(text: str) -> int:
    """A delay in milliseconds, 0 up to a minute."""
    value = int(text) if text.isdigit() and len(text) <= 5 else -1
    if not 0 <= value <= 60_000:
        raise argparse.ArgumentTypeError(
            f"expected milliseconds from 0 to 60000, got {text[:40]!r}"
        )
    return value


def state_path_for(args: argparse.Namespace, manifest: Manifest | None = None) -> str:
    """Where the state lives (see :func:`state_choice`)."""
    return state_choice(args, manifest)[0]


def state_choice(args: argparse.Namespace, manifest: Manifest | None = None) -> tuple[str, bool]:
    """Where the state lives, first match wins: --state, EXOPLAN_STATE, the manifest's
    ``state.url``, the default file beside -f's manifest. A path or a PostgreSQL URL, and
    whether the manifest chose it (then no password of the environment goes there: a pull
    request can change a manifest, never --state or EXOPLAN_STATE).

    Without a loaded ``manifest``, -f's manifest is read for its ``state.url`` when it
    exists (a broken manifest is an error: guessing the state's home could be wrong).
    """
    from reconciler.state.file import default_state_path

    chosen = given_state(args)
    if chosen:
        return chosen, False
    if manifest is None and os.path.exists(args.manifest):
        from reconciler.manifest.load import load_manifest

        manifest = load_manifest(args.manifest)
    if manifest is not None and manifest.state_url:
        return manifest.state_url, True
    return default_state_path(args.manifest), False


def open_state(args: argparse.Namespace, manifest: Manifest | None = None) -> Store:
    """The store :func:`state_choice` names, trusted with the environment's database
    password only when the manifest did not choose it."""
    from reconciler.state.backends import open_store

    location, by_manifest = state_choice(args, manifest)
    return open_store(location, environment_credentials=not by_manifest)


def add_scope_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="NUMBER",
        help="plan only this number (any spelling), or pool:NAME for a whole pool (repeatable)",
    )
    cmd.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="NUMBER",
        help="leave this number, or pool:NAME for a whole pool, out of the plan (repeatable)",
    )


def country_code(text: str) -> str:
    """An ISO 3166-1 alpha-2 country Exotel may sell in: IN, SG, ..."""
    from reconciler.manifest.numbers import is_region

    code = text.strip().upper()
    if len(code) != 2 or not code.isalpha() or not is_region(code):
        raise argparse.ArgumentTypeError(
            f"expected an ISO 3166-1 alpha-2 country code such as IN, got {text[:40]!r}"
        )
    return code


def number_type(text: str) -> str:
    """Landline, Mobile or TollFree, in any case."""
    found = [kind for kind in NUMBER_TYPES if kind.lower() == text.strip().lower()]
    if not found:
        raise argparse.ArgumentTypeError(
            f"expected one of {', '.join(NUMBER_TYPES)}, got {text[:40]!r}"
        )
    return found[0]


def circle(text: str) -> str:
    """A telecom circle code such as KA."""
    code = text.strip().upper()
    if not (1 <= len(code) <= 8 and code.isascii() and code.isalnum()):
        raise argparse.ArgumentTypeError(f"expected a circle code such as KA, got {text[:40]!r}")
    return code


def digits(text: str) -> str:
    """The digits a number must contain."""
    if not (1 <= len(text) <= 15 and text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"expected 1 to 15 digits, got {text[:40]!r}")
    return text


def amount(text: str) -> str:
    """A non-negative sum of money such as 1000 or 999.50, kept as its decimal text."""
    import re

    if not re.fullmatch(r"[0-9]{1,12}(\.[0-9]{1,6})?", text.strip()):
        raise argparse.ArgumentTypeError(
            f"expected an amount such as 1000 or 999.50 (no currency), got {text[:40]!r}"
        )
    return text.strip()


def add_budget_option(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--max-monthly-increase",
        type=amount,
        metavar="AMOUNT",
        help=(
            "refuse a plan whose monthly rental grows by more than AMOUNT (in each "
            "currency), or that buys a number of unknown price"
        ),
    )


def add_usage_option(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--ignore-usage",
        action="append",
        default=[],
        metavar="NUMBER",
        help=(
            "release NUMBER even if it was called within releases.min_idle_days "
            "(repeatable; recorded in a saved plan)"
        ),
    )


def given_state(args: argparse.Namespace) -> str | None:
    """The state --state or EXOPLAN_STATE names (None: the manifest says, or the default)."""
    chosen = getattr(args, "state", None) or os.environ.get(STATE_ENV)
    return str(chosen) if chosen else None


def api_options(args: argparse.Namespace) -> ApiOptions:
    """The API flags a command was given (commands without some keep their defaults)."""
    defaults = ApiOptions()
    return ApiOptions(
        rate_limit=float(getattr(args, "rate_limit", defaults.rate_limit)),
        read_rate_limit=getattr(args, "read_rate_limit", defaults.read_rate_limit),
        timeout=float(getattr(args, "timeout", defaults.timeout)),
        parallelism=int(getattr(args, "parallelism", defaults.parallelism)),
    )
