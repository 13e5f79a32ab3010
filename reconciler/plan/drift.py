"""What changed outside exoplan: the state's view of managed numbers vs the live account.

Pure: takes the owned numbers (E.164 -> Exotel record) that the API client listed.
Flow URLs are compared by app id, so Exotel's other spellings are no drift. Fields a
number's (or its pool's) ``ignore_changes`` names are never drift. :func:`report` is
``exoplan drift``: several manifests, each with its state, and per account one listing,
so that a number one manifest of an account manages is never another's "unmanaged".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase

from reconciler.manifest.flows import STATE_KEYS, app_id_of, flow_key, held_url
from reconciler.model import Change, Drift, Manifest, State
from reconciler.plan.pools import POOL
from reconciler.records import FlowValue, NumberRecord, Owned
from reconciler.reports import DriftReport, ManifestDrift, Unmanaged

#: An account as the API client reaches it: (sid, region).
AccountKey = tuple[str, str]


def detect(state: State, owned: Owned, manifest: Manifest | None) -> list[Drift]:
    """One Drift per managed number that was changed or released outside exoplan."""
    by_app = {f.app_id: f.name for f in manifest.flows.values()} if manifest else {}
    drifts = []
    for number in sorted(state.numbers):
        live = owned.get(number)
        if live is None:
            drifts.append(Drift(number, (), None))
            continue
        entry = state.numbers[number]
        ignored = ignored_fields(manifest, number, entry)
        changes = [c for c in _changes(entry, live, by_app) if c.field not in ignored]
        if changes:
            drifts.append(Drift(number, tuple(changes), live))
    return drifts


def ignored_fields(manifest: Manifest | None, number: str, entry: NumberRecord) -> frozenset[str]:
    """The fields ``ignore_changes`` names for ``number``: its own, or its pool's."""
    if manifest is None:
        return frozenset()
    spec = manifest.numbers.get(number)
    if spec is not None:
        return spec.ignore_changes
    pool = manifest.pools.get(str(entry.get(POOL) or ""))
    return pool.ignore_changes if pool is not None else frozenset()


def _changes(entry: NumberRecord, live: NumberRecord, by_app: dict[str, str]) -> list[Change]:
    changes = []
    if "friendly_name" in live and live["friendly_name"] != entry.get("friendly_name"):
        changes.append(Change("friendly_name", entry.get("friendly_name"), live["friendly_name"]))
    for field, key in STATE_KEYS.items():
        before, after = held_url(entry, field), held_url(live, field)
        if key in live and flow_key(after) != flow_key(before):
            changes.append(Change(field, flow_value(before, by_app), flow_value(after, by_app)))
    return changes


def flow_value(url: str | None, by_app: dict[str, str]) -> FlowValue | None:
    """A flow URL as plans show flows: {flow, app_id, url}; None when there is none."""
    if not url:
        return None
    app_id = app_id_of(url)
    return {"flow": by_app.get(app_id) if app_id else None, "app_id": app_id, "url": url}


def unmanaged(state: State, owned: Owned) -> list[str]:
    """Owned numbers the state does not manage, sorted."""
    return sorted(number for number in owned if number not in state.numbers)


def refreshed(state: State, owned: Owned) -> State:
    """A copy of ``state`` with every managed entry as Exotel reports it now.

    Numbers no longer owned are dropped; exoplan's own ``protect`` flag is kept.
    """
    numbers: Owned = {}
    for number, entry in state.numbers.items():
        live = owned.get(number)
        if live is not None:
            numbers[number] = _as_reported(number, entry, live)
    return State(state.path, state.lineage, state.serial, state.account_sid, numbers)


def _as_reported(number: str, entry: NumberRecord, live: NumberRecord) -> NumberRecord:
    """A state entry updated with what Exotel reports, keeping exoplan's protect flag."""
    reported: NumberRecord = {**entry, **live}
    reported["phone_number"] = number
    reported["protect"] = entry.get("protect", False)
    return reported


def fold_drift(state: State, drifts: tuple[Drift, ...]) -> None:
    """Record drift shown in a saved plan into ``state`` (apply of a refreshed plan)."""
    for drift in drifts:
        if drift.live is None:
            state.numbers.pop(drift.number, None)
        elif drift.number in state.numbers:
            entry = state.numbers[drift.number]
            state.numbers[drift.number] = _as_reported(drift.number, entry, drift.live)


def account_key(manifest: Manifest) -> AccountKey:
    return manifest.account.sid, manifest.account.region


def report(
    pairs: Sequence[tuple[Manifest, State]], owned: Mapping[AccountKey, Owned | str]
) -> DriftReport:
    """``exoplan drift`` over (manifest, state) ``pairs``; ``owned`` holds, per account
    of the pairs, what it owns, or why it could not be listed (then no unmanaged
    number of that account is reported, and the report has failed)."""
    manifests = []
    for manifest, state in pairs:
        listing = owned[account_key(manifest)]
        sid = manifest.account.sid
        if isinstance(listing, str):
            manifests.append(ManifestDrift(manifest.path, sid, state.path, error=listing))
        else:
            found = tuple(detect(state, listing, manifest))
            manifests.append(ManifestDrift(manifest.path, sid, state.path, found))
    unmanaged: list[Unmanaged] = []
    ignored = 0
    for key, listing in owned.items():
        if not isinstance(listing, str):
            mine = [(m, s) for m, s in pairs if account_key(m) == key]
            found_here, ignored_here = _unmanaged_in(key[0], mine, listing)
            unmanaged += found_here
            ignored += ignored_here
    return DriftReport(tuple(manifests), tuple(unmanaged), ignored)


def _unmanaged_in(
    sid: str, pairs: Sequence[tuple[Manifest, State]], owned: Owned
) -> tuple[list[Unmanaged], int]:
    """The owned numbers no state of ``pairs`` (one account's) manages, and how many
    more an ``unmanaged.ignore`` pattern of any of its manifests leaves out."""
    managed = {n for _, state in pairs for n in state.numbers}
    managed |= {n for _, state in pairs for n in _still_releasing(state, owned)}
    patterns = [pattern for manifest, _ in pairs for pattern in manifest.unmanaged_ignore]
    listed = {n: manifest.path for manifest, _ in reversed(pairs) for n in manifest.numbers}
    found, ignored = [], 0
    for number in sorted(set(owned) - managed):
        if any(fnmatchcase(number, pattern) for pattern in patterns):
            ignored += 1
            continue
        record = owned[number]
        name, exophone = record.get("friendly_name"), record.get("sid")
        found.append(Unmanaged(number, sid, exophone, name, listed.get(number)))
    return found, ignored


def _still_releasing(state: State, owned: Owned) -> list[str]:
    """Numbers exoplan released that Exotel still lists under the released sid."""
    return [
        number
        for number, released in state.releasing.items()
        if number in owned and owned[number].get("sid") == released.get("sid")
    ]
