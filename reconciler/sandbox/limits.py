"""What the sandbox enforces and injects: rate windows and faults.

Reads (GET) and writes (POST, PUT, DELETE) each have their own :class:`RateLimiter`, a
sliding window per account; every answer it admits carries ``X-RateLimit-Limit``,
``-Remaining`` and ``-Reset`` (epoch seconds), as Exotel documents, and a request
beyond the window is answered 429 with ``Retry-After``. :class:`Faults` holds the faults
tests arm (429, 5xx, slow or dropped answers) and the random ones (``fail_rate``, and
``drop_rate``: purchases made, then their answer lost). Standard library only.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from typing import Literal

from reconciler.sandbox.store import ApiFailure

#: Exotel's documented limit of the ExoPhone API, named in an armed 429's headers.
EXOTEL_RATE_LIMIT = 50

_SERVER_ERRORS = {
    500: ("Internal server error", "INTERNAL_ERROR"),
    502: ("Bad gateway", "BAD_GATEWAY"),
    503: ("Service temporarily unavailable", "SERVICE_UNAVAILABLE"),
}


def server_error(status: int) -> ApiFailure:
    """A 5xx answer, as a load balancer or a struggling backend would give it."""
    message, code = _SERVER_ERRORS.get(status, ("Server error", "SERVER_ERROR"))
    return ApiFailure(status, message, code)


def rate_limited(limit: int, wait_seconds: float) -> ApiFailure:
    """A 429 answer with ``Retry-After`` (whole seconds, at least 1) and X-RateLimit-*."""
    retry_after = max(1, math.ceil(wait_seconds))
    headers = {"Retry-After": str(retry_after), **limit_headers(limit, 0, retry_after)}
    message = f"Rate limit exceeded. Try again in {retry_after} seconds."
    return ApiFailure(429, message, "RATE_LIMIT_EXCEEDED", headers)


def limit_headers(limit: int, remaining: int, reset_in: float) -> dict[str, str]:
    """X-RateLimit-* headers; the reset time is in epoch seconds."""
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(0, remaining)),
        "X-RateLimit-Reset": str(math.ceil(time.time() + max(0.0, reset_in))),
    }


class RateLimiter:
    """A sliding window per account: at most ``limit`` requests in any ``window`` seconds."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        if limit < 0 or window <= 0:
            raise ValueError(f"need a rate limit >= 0 and a window > 0, not {limit}, {window}")
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}

    def admit(self, account: str) -> dict[str, str]:
        """X-RateLimit-* headers for an admitted request; raises ApiFailure(429) if over."""
        if self.limit <= 0:
            return {}
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(account, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                raise rate_limited(self.limit, hits[0] + self.window - now)
            hits.append(now)
            return limit_headers(self.limit, self.limit - len(hits), hits[0] + self.window - now)


FaultKind = Literal["throttle", "fail", "delay", "drop"]


class Faults:
    """Faults armed by tests, each used up by one request; a random failure rate, and a
    random share of purchases whose answers are lost."""

    def __init__(
        self, fail_rate: float = 0.0, rng_seed: int | None = None, drop_rate: float = 0.0
    ) -> None:
        if not (0 <= fail_rate <= 1 and 0 <= drop_rate <= 1):
            raise ValueError(f"need rates from 0 to 1, not {fail_rate}, {drop_rate}")
        self.fail_rate = fail_rate
        self.drop_rate = drop_rate
        self._rng = random.Random(rng_seed)
        self._lock = threading.Lock()
        self._armed: dict[FaultKind, deque[float]] = {
            kind: deque() for kind in ("throttle", "fail", "delay", "drop")
        }

    def arm(self, kind: FaultKind, n: int, value: float) -> None:
        """Give the next ``n`` requests that reach ``kind`` this fault (and ``value``)."""
        if n < 0:
            raise ValueError(f"n must not be negative, not {n}")
        with self._lock:
            self._armed[kind].extend([value] * n)

    def take(self, kind: FaultKind) -> float | None:
        """The value of the next armed fault of ``kind`` (used up), or None."""
        with self._lock:
            armed = self._armed[kind]
            return armed.popleft() if armed else None

    def check(self, limit: int = EXOTEL_RATE_LIMIT) -> None:
        """Raise the armed (or random) 429 or 5xx for this request, if any."""
        retry_after = self.take("throttle")
        if retry_after is not None:
            raise rate_limited(limit, retry_after)
        status = self.take("fail")
        if status is not None:
            raise server_error(int(status))
        with self._lock:
            if self.fail_rate > 0 and self._rng.random() < self.fail_rate:
                raise server_error(self._rng.choice(sorted(_SERVER_ERRORS)))

    def drops(self) -> bool:
        """Whether the answer to a purchase just made is lost (the connection closed
        without one): an armed drop, else at random, ``drop_rate`` of them."""
        if self.take("drop") is not None:
            return True
        with self._lock:
            return self.drop_rate > 0 and self._rng.random() < self.drop_rate
