"""``plan``: the diff between a manifest and its state (or the live account, with
``refresh``), restricted to the numbers asked for and carrying its budget."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from reconciler.api import guard
from reconciler.api.inputs import read_inputs
from reconciler.api.options import ApplyOptions, PlanOptions, Report, Watch, silent, unwatched
from reconciler.exotel.factory import ApiOptions, ClientFactory
from reconciler.manifest import numbers
from reconciler.model import NUMBER_TYPES, Available, Criteria, Manifest, Plan, State
from reconciler.plan import cost, drift, pools, scope
from reconciler.plan.planner import make_plan

if TYPE_CHECKING:
    from reconciler.exotel.client import ExotelClient


def plan(
    options: PlanOptions,
    warn: Report = silent,
    manifest: Manifest | None = None,
    watch: Watch = unwatched,
) -> Plan:
    """The plan of ``options.manifest`` against its state, read without a lock (nothing
    is written); with ``refresh``, against what the account owns now, with its drift
    and prices. ``warn`` hears of a journal an interrupted apply left. An over-budget
    plan is returned (see :func:`reconciler.plan.safety.check_budget`). ``manifest``
    is the manifest at ``options.manifest`` when the caller has loaded it already."""
    manifest, reading = read_inputs(options.manifest, options.state, warn, manifest)
    state = reading.state
    if options.refresh:
        made = refreshed_plan(options.api, manifest, state, options.taken, watch)
    else:
        made = make_plan(manifest, state)
    scoped = restrict(made, manifest, state, options)
    guarded = guard.configured(
        budgeted(scoped, options.max_monthly_increase), manifest, options.ignore_usage
    )
    return guard.refreshed(options.api, guarded, manifest) if options.refresh else guarded


def budgeted(plan: Plan, limit: str | None) -> Plan:
    """``plan`` with ``limit`` (--max-monthly-increase) as its budget, when given."""
    return plan if limit is None else dataclasses.replace(plan, max_monthly_increase=limit)


def restrict(
    plan: Plan, manifest: Manifest, state: State, options: PlanOptions | ApplyOptions
) -> Plan:
    """``plan`` restricted to the options' targets and without their excludes (unchanged
    without them); one of several manifests skips the numbers it does not know, and with
    targets naming none of its numbers it plans nothing."""
    several = options.several
    wanted = scope.resolve("--target", options.targets, manifest, state, several)
    unwanted = scope.resolve("--exclude", options.excludes, manifest, state, several)
    none_targeted = bool(options.targets) and not wanted
    return scope.restrict(plan, manifest, state, wanted, unwanted, none_targeted)


def refreshed_plan(
    api: ApiOptions,
    manifest: Manifest,
    state: State,
    taken: frozenset[str] = frozenset(),
    watch: Watch = unwatched,
) -> Plan:
    """The plan against what the account owns now; the state is not written."""
    with ClientFactory.for_account(api, manifest) as factory, watch(factory):
        owned = factory.client().owned_index()
        found = drift.detect(state, owned, manifest)
        current = drift.refreshed(state, owned)
        candidates = pool_candidates(factory.client, manifest, current, owned, taken)
        made = make_plan(manifest, current, candidates=candidates)
        made = priced(made, factory.client(), current)
    return dataclasses.replace(
        made, drift=tuple(found), unmanaged=len(drift.unmanaged(state, owned))
    )


def pool_candidates(
    client: Callable[[], ExotelClient],
    manifest: Manifest,
    state: State,
    owned: Mapping[str, object] | None = None,
    taken: frozenset[str] = frozenset(),
) -> dict[str, list[Available]] | None:
    """The inventory searched for every pool short of members, less the numbers the
    account ``owned`` (listed here when not given) and those in ``taken`` (listed or
    picked by another manifest of the account); None when no pool is short, and then
    ``client`` is not even built."""
    needs = pools.expand(manifest, state)[1]
    if not needs:
        return None
    owned = client().owned_index() if owned is None else owned
    searched: dict[Criteria, list[Available]] = {}  # each distinct criteria set once
    for need in needs:
        criteria = manifest.pools[need.pool].criteria
        if criteria not in searched:
            found = pools.for_sale(client().search_available(criteria), owned)
            found = [candidate for candidate in found if candidate.number not in taken]
            searched[criteria] = cost.in_account_currency(found, state)
    return {need.pool: searched[manifest.pools[need.pool].criteria] for need in needs}


def priced(plan: Plan, client: ExotelClient, state: State) -> Plan:
    """``plan`` with its purchases priced from the inventory: each country and type of
    number searched once, unfiltered."""
    countries = sorted({c for n in cost.unpriced(plan) if (c := numbers.country_of(n))})
    inventory = [
        item
        for country in countries
        for kind in NUMBER_TYPES
        for item in client.search_available(Criteria(country, kind))
    ]
    inventory = cost.in_account_currency(inventory, state)
    return cost.with_prices(plan, inventory) if inventory else plan
