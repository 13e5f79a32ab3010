"""Finishing the bookkeeping of an apply that a crash interrupted.

Confirmed outcomes in the journal are folded into the state. An intent without an
outcome is checked against the account: a purchase is adopted if the account owns
the number now (it was bought) and otherwise left for the next plan to buy; an
update or release is settled by reading the number back.
"""

from __future__ import annotations

from typing import Any, Protocol

from reconciler.errors import ApiStatusError
from reconciler.model import ActionKind, State
from reconciler.state.fold import fold
from reconciler.state.journal import JournalContents


class Reader(Protocol):
    """The read-only part of the API client recovery needs."""

    def owned_index(self) -> dict[str, dict[str, Any]]: ...
    def get_number(self, sid: str) -> dict[str, Any]: ...


def already_folded(contents: JournalContents, state: State) -> bool:
    """True when the state was saved after this journal was written (crash before rm)."""
    return (
        contents.base_serial is not None
        and state.lineage == contents.base_lineage
        and state.serial > contents.base_serial
    )


def fold_done(contents: JournalContents, state: State) -> list[str]:
    """Fold every confirmed outcome; returns one message per number."""
    messages = []
    for record in contents.done:
        kind = ActionKind(record["action"])
        answer, params = record.get("record") or {}, record.get("params") or {}
        fold(state, kind, record["number"], answer, params, bool(record.get("protect")))
        messages.append(f"recorded {kind.value} of {record['number']} from the interrupted apply")
    return messages


def settle_pending(contents: JournalContents, state: State, client: Reader) -> list[str]:
    """Check every unconfirmed intent against the account; returns what was decided."""
    messages: list[str] = []
    owned: dict[str, dict[str, Any]] | None = None
    for record in contents.pending:
        kind, number = ActionKind(record["action"]), record["number"]
        if kind is ActionKind.PURCHASE:
            if owned is None:
                owned = client.owned_index()
            messages.append(_settle_purchase(record, owned.get(number), state))
        else:
            messages.append(_settle_by_reading(record, kind, state, client))
    return messages


def _settle_purchase(record: dict[str, Any], found: dict[str, Any] | None, state: State) -> str:
    number = record["number"]
    if found is None:
        return f"{number} was not bought by the interrupted apply; the plan will buy it"
    params = record.get("params") or {}
    fold(state, ActionKind.PURCHASE, number, found, params, bool(record.get("protect")))
    return f"{number} was bought by the interrupted apply (sid {found.get('sid')}): recorded"


def _settle_by_reading(
    record: dict[str, Any], kind: ActionKind, state: State, client: Reader
) -> str:
    number, sid = record["number"], record.get("sid")
    if not sid:
        return f"{number}: no sid to check; run `exoplan refresh`"
    try:
        live = client.get_number(str(sid))
    except ApiStatusError as exc:
        if exc.status != 404:
            raise
        state.numbers.pop(number, None)
        return f"{number} is no longer owned by the account: removed from the state"
    if kind is ActionKind.RELEASE:
        return f"{number} was not released by the interrupted apply; the plan will show it again"
    fold(state, ActionKind.UPDATE, number, live, {}, bool(record.get("protect")))
    return f"{number}: read back from Exotel after the interrupted update"
