"""Pools: numbers bought by criteria. Which state entries are a pool's members, which
of them a lowered count releases, how many are missing, and which inventory candidates
to pin for them. Pure: the candidates come from a search the caller made.

A member's state entry carries ``pool`` (the pool's name) and ``pool_index`` (its
1-based index, the ``{n}`` of its name).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Final

from reconciler.errors import ExoplanError
from reconciler.manifest import numbers
from reconciler.model import Available, Manifest, NumberSpec, PoolNeed, PoolSpec, State
from reconciler.plan.cost import price_value
from reconciler.records import Marks, NumberRecord

POOL: Final = "pool"
INDEX: Final = "pool_index"


def members(state: State, pool: str) -> list[tuple[str, int]]:
    """(number, index) of every member of ``pool`` in the state, by index."""
    found = [
        (number, _index(entry))
        for number, entry in state.numbers.items()
        if entry.get(POOL) == pool
    ]
    return sorted(found, key=lambda item: (item[1], item[0]))


def expand(manifest: Manifest, state: State) -> tuple[dict[str, NumberSpec], list[PoolNeed]]:
    """A spec for every member each pool keeps, and the pools short of members.

    Members beyond a pool's count go only when named in its ``release:`` list (they are
    then left out, so the plan releases them); otherwise it is an error naming the pool.
    """
    specs: dict[str, NumberSpec] = {}
    needs = []
    for number in manifest.numbers:
        member_of = state.numbers.get(number, {}).get(POOL)
        if member_of:
            raise ExoplanError(
                f"{manifest.path}: {number} is listed under numbers but is a member of pool "
                f"{member_of}: remove it from one of the two"
            )
    for pool in manifest.pools.values():
        kept = _kept(manifest, pool, members(state, pool.name))
        specs.update({number: member_spec(pool, number, index) for number, index in kept})
        if len(kept) < pool.count:
            needs.append(PoolNeed(pool.name, pool.count - len(kept)))
    return specs, needs


def _kept(manifest: Manifest, pool: PoolSpec, held: list[tuple[str, int]]) -> list[tuple[str, int]]:
    if len(held) <= pool.count:
        return held
    surplus = len(held) - pool.count
    going = [number for number, _ in held if number in pool.release][:surplus]
    if len(going) < surplus:
        raise ExoplanError(
            f"{manifest.path}: pool {pool.name} has {len(held)} members but its count is "
            f"{pool.count}: name the {surplus} to release under pools.{pool.name}.release "
            "(or raise the count)"
        )
    return [(number, index) for number, index in held if number not in going]


def member_spec(pool: PoolSpec, number: str, index: int) -> NumberSpec:
    name = pool.friendly_name.replace("{n}", str(index)) if pool.friendly_name else None
    return NumberSpec(
        number=number,
        written=number,
        index=-1,
        friendly_name=name,
        voice_flow=pool.voice_flow,
        sms_flow=pool.sms_flow,
        protect=pool.protect,
        ignore_changes=pool.ignore_changes,
    )


def pin(
    manifest: Manifest,
    state: State,
    needs: Sequence[PoolNeed],
    candidates: Mapping[str, Sequence[Available]],
) -> list[tuple[NumberSpec, Available, Marks]]:
    """Concrete, distinct numbers for every need: never one managed, listed or picked for
    another pool, never outside the pool's country, never dearer than ``max_rental``;
    too few is an error naming the pool. (Numbers the account owns are left out of
    ``candidates`` by :func:`for_sale`.)"""
    taken = set(state.numbers) | set(manifest.numbers)
    pinned = []
    for need in needs:
        pool = manifest.pools[need.pool]
        usable = [c for c in candidates.get(pool.name, ()) if _usable(c, pool, taken)]
        if len(usable) < need.missing:
            raise ExoplanError(
                f"pool {pool.name}: wanted {need.missing} more number(s), found "
                f"{len(usable)} available matching its criteria: widen them (region, "
                "contains, max_rental) or lower the count"
            )
        used = {index for _, index in members(state, pool.name)}
        free = (i for i in range(1, pool.count + len(used) + 1) if i not in used)
        for candidate, index in zip(usable[: need.missing], free, strict=False):
            taken.add(candidate.number)
            marks: Marks = {POOL: pool.name, INDEX: index}
            pinned.append((member_spec(pool, candidate.number, index), candidate, marks))
    return pinned


def for_sale(found: Sequence[Available], owned: Mapping[str, object]) -> list[Available]:
    """The search results that are for sale: never a number the account owns already
    (another team's, say: buying it would answer 409, never hand it to a pool)."""
    return [candidate for candidate in found if candidate.number not in owned]


def _usable(candidate: Available, pool: PoolSpec, taken: set[str]) -> bool:
    if candidate.number in taken:
        return False
    if numbers.country_of(candidate.number) != pool.criteria.country:
        return False  # an answer about another market: never the pool's number
    if pool.max_rental is None:
        return True
    price = price_value(candidate.rental_price)  # an unknown price never passes max_rental
    return price is not None and price <= Decimal(pool.max_rental)


def _index(entry: NumberRecord) -> int:
    value = entry.get(INDEX)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
