"""Partial plans: ``--target NUMBER`` and ``--exclude NUMBER`` restrict a plan to some
numbers. Pure: the numbers are already in E.164 form and known to exist."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from reconciler.errors import UsageError
from reconciler.manifest.numbers import InvalidNumber, normalise
from reconciler.model import Manifest, Plan, Scope, State
from reconciler.plan import safety


def known_numbers(manifest: Manifest, state: State) -> list[str]:
    """Every number a plan can touch: listed in the manifest or managed in the state."""
    return list(dict.fromkeys([*manifest.numbers, *state.numbers]))


def resolve(flag: str, written: Sequence[str], manifest: Manifest, state: State) -> tuple[str, ...]:
    """``written`` numbers (any spelling) in E.164 form; UsageError naming ``flag`` for
    one that does not parse or that neither the manifest nor the state knows."""
    known = set(known_numbers(manifest, state))
    resolved = []
    for text in written:
        try:
            number = normalise(text, manifest.account.default_country)
        except InvalidNumber as exc:
            raise UsageError(f"{flag} {text}: {exc}") from None
        if number not in known:
            raise UsageError(
                f"{flag} {text}: {number} is neither in {manifest.path} nor managed in "
                f"{state.path}; name a number the plan could touch"
            )
        resolved.append(number)
    return tuple(dict.fromkeys(resolved))


def restrict(
    plan: Plan,
    manifest: Manifest,
    state: State,
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
) -> Plan:
    """``plan`` limited to ``targets`` (all when empty) less ``excludes``."""
    if not targets and not excludes:
        return plan

    def chosen(number: str) -> bool:
        return (not targets or number in targets) and number not in excludes

    known = known_numbers(manifest, state)
    actions = tuple(a for a in plan.actions if chosen(a.number))
    acted = {a.number for a in actions}
    unchanged = sum(1 for n in manifest.numbers if chosen(n) and n not in acted)
    scope = Scope(targets, excludes, sum(1 for n in known if chosen(n)), len(known))
    partial = dataclasses.replace(
        plan,
        actions=actions,
        unchanged=unchanged,
        waiting=tuple(q for q in plan.waiting if chosen(q.number)),
        scope=scope,
    )
    return dataclasses.replace(
        partial, breaches=safety.mass_change(partial, state, manifest.safety)
    )
