"""Signals: the first SIGINT or SIGTERM during apply stops it gracefully (nothing new
starts, what is in flight finishes and is saved); a second one exits at once.

Outside apply, SIGTERM is turned into :class:`Terminated`, which the entry point turns
into exit 143 after the usual clean-up (locks released, temporary files removed).
:func:`quietly` does so from the entry point's first line, so that a signal however
early (while modules load, while the arguments are parsed) ends the run with one line.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a type only: plan and validate need not import the executor
    from reconciler.apply.executor import Stop

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
_NAMES = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM"}


class Terminated(BaseException):
    """SIGTERM arrived outside a graceful section (like KeyboardInterrupt for SIGINT)."""


def raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def install_terminate_handler() -> Any:
    """Make SIGTERM unwind like Ctrl-C does, so locks and temporary files are cleaned up;
    returns the handler it replaced (None off the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, raise_terminated)


def quietly(main: Callable[[], int]) -> int:
    """Run ``main`` with SIGTERM unwinding like Ctrl-C; a signal that reaches here ends
    the run with its exit code and one line on stderr, never a traceback."""
    install_terminate_handler()
    try:
        return main()
    except KeyboardInterrupt:
        return _ended(signal.SIGINT, "error: interrupted")
    except Terminated:
        return _ended(signal.SIGTERM, "error: terminated (SIGTERM)")


def _ended(signum: signal.Signals, message: str) -> int:
    """Say why the run ended; a second signal now could only cut that line short."""
    if threading.current_thread() is threading.main_thread():
        for each in EXIT_CODES:
            signal.signal(each, signal.SIG_IGN)
    os.write(2, (message + "\n").encode())
    return EXIT_CODES[signum]


def restore_terminate_handler(previous: Any) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


class GracefulStop:
    """While active, the first SIGINT/SIGTERM sets ``stop``; the second exits at once."""

    def __init__(self, stop: Stop, say: Callable[[str], None] | None = None) -> None:
        """``say`` shows a line at once, on its own (the live progress display hands in
        its own, which prints above the display); by default a raw write to stderr."""
        self.stop = stop
        self.say = say or _say
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    @property
    def exit_code(self) -> int | None:
        return EXIT_CODES[signal.Signals(self.signum)] if self.signum is not None else None

    def __enter__(self) -> GracefulStop:
        if threading.current_thread() is threading.main_thread():
            for signum in EXIT_CODES:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = _NAMES[signal.Signals(signum)]
        if self.signum is None:
            self.signum = signum
            self.stop.set(f"stopped by {name}")
            flying = self.stop.in_flight
            requests = f"{flying} request{'s' * (flying != 1)} in flight"
            again = "Ctrl-C" if signum == signal.SIGINT else "send it"
            self.say(
                f"{name}: stopping: starting no new request; waiting for {requests}, then "
                f"saving the state; {again} again to abandon them."
            )
            return
        _say(
            f"{name} again: exiting at once. The journal is kept; the next exoplan "
            "command settles it."
        )
        os._exit(EXIT_CODES[signal.Signals(signum)])


def _say(message: str) -> None:
    """Write from a signal handler: unbuffered, so nothing half-printed is lost; on its
    own line even after a half-drawn progress line."""
    os.write(2, ("\n" + message + "\n").encode("utf-8", "replace"))
