"""A saved plan made again from the inputs it records, so that apply can refuse one that
was changed after it was made.

A saved plan names its manifest (by sha256) and its state (by lineage and serial); apply
refuses it when either moved. What ``plan --refresh`` read from Exotel is in the plan
too: the drift it saw (the listing's answer for the managed numbers), the numbers it
pinned for pools with their rentals, and the rentals of listed numbers (the searches'
answers). :func:`replay` plans again from the manifest, the state and those answers, as
of the day the plan was made, with its scope and budget; :func:`differences` names what
the two plans do not share. Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone
from typing import Any

from reconciler.model import Action, ActionKind, Available, Manifest, Plan, State
from reconciler.plan import cost, drift, pools, scope
from reconciler.plan.planner import make_plan


def replay(saved: Plan, manifest: Manifest, state: State) -> Plan:
    """The plan ``manifest`` and ``state`` give with the answers ``saved`` recorded."""
    current = State(state.path, state.lineage, state.serial, state.account_sid)
    current.numbers = dict(state.numbers)
    drift.fold_drift(current, saved.drift)
    made_on = _day(saved.made_on)
    plan = make_plan(manifest, current, made_on, candidates=_pinned(saved))
    plan = cost.with_prices(plan, _prices(saved))
    if saved.scope is not None:
        targets, excludes = saved.scope.targets, saved.scope.excludes
        plan = scope.restrict(plan, manifest, state, targets, excludes)
    return dataclasses.replace(
        plan,
        drift=saved.drift,
        unmanaged=saved.unmanaged,
        max_monthly_increase=saved.max_monthly_increase,
    )


def _day(text: str | None) -> date:
    """The day a plan was made (today for a plan that did not record it)."""
    if text is None:
        return datetime.now(timezone.utc).date()
    return date.fromisoformat(text)


def _pinned(saved: Plan) -> Mapping[str, Sequence[Available]] | None:
    """The inventory answers that pinned the plan's pool members, in the order they were
    picked (None when it picked none, as an offline plan)."""
    picked: dict[str, list[tuple[int, Available]]] = {}
    for action in saved.actions:
        pool = action.marks.get(pools.POOL) if action.kind is ActionKind.PURCHASE else None
        if isinstance(pool, str):
            index = action.marks.get(pools.INDEX)
            order = index if isinstance(index, int) else 0
            picked.setdefault(pool, []).append((order, _offer(action)))
    if not picked:
        return None
    return {
        pool: [offer for _, offer in sorted(found, key=_first)] for pool, found in picked.items()
    }


def _first(item: tuple[int, Available]) -> int:
    return item[0]


def _prices(saved: Plan) -> list[Available]:
    """The rentals the plan's purchases carry: the inventory answers that priced them."""
    return [
        _offer(action)
        for action in saved.actions
        if action.kind is ActionKind.PURCHASE and action.rental_price is not None
    ]


def _offer(action: Action) -> Available:
    return Available(action.number, None, None, True, False, action.rental_price, action.currency)


def differences(saved: Plan, again: Plan) -> list[str]:
    """What ``saved`` says that the plan made ``again`` does not, one phrase each."""
    found = _action_differences(saved.actions, again.actions)
    sections = (
        ("mass-change warnings", saved.breaches, again.breaches),
        ("numbers in quarantine", saved.waiting, again.waiting),
        ("pools to fill", saved.needs, again.needs),
        ("counts", saved.counts(), again.counts()),
        ("monthly cost", cost.monthly_cost(saved), cost.monthly_cost(again)),
    )
    found += [name for name, ours, theirs in sections if ours != theirs]
    return found


def _same(field: str, ours: Any, theirs: Any) -> bool:
    """Whether an action's field says the same in both plans. A flow shown as it was
    before is compared by flow and app id: ``plan --refresh`` shows the URL as Exotel
    spells it now, the state may spell the same flow otherwise (and that is no drift)."""
    if field == "usage":  # what Exotel said of the calls then: apply asks again anyway
        return True
    if field != "changes" or len(ours) != len(theirs):
        return bool(ours == theirs)
    return all(
        (a.field, a.after, _flow_of(a.before)) == (b.field, b.after, _flow_of(b.before))
        for a, b in zip(ours, theirs, strict=True)
    )


def _flow_of(value: Any) -> Any:
    if isinstance(value, dict) and "app_id" in value and value.get("app_id"):
        return (value.get("flow"), value["app_id"])
    return value


def _action_differences(saved: Sequence[Action], again: Sequence[Action]) -> list[str]:
    ours = {action.number: action for action in saved}
    theirs = {action.number: action for action in again}
    found = []
    for number, action in ours.items():
        other = theirs.get(number)
        if other is None:
            found.append(f"{action.kind.value} {number} (not in the plan made again)")
        elif other != action:
            fields = [
                f.name
                for f in dataclasses.fields(Action)
                if not _same(f.name, getattr(action, f.name), getattr(other, f.name))
            ]
            if fields:
                found.append(f"{action.kind.value} {number} ({', '.join(fields)} differ)")
    found += [f"{a.kind.value} {n} (missing)" for n, a in theirs.items() if n not in ours]
    if len(saved) != len(ours):
        found.append("an action repeated")
    return found
