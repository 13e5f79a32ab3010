"""reconciler.render.progress: a live line on a terminal, one line per action otherwise."""

from __future__ import annotations

import io

import pytest

from reconciler.model import ActionKind, ApplyResult, Outcome
from reconciler.render.progress import Progress, summary
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


def test_on_a_terminal_one_line_is_rewritten_with_count_number_and_rate() -> None:
    out, clock = io.StringIO(), Clock()
    progress = Progress(4, out, live=True, clock=clock)
    clock.now += 30.0
    progress(ok())
    clock.now += 30.0
    progress(ok("update", B))
    assert out.getvalue() == (
        f"\r\033[K[1/4] purchase {A} ok · 2.0 actions/min"
        f"\r\033[K[2/4] update {B} ok · 2.0 actions/min"
    )
    progress.finish()
    assert out.getvalue().endswith("actions/min\n")


def test_on_a_terminal_a_failure_stays_on_screen() -> None:
    out, clock = io.StringIO(), Clock()
    progress = Progress(2, out, live=True, clock=clock)
    clock.now += 6.0
    progress(failed())
    progress(ok("purchase", B))
    assert out.getvalue() == (
        f"\r\033[K[1/2] purchase {A} FAILED · 10.0 actions/min\n"
        f"[1/2] purchase {A} failed: HTTP 402: no balance\n"
        f"\r\033[K[2/2] purchase {B} ok · 20.0 actions/min"
    )


def test_the_rate_survives_an_instant_first_outcome() -> None:
    out = io.StringIO()
    Progress(1, out, live=True, clock=Clock())(ok())  # no time has passed
    assert "actions/min" in out.getvalue()


@pytest.mark.parametrize(
    ("live", "done", "tail"), [(True, True, "\n"), (True, False, ""), (False, True, "")]
)
def test_finish_ends_the_live_line_only(live: bool, done: bool, tail: str) -> None:
    out = io.StringIO()
    progress = Progress(1, out, live=live, clock=Clock())
    if done:
        progress(ok())
    before = out.getvalue()
    progress.finish()
    assert out.getvalue() == before + tail


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
