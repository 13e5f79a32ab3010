"""Plan + API client + journal -> ApplyResult. Executes actions on worker threads.

Every action is journalled before its request and after its answer, so a crash at
any instant leaves enough behind for the next run to finish the bookkeeping. Each
outcome is one of three: confirmed, refused (nothing changed), or unknown (sent, but
whether it happened cannot be told). A purchase whose answer was lost, or that Exotel
refused as already owned, waits until the other actions are done: then ONE listing of
the account settles all of them (:mod:`reconciler.apply.lookup`), and a purchase it
shows was not bought after a lost answer is sent again in a further round. One refused
action does not stop the others; an authentication failure (401/403) or a
:class:`Stop` (a signal) starts nothing new.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, Protocol

from reconciler.apply import lookup
from reconciler.apply.lookup import Look, intent_of
from reconciler.errors import ApiError, ApiNotSent, ApiOutcomeUnknown, ApiStatusError
from reconciler.exotel import retry
from reconciler.model import Action, ActionKind, ApplyResult, Outcome
from reconciler.records import JournalRecord, NumberRecord, Owned
from reconciler.state.store import JournalWriter

#: How often one purchase is sent at most while its answers are lost and each listing
#: after shows it was not bought (one try and five more, as the client retries).
PURCHASE_TRIES = 6


class Client(Protocol):
    """The part of the API client apply uses (see exotel.client.ExotelClient)."""

    def purchase(self, phone_number: str, params: dict[str, str]) -> Any: ...
    def update(self, sid: str, params: dict[str, str]) -> NumberRecord: ...
    def release(self, sid: str) -> None: ...
    def get_number(self, sid: str) -> NumberRecord: ...
    def owned_index(self) -> Owned: ...


OnOutcome = Callable[[Outcome], None]


class Stop:
    """Tells the workers to start nothing new; the first reason given is kept.

    ``listeners`` are called once when the stop is set (the client stops sending, so a
    worker waiting for a pacing slot does not send either).
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._guard = threading.Lock()
        self.reason = ""
        self.listeners: list[Callable[[], None]] = []
        #: Actions started and not yet finished (what a graceful stop waits for).
        self.in_flight = 0

    def set(self, reason: str) -> bool:
        """Stop with ``reason``; False when already stopped (the reason is kept)."""
        with self._guard:
            if self._event.is_set():
                return False
            self.reason = reason
            self._event.set()
        for listener in self.listeners:
            listener()
        return True

    def is_set(self) -> bool:
        return self._event.is_set()

    def count_in_flight(self, change: int) -> None:
        with self._guard:
            self.in_flight += change


def execute(
    actions: tuple[Action, ...],
    client: Client,
    journal: JournalWriter,
    parallelism: int = 4,
    on_outcome: OnOutcome | None = None,
    stop: Stop | None = None,
) -> ApplyResult:
    """Run every action with ``parallelism`` workers; outcomes in completion order."""
    stop = stop or Stop()
    stopper = getattr(client, "stop_sending", None)
    if stopper is not None:
        stop.listeners.append(stopper)
    run = _Run(client, journal, stop, on_outcome)
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        todo = actions
        for tries_left in reversed(range(PURCHASE_TRIES)):
            looks = run.batch(pool, todo)
            todo = run.look_up(pool, looks, again=tries_left > 0) if looks else ()
            if not todo:
                break
    return run.result()


