"""Client-side pacing for Exotel's API: evenly spaced send slots; no network here.

``RateLimiter`` hands out evenly spaced send slots shared by every thread of one client,
so a limit of N requests a minute holds without the server having to answer 429, and
``pause_until`` holds every thread back at once after a 429 or an exhausted quota.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

Clock = Callable[[], float]
Sleep = Callable[[float], object]


class RateLimiter:
    """Evenly spaced send slots, 60/N seconds apart, shared by every thread.

    The first caller goes at once (a burst of one); each later caller reserves the next
    free slot under a lock and sleeps until it, so N a minute is never exceeded however
    many threads ask. ``per_minute <= 0`` means unlimited: no slots, only pauses.
    """

    def __init__(
        self, per_minute: float, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
    ) -> None:
        self._interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = -math.inf
        self._paused_until = -math.inf
        self._pause_reason = ""

    @property
    def interval(self) -> float:
        """Seconds between two slots (0.0 when unlimited)."""
        return self._interval

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
            queued = self._next_slot - self._interval - now
        if queued > 0:
            return queued, f"pacing to the rate limit ({60 / self._interval:g}/min)"
        return None

    def _reserve(self) -> float:
        """Take the next free slot; return how long to sleep until it."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot, self._paused_until)
            self._next_slot = slot + self._interval
            return slot - now

    def _paused(self) -> bool:
        with self._lock:
            return self._paused_until > self._clock()
