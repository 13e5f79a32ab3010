"""reconciler.render.progress: a live line on a terminal, one line per action otherwise."""

from __future__ import annotations

import io
import re
import threading
import time

import pytest

from reconciler.exotel.pacing import Pacer
from reconciler.model import ActionKind, ApplyResult, Outcome
from reconciler.render.progress import Progress, summary
from tests.support.clock import FakeTime
from tests.support.plans import action

A, B = "+918030240001", "+918030240002"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def ok(kind: str = "purchase", number: str = A, detail: str = "purchased (sid S1)") -> Outcome:
    return Outcome(action(kind, number), ok=True, detail=detail)


def failed(kind: str = "purchase", number: str = A, error: str = "HTTP 402: no balance") -> Outcome:
    return Outcome(action(kind, number), ok=False, error=error)


def test_without_a_terminal_each_action_gets_one_line_with_its_result() -> None:
    out = io.StringIO()
    progress = Progress(3, out, live=False)
    progress(ok())
    progress(failed("update", B, "PUT /x HTTP 404 [NOT_FOUND]: ExoPhone S2 not found"))
    progress(ok("release", "+918030240003", "already gone from the account"))
    progress.finish()
    assert out.getvalue() == (
        f"[1/3] purchase {A}: purchased (sid S1)\n"
        f"[2/3] update {B} failed: PUT /x HTTP 404 [NOT_FOUND]: ExoPhone S2 not found\n"
        "[3/3] release +918030240003: already gone from the account\n"
    )


@pytest.mark.parametrize(("color", "word"), [(True, "\033[31mfailed\033[0m"), (False, "failed")])
def test_failures_are_red_only_with_colour(color: bool, word: str) -> None:
    out = io.StringIO()
    Progress(1, out, live=False, color=color)(failed())
    assert out.getvalue() == f"[1/1] purchase {A} {word}: HTTP 402: no balance\n"


def status(progress: Progress, width: int = 200) -> str:
    line = progress.status_line(width)
    assert len(line) <= width
    return line


def test_the_status_line_counts_the_elapsed_time_and_the_eta_from_the_rate_limit() -> None:
    clock = Clock()
    progress = Progress(4, io.StringIO(), live=True, clock=clock, eta=lambda calls: 2.0 * calls)
    clock.now += 75.0
    progress(ok())
    assert status(progress) == "[1/4] · 1:15 elapsed · ETA 0:06"


def test_the_status_line_shows_the_wait_and_its_reason() -> None:
    waiting = (25.4, "Exotel's rate limit (HTTP 429/quota)")
    progress = Progress(
        3,
        io.StringIO(),
        live=True,
        clock=Clock(),
        waiting=lambda: waiting,
        eta=lambda calls: waiting[0] + calls,
    )
    assert status(progress) == (
        "[0/3] · 0:00 elapsed · waiting 25s: Exotel's rate limit (HTTP 429/quota) · ETA 0:28"
    )


@pytest.mark.parametrize("width", [80, 60, 45, 30, 20, 10, 5, 1])
def test_the_status_line_fits_any_width_keeping_the_most_useful_parts(width: int) -> None:
    waiting = (25.0, "Exotel's rate limit (HTTP 429/quota)")
    progress = Progress(
        120, io.StringIO(), live=True, clock=Clock(), waiting=lambda: waiting, eta=lambda n: n * 1.2
    )
    line = status(progress, width)
    if width >= 50:
        assert "waiting 25s: Exotel's rate limit" in line
    elif width >= 30:
        assert "waiting 25s" in line
    if width >= 10:
        assert line.startswith("[0/120]")


def eta_seconds(line: str) -> int:
    found = re.search(r"ETA (\d+):(\d\d)$", line)
    assert found, line
    return int(found[1]) * 60 + int(found[2])


def test_the_eta_counts_down_with_the_pacing_budget_and_the_work_left() -> None:
    """Two workers each reserve the next write slot (30 a minute) as they start; the ETA
    never grows as the run goes on, and ends at the last slot."""
    fake = FakeTime()
    pacer = Pacer.configured(30, 0, 1.0, 120.0, fake.clock, lambda seconds: None)
    progress = Progress(
        6, io.StringIO(), True, clock=fake.clock, waiting=pacer.waiting, eta=pacer.eta
    )
    writes, started, etas = pacer.budget("POST"), 2, []
    in_flight = [fake.now + writes.acquire() for _ in range(started)]
    while progress.done < 6:
        fake.now += 0.5
        for slot in sorted(in_flight):
            if slot <= fake.now:  # sent at its slot, answered at once
                in_flight.remove(slot)
                progress(ok())
                if started < 6:
                    in_flight.append(fake.now + writes.acquire())
                    started += 1
        etas.append(eta_seconds(status(progress)))
    assert etas == sorted(etas, reverse=True) and etas[0] == 10 and etas[-1] == 0