class _Run:
    """The outcomes of one apply as they come, and the purchases left to look up."""

    def __init__(
        self, client: Client, journal: JournalWriter, stop: Stop, on_outcome: OnOutcome | None
    ) -> None:
        self.client, self.journal, self.stop = client, journal, stop
        self.on_outcome = on_outcome
        self.outcomes: list[Outcome] = []
        self.not_started: list[Action] = []
        self.unsettled: list[str] = []

    def result(self) -> ApplyResult:
        return ApplyResult(
            tuple(self.outcomes),
            tuple(self.not_started),
            stopped=self.stop.reason,
            unsettled=tuple(self.unsettled),
        )

    def report(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        if self.on_outcome is not None:
            self.on_outcome(outcome)

    def batch(self, pool: ThreadPoolExecutor, actions: tuple[Action, ...]) -> list[Look]:
        """Run ``actions``; report each outcome; the purchases to look up."""
        args = (self.client, self.journal, self.stop)
        futures = {pool.submit(_run_one, action, *args): action for action in actions}
        looks: list[Look] = []
        with _stopping_on_error(self.stop, futures):
            for future in as_completed(futures):
                done = future.result()
                if done is None:
                    self.not_started.append(futures[future])
                elif isinstance(done, Look):
                    looks.append(done)
                else:
                    self.report(done)
        return looks

    def look_up(
        self, pool: ThreadPoolExecutor, looks: list[Look], again: bool
    ) -> tuple[Action, ...]:
        """One listing for every look; report what it settles; the purchases to send again."""
        try:
            owned = lookup.list_owned(self.client, self.stop.is_set())
        except ApiError as exc:
            for look in looks:
                self.report(lookup.unsettled(look, exc))
            self.unsettled += [look.action.number for look in looks]
            return ()
        buy_again: list[Action] = []
        futures: dict[Future[Outcome], Action] = {}
        for look in looks:
            found = owned.get(look.action.number)
            if found is not None:
                args = (look, found, self.client, self.journal)
                futures[pool.submit(lookup.owned, *args)] = look.action
            elif again and look.may_buy_again and not self.stop.is_set():
                lookup.not_bought(look, self.journal)
                buy_again.append(look.action)
            else:
                self.report(lookup.not_owned(look, self.journal))
        with _stopping_on_error(self.stop, futures):
            for future in as_completed(futures):
                self.report(future.result())
        return tuple(buy_again)


@contextmanager
def _stopping_on_error(stop: Stop, futures: dict[Any, Action]) -> Iterator[None]:
    """Around waiting for futures: a bug, or an interrupt not handled gracefully, starts
    nothing more (leaving the pool would otherwise run every queued action)."""
    try:
        yield
    except BaseException:
        stop.set("interrupted")
        for future in futures:
            future.cancel()
        raise


def _run_one(
    action: Action, client: Client, journal: JournalWriter, stop: Stop
) -> Outcome | Look | None:
    """One action, journalled; a Look for a purchase only the account can settle; None
    when it was not started because the run is stopping."""
    if stop.is_set():
        return None
    stop.count_in_flight(+1)
    try:
        return _journalled(action, client, journal, stop)
    finally:
        stop.count_in_flight(-1)


def _journalled(
    action: Action, client: Client, journal: JournalWriter, stop: Stop
) -> Outcome | Look | None:
    journal.write(_record("intent", action))
    try:
        record, detail = _perform(action, client)
    except ApiNotSent as exc:
        journal.write({**_record("failed", action), "error": str(exc)})
        return None
    except ApiOutcomeUnknown as exc:
        journal.write({**_record("unknown", action), "error": str(exc)})
        if action.kind is ActionKind.PURCHASE:
            return Look(action, exc)
        return Outcome(action, ok=False, error=str(exc), unknown=True)
    except ApiError as exc:
        if action.kind is ActionKind.PURCHASE and retry.says_already_owned(exc):
            return _already_owned(action, exc, journal)
        if retry.is_auth_failure(exc):
            stop.set(f"Exotel refused the credentials or the account (HTTP {exc.status})")
        journal.write({**_record("failed", action), "error": str(exc)})
        return Outcome(action, ok=False, error=str(exc))
    journal.write({**_record("done", action), "record": record, "detail": detail})
    return Outcome(action, ok=True, detail=detail, record=record)


def _already_owned(action: Action, exc: ApiError, journal: JournalWriter) -> Outcome | Look:
    """A purchase Exotel refused as already owned: a listed number may be the account's
    own (a Look settles it), but a pool's pinned number never is: the pool chose it as
    for sale, so whoever owns it now is not this pool, and it is never adopted."""
    pool = action.marks.get("pool")
    if pool is None:
        journal.write({**_record("unknown", action), "error": str(exc)})
        return Look(action, exc)
    error = (
        f"{exc} (pinned for pool {pool} as for sale; someone else owns it now: not adopted, "
        "make a new plan to pin another)"
    )
    journal.write({**_record("failed", action), "error": error})
    return Outcome(action, ok=False, error=error)


def _record(op: str, action: Action) -> JournalRecord:
    return {"op": op, **intent_of(action)}


def _perform(action: Action, client: Client) -> tuple[NumberRecord, str]:
    if action.kind is ActionKind.PURCHASE:
        return _purchase(action, client)
    if action.kind is ActionKind.UPDATE:
        if not action.params:
            return {}, "recorded in the state" if action.marks else "protect flag recorded"
        return client.update(_sid(action), action.params), "updated"
    if action.kind is ActionKind.QUARANTINE:
        record = client.update(_sid(action), action.params)
        return record, f"quarantined (release after {action.release_after})"
    return _release(action, client)


def _purchase(action: Action, client: Client) -> tuple[NumberRecord, str]:
    bought = client.purchase(action.number, action.params)
    record: NumberRecord = bought.record.copy()
    return record, f"purchased (sid {record.get('sid')})"


def _release(action: Action, client: Client) -> tuple[NumberRecord, str]:
    try:
        client.release(_sid(action))
    except ApiStatusError as exc:
        if exc.status == 404:
            return {}, "already gone from the account"
        raise
    return {}, "released"


def _sid(action: Action) -> str:
    if not action.sid:
        raise ApiError(
            f"the state has no ExoPhone sid for {action.number}; run `exoplan refresh` first"
        )
    return action.sid
