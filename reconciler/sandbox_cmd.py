"""``exoplan sandbox``: run the local Exotel stand-in in the foreground."""

from __future__ import annotations

import argparse
import os


def run_sandbox(args: argparse.Namespace) -> int:
    from .sandbox import serve

    # Credentials already exported for exoplan are accepted by the sandbox, so the
    # same shell can start it and apply against it; otherwise it makes its own.
    return serve(
        args.host,
        args.port,
        args.rate_limit,
        args.latency,
        args.fail_rate,
        args.seed,
        args.account_sid,
        api_key=os.environ.get("EXOTEL_API_KEY") or None,
        api_token=os.environ.get("EXOTEL_API_TOKEN") or None,
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
