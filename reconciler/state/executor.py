"""Plan + API client + journal -> ApplyResult. Executes actions on worker threads.

Every action is journalled before its request and after its answer, so a crash at
any instant leaves enough behind for the next run to finish the bookkeeping. One
failed action does not stop the others; nothing beyond the plan is ever sent.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Protocol

from reconciler.errors import ApiError, ApiStatusError
from reconciler.model import Action, ActionKind, ApplyResult, Outcome
from reconciler.state.journal import Journal


class Client(Protocol):
    """The part of the API client apply uses (see exotel.ExotelClient)."""

    def purchase(self, phone_number: str, params: dict[str, str]) -> Any: ...
    def update(self, sid: str, params: dict[str, str]) -> dict[str, Any]: ...
    def release(self, sid: str) -> None: ...
    def get_number(self, sid: str) -> dict[str, Any]: ...


OnOutcome = Callable[[Outcome], None]


def execute(
    actions: tuple[Action, ...],
    client: Client,
    journal: Journal,
    parallelism: int = 4,
    on_outcome: OnOutcome | None = None,
) -> ApplyResult:
    """Run every action with ``parallelism`` workers; outcomes in completion order."""
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        futures = [pool.submit(_run_one, action, client, journal) for action in actions]
        try:
            for future in as_completed(futures):
                outcome = future.result()
                outcomes.append(outcome)
                if on_outcome is not None:
                    on_outcome(outcome)
        except BaseException:
            # Ctrl-C or a bug: start nothing more (leaving the pool would otherwise run
            # every queued action); those in flight finish and are journalled.
            for future in futures:
                future.cancel()
            raise
    return ApplyResult(tuple(outcomes))


def _run_one(action: Action, client: Client, journal: Journal) -> Outcome:
    journal.write(_record("intent", action))
    try:
        record, detail = _perform(action, client)
    except ApiError as exc:
        journal.write({**_record("failed", action), "error": str(exc)})
        return Outcome(action, ok=False, error=str(exc))
    journal.write({**_record("done", action), "record": record, "detail": detail})
    return Outcome(action, ok=True, detail=detail, record=record)


def _record(op: str, action: Action) -> dict[str, Any]:
    return {
        "op": op,
        "action": action.kind.value,
        "number": action.number,
        "sid": action.sid,
        "params": action.params,
        "protect": action.protect,
    }


def _perform(action: Action, client: Client) -> tuple[dict[str, Any], str]:
    if action.kind is ActionKind.PURCHASE:
        return _purchase(action, client)
    if action.kind is ActionKind.UPDATE:
        if not action.params:
            return {}, "protect flag recorded"
        return client.update(_sid(action), action.params), "updated"
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
    return record, f"adopted: the account already owned it (sid {sid})"


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
