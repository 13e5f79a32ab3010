"""The retry policy for Exotel's API: what a failure means and how long to wait.

``backoff_delay``, ``parse_retry_after``, ``quota_reset_delay`` and ``reset_seconds`` say
how long to wait; ``outcome_unknown``, ``may_repeat``, ``safe_to_repeat`` and ``says_already_owned`` say what
a failure means for a request that must not be repeated blindly (buying a number). No
network here.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from datetime import timezone
from email.utils import parsedate_to_datetime

from reconciler.errors import (
    ApiConnectionError,
    ApiError,
    ApiNotConnected,
    ApiNotSent,
    ApiOutcomeUnknown,
)

# An X-RateLimit-Reset below this (a date before 2001) cannot be epoch seconds: some
# servers send the seconds left until the reset instead, so it is read as a delay.
_EPOCH_FLOOR = 1_000_000_000.0
# 2**64 times any sensible base is far past any cap; bounding the exponent avoids overflow.
_MAX_EXPONENT = 64
_OWNED_WORDS = ("owned", "assigned", "purchased", "allocated", "your account", "this account")


def backoff_delay(
    attempt: int,
    base: float = 1.0,
    cap: float = 30.0,
    rng: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry ``attempt`` (0 for the first retry), with full jitter.

    The ceiling doubles with each attempt (base, 2*base, 4*base, ...) up to ``cap``; the
    delay is drawn uniformly below it, so clients that failed together retry apart.
    """
    exponent = min(max(attempt, 0), _MAX_EXPONENT)
    ceiling = min(cap, base * 2.0**exponent)
    return max(0.0, ceiling * rng())


def parse_retry_after(headers: Mapping[str, str], now_epoch: float) -> float | None:
    """Seconds the server asked us to wait, or None when it did not say.

    ``Retry-After`` (seconds or an HTTP-date) wins over ``X-RateLimit-Reset`` (epoch
    seconds). Values that cannot be read are ignored; a time already past gives 0.0.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    delay = _retry_after_seconds(lowered.get("retry-after"), now_epoch)
    if delay is not None:
        return delay
    return reset_seconds(lowered.get("x-ratelimit-reset"), now_epoch)


def quota_reset_delay(headers: Mapping[str, str], now_epoch: float) -> float | None:
    """Seconds until the quota resets when ``X-RateLimit-Remaining`` is 0, else None.

    Lets a client stop before the server has to refuse it with a 429.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    if _number(lowered.get("x-ratelimit-remaining")) != 0:
        return None
    return reset_seconds(lowered.get("x-ratelimit-reset"), now_epoch)


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _retry_after_seconds(text: str | None, now_epoch: float) -> float | None:
    if text is None:
        return None
    seconds = _number(text)
    if seconds is not None:
        return seconds if seconds >= 0 else None
    if text.strip().lower() in ("inf", "+inf", "infinity"):
        return math.inf  # "wait for ever": longer than any cap
    try:
        when = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - now_epoch)


def reset_seconds(text: str | None, now_epoch: float) -> float | None:
    """Seconds until ``X-RateLimit-Reset`` (epoch seconds, or seconds left when small);
    None when it cannot be read."""
    reset = _number(text)
    if reset is None or reset < 0:
        return None
    if reset < _EPOCH_FLOOR:
        return reset
    return max(0.0, reset - now_epoch)


def outcome_unknown(error: ApiError) -> bool:
    """The request may or may not have taken effect: no answer, a 5xx, or a 2xx whose
    body could not be read. A request that never left (no connection) did not."""
    if isinstance(error, ApiNotConnected):
        return False
    status = error.status or 0
    return isinstance(error, ApiConnectionError) or status >= 500 or 200 <= status < 300


def may_repeat(error: ApiError) -> bool:
    """Sending again may help: the connection failed or the server had a 5xx trouble."""
    return isinstance(error, ApiConnectionError) or (error.status or 0) >= 500


def safe_to_repeat(method: str, error: ApiError) -> bool:
    """Whether ``method`` may be sent again after ``error``: any request that never left
    (nothing reached Exotel, not even a purchase), and any but a purchase when sending
    again may help; a purchase whose outcome is unknown is settled by its caller."""
    if isinstance(error, ApiNotConnected):
        return True
    return method != "POST" and may_repeat(error)


def says_already_owned(error: ApiError) -> bool:
    """A 409, or another 4xx (not 429) whose message says the number is already owned."""
    if error.status == 409:
        return True
    if error.status is None or not 400 <= error.status < 500 or error.status == 429:
        return False
    text = error.message.lower()
    return "already" in text and any(word in text for word in _OWNED_WORDS)


def is_auth_failure(error: ApiError) -> bool:
    """401 or 403: the credentials (or the account) are refused; every request will be."""
    return error.status in (401, 403)


def raise_unknown_from(exc: ApiError) -> None:
    """Raise ApiOutcomeUnknown for a change whose outcome cannot be told; else return."""
    if isinstance(exc, (ApiNotSent, ApiOutcomeUnknown)) or not outcome_unknown(exc):
        return
    raise ApiOutcomeUnknown(
        exc.message, method=exc.method, path=exc.path, status=exc.status, code=exc.code
    ) from exc
