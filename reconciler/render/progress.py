"""Apply progress: a live line on a terminal, one line per finished action otherwise.

What Exotel answered (sids, error messages) is shown through
:func:`reconciler.render.escape.terminal`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from reconciler.model import ApplyResult, Outcome
from reconciler.render.escape import terminal
from reconciler.render.text import paint


class Progress:
    """Called with each Outcome as it completes."""

    def __init__(
        self,
        total: int,
        out: TextIO,
        live: bool,
        color: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.out = out
        self.live = live
        self.color = color
        self.clock = clock
        self.started = clock()
        self.done = 0

    def __call__(self, outcome: Outcome) -> None:
        self.done += 1
        if self.live:
            self._live_line(outcome)
        else:
            self.out.write(self._result_line(outcome) + "\n")
        self.out.flush()

    def _live_line(self, outcome: Outcome) -> None:
        elapsed = max(self.clock() - self.started, 1e-6)
        rate = self.done / elapsed * 60
        line = (
            f"[{self.done}/{self.total}] {outcome.action.kind.value} "
            f"{terminal(outcome.action.number)}"
            f" {'ok' if outcome.ok else 'FAILED'} · {rate:.1f} actions/min"
        )
        self.out.write("\r\033[K" + line)
        if not outcome.ok:  # failures stay on screen
            self.out.write("\n" + self._result_line(outcome) + "\n")

    def _result_line(self, outcome: Outcome) -> str:
        prefix = f"[{self.done}/{self.total}]"
        what = f"{outcome.action.kind.value} {terminal(outcome.action.number)}"
        if outcome.ok:
            return f"{prefix} {what}: {terminal(outcome.detail)}"
        failed = paint("failed", "31", self.color)
        return f"{prefix} {what} {failed}: {terminal(outcome.error)}"

    def finish(self) -> None:
        if self.live and self.done:
            self.out.write("\n")
            self.out.flush()


def summary(result: ApplyResult) -> str:
    """One line: what was done, what failed, what is unknown or was never started."""
    counts = result.counts()
    line = (
        f"{counts['purchased']} purchased, {counts['adopted']} adopted, "
        f"{counts['updated']} updated, "
        + (f"{counts['quarantined']} quarantined, " if counts["quarantined"] else "")
        + f"{counts['released']} released, {counts['failed']} failed"
    )
    for key in ("unknown", "not started"):
        if counts[key]:
            line += f", {counts[key]} {key}"
    return line
