"""reconciler.exotel.pacing: evenly spaced send slots shared by threads, pauses, one
budget for reads and writes until the server advertises two, and what it advertises in
X-RateLimit-*."""

from __future__ import annotations

import math
import threading
from itertools import pairwise

import pytest

from reconciler.exotel.pacing import Advertised, Pacer, RateLimiter, advertised
from reconciler.model import DEFAULT_READ_RATE_LIMIT
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


@pytest.mark.parametrize(
    ("per_minute", "shown"),
    [(1.50014, "1.5"), (2583.44, "2583"), (47.5, "48"), (30, "30"), (0.3333, "0.33")],
)
def test_the_pace_is_shown_sensibly_rounded(per_minute: float, shown: str) -> None:
    fake = FakeTime()
    limiter = RateLimiter(0, clock=fake.clock, sleep=lambda seconds: None)
    limiter.advertise(60.0 / per_minute)
    limiter.acquire()
    limiter.acquire()
    assert limiter.waiting() == (
        pytest.approx(60.0 / per_minute),
        f"pacing to the rate limit ({shown}/min)",
    )


def test_the_eta_of_writes_is_a_pause_then_one_slot_each() -> None:
    fake = FakeTime()
    pacer = Pacer.configured(60, 30, 1.0, 120.0, fake.clock, fake.sleep)
    assert pacer.eta(5) == pytest.approx(5.0)  # one write a second
    pacer.pause("GET", 30.0, "429")
    assert pacer.eta(5) == pytest.approx(35.0)  # one budget: a read's 429 holds writes too
    assert pacer.eta(0) == 0.0


def test_the_eta_of_writes_on_their_own_budget_ignores_a_pause_of_reads() -> None:
    fake = FakeTime()
    pacer = two_budgets(fake, 60, 30)
    assert pacer.eta(5) == pytest.approx(5 * 1.2)  # at the 50/min advertised for writes
    pacer.pause("GET", 30.0, "429")
    assert pacer.eta(5) == pytest.approx(5 * 1.2)  # a pause of reads holds no write back
    pacer.pause("POST", 30.0, "429")
    assert pacer.eta(5) == pytest.approx(30.0 + 5 * 1.2)


def test_unpaced_writes_have_no_eta_of_their_own() -> None:
    fake = FakeTime()
    pacer = Pacer.configured(0, None, 1.0, 120.0, fake.clock, fake.sleep)
    assert pacer.eta(5) is None
    pacer.heard("POST", 200, headers("60", "59", None))  # Exotel advertises 60 a minute
    assert pacer.eta(5) == pytest.approx(5.0)


# -- what the server advertises --------------------------------------------------------

NOW = 1_700_000_000.0


def headers(limit: str | None, remaining: str | None, reset: str | None) -> dict[str, str]:
    given = {"X-RateLimit-Limit": limit, "X-RateLimit-Remaining": remaining}
    given["X-RateLimit-Reset"] = reset
    return {name: value for name, value in given.items() if value is not None}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (("300", "299", str(int(NOW) + 60)), Advertised(300, 299, 60.0)),
        (("50", "0", "30"), Advertised(50, 0, 30.0)),  # seconds left, not epoch seconds
        ((" 300 ", None, None), Advertised(300, None, None)),
        ((None, None, None), Advertised(None, None, None)),
    ],
)
def test_advertised_reads_the_three_headers(
    given: tuple[str | None, str | None, str | None], expected: Advertised
) -> None:
    assert advertised(headers(*given), NOW, max_reset=120.0) == expected


@pytest.mark.parametrize(
    "given",
    [
        ("abc", "x", "soon"),
        ("-5", "-1", "-30"),
        ("nan", "inf", "nan"),
        ("1e309", "1e309", "1e309"),
        ("50, 50", "49, 49", "60, 60"),  # a header repeated by a proxy
        ("0", "0", "0"),  # a limit of nothing: never a reason to stop for ever
        ("", " ", ""),
        ("٣٠٠", "²", "60"),  # digits of other scripts
        ("9" * 40, "9" * 40, "9" * 40),
        ("10", "20", "60"),  # more remaining than the limit
        ("50", "10", str(int(NOW) + 10**9)),  # a reset decades away
        ("\x1b[2J", "\u202e", "\x00"),
    ],
)
def test_garbage_headers_never_crash_and_say_nothing_usable(
    given: tuple[str, str, str],
) -> None:
    told = advertised(headers(*given), NOW, max_reset=120.0)
    interval = told.interval()
    assert interval is None or (0 <= interval <= 120.0 and told.limit)


