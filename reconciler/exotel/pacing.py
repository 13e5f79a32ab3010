"""Client-side pacing for Exotel's API: send slots per budget, paced to what Exotel
advertises; no network here.

Exotel documents one ExoPhone budget per account (50/min), not one for reads and one for
writes, so reads (GET) and writes (POST, PUT, DELETE) share one :class:`RateLimiter`, a
queue of evenly spaced send slots shared by every thread of one client, so that the
limit holds without the server having to answer 429. Only when Exotel's
``X-RateLimit-*`` headers advertise a different limit for reads than for writes are the
two paced apart, each on a budget of its own. How far apart the slots are is the
stricter of the user's cap and what Exotel last advertised for that budget
(:func:`advertised`), or, until it advertises, a configured rate. ``pause_until`` holds
one budget's threads back at once after a 429 or a spent quota. :class:`Pacer` holds the
budgets of one client.

Header values are never trusted beyond their shape: a value that is not a plain count,
a reset too far away, a limit of 0 are ignored, and the configured pace stays.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import NamedTuple

from reconciler.exotel import retry
from reconciler.model import DEFAULT_READ_RATE_LIMIT

Clock = Callable[[], float]
Sleep = Callable[[float], object]

log = logging.getLogger("exoplan.http")

#: A count in a header: plain digits (a comma-joined repeat, a sign, a fraction is not one).
_COUNT = re.compile(r"[0-9]{1,12}")
#: Exotel documents its limits per minute; a bare X-RateLimit-Limit is read that way.
_WINDOW = 60.0


class Advertised(NamedTuple):
    """What one answer's ``X-RateLimit-*`` headers say, as far as they can be read."""

    limit: int | None
    remaining: int | None
    reset_in: float | None  # seconds until the quota resets

    def interval(self) -> float | None:
        """Seconds between sends that keep within it: the remaining requests spread
        until the reset; with no reset, the limit per minute. None when it says nothing
        usable, or that the quota is spent (that wait is a pause until the reset)."""
        if self.reset_in is not None and self.remaining is not None:
            # The reset is given in whole seconds, so the quota may come back up to a
            # second sooner than it says: spreading over a second less still sends no
            # more than the remaining ones before the reset, and does not crawl when a
            # window slides a request at a time.
            return max(0.0, self.reset_in - 1.0) / self.remaining if self.remaining else None
        if self.limit:
            return _WINDOW / self.limit
        return None


def advertised(headers: Mapping[str, str], now_epoch: float, max_reset: float) -> Advertised:
    """Read ``X-RateLimit-Limit``, ``-Remaining`` and ``-Reset`` (epoch seconds, or seconds
    left) from an answer's headers. Whatever is missing or cannot be read is None: a
    limit of 0, a remaining count above the limit, a reset further than ``max_reset``."""
    lowered = {name.lower(): value for name, value in headers.items()}
    limit = _count(lowered.get("x-ratelimit-limit")) or None
    remaining = _count(lowered.get("x-ratelimit-remaining"))
    if limit is not None and remaining is not None and remaining > limit:
        remaining = None
    reset_in = retry.reset_seconds(lowered.get("x-ratelimit-reset"), now_epoch)
    if reset_in is not None and reset_in > max_reset:
        reset_in = None
    return Advertised(limit, remaining, reset_in)


def _count(text: str | None) -> int | None:
    if text is None or not _COUNT.fullmatch(text.strip()):
        return None
    return int(text.strip())


def interval_of(rate: float) -> float:
    """Seconds between two slots at ``rate`` a minute (0.0 for 0: no limit)."""
    return 60.0 / rate if rate > 0 else 0.0