def test_without_a_rate_limit_the_eta_follows_the_pace_so_far() -> None:
    clock = Clock()
    progress = Progress(3, io.StringIO(), live=True, clock=clock)
    assert "ETA" not in status(progress)
    clock.now += 10.0
    progress(ok())
    assert status(progress).endswith("ETA 0:20")


REASON = "Exotel's rate limit (HTTP 429/quota)"


def test_without_a_terminal_a_wait_prints_a_line_every_30_seconds() -> None:
    clock, out, waits = Clock(), io.StringIO(), [(95.0, REASON)]
    progress = Progress(10, out, live=False, clock=clock, waiting=lambda: waits[-1])
    progress(ok())
    for seconds, left in [(29.0, 66.0), (1.0, 65.0), (15.0, 50.0), (15.0, 35.0)]:
        clock.now += seconds
        waits.append((left, REASON))
        progress.tick()
    assert out.getvalue().splitlines()[1:] == [
        f"[1/10] Still waiting: {REASON}, next request in 1m5s [30s elapsed]",
        f"[1/10] Still waiting: {REASON}, next request in 35s [1m0s elapsed]",
    ]


def test_without_a_terminal_a_slow_answer_is_waited_for_aloud() -> None:
    clock, out = Clock(), io.StringIO()
    progress = Progress(3, out, live=False, clock=clock, waiting=lambda: None)
    clock.now += 3725.0
    progress.tick()
    assert out.getvalue() == "[0/3] Still waiting for Exotel's answers [1h2m5s elapsed]\n"


def test_a_labelled_run_names_itself_in_place_of_the_count() -> None:
    clock, out, waits = Clock(), io.StringIO(), [(8.0, "pacing reads to the rate limit (5.7/min)")]
    progress = Progress(
        0, out, live=False, clock=clock, waiting=lambda: waits[-1], label="read\x1b"
    )
    clock.now += 30.0
    progress.tick()
    waits.append((0.0, "pacing reads to the rate limit (5.7/min)"))
    clock.now += 45.0
    progress.tick()
    assert out.getvalue().splitlines() == [
        "[read\\x1b] Still waiting: pacing reads to the rate limit (5.7/min), next request in "
        "8s [30s elapsed]",
        "[read\\x1b] Still waiting for Exotel's answers [1m15s elapsed]",
    ]


def test_on_a_terminal_the_status_line_says_it_and_tick_prints_nothing() -> None:
    clock, out = Clock(), io.StringIO()
    progress = Progress(3, out, live=True, clock=clock, waiting=lambda: (90.0, REASON))
    clock.now += 60.0
    progress.tick()
    assert out.getvalue() == ""


def test_without_a_terminal_the_lines_come_while_nothing_else_happens() -> None:
    clock, out = Clock(), io.StringIO()
    progress = Progress(2, out, live=False, clock=clock)
    progress.start()
    clock.now += 30.0
    for _ in range(200):  # bounded: the display looks every second
        if "Still" in out.getvalue():
            break
        time.sleep(0.05)
    progress.finish()
    assert out.getvalue() == "[0/2] Still waiting for Exotel's answers [30s elapsed]\n"
    assert "exoplan progress" not in [thread.name for thread in threading.enumerate()]


def test_on_a_terminal_every_result_line_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    out = io.StringIO()
    progress = Progress(2, out, live=True, clock=Clock())
    progress.start()
    progress(ok())
    progress(failed("purchase", B))
    progress.finish()
    shown = out.getvalue()
    assert f"[1/2] purchase {A}: purchased (sid S1)" in shown
    assert f"[2/2] purchase {B} failed: HTTP 402: no balance" in shown


def test_finish_without_start_writes_nothing() -> None:
    out = io.StringIO()
    progress = Progress(1, out, live=True, clock=Clock())
    progress.finish()
    assert out.getvalue() == ""


def test_each_line_is_flushed_at_once() -> None:
    class Recording(io.StringIO):
        flushes = 0

        def flush(self) -> None:
            self.flushes += 1

    out = Recording()
    progress = Progress(2, out, live=False)
    progress(ok())
    progress(ok("purchase", B))
    assert out.flushes == 2


def test_summary_counts_each_kind_and_the_failures() -> None:
    result = ApplyResult(
        (
            ok(),
            ok("purchase", B),
            ok("update", A, "updated"),
            ok("release", B, "released"),
            failed(),
            failed("release", B),
        )
    )
    assert summary(result) == "2 purchased, 0 adopted, 1 updated, 1 released, 2 failed"


def test_summary_of_nothing() -> None:
    assert summary(ApplyResult(())) == "0 purchased, 0 adopted, 0 updated, 0 released, 0 failed"


def test_kinds_are_named_by_their_value() -> None:
    out = io.StringIO()
    Progress(1, out, live=False)(ok(ActionKind.UPDATE.value, A, "protect flag recorded"))
    assert out.getvalue() == f"[1/1] update {A}: protect flag recorded\n"
