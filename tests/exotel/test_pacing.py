"""Tests for reconciler.exotel.pacing: slot spacing, pauses, backoff and Retry-After parsing."""

from __future__ import annotations

import threading
from email.utils import formatdate
from itertools import pairwise

import pytest

from reconciler.errors import ApiConnectionError, ApiError, ApiStatusError
from reconciler.exotel.pacing import RateLimiter
from reconciler.exotel.retry import (
    backoff_delay,
    may_repeat,
    outcome_unknown,
    parse_retry_after,
    quota_reset_delay,
    says_already_owned,
)
from tests.support.clock import FakeTime

NOW = 1_700_000_000.0


class ThreadTime:
    """Each thread has its own timeline starting at 0; sleeping moves only that thread."""

    def __init__(self) -> None:
        self._local = threading.local()

    def clock(self) -> float:
        return float(getattr(self._local, "now", 0.0))

    def sleep(self, seconds: float) -> None:
        self._local.now = self.clock() + seconds


def send_times(limiter: RateLimiter, clock: FakeTime, count: int) -> list[float]:
    times = []
    for _ in range(count):
        limiter.acquire()
        times.append(clock.now)
    return times


def test_first_request_goes_at_once_then_slots_are_evenly_spaced() -> None:
    fake = FakeTime()
    limiter = RateLimiter(50, clock=fake.clock, sleep=fake.sleep)
    times = send_times(limiter, fake, 5)
    assert times[0] == 100.0
    gaps = [b - a for a, b in pairwise(times)]
    assert gaps == pytest.approx([1.2] * 4)


def test_idle_time_does_not_build_up_a_burst() -> None:
    fake = FakeTime()
    limiter = RateLimiter(60, clock=fake.clock, sleep=fake.sleep)
    limiter.acquire()
    fake.now += 600
    times = send_times(limiter, fake, 3)
    assert [t - times[0] for t in times] == pytest.approx([0.0, 1.0, 2.0])


def test_unlimited_limiter_never_sleeps() -> None:
    fake = FakeTime()
    limiter = RateLimiter(0, clock=fake.clock, sleep=fake.sleep)
    for _ in range(1000):
        assert limiter.acquire() == 0.0
    assert fake.sleeps == []
    assert limiter.interval == 0.0


def test_pause_until_delays_the_next_request() -> None:
    fake = FakeTime()
    limiter = RateLimiter(0, clock=fake.clock, sleep=fake.sleep)
    limiter.pause_until(130.0)
    assert limiter.acquire() == pytest.approx(30.0)
    assert fake.now == 130.0
    assert limiter.acquire() == 0.0


def test_pause_that_starts_while_a_thread_sleeps_is_respected() -> None:
    fake = FakeTime()
    limiter = RateLimiter(60, clock=fake.clock, sleep=fake.sleep)
    limiter.acquire()

    def sleep_then_pause(seconds: float) -> None:
        fake.sleep(seconds)
        if len(fake.sleeps) == 1:  # another thread got a 429 meanwhile
            limiter.pause_until(fake.now + 20.0)

    limiter._sleep = sleep_then_pause
    limiter.acquire()
    assert fake.now == pytest.approx(100.0 + 1.0 + 20.0)


@pytest.mark.parametrize("per_minute", [50, 120])
def test_four_threads_share_the_slots(per_minute: float) -> None:
    timeline = ThreadTime()
    limiter = RateLimiter(per_minute, clock=timeline.clock, sleep=timeline.sleep)
    sent: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            limiter.acquire()
            with lock:
                sent.append(timeline.clock())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent.sort()
    interval = 60.0 / per_minute
    assert len(sent) == 40
    assert all(b - a >= interval - 1e-9 for a, b in pairwise(sent))
    assert all(sum(1 for t in sent if start <= t < start + 60) <= per_minute for start in sent)


@pytest.mark.parametrize(
    ("attempt", "expected"), [(0, 1.0), (1, 2.0), (2, 4.0), (4, 16.0), (5, 30.0), (10_000, 30.0)]
)
def test_backoff_ceiling_doubles_up_to_the_cap(attempt: int, expected: float) -> None:
    assert backoff_delay(attempt, rng=lambda: 1.0) == expected


def test_backoff_uses_full_jitter() -> None:
    assert backoff_delay(3, rng=lambda: 0.0) == 0.0
    assert backoff_delay(3, base=0.5, cap=100.0, rng=lambda: 0.5) == 2.0
    assert all(0.0 <= backoff_delay(n) <= 30.0 for n in range(20))


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "30"}, 30.0),
        ({"retry-after": " 2.5 "}, 2.5),
        ({"Retry-After": formatdate(NOW + 45, usegmt=True)}, 45.0),
        ({"Retry-After": formatdate(NOW - 45, usegmt=True)}, 0.0),
        ({"X-RateLimit-Reset": str(int(NOW) + 20)}, 20.0),
        ({"x-ratelimit-reset": str(int(NOW) - 5)}, 0.0),
        ({"X-RateLimit-Reset": "12"}, 12.0),
        ({"Retry-After": "7", "X-RateLimit-Reset": str(int(NOW) + 20)}, 7.0),
        ({"Retry-After": "soon", "X-RateLimit-Reset": str(int(NOW) + 20)}, 20.0),
        ({"Retry-After": "-3"}, None),
        ({"Retry-After": "nan"}, None),
        ({"X-RateLimit-Reset": "later"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    result = parse_retry_after(headers, NOW)
    assert result == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 9)}, 9.0),
        ({"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": str(int(NOW) + 9)}, None),
        ({"X-RateLimit-Remaining": "0"}, None),
        ({"X-RateLimit-Reset": str(int(NOW) + 9)}, None),
    ],
)
def test_quota_reset_delay(headers: dict[str, str], expected: float | None) -> None:
    assert quota_reset_delay(headers, NOW) == expected


@pytest.mark.parametrize(
    ("error", "unknown", "repeat", "owned"),
    [
        (ApiConnectionError("timed out"), True, True, False),
        (ApiStatusError("boom", status=503), True, True, False),
        (ApiStatusError("not JSON", status=200), True, False, False),
        (ApiStatusError("conflict", status=409), False, False, True),
        (
            ApiStatusError("Number is already assigned to your account", status=400),
            False,
            False,
            True,
        ),
        (ApiStatusError("Number already owned by this account", status=422), False, False, True),
        (ApiStatusError("Invalid PhoneNumber", status=400), False, False, False),
        (ApiStatusError("already owned", status=429), False, False, False),
        (ApiStatusError("Not found", status=404), False, False, False),
    ],
)
def test_failure_classification(error: ApiError, unknown: bool, repeat: bool, owned: bool) -> None:
    assert (outcome_unknown(error), may_repeat(error), says_already_owned(error)) == (
        unknown,
        repeat,
        owned,
    )
