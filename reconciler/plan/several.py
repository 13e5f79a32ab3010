"""Several manifests planned together: one entry per manifest (its plan, or the error
that kept it from being planned) and the totals across them. Plain data; the renderers
read it, the command line fills it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from reconciler.model import ActionKind, Manifest, Plan
from reconciler.plan.cost import MonthlyCost, monthly_cost


@dataclass(frozen=True, slots=True)
class ManifestPlan:
    """One manifest's part of a run over several: its plan, or why there is none."""

    path: str
    account_sid: str | None  # None when the manifest could not be read
    plan: Plan | None
    error: str | None = None  # the error's lines, when it failed


@dataclass(frozen=True, slots=True)
class PlanSet:
    """The plans of several manifests, in the order the manifests were given."""

    entries: tuple[ManifestPlan, ...]

    @property
    def failed(self) -> tuple[ManifestPlan, ...]:
        return tuple(entry for entry in self.entries if entry.error is not None)

    @property
    def has_changes(self) -> bool:
        return any(entry.plan is not None and entry.plan.has_changes for entry in self.entries)

    def totals(self) -> dict[str, int]:
        """Actions of each kind across every plan, and how many manifests and failures."""
        result = {kind.value: 0 for kind in ActionKind}
        result["unchanged"] = 0
        for entry in self.entries:
            if entry.plan is not None:
                for kind, count in entry.plan.counts().items():
                    result[kind] += count
        return {**result, "manifests": len(self.entries), "failed": len(self.failed)}


def taken_elsewhere(
    manifest: Manifest, others: Iterable[tuple[Manifest, Plan | None]]
) -> frozenset[str]:
    """Numbers a pool of ``manifest`` must not pick: those the other manifests of its
    account list or have pinned in their plans (numbers the account owns are not for
    sale, so the inventory never offers them)."""
    taken: set[str] = set()
    for other, plan in others:
        if other is manifest or other.account.sid != manifest.account.sid:
            continue
        taken.update(other.numbers)
        if plan is not None:
            taken.update(a.number for a in plan.actions if a.kind is ActionKind.PURCHASE)
    return frozenset(taken)


def net_change(plan: Plan | None) -> str:
    """A plan's monthly change per currency, such as '+499.00 INR' ('' for none)."""
    if plan is None:
        return ""
    cost = monthly_cost(plan)
    pieces = [f"{cost.net(c):+.2f} {c}" for c in cost.currencies]
    if cost.unknown:
        pieces.append(f"{cost.unknown} unpriced")
    return ", ".join(pieces)


def total_cost(plans: PlanSet) -> MonthlyCost:
    """The monthly change of every plan together, per currency."""
    added: dict[str, Decimal] = defaultdict(Decimal)
    removed: dict[str, Decimal] = defaultdict(Decimal)
    unknown = 0
    for entry in plans.entries:
        if entry.plan is None:
            continue
        cost = monthly_cost(entry.plan)
        for currency, value in cost.added.items():
            added[currency] += value
        for currency, value in cost.removed.items():
            removed[currency] += value
        unknown += cost.unknown
    return MonthlyCost(dict(added), dict(removed), unknown)