@pytest.mark.parametrize(
    ("told", "interval"),
    [
        (Advertised(300, 299, 60.8), 0.2),  # the remaining spread until the reset
        (Advertised(300, 2, 0.5), 0.0),  # a reset within its own rounding: go
        (Advertised(300, None, None), 0.2),  # a bare limit is per minute
        (Advertised(50, 0, 30.0), None),  # quota spent: a pause until the reset
        (Advertised(None, 10, 6.0), 0.5),
        (Advertised(None, None, 30.0), None),
    ],
)
def test_advertised_interval(told: Advertised, interval: float | None) -> None:
    assert told.interval() == (pytest.approx(interval) if interval is not None else None)


def test_an_advertised_pace_replaces_the_pace_used_until_then() -> None:
    fake = FakeTime()
    limiter = RateLimiter(0, clock=fake.clock, sleep=fake.sleep, until_advertised=50)
    assert limiter.interval == pytest.approx(1.2)
    limiter.advertise(0.2)
    times = send_times(limiter, fake, 3)
    assert [b - a for a, b in pairwise(times)] == pytest.approx([0.2, 0.2])


def test_the_cap_holds_whatever_the_server_advertises() -> None:
    fake = FakeTime()
    limiter = RateLimiter(30, clock=fake.clock, sleep=fake.sleep)
    limiter.advertise(0.2)  # 300/min advertised, 30/min allowed
    assert limiter.interval == pytest.approx(2.0)
    limiter.advertise(6.0)  # 10/min advertised: slower than the cap
    assert limiter.interval == pytest.approx(6.0)


@pytest.mark.parametrize("nonsense", [None, -1.0, math.nan, math.inf])
def test_an_unusable_advertisement_keeps_the_pace_known(nonsense: float | None) -> None:
    limiter = RateLimiter(0, until_advertised=60)
    limiter.advertise(nonsense)
    assert limiter.interval == pytest.approx(1.0)


def test_reads_and_writes_share_one_budget_per_account() -> None:
    fake = FakeTime()
    pacer = Pacer.configured(60, None, 1.0, 120.0, fake.clock, fake.sleep)
    for method in ("PUT", "GET", "POST", "GET", "DELETE"):
        pacer.acquire(method)
    assert fake.sleeps == pytest.approx([1.0] * 4)  # 60/min for all five together
    pacer.heard("GET", 200, headers("50", "40", "60"))
    pacer.heard("POST", 200, headers("50", "39", "60"))  # the same limit: one budget
    assert pacer.shared is not None
    pacer.pause("GET", 30.0, "429")
    assert pacer.acquire("PUT") == pytest.approx(30.0)  # a read's 429 holds writes too


def two_budgets(fake: FakeTime, writes: float = 60, reads: float | None = 30) -> Pacer:
    """A pacer that has heard Exotel advertise a read limit and a different write limit."""
    pacer = Pacer.configured(writes, reads, 1.0, 120.0, fake.clock, fake.sleep)
    pacer.heard("GET", 200, {"X-RateLimit-Limit": "300"})
    pacer.heard("PUT", 200, {"X-RateLimit-Limit": "50"})
    assert pacer.shared is None
    return pacer


