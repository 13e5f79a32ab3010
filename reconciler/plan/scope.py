"""Partial plans: ``--target`` and ``--exclude`` restrict a plan to some numbers, or to
pools as a whole. Pure: the names are resolved against the manifest and state first.

A name is a number (any spelling; E.164 once resolved), listed in the manifest or
managed in the state (a pool member is one), or ``pool:NAME`` for a pool of the manifest:
its members, the numbers it still needs and those pinned for it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence

from reconciler.errors import UsageError
from reconciler.manifest.numbers import InvalidNumber, normalise
from reconciler.model import Action, Manifest, Plan, PoolNeed, Scope, State
from reconciler.plan import safety
from reconciler.plan.pools import POOL

#: How a pool is named to --target and --exclude: ``pool:NAME``.
POOL_PREFIX = "pool:"


def known_numbers(manifest: Manifest, state: State) -> list[str]:
    """Every number a plan can touch: listed in the manifest or managed in the state."""
    return list(dict.fromkeys([*manifest.numbers, *state.numbers]))


def resolve(
    flag: str, written: Sequence[str], manifest: Manifest, state: State, lenient: bool = False
) -> tuple[str, ...]:
    """``written`` names in their resolved form (E.164, or ``pool:NAME``); UsageError
    naming ``flag`` for one that neither the manifest nor the state knows (with
    ``lenient``, one of several manifests: left out, another manifest may know it)."""
    known = set(known_numbers(manifest, state))
    found = []
    for text in written:
        try:
            found.append(_resolved(flag, text, manifest, state, known))
        except UsageError:
            if not lenient:
                raise
    return tuple(dict.fromkeys(found))


def _resolved(flag: str, text: str, manifest: Manifest, state: State, known: set[str]) -> str:
    if text.startswith(POOL_PREFIX):
        name = text[len(POOL_PREFIX) :]
        if name not in manifest.pools:
            pools = ", ".join(sorted(manifest.pools)) or "none"
            raise UsageError(f"{flag} {text}: the manifest has no pool {name} (its pools: {pools})")
        return text
    try:
        number = normalise(text, manifest.account.default_country)
    except InvalidNumber as exc:
        hint = f"; to plan pool {text} as a whole, write {flag} pool:{text}"
        raise UsageError(f"{flag} {text}: {exc}{hint if text in manifest.pools else ''}") from None
    if number not in known:
        raise UsageError(
            f"{flag} {text}: {number} is neither in {manifest.path} nor managed in "
            f"{state.path}; name a number the plan could touch, or pool:NAME"
        )
    return number


def _picked(names: Collection[str], number: str, pool: str | None) -> bool:
    return number in names or (pool is not None and POOL_PREFIX + pool in names)


class _Chooser:
    """Whether a number (of a pool, or not) is in the partial plan."""

    def __init__(self, state: State, targets: tuple[str, ...], excludes: tuple[str, ...]) -> None:
        self._state, self._targets, self._excludes = state, targets, excludes

    def pool_of(self, number: str) -> str | None:
        pool = self._state.numbers.get(number, {}).get(POOL)
        return pool if isinstance(pool, str) else None

    def __call__(self, number: str, pool: str | None = None) -> bool:
        pool = pool or self.pool_of(number)
        wanted = not self._targets or _picked(self._targets, number, pool)
        return wanted and not _picked(self._excludes, number, pool)

    def action(self, action: Action) -> bool:
        pool = action.marks.get(POOL)
        return self(action.number, pool if isinstance(pool, str) else None)

    def need(self, need: PoolNeed) -> bool:
        """Whether the numbers a pool still needs are in: the pool is (a number is not)."""
        return self("", need.pool)


def restrict(
    plan: Plan,
    manifest: Manifest,
    state: State,
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
    none_targeted: bool = False,
) -> Plan:
    """``plan`` limited to ``targets`` (all when empty; none with ``none_targeted``: the
    targets are another manifest's) less ``excludes``."""
    if not targets and not excludes and not none_targeted:
        return plan
    chosen = _Chooser(state, ("",) if none_targeted else targets, excludes)  # "": no number
    known = known_numbers(manifest, state)
    actions = tuple(a for a in plan.actions if chosen.action(a))
    acted = {a.number for a in actions}
    kept = [*manifest.numbers, *(n for n in state.numbers if chosen.pool_of(n) in manifest.pools)]
    partial = dataclasses.replace(
        plan,
        actions=actions,
        unchanged=sum(1 for n in kept if chosen(n) and n not in acted),
        waiting=tuple(q for q in plan.waiting if chosen(q.number)),
        needs=tuple(need for need in plan.needs if chosen.need(need)),
        scope=Scope(targets, excludes, sum(1 for n in known if chosen(n)), len(known)),
    )
    return dataclasses.replace(
        partial, breaches=safety.mass_change(partial, state, manifest.safety)
    )
