"""Apply progress: a live status line on a terminal, one line per finished action otherwise.

On a terminal, each action's result line is printed as it finishes and stays in the
scrollback; below them one status line (drawn with rich, redrawn a few times a second
even while nothing finishes) shows done/total, the elapsed time, an ETA from the pacing
of the calls left, and the wait the client is in and why ("waiting 25s: Exotel's rate
limit"). The status line always fits the terminal's width: the least useful parts are
dropped first. rich is imported only when that display starts, so other commands never
load it. Without a terminal, a run that has printed nothing for 30 s says what it is
waiting for and for how long (``Still waiting: ... [30s elapsed]``), so a CI log never
goes quiet for minutes. Commands that only read the account (refresh, import, drift,
``plan --refresh``) use that alone, with a ``label`` for what they do in place of the
count (``[reading account acme1] Still waiting: ...``).

What Exotel answered (sids, error messages) is shown through
:func:`reconciler.render.escape.terminal`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from reconciler.model import ApplyResult, Outcome
from reconciler.render.escape import terminal
from reconciler.render.text import paint

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live

#: How the client says what it waits for: (seconds left, why), or None.
Waiting = Callable[[], "tuple[float, str] | None"]
#: Seconds the client's pacing needs for a number of calls more (None: not paced).
Eta = Callable[[int], "float | None"]
#: Redraws a second: often enough to count a wait down, cheap on two cores.
REFRESH_PER_SECOND = 4
#: Without a terminal: the longest silence, and how often it is looked for (seconds).
STILL_EVERY = 30.0
LOOK_EVERY = 1.0


class Progress:
    """Called with each Outcome as it completes; ``finish`` when the run ends.

    ``waiting`` tells what the client waits for now; ``eta`` (the client's pacing) and
    ``calls`` (API calls the plan needs) give the ETA, else the pace so far does;
    ``label`` names the run in the lines without a terminal, in place of done/total."""

    def __init__(
        self,
        total: int,
        out: TextIO,
        live: bool,
        color: bool = False,
        clock: Callable[[], float] = time.monotonic,
        *,
        waiting: Waiting | None = None,
        eta: Eta | None = None,
        calls: int | None = None,
        label: str | None = None,
    ) -> None:
        self.total = total
        self.label = label
        self.out = out
        self.live = live
        self.color = color
        self.clock = clock
        self.started = clock()
        self.done = 0
        self.waiting = waiting
        self.eta = eta
        self.calls = total if calls is None else calls
        self._console: Console | None = None
        self._display: Live | None = None
        self._lock = threading.Lock()
        self._last_result = self._last_line = self.started
        self._finished = threading.Event()
        self._looking: threading.Thread | None = None

    def start(self) -> None:
        """Start the live status line on a terminal; otherwise, the look for silences."""
        if not self.live:
            if self._looking is None:
                self._looking = threading.Thread(
                    target=self._look, name="exoplan progress", daemon=True
                )
                self._looking.start()
            return
        if self._display is not None:
            return
        from rich.console import Console
        from rich.live import Live

        self._console = Console(
            file=self.out, force_terminal=True, no_color=not self.color, highlight=False
        )
        self._display = Live(
            get_renderable=self._renderable,
            console=self._console,
            refresh_per_second=REFRESH_PER_SECOND,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._display.start()

    def __call__(self, outcome: Outcome) -> None:
        with self._lock:
            self.done += 1
            self._last_result = self.clock()
        if self._display is not None:
            self._display.refresh()  # the count under the new result line is current
        self.show(self._result_line(outcome))

    def show(self, line: str) -> None:
        """Print ``line`` (already escaped) above the status line, into the scrollback."""
        if self._console is not None:
            from rich.text import Text

            self._console.print(Text.from_ansi(line))  # wrapped to the width
            return
        with self._lock:
            self.out.write(line + "\n")
            self.out.flush()
            self._last_line = self.clock()

    def tick(self) -> None:
        """Without a terminal, after STILL_EVERY seconds with no line printed: say what
        the run waits for and how long since the last result."""
        with self._lock:
            now = self.clock()
            if self.live or now - self._last_line < STILL_EVERY:
                return
            self._last_line = now
            done, since = self.done, now - self._last_result
        wait = self.waiting() if self.waiting is not None else None
        if wait is not None and wait[0] >= 0.5:
            what = f": {terminal(wait[1])}, next request in {_span(wait[0])}"
        else:
            what = " for Exotel's answers"
        head = terminal(self.label) if self.label is not None else f"{done}/{self.total}"
        self.show(f"[{head}] Still waiting{what} [{_span(since)} elapsed]")

    def _look(self) -> None:
        while not self._finished.wait(LOOK_EVERY):
            self.tick()

    def notice(self, message: str) -> None:
        """A line said at once, on its own (a first Ctrl-C): above the status line on a
        terminal, on stderr otherwise."""
        if self._console is not None:
            self.show(terminal(message))
        else:
            os.write(2, ("\n" + terminal(message) + "\n").encode("utf-8", "replace"))

    def finish(self) -> None:
        """Take the status line away (or stop looking for silences); the result lines stay."""
        self._finished.set()
        if self._looking is not None:
            self._looking.join()
            self._looking = None
        if self._display is not None:
            self._display.stop()
            self._display = None
            self._console = None
        self.out.flush()

    def status_line(self, width: int) -> str:
        """The status line, at most ``width`` columns: the count, the elapsed time, the
        current wait and its reason, the ETA; shorter forms, then fewer parts, as the
        width asks."""
        elapsed = self.clock() - self.started
        count, spent = f"[{self.done}/{self.total}]", _clock(elapsed)
        wait = self.waiting() if self.waiting is not None else None
        if wait is not None and (wait[0] < 0.5 or self.done >= self.total):
            wait = None
        eta = self._eta(elapsed)
        seconds = f"{wait[0]:.0f}" if wait is not None else ""
        waits = [f"waiting {seconds}s{why}" for why in _reasons(wait)]
        etas = [f"ETA {_clock(eta)}"] if eta is not None else []
        short = f"{count} {spent}"
        candidates = [" · ".join([count, f"{spent} elapsed", *waits[:1], *etas])]
        for shown in (waits[1:2], waits[2:], []):
            candidates += [" · ".join([short, *shown, *etas]), " · ".join([short, *shown])]
        return next((line for line in candidates if len(line) <= width), _crop(count, width))

    def _eta(self, elapsed: float) -> float | None:
        left = max(0, self.total - self.done)
        if not left:
            return 0.0
        calls_left = min(left, max(0, self.calls - self.done))
        paced = self.eta(calls_left) if self.eta is not None else None
        if paced is not None:
            return paced
        if self.done:
            return elapsed / self.done * left
        return None

    def _renderable(self) -> Any:
        from rich.text import Text

        width = self._console.width if self._console is not None else 80
        return Text(self.status_line(max(1, width - 1)), no_wrap=True, overflow="crop")

    def _result_line(self, outcome: Outcome) -> str:
        prefix = f"[{self.done}/{self.total}]"
        what = f"{outcome.action.kind.value} {terminal(outcome.action.number)}"
        if outcome.ok:
            return f"{prefix} {what}: {terminal(outcome.detail)}"
        failed = paint("failed", "31", self.color)
        return f"{prefix} {what} {failed}: {terminal(outcome.error)}"


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(max(0.0, seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{rest:02d}" if hours else f"{minutes}:{rest:02d}"


def _span(seconds: float) -> str:
    """A duration as Terraform's progress says it: 45s, 1m5s, 1h2m5s."""
    minutes, rest = divmod(int(max(0.0, seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes}m{rest}s"
    return f"{minutes}m{rest}s" if minutes else f"{rest}s"


def _reasons(wait: tuple[float, str] | None) -> list[str]:
    """The wait's reason in full, short (without its parenthesis), then none."""
    if wait is None:
        return []
    return [f": {wait[1]}", f": {wait[1].split(' (')[0]}", ""]


def _crop(line: str, width: int) -> str:
    return line if len(line) <= width else line[: max(0, width - 1)] + "…"


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
