"""What the library calls return, and the callbacks ``apply`` takes: plain data the
renderers and the command line read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reconciler.api.options import Report, silent
from reconciler.model import ApplyResult, Drift, Plan

if TYPE_CHECKING:
    from reconciler.apply.executor import Client, OnOutcome, Stop


@dataclass(frozen=True, slots=True)
class Refreshed:
    """What ``refresh`` found: the ``drift`` of managed numbers (gone ones dropped from
    the state), whether the state was ``saved`` (at ``serial``), how many earlier
    releases have ``finished`` at Exotel, and how many owned numbers are ``unmanaged``."""

    state_path: str
    drift: tuple[Drift, ...]
    saved: bool
    serial: int
    finished: int
    unmanaged: int


@dataclass(frozen=True, slots=True)
class Imported:
    """What ``import_numbers`` did: ``imported`` (number, ExoPhone sid) pairs adopted,
    numbers ``already`` managed, numbers left out while their ``releasing`` by an
    earlier apply is pending; the state at ``state_path`` is saved when any was adopted."""

    state_path: str
    imported: tuple[tuple[str, str | None], ...]
    already: tuple[str, ...]
    releasing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Exported:
    """A manifest of the live account: its YAML ``text`` and how many numbers it lists."""

    text: str
    count: int


@dataclass(frozen=True, slots=True)
class Execution:
    """The checked, confirmed plan about to run: ``start(on_outcome, stop)`` runs it
    (``on_outcome`` hears each outcome; a set ``stop`` starts nothing new)."""

    plan: Plan
    client: Client
    start: Callable[[OnOutcome | None, Stop | None], ApplyResult]


def _run_quietly(execution: Execution) -> ApplyResult:
    return execution.start(None, None)


def _approve(plan: Plan) -> None:
    """The default confirmation: the caller asked for the apply."""


def _ignore(plan: Plan) -> None:
    """The default display of the checked plan: none."""


@dataclass(frozen=True, slots=True)
class ApplyHooks:
    """What the caller is told and asked: ``report`` hears progress notes (a journal
    settled first), ``show`` gets the checked plan, ``confirm`` is asked before anything
    is sent (it raises to stop, e.g. :class:`~reconciler.errors.ExoplanError`), and
    ``run`` starts the execution (to watch it, or to stop it on a signal)."""

    report: Report = silent
    show: Callable[[Plan], None] = _ignore
    confirm: Callable[[Plan], None] = _approve
    run: Callable[[Execution], ApplyResult] = _run_quietly


@dataclass(frozen=True, slots=True)
class Applied:
    """What ``apply`` did: the plan it checked, and the result of running it (None when
    the plan had no changes and nothing was sent)."""

    plan: Plan
    result: ApplyResult | None
