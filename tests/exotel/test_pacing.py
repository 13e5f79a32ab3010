"""reconciler.exotel.pacing: evenly spaced send slots shared by threads, and pauses."""

from __future__ import annotations

import threading
from itertools import pairwise

import pytest

from reconciler.exotel.pacing import RateLimiter
from tests.support.clock import FakeTime


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


def test_waiting_tells_a_pause_and_its_reason() -> None:
    fake = FakeTime()
    limiter = RateLimiter(0, clock=fake.clock, sleep=fake.sleep)
    assert limiter.waiting() is None
    limiter.pause_until(fake.clock() + 25.0, "Exotel's rate limit")
    assert limiter.waiting() == (25.0, "Exotel's rate limit")


def test_waiting_tells_the_pacing_of_queued_senders() -> None:
    fake = FakeTime()
    limiter = RateLimiter(30, clock=fake.clock, sleep=lambda seconds: None)
    limiter.acquire()  # at once
    limiter.acquire()  # reserves the slot 2 s ahead (this sleep does not move the clock)
    assert limiter.waiting() == (2.0, "pacing to the rate limit (30/min)")
