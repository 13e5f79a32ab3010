"""Plan + API client + journal -> ApplyResult. Executes actions on worker threads.

Every action is journalled before its request and after its answer, so a crash at
any instant leaves enough behind for the next run to finish the bookkeeping. Each
outcome is one of three: confirmed, refused (nothing changed), or unknown (sent, but
whether it happened cannot be told). One refused action does not stop the others; an
authentication failure (401/403) or a :class:`Stop` (a signal) starts nothing new.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Protocol

from reconciler.errors import ApiError, ApiNotSent, ApiOutcomeUnknown, ApiStatusError
from reconciler.exotel import retry
from reconciler.manifest.flows import flow_key
from reconciler.model import Action, ActionKind, ApplyResult, Outcome
from reconciler.state.store import JournalWriter

# Form field sent -> the record key Exotel reports it under.
_ECHOED = (("FriendlyName", "friendly_name"), ("VoiceUrl", "voice_url"), ("SMSUrl", "sms_url"))


class Client(Protocol):
    """The part of the API client apply uses (see exotel.client.ExotelClient)."""

    def purchase(self, phone_number: str, params: dict[str, str]) -> Any: ...
    def update(self, sid: str, params: dict[str, str]) -> dict[str, Any]: ...
    def release(self, sid: str) -> None: ...
    def get_number(self, sid: str) -> dict[str, Any]: ...
    def owned_index(self) -> dict[str, dict[str, Any]]: ...


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
    outcomes: list[Outcome] = []
    not_started: list[Action] = []
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        futures = {pool.submit(_run_one, a, client, journal, stop): a for a in actions}
        try:
            for future in as_completed(futures):
                outcome = future.result()
                if outcome is None:
                    not_started.append(futures[future])
                    continue
                outcomes.append(outcome)
                if on_outcome is not None:
                    on_outcome(outcome)
        except BaseException:
            # A bug, or an interrupt not handled gracefully: start nothing more (leaving
            # the pool would otherwise run every queued action).
            stop.set("interrupted")
            for future in futures:
                future.cancel()
            raise
    return ApplyResult(tuple(outcomes), tuple(not_started), stopped=stop.reason)


def _run_one(action: Action, client: Client, journal: JournalWriter, stop: Stop) -> Outcome | None:
    """One action, journalled; None when it was not started because the run is stopping."""
    if stop.is_set():
        return None
    stop.count_in_flight(+1)
    try:
        return _journalled(action, client, journal, stop)
    finally:
        stop.count_in_flight(-1)


def _journalled(
    action: Action, client: Client, journal: JournalWriter, stop: Stop
) -> Outcome | None:
    journal.write(_record("intent", action))
    try:
        record, detail = _perform(action, client)
    except ApiNotSent as exc:
        journal.write({**_record("failed", action), "error": str(exc)})
        return None
    except ApiOutcomeUnknown as exc:
        journal.write({**_record("unknown", action), "error": str(exc)})
        return Outcome(action, ok=False, error=str(exc), unknown=True)
    except ApiError as exc:
        if retry.is_auth_failure(exc):
            stop.set(f"Exotel refused the credentials or the account (HTTP {exc.status})")
        journal.write({**_record("failed", action), "error": str(exc)})
        return Outcome(action, ok=False, error=str(exc))
    journal.write({**_record("done", action), "record": record, "detail": detail})
    adopted = detail.startswith("adopted")
    return Outcome(action, ok=True, detail=detail, record=record, adopted=adopted)


def _record(op: str, action: Action) -> dict[str, Any]:
    return {
        "op": op,
        "action": action.kind.value,
        "number": action.number,
        "sid": action.sid,
        "params": action.params,
        "protect": action.protect,
        **({"marks": action.marks} if action.marks else {}),
    }


def _perform(action: Action, client: Client) -> tuple[dict[str, Any], str]:
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


def _purchase(action: Action, client: Client) -> tuple[dict[str, Any], str]:
    bought = client.purchase(action.number, action.params)
    if not bought.adopted:
        return dict(bought.record), f"purchased (sid {bought.record.get('sid')})"
    record = dict(bought.record)
    sid = record.get("sid")
    if sid:
        try:
            record = {**record, **client.get_number(str(sid))}
        except ApiError:
            pass  # the listing's record is enough to track the number
    detail = f"adopted: the account already owned it (sid {sid})"
    unmet = _unmet(record, action.params)
    if sid and unmet:
        # Owned already, but not as the manifest says: set what the purchase would have.
        record = {**record, **client.update(str(sid), unmet)}
        detail += "; updated to match the manifest"
    return record, detail


def _unmet(record: dict[str, Any], params: dict[str, str]) -> dict[str, str]:
    """The purchase's fields that an owned number's record does not already have."""
    unmet = {}
    for param, key in _ECHOED:
        if param not in params:
            continue
        have, want = record.get(key), params[param]
        same = have == want if param == "FriendlyName" else flow_key(have) == flow_key(want)
        if not same:
            unmet[param] = want
    return unmet


def _release(action: Action, client: Client) -> tuple[dict[str, Any], str]:
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
