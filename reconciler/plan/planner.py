"""(Manifest, State) -> Plan. Pure: no I/O, no printing.

Numbers present in both are compared field by field through values that ignore
spelling: flow URLs by app id, so Exotel's other URL shapes are no change. The
compared values are flat (a name, an app id, a flag), so the changed fields are found
key by key, with a change of type counted as a change as deepdiff would count it
(a test holds the two to the same answers); deepdiff, per entry, would cost more than
the rest of the plan.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone

from reconciler.manifest.flows import PARAMS, app_id_of, flow_key, flow_url, held_url
from reconciler.model import (
    Action,
    ActionKind,
    Available,
    Change,
    Manifest,
    NumberSpec,
    Plan,
    State,
)
from reconciler.plan import pools, quarantine, safety
from reconciler.records import FlowValue, Marks, NumberRecord

_FLOW_FIELDS = ("voice_flow", "sms_flow")
#: A number's managed fields as compared: a name, an app id, the protect flag.
Fields = dict[str, str | bool | None]
#: A managed number that differs: its spec, its state entry, what it has, what it wants.
Differing = tuple[NumberSpec, NumberRecord, Fields, Fields]


def make_plan(
    manifest: Manifest,
    state: State,
    today: date | None = None,
    candidates: Mapping[str, Sequence[Available]] | None = None,
) -> Plan:
    """The actions that make ``state`` match ``manifest``, in execution order.

    ``today`` (UTC by default) decides which quarantines have run their course;
    ``candidates`` (inventory searched per pool) pins numbers for pools short of members,
    which an offline plan (None) only counts.
    """
    today = today or datetime.now(timezone.utc).date()
    safety.check_account(manifest, state)
    members, needs = pools.expand(manifest, state)
    wanted = dataclasses.replace(manifest, numbers={**manifest.numbers, **members})
    actions, differing = _purchases_and_updates(wanted, state)
    unchanged = len(wanted.numbers) - len(differing) - _count(actions, ActionKind.PURCHASE)
    if candidates is not None and needs:
        actions.extend(_pinned(manifest, pools.pin(manifest, state, needs, candidates)))
        needs = []
    gone = [number for number in state.numbers if number not in wanted.numbers]
    safety.check_unlisted_protected(manifest, state, gone)
    leaving, waiting = quarantine.leaving(manifest, state, gone, today)
    actions.extend(leaving)
    actions.sort(key=_order)
    plan = _plan_of(manifest, state, actions, unchanged, today)
    plan = dataclasses.replace(plan, waiting=tuple(waiting), needs=tuple(needs))
    return dataclasses.replace(plan, breaches=safety.mass_change(plan, state, manifest.safety))


def _plan_of(
    manifest: Manifest, state: State, actions: list[Action], unchanged: int, today: date
) -> Plan:
    """The plan of ``actions``, naming what it was made from (and when)."""
    return Plan(
        actions=tuple(actions),
        account_sid=manifest.account.sid,
        region=manifest.account.region,
        manifest_path=manifest.path,
        manifest_sha256=manifest.sha256,
        state_path=state.path,
        state_lineage=state.lineage,
        state_serial=state.serial,
        unchanged=unchanged,
        made_on=today.isoformat(),
        key_env=manifest.account.key_env,
        token_env=manifest.account.token_env,
    )


_RANKS = {kind: kind.rank for kind in ActionKind}


def _order(action: Action) -> tuple[int, str]:
    """Execution order: by kind, then by number."""
    return _RANKS[action.kind], action.number


def _purchases_and_updates(
    manifest: Manifest, state: State
) -> tuple[list[Action], list[Differing]]:
    actions: list[Action] = []
    differing: list[Differing] = []
    for number, spec in manifest.numbers.items():
        current = state.numbers.get(number)
        if current is None:
            actions.append(_purchase(spec, manifest))
            continue
        want = _wanted(spec, manifest)
        have = _held(current, want)
        if want != have or quarantine.is_quarantined(current):
            differing.append((spec, current, have, want))
    actions.extend(_updates(differing, manifest))
    return actions, differing


def _pinned(manifest: Manifest, pinned: list[tuple[NumberSpec, Available, Marks]]) -> list[Action]:
    """Purchases of the numbers chosen for pools, with their rental and pool marks."""
    return [
        dataclasses.replace(
            _purchase(spec, manifest),
            marks=marks,
            rental_price=found.rental_price,
            currency=found.currency,
        )
        for spec, found, marks in pinned
    ]


def _count(actions: list[Action], kind: ActionKind) -> int:
    return sum(1 for action in actions if action.kind is kind)


def _wanted(spec: NumberSpec, manifest: Manifest) -> Fields:
    """The managed fields of ``spec`` as comparable values (flows by app id); a field
    under ``ignore_changes`` is not managed once the number is bought."""
    want: Fields = {"protect": spec.protect}
    if spec.friendly_name is not None and "friendly_name" not in spec.ignore_changes:
        want["friendly_name"] = spec.friendly_name
    for field in _FLOW_FIELDS:
        name = getattr(spec, field)
        if name is not None and field not in spec.ignore_changes:
            want[field] = manifest.flows[name].app_id
    return want


def _held(current: NumberRecord, want: Fields) -> Fields:
    """The same fields as ``want``, read from a state entry."""
    have: Fields = {"protect": bool(current.get("protect", False))}
    if "friendly_name" in want:
        have["friendly_name"] = current.get("friendly_name")
    for field in _FLOW_FIELDS:
        if field in want:
            have[field] = flow_key(held_url(current, field))
    return have


def _purchase(spec: NumberSpec, manifest: Manifest) -> Action:
    sid = manifest.account.sid
    params: dict[str, str] = {}
    changes: list[Change] = []
    if spec.friendly_name is not None:
        params["FriendlyName"] = spec.friendly_name
        changes.append(Change("friendly_name", None, spec.friendly_name))
    for field in _FLOW_FIELDS:
        name = getattr(spec, field)
        if name is not None:
            app_id = manifest.flows[name].app_id
            params[PARAMS[field]] = flow_url(sid, field, app_id, manifest.account.flow_host)
            changes.append(Change(field, None, _flow_value(name, app_id, params[PARAMS[field]])))
    if spec.protect:
        changes.append(Change("protect", None, True))
    return Action(
        ActionKind.PURCHASE,
        spec.number,
        name=spec.friendly_name,
        changes=tuple(changes),
        params=params,
        protect=spec.protect,
    )


def _updates(
    differing: list[Differing],
    manifest: Manifest,
) -> list[Action]:
    if not differing:
        return []
    by_app = {flow.app_id: flow.name for flow in manifest.flows.values()}
    actions = []
    for spec, current, have, want in differing:
        fields = changed_fields(have, want)
        actions.append(
            _update(spec, current, sorted(fields, key=_FIELD_ORDER.index), manifest, by_app)
        )
    return actions


_FIELD_ORDER = ["friendly_name", "voice_flow", "sms_flow", "protect"]


def changed_fields(have: Mapping[str, object], want: Mapping[str, object]) -> list[str]:
    """The keys whose flat values differ (``1`` and ``True`` differ: their types do)."""
    missing = object()
    changed = []
    for key in have.keys() | want.keys():
        old, new = have.get(key, missing), want.get(key, missing)
        if type(old) is not type(new) or old != new:
            changed.append(str(key))
    return changed


def _update(
    spec: NumberSpec,
    current: NumberRecord,
    fields: list[str],
    manifest: Manifest,
    by_app: dict[str, str],
) -> Action:
    params, changes, marks, fields = _restore(spec, current, fields)
    for field in fields:
        if field == "friendly_name":
            params["FriendlyName"] = spec.friendly_name or ""
            changes.append(Change(field, current.get("friendly_name"), spec.friendly_name))
        elif field == "protect":
            changes.append(Change(field, bool(current.get("protect", False)), spec.protect))
        else:
            name = getattr(spec, field)
            app_id = manifest.flows[name].app_id
            url = flow_url(manifest.account.sid, field, app_id, manifest.account.flow_host)
            params[PARAMS[field]] = url
            old_url = held_url(current, field)
            old_id = app_id_of(old_url)
            before = _flow_value(by_app.get(old_id) if old_id else None, old_id, old_url)
            changes.append(Change(field, before, _flow_value(name, app_id, url)))
    return Action(
        ActionKind.UPDATE,
        spec.number,
        name=_shown_name(spec, current),
        changes=tuple(changes),
        params=params,
        sid=current.get("sid"),
        protect=spec.protect,
        marks=marks,
    )


def _shown_name(spec: NumberSpec, current: NumberRecord) -> str | None:
    if "friendly_name" in spec.ignore_changes:
        return current.get("friendly_name")
    return spec.friendly_name or current.get("friendly_name")


def _restore(
    spec: NumberSpec, current: NumberRecord, fields: list[str]
) -> tuple[dict[str, str], list[Change], Marks, list[str]]:
    """For a number back from quarantine: its old flows where the manifest does not say,
    every managed flow re-sent, and the quarantine marks cleared. Else nothing."""
    if not quarantine.is_quarantined(current):
        return {}, [], {}, fields
    managed = {f for f in _FLOW_FIELDS if getattr(spec, f) is not None} - spec.ignore_changes
    params = quarantine.restore_params(current, managed)
    fields = sorted(set(fields) | managed, key=_FIELD_ORDER.index)
    return params, [quarantine.restore_change(current)], dict(quarantine.CLEARED), fields


def _flow_value(name: str | None, app_id: str | None, url: str | None) -> FlowValue:
    return {"flow": name, "app_id": app_id, "url": url}
