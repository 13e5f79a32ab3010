"""Purchases only the account can settle, and the one listing that settles them.

A purchase whose answer was lost (a timeout, a dropped connection, a 5xx, an answer
about another number) may or may not have bought the number; one that Exotel refused as
already owned may be the account's own. Neither is guessed and neither lists the account
on its own: the executor gathers them as :class:`Look`\\ s and, once the other actions
are done, lists the account ONCE for all of them. A number the listing shows is adopted
(and set as the manifest says); one it does not show was not bought, and a purchase
whose answer was lost is sent again when that may help.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from reconciler.errors import ApiError, ApiNotSent, ApiOutcomeUnknown
from reconciler.manifest.flows import flow_key
from reconciler.model import Action, Outcome
from reconciler.records import ECHOED, JournalRecord, NumberRecord, Owned
from reconciler.state.store import JournalWriter


class Client(Protocol):
    """The part of the API client a look in the account uses."""

    def owned_index(self) -> Owned: ...
    def get_number(self, sid: str) -> NumberRecord: ...
    def update(self, sid: str, params: dict[str, str]) -> NumberRecord: ...


class Look(NamedTuple):
    """A purchase to settle by listing the account, and the error that left it open."""

    action: Action
    error: ApiError

    @property
    def lost(self) -> bool:
        """Its answer was lost (rather than a refusal saying the number is owned)."""
        return isinstance(self.error, ApiOutcomeUnknown)

    @property
    def may_buy_again(self) -> bool:
        """Sending it again may help: no answer came, or a 5xx (not an odd 2xx)."""
        return self.lost and (self.error.status is None or self.error.status >= 500)


def list_owned(client: Client, stopping: bool) -> Owned:
    """What the account owns now, keyed by E.164: the one listing of the looks."""
    if stopping:
        raise ApiNotSent("not sent: exoplan is stopping")
    return client.owned_index()


def unsettled(look: Look, failure: ApiError) -> Outcome:
    """The outcome of a look the listing could not make (the journal keeps it open)."""
    error = f"{look.error} (it may have been bought; checking failed: {failure})"
    return Outcome(look.action, ok=False, error=error, unknown=True)


def not_bought(look: Look, journal: JournalWriter) -> None:
    """Journal that the listing does not show the number: the purchase did not happen."""
    error = "not owned by the account: not bought"
    journal.write({**intent_of(look.action), "op": "failed", "error": error})


def not_owned(look: Look, journal: JournalWriter) -> Outcome:
    """The outcome of a purchase the listing does not show: it was not bought."""
    not_bought(look, journal)
    if look.lost:
        error = f"{look.error}; the account does not own it: not bought"
        return Outcome(look.action, ok=False, error=error)
    return Outcome(look.action, ok=False, error=str(look.error))


def owned(look: Look, found: NumberRecord, client: Client, journal: JournalWriter) -> Outcome:
    """The outcome of a purchase the listing shows: the number is the account's.

    A purchase answered about another number was sent with the manifest's fields, so
    the listing confirms it; otherwise the number is adopted, completed from its
    details and, where it differs from the manifest, set as the purchase would have."""
    action, sid = look.action, found.get("sid")
    if look.lost and look.error.status is not None and look.error.status < 300:
        record, adopted = found, False
        detail = f"purchased (confirmed by listing the account, sid {sid})"
    else:
        try:
            record, detail = adopt(action, found, client)
        except ApiError as exc:
            journal.write({**intent_of(action), "op": "failed", "error": str(exc)})
            return Outcome(action, ok=False, error=str(exc))
        adopted = True
    journal.write({**intent_of(action), "op": "done", "record": record, "detail": detail})
    return Outcome(action, ok=True, detail=detail, record=record, adopted=adopted)


def adopt(action: Action, found: NumberRecord, client: Client) -> tuple[NumberRecord, str]:
    """A number the account owns already, as the purchase would have left it."""
    record: NumberRecord = {**found}
    sid = found.get("sid")
    if sid:
        try:
            record = {**record, **client.get_number(str(sid))}
        except ApiError:
            pass  # the listing's record is enough to track the number
    detail = f"adopted: the account already owned it (sid {sid})"
    unmet = _unmet(record, action.params)
    if sid and unmet:
        record = {**record, **client.update(str(sid), unmet)}
        detail += "; updated to match the manifest"
    return record, detail


def _unmet(record: NumberRecord, params: dict[str, str]) -> dict[str, str]:
    """The purchase's fields that an owned number's record does not already have."""
    unmet = {}
    for param, key in ECHOED:
        if param not in params:
            continue
        have, want = record.get(key), params[param]
        same = have == want if param == "FriendlyName" else flow_key(have) == flow_key(want)
        if not same:
            unmet[param] = want
    return unmet


def intent_of(action: Action) -> JournalRecord:
    """The journal fields that name ``action`` (its intent, without ``op``)."""
    intent: JournalRecord = {
        "action": action.kind.value,
        "number": action.number,
        "sid": action.sid,
        "params": action.params,
        "protect": action.protect,
    }
    if action.marks:
        intent["marks"] = action.marks
    return intent
