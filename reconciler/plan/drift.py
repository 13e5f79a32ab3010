"""What changed outside exoplan: the state's view of managed numbers vs the live account.

Pure: takes the owned numbers (E.164 -> Exotel record) that the API client listed.
Flow URLs are compared by app id, so Exotel's other spellings are no drift.
"""

from __future__ import annotations

from typing import Any

from reconciler.manifest.flows import STATE_KEYS, app_id_of, flow_key
from reconciler.model import Change, Drift, Manifest, State


def detect(
    state: State, owned: dict[str, dict[str, Any]], manifest: Manifest | None
) -> list[Drift]:
    """One Drift per managed number that was changed or released outside exoplan."""
    by_app = {f.app_id: f.name for f in manifest.flows.values()} if manifest else {}
    drifts = []
    for number in sorted(state.numbers):
        live = owned.get(number)
        if live is None:
            drifts.append(Drift(number, (), None))
            continue
        changes = _changes(state.numbers[number], live, by_app)
        if changes:
            drifts.append(Drift(number, tuple(changes), live))
    return drifts


def _changes(entry: dict[str, Any], live: dict[str, Any], by_app: dict[str, str]) -> list[Change]:
    changes = []
    if "friendly_name" in live and live["friendly_name"] != entry.get("friendly_name"):
        changes.append(Change("friendly_name", entry.get("friendly_name"), live["friendly_name"]))
    for field, key in STATE_KEYS.items():
        if key in live and flow_key(live[key]) != flow_key(entry.get(key)):
            before, after = entry.get(key), live[key]
            changes.append(Change(field, flow_value(before, by_app), flow_value(after, by_app)))
    return changes


def flow_value(url: str | None, by_app: dict[str, str]) -> dict[str, Any] | None:
    """A flow URL as plans show flows: {flow, app_id, url}; None when there is none."""
    if not url:
        return None
    app_id = app_id_of(url)
    return {"flow": by_app.get(app_id) if app_id else None, "app_id": app_id, "url": url}


def unmanaged(state: State, owned: dict[str, dict[str, Any]]) -> list[str]:
    """Owned numbers the state does not manage, sorted."""
    return sorted(number for number in owned if number not in state.numbers)


def refreshed(state: State, owned: dict[str, dict[str, Any]]) -> State:
    """A copy of ``state`` with every managed entry as Exotel reports it now.

    Numbers no longer owned are dropped; exoplan's own ``protect`` flag is kept.
    """
    numbers: dict[str, dict[str, Any]] = {}
    for number, entry in state.numbers.items():
        live = owned.get(number)
        if live is not None:
            numbers[number] = _as_reported(number, entry, live)
    return State(state.path, state.lineage, state.serial, state.account_sid, numbers)


def _as_reported(number: str, entry: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """A state entry updated with what Exotel reports, keeping exoplan's protect flag."""
    return {**entry, **live, "phone_number": number, "protect": entry.get("protect", False)}


def fold_drift(state: State, drifts: tuple[Drift, ...]) -> None:
    """Record drift shown in a saved plan into ``state`` (apply of a refreshed plan)."""
    for drift in drifts:
        if drift.live is None:
            state.numbers.pop(drift.number, None)
        elif drift.number in state.numbers:
            entry = state.numbers[drift.number]
            state.numbers[drift.number] = _as_reported(drift.number, entry, drift.live)