def test_reads_and_writes_are_two_budgets_once_exotel_advertises_two() -> None:
    fake = FakeTime()
    pacer = two_budgets(fake)
    start = fake.now
    for method in ("PUT", "GET", "POST", "GET", "DELETE"):
        pacer.acquire(method)
    # writes 1.2 s apart (their advertised 50/min), reads 2 s (the cap), each on its own
    # slots: the last write goes at 2.4 s, not after all five had queued one behind another
    assert fake.now - start == pytest.approx(2.4)
    pacer.pause("GET", 30.0, "429")
    assert pacer.acquire("PUT") == pytest.approx(1.2)  # writes are not paused
    assert pacer.waiting() == (pytest.approx(30.0 - 1.2), "Exotel's rate limit (HTTP 429/quota)")


def test_an_explicit_read_cap_holds_while_the_budget_is_shared() -> None:
    fake = FakeTime()
    pacer = Pacer.configured(600, 30, 1.0, 120.0, fake.clock, fake.sleep)
    start = fake.now
    for method in ("GET", "PUT", "GET"):
        pacer.acquire(method)
    assert fake.now - start == pytest.approx(2.0)  # the second read waited for the read cap


def test_reads_go_at_the_default_until_the_server_advertises() -> None:
    pacer = Pacer.configured(50, None, 1.0, 120.0)
    assert pacer.reads.interval == pytest.approx(60 / DEFAULT_READ_RATE_LIMIT)
    pacer.heard("GET", 200, headers("300", "299", "60"))
    assert pacer.reads.interval == pytest.approx(59 / 299)  # heard while still shared
    pacer.heard("PUT", 200, headers("50", "49", "60"))
    assert pacer.writes.interval == pytest.approx(59 / 49)  # a read's headers are the reads'


def test_a_spent_quota_pauses_the_shared_budget() -> None:
    fake = FakeTime()
    pacer = Pacer.configured(0, 0, 1.0, 120.0, fake.clock, fake.sleep)
    pacer.heard("POST", 200, headers("50", "0", "10"))
    assert pacer.acquire("GET") == pytest.approx(10.0)


def test_a_spent_quota_pauses_only_its_budget_when_there_are_two() -> None:
    fake = FakeTime()
    pacer = two_budgets(fake, 0, 0)
    pacer.heard("POST", 200, headers("50", "0", "10"))
    assert pacer.acquire("GET") == 0.0
    assert pacer.acquire("PUT") == pytest.approx(10.0)


def test_a_quota_reset_beyond_the_longest_wait_is_not_waited_for() -> None:
    fake = FakeTime()
    pacer = Pacer.configured(0, 0, 1.0, 120.0, fake.clock, fake.sleep)
    pacer.heard("GET", 200, headers("50", "0", "3600"))
    assert pacer.budget("GET").acquire() == 0.0


def test_no_cap_on_the_budget_leaves_writes_unpaced_and_reads_at_their_default() -> None:
    fake = FakeTime()
    pacer = Pacer.configured(0, None, 1.0, 120.0, fake.clock, fake.sleep)
    start = fake.now
    for _ in range(5):
        pacer.acquire("POST")
    assert fake.now == start  # --rate-limit 0: writes go at once
    pacer.acquire("GET")
    pacer.acquire("GET")
    assert fake.now - start == pytest.approx(60 / DEFAULT_READ_RATE_LIMIT)


@pytest.mark.parametrize(
    ("cap", "advertised", "interval"),
    [
        # a sliding window's 59 left in 6 s would be 700/min: held to the 600/min cap
        (600, ("60", "59", "6"), 60 / 600),
        # Exotel advertising 300/min: the account's budget goes at 300, above the 50 cap
        (50, ("300", "299", "60"), 60 / 300),
        # nothing but a limit: that limit, though the cap is looser
        (600, ("120", None, None), 60 / 120),
    ],
)
def test_the_shared_budget_never_runs_ahead_of_its_limit_or_the_cap(
    cap: float, advertised: tuple[str, str | None, str | None], interval: float
) -> None:
    pacer = Pacer.configured(cap, None, 1.0, 120.0)
    limit, remaining, reset = advertised
    told = {"X-RateLimit-Limit": limit}
    if remaining is not None and reset is not None:
        told = headers(limit, remaining, reset)
    pacer.heard("GET", 200, told)
    assert pacer.shared is not None
    assert pacer.shared.interval == pytest.approx(interval)
