"""Settling what an interrupted apply left in its journal, exactly once.

Confirmed outcomes not yet folded into the state are folded. An intent without a
settled outcome is checked against the account: a purchase is recorded if the account
owns the number now (it was bought) and otherwise left for the next plan to buy; an
update or release is settled by reading the number back. Each answer learnt is written
to the journal before the state is saved, so a crash in between repeats nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, cast

from reconciler.apply.fold import fold
from reconciler.errors import ApiStatusError
from reconciler.model import ActionKind, State
from reconciler.records import JournalRecord, NumberRecord, Owned
from reconciler.state.journal import JournalContents

Write = Callable[[JournalRecord], None]


class Reader(Protocol):
    """The read-only part of the API client recovery needs."""

    def owned_index(self) -> Owned: ...
    def get_number(self, sid: str) -> NumberRecord: ...


class ListedOnce:
    """A Reader that lists the account at most once, built only when first used: a
    command that settles a journal and then reads the account itself (refresh, import)
    shares one listing. Only for commands that change nothing at Exotel in between."""

    def __init__(self, client: Callable[[], Reader]) -> None:
        self._client = client
        self._owned: Owned | None = None

    def owned_index(self) -> Owned:
        if self._owned is None:
            self._owned = self._client().owned_index()
        return self._owned

    def get_number(self, sid: str) -> NumberRecord:
        return self._client().get_number(sid)


def _forget(record: JournalRecord) -> None:
    """The default ``write``: keep no record of what was learnt."""


def folded_so_far(contents: JournalContents, state: State) -> int:
    """How many of the journal's records the state already holds."""
    if contents.id is not None:
        return state.journal_folded if state.journal_id == contents.id else 0
    # A journal written before journals had ids: the state was saved after it began
    # only if the apply that wrote it got as far as saving (crash before removing it).
    saved_after = (
        contents.base_serial is not None
        and state.lineage == contents.base_lineage
        and state.serial > contents.base_serial
    )
    return contents.count if saved_after else 0


def nothing_left(contents: JournalContents, state: State) -> bool:
    """True when the state holds everything the journal says (crash before removing it)."""
    return folded_so_far(contents, state) >= contents.count and not (
        contents.pending and contents.id is not None
    )


def fold_done(contents: JournalContents, state: State) -> list[str]:
    """Fold every confirmed outcome not folded yet; returns one message per number."""
    folded = folded_so_far(contents, state)
    messages = []
    for record in contents.done:
        seq = record.get("seq")
        if isinstance(seq, int) and seq <= folded:
            continue
        kind = ActionKind(record["action"])
        answer, params = record.get("record") or {}, record.get("params") or {}
        marks = record.get("marks") if isinstance(record.get("marks"), dict) else None
        protect = bool(record.get("protect"))
        fold(state, kind, record["number"], answer, params, protect, marks)
        messages.append(f"recorded {kind.value} of {record['number']} from the interrupted apply")
    return messages


def settle_pending(
    contents: JournalContents, state: State, client: Reader, write: Write | None = None
) -> list[str]:
    """Check every unsettled intent against the account; ``write`` journals each answer."""
    write = write or _forget
    messages: list[str] = []
    owned: Owned | None = None
    for record in contents.pending:
        kind = ActionKind(record["action"])
        if kind is ActionKind.PURCHASE:
            if owned is None:
                owned = client.owned_index()
            messages.append(settle_purchase(record, owned.get(record["number"]), state, write))
        else:
            messages.append(_settle_by_reading(record, kind, state, client, write))
    return messages


def settle_purchase(
    record: JournalRecord, found: NumberRecord | None, state: State, write: Write
) -> str:
    """Record a purchase whose answer was lost, by whether the account owns the number."""
    number = record["number"]
    outcome = _intent(record)
    marks = record.get("marks") if isinstance(record.get("marks"), dict) else None
    if marks:
        outcome["marks"] = marks
    if found is None:
        write({**outcome, "op": "failed", "error": "not owned by the account: not bought"})
        return f"{number} was not bought by the interrupted apply; the plan will buy it"
    write({**outcome, "op": "done", "record": found, "detail": "found in the account"})
    params = record.get("params") or {}
    fold(state, ActionKind.PURCHASE, number, found, params, bool(record.get("protect")), marks)
    return f"{number} was bought by the interrupted apply (sid {found.get('sid')}): recorded"


def _settle_by_reading(
    record: JournalRecord, kind: ActionKind, state: State, client: Reader, write: Write
) -> str:
    number, sid = record["number"], record.get("sid")
    outcome = _intent(record)
    if not sid:
        write({**outcome, "op": "unknown", "error": "no sid to read back"})
        return f"{number}: no sid to check; run `exoplan refresh`"
    try:
        live = client.get_number(str(sid))
    except ApiStatusError as exc:
        if exc.status != 404:
            raise
        write({**outcome, "op": "done", "action": "release", "record": {}, "detail": "gone"})
        state.numbers.pop(number, None)
        return f"{number} is no longer owned by the account: removed from the state"
    if kind is ActionKind.RELEASE:
        write({**outcome, "op": "failed", "error": "still owned: not released"})
        return f"{number} was not released by the interrupted apply; the plan will show it again"
    write({**outcome, "op": "done", "record": live, "detail": "read back"})
    fold(state, ActionKind.UPDATE, number, live, {}, bool(record.get("protect")))
    return f"{number}: read back from Exotel after the interrupted update"


def _intent(record: JournalRecord) -> JournalRecord:
    """The fields of ``record`` that name its action, for the outcome journalled (each
    one, None when the record has none)."""
    keys = ("action", "number", "sid", "params", "protect")
    return cast(JournalRecord, {key: record.get(key) for key in keys})
