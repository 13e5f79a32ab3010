"""``exoplan plan``: the diff between the manifest and the state (or the live account with
--refresh), printed in the format asked for and optionally saved for apply."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from reconciler.cli import guard
from reconciler.cli.io import (
    EXIT_CHANGES,
    EXIT_OK,
    note,
    save_plan,
    still_waiting,
    use_color,
    warn,
    write_plan,
)
from reconciler.cli.options import open_state
from reconciler.exotel.factory import ClientFactory
from reconciler.manifest import numbers
from reconciler.manifest.load import load_manifest
from reconciler.model import NUMBER_TYPES, Available, Criteria, Manifest, Plan, State
from reconciler.plan import cost, drift, pools, safety, scope
from reconciler.plan.planner import make_plan
from reconciler.state.store import Reading

if TYPE_CHECKING:
    from reconciler.exotel.client import ExotelClient


def run_plan(args: argparse.Namespace) -> int:
    plan = compute_plan(args)
    if args.out:
        save_plan(plan, args.out)
    write_plan(plan, args.format, sys.stdout, use_color(args, sys.stdout))
    if args.out:
        note(f"Saved the plan to {args.out}; apply it with `exoplan apply {args.out}`.")
    safety.check_budget(plan)  # over budget: exit 1, after the plan was shown
    return plan_exit_code(plan, args.detailed_exitcode)


def compute_plan(
    args: argparse.Namespace, manifest: Manifest | None = None, taken: frozenset[str] = frozenset()
) -> Plan:
    """The plan of -f's manifest (or ``manifest``, already loaded) against its state;
    pools never pick a number in ``taken``."""
    manifest, reading = read_inputs(args, manifest)
    state = reading.state
    if reading.journal_left:
        warn_about_journal(reading.journal_where)
    if args.refresh:
        plan = refreshed_plan(args, manifest, state, taken)
    else:
        plan = make_plan(manifest, state)
    plan = budgeted(args, scoped(args, plan, manifest, state))
    plan = guard.configured(args, plan, manifest, False)
    return guard.refreshed(args, plan, manifest) if args.refresh else plan


def budgeted(args: argparse.Namespace, plan: Plan) -> Plan:
    """``plan`` with --max-monthly-increase as its budget, when given."""
    limit = getattr(args, "max_monthly_increase", None)
    return plan if limit is None else dataclasses.replace(plan, max_monthly_increase=limit)


def read_inputs(
    args: argparse.Namespace, manifest: Manifest | None = None
) -> tuple[Manifest, Reading]:
    """The manifest (unless given) and a read of its state's store: no lock, nothing
    written."""
    manifest = manifest or load_manifest(args.manifest)
    return manifest, open_state(args, manifest).read()


def refreshed_plan(
    args: argparse.Namespace, manifest: Manifest, state: State, taken: frozenset[str] = frozenset()
) -> Plan:
    """plan --refresh: read the account, plan against that view; the state is not written."""
    with ClientFactory.from_args(args, manifest) as factory, still_waiting(factory):
        owned = factory.client().owned_index()
        found = drift.detect(state, owned, manifest)
        current = drift.refreshed(state, owned)
        candidates = pool_candidates(factory.client, manifest, current, owned, taken)
        plan = make_plan(manifest, current, candidates=candidates)
        plan = priced(plan, factory.client(), current)
    return dataclasses.replace(
        plan, drift=tuple(found), unmanaged=len(drift.unmanaged(state, owned))
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


def scoped(args: argparse.Namespace, plan: Plan, manifest: Manifest, state: State) -> Plan:
    """The plan restricted by --target and --exclude (unchanged without them); one of
    several manifests skips the numbers it does not know, and with --target naming none
    of its numbers it plans nothing."""
    several = getattr(args, "several", False)
    targets = scope.resolve("--target", args.target, manifest, state, several)
    excludes = scope.resolve("--exclude", args.exclude, manifest, state, several)
    none_targeted = bool(args.target) and not targets
    return scope.restrict(plan, manifest, state, targets, excludes, none_targeted)


def warn_about_journal(where: str) -> None:
    """A journal left by a crashed apply means the state may miss numbers it bought."""
    warn(
        f"{where} is left from an interrupted apply; the plan may show numbers that "
        "were already bought. Run `exoplan apply` to settle it."
    )


def plan_exit_code(plan: Plan, detailed: bool) -> int:
    return EXIT_CHANGES if detailed and plan.has_changes else EXIT_OK