class RateLimiter:
    """Evenly spaced send slots shared by every thread of one budget.

    The first caller goes at once (a burst of one); each later caller reserves the next
    free slot under a lock and sleeps until it, so the pace is never exceeded however
    many threads ask. The slots are ``per_minute`` apart at least (the cap; 0 = none),
    and as far apart as the server last advertised (:meth:`advertise`), or until it
    does, as ``until_advertised`` a minute says (default: the cap).
    """

    def __init__(
        self,
        per_minute: float,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        *,
        until_advertised: float | None = None,
        name: str = "",
    ) -> None:
        self._cap = interval_of(per_minute)
        fallback = per_minute if until_advertised is None else until_advertised
        self._fallback = interval_of(fallback)
        self._told: float | None = None
        self._clock = clock
        self._sleep = sleep
        self._name = name
        self._lock = threading.Lock()
        self._last_slot = -math.inf
        self._paused_until = -math.inf
        self._pause_reason = ""

    @property
    def cap_interval(self) -> float:
        """Seconds between two slots at the user's cap (0.0: no cap)."""
        return self._cap

    @property
    def interval(self) -> float:
        """Seconds between two slots now (0.0 when unlimited)."""
        with self._lock:
            return self._interval()

    def advertise(self, interval: float | None) -> None:
        """Pace to what the server advertised: ``interval`` seconds between sends (None
        keeps what was known). The cap still holds."""
        if interval is not None and math.isfinite(interval) and interval >= 0:
            with self._lock:
                self._told = interval

    def acquire(self) -> float:
        """Block until the caller may send; return the seconds spent waiting."""
        waited = 0.0
        while True:
            delay = self._reserve()
            if delay > 0:
                self._sleep(delay)
                waited += delay
            # A pause that began while this thread slept puts it behind the pause.
            if not self._paused():
                return waited

    def pause_until(self, when: float, reason: str = "") -> None:
        """Make every thread wait until the ``clock()`` time ``when`` before sending."""
        with self._lock:
            if when > self._paused_until:
                self._paused_until, self._pause_reason = when, reason

    def waiting(self) -> tuple[float, str] | None:
        """The wait every sender is in now and why: a pause (429, quota spent) or the
        last reserved slot of the pacing; None when a request may go at once."""
        with self._lock:
            now = self._clock()
            if self._paused_until > now:
                return self._paused_until - now, self._pause_reason or "paused"
            queued, interval = self._last_slot - now, self._interval()
        if queued > 0 and interval > 0:
            what = f" {self._name}" if self._name else ""
            return queued, f"pacing{what} to the rate limit ({pace(60 / interval)}/min)"
        return None

    def eta(self, calls: int) -> float | None:
        """Seconds until ``calls`` more sends are done at this budget's pace: what is
        left of a pause, then one slot each (None when the budget is not paced)."""
        with self._lock:
            interval = self._interval()
            pause = max(0.0, self._paused_until - self._clock())
        if calls <= 0:
            return 0.0
        return pause + calls * interval if interval > 0 else None

    def _interval(self) -> float:
        told = self._fallback if self._told is None else self._told
        return max(self._cap, told)

    def _reserve(self) -> float:
        """Take the next free slot; return how long to sleep until it."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._last_slot + self._interval(), self._paused_until)
            self._last_slot = slot
            return slot - now

    def _paused(self) -> bool:
        with self._lock:
            return self._paused_until > self._clock()


class Pacer:
    """The budgets of one client: one shared by reads and writes (the account's ExoPhone
    budget) until answers advertise separate limits for reads (GET) and writes (the
    rest), then one each. Pauses last at most ``max_wait`` s."""

    def __init__(
        self,
        writes: RateLimiter,
        reads: RateLimiter,
        max_wait: float,
        clock: Clock,
        shared: RateLimiter | None = None,
    ) -> None:
        self.writes = writes
        self.reads = reads
        self.shared = shared
        self._max_wait = max_wait
        self._clock = clock
        self._lock = threading.Lock()
        self._limits: dict[str, int] = {}  # the limit last advertised, per kind
        self._cap = writes.cap_interval  # --rate-limit's pace: the shared budget's floor

    @classmethod
    def configured(
        cls,
        writes: float,
        reads: float | None,
        headroom: float,
        max_wait: float,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> Pacer:
        """Writes capped at ``writes`` a minute, reads at ``reads`` (0: no cap; without
        it, DEFAULT_READ_RATE_LIMIT until Exotel advertises a limit), and while they share
        the account's budget, both together paced to what Exotel advertises for it, or
        until it does, to ``writes`` a minute. Configured rates are used at ``headroom``
        of their value."""
        fallback = DEFAULT_READ_RATE_LIMIT if reads is None else reads
        return cls(
            RateLimiter(writes * headroom, clock, sleep, name="writes"),
            RateLimiter(
                (reads or 0.0) * headroom,
                clock,
                sleep,
                until_advertised=fallback * headroom,
                name="reads",
            ),
            max_wait,
            clock,
            shared=RateLimiter(
                0.0, clock, sleep, until_advertised=writes * headroom, name="reads and writes"
            ),
        )

    def acquire(self, method: str) -> float:
        """Block until ``method`` may be sent; the seconds waited: its own kind's slot
        (reads or writes), then, while the budget is shared, the account's."""
        waited = (self.reads if method == "GET" else self.writes).acquire()
        shared = self.shared
        return waited + (shared.acquire() if shared is not None else 0.0)

    def budget(self, method: str) -> RateLimiter:
        shared = self.shared
        if shared is not None:
            return shared
        return self.reads if method == "GET" else self.writes

    def heard(self, method: str, status: int, headers: Mapping[str, str]) -> None:
        """Pace ``method``'s budget to what the answer advertises; when it says the quota
        is spent (and this is no 429, which waits on its own), pause until the reset."""
        now_epoch = time.time()
        told = advertised(headers, now_epoch, self._max_wait)
        self._compare(method, told.limit)
        (self.reads if method == "GET" else self.writes).advertise(told.interval())
        shared = self.shared
        if shared is not None:
            shared.advertise(self._budget_interval(told))
        quota = retry.quota_reset_delay(headers, now_epoch)
        if quota and status != 429 and quota <= self._max_wait:
            self.pause(method, quota, "rate-limit quota spent")

    def _budget_interval(self, told: Advertised) -> float | None:
        """The shared budget's pace from an answer: what it advertises, but never faster
        than its limit a minute or --rate-limit, whichever is the looser (a sliding
        window's remaining count, spread until its reset, can run ahead of the limit)."""
        by_limit = _WINDOW / told.limit if told.limit else None
        paced = told.interval()
        if by_limit is None and paced is None:
            return None
        floor = self._cap if by_limit is None else min(by_limit, self._cap)
        return max(paced or 0.0, floor)

    def _compare(self, method: str, limit: int | None) -> None:
        """Split the shared budget when reads and writes advertise different limits."""
        if limit is None or self.shared is None:
            return
        kind, other = ("reads", "writes") if method == "GET" else ("writes", "reads")
        with self._lock:
            self._limits[kind] = limit
            theirs = self._limits.get(other)
            if self.shared is None or theirs is None or theirs == limit:
                return
            log.info(
                "Exotel advertises a %s limit of %d and a %s limit of %d a minute: "
                "pacing reads and writes on separate budgets",
                kind,
                limit,
                other,
                theirs,
            )
            self.shared = None

    def pause(self, method: str, delay: float, why: str) -> None:
        """Hold back every thread sending on ``method``'s budget (at most max_wait s)."""
        delay = min(delay, self._max_wait)
        kind = "reads" if method == "GET" else "writes"
        log.info("%s: %s wait %.1fs", why, kind, delay)
        reason = "Exotel's rate limit (HTTP 429/quota)"
        self.budget(method).pause_until(self._clock() + delay, reason)

    def waiting(self) -> tuple[float, str] | None:
        """The longest of the budgets' waits (see RateLimiter.waiting)."""
        budgets = (self.writes, self.reads, self.shared)
        waits = [w for b in budgets if b is not None and (w := b.waiting()) is not None]
        return max(waits, default=None)

    def eta(self, calls: int) -> float | None:
        """Seconds until ``calls`` more writes are done (see RateLimiter.eta): at their
        own pace, or the shared budget's when that is slower (a read's 429 holds it)."""
        shared = self.shared
        etas = [self.writes.eta(calls), shared.eta(calls) if shared is not None else None]
        known = [eta for eta in etas if eta is not None]
        return max(known) if known else None


def pace(per_minute: float) -> str:
    """A pace as a person reads it: whole numbers from 10 up, two figures below."""
    return f"{per_minute:.0f}" if per_minute >= 10 else f"{per_minute:.2g}"
