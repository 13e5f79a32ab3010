"""What a person sees and says: exit codes, error and warning lines, colour, prompts, and
writing a plan in the format asked for.

Every line printed here goes through :mod:`reconciler.render.escape` (errors and
warnings are one line each, whatever they quote):
messages carry names, paths and Exotel's words, none of which may steer the terminal.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from reconciler.errors import ExoplanError, StateError
from reconciler.model import Plan
from reconciler.render.escape import terminal, terminal_lines

if TYPE_CHECKING:
    from reconciler.exotel.factory import ClientFactory

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_BUG = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


def error_lines(exc: ExoplanError, color: bool = False) -> None:
    """Print an error's lines on stderr; with ``color``, each line's location (or its
    ``error:``) stands out in red, as the plan's warnings do."""
    for line in exc.lines():
        print(_painted(terminal(line)) if color else terminal(line), file=sys.stderr)


def _painted(line: str) -> str:
    head, sep, rest = line.partition(": ")
    if not sep or " " in head:
        return line
    return f"\033[1;31m{head}{sep}\033[0m{rest}"


def warn(message: str) -> None:
    """Print one ``warning:`` line on stderr (every warning exoplan gives goes through here)."""
    print(terminal(f"warning: {message}"), file=sys.stderr)


def note(message: str) -> None:
    """Print a line of progress or advice on stderr, keeping stdout for results."""
    print(terminal_lines(message), file=sys.stderr)


def say(message: str) -> None:
    """Print a result line on stdout."""
    print(terminal_lines(message))


def use_color(args: argparse.Namespace, stream: TextIO) -> bool:
    """Colour on a terminal; never with --no-color, NO_COLOR or TERM=dumb; always with
    FORCE_COLOR (CI logs show colour, yet are not terminals)."""
    if getattr(args, "no_color", False) or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "0") != "0":
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


@contextmanager
def still_waiting(factory: ClientFactory) -> Iterator[None]:
    """While the account is read: without a terminal, a line on stderr whenever nothing
    was printed for 30 s, saying what the reads wait for and how long they have taken
    (apply's progress, without its count; stdout may be a plan in JSON). On a terminal,
    nothing: apply's status line counts actions, and a listing has none."""
    if sys.stderr.isatty() and os.environ.get("TERM") != "dumb":
        yield
        return
    from reconciler.render.progress import Progress

    label = f"reading account {factory.account_sid}"
    progress = Progress(0, sys.stderr, live=False, waiting=factory.waiting, label=label)
    progress.start()
    try:
        yield
    finally:
        progress.finish()


def write_plan(plan: Plan, fmt: str, out: TextIO, color: bool) -> None:
    if fmt == "json":
        from reconciler.render.json import render_json

        render_json(plan, out)
    elif fmt == "markdown":
        from reconciler.render.markdown import render_markdown

        render_markdown(plan, out)
    else:
        from reconciler.render.text import render_text

        render_text(plan, out, color=color)


def write_file(path: str, data: bytes, what: str, error: type[ExoplanError] = ExoplanError) -> None:
    """Write an output file (a saved plan, an exported manifest) atomically; never the state."""
    from reconciler.state.file import atomic_write

    try:
        atomic_write(path, data)
    except OSError as exc:
        raise error(f"{path}: could not write the {what} ({exc.strerror or exc})") from None


def save_plan(plan: Plan, path: str) -> None:
    """Save ``plan`` for ``exoplan apply PLANFILE``."""
    from reconciler.plan.planfile import plan_bytes

    write_file(path, plan_bytes(plan), "plan file", StateError)


def ask_yes(question: str, refusal: str, cancelled: str) -> None:
    """Ask ``question`` on a terminal; raise unless the answer is exactly 'yes'.

    ``refusal`` is the error when stdin is not a terminal, ``cancelled`` when the
    answer is anything else.
    """
    from reconciler.errors import UsageError

    if not sys.stdin.isatty():
        raise UsageError(refusal)
    try:
        answer = input(question)
    except EOFError:
        answer = ""
    if answer.strip() != "yes":
        raise ExoplanError(cancelled)
