"""Every refusal that keeps a plan safe to apply, in one place: a stale saved plan, a
saved plan that does not match the state, a release that was not allowed, a protected
number, a state of another account, a plan over its budget (--max-monthly-increase).

Pure checks on a Plan and a State; each raises with what to do, nothing is printed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from reconciler.errors import StateError, UnsafePlanError, shorten
from reconciler.model import Action, ActionKind, Breach, Drift, Manifest, Plan, SafetyLimits, State
from reconciler.plan.cost import monthly_cost


def budget_problem(plan: Plan) -> str:
    """Why ``plan`` is over its --max-monthly-increase ("" when within it or no gate):
    a net increase above the amount in any currency, or a purchase of unknown price."""
    if plan.max_monthly_increase is None:
        return ""
    limit = Decimal(plan.max_monthly_increase)
    cost = monthly_cost(plan)
    over = [f"{cost.net(c):+.2f} {c}" for c in cost.currencies if cost.net(c) > limit]
    reasons = []
    if over:
        reasons.append(f"the monthly rental would grow by {', '.join(over)}")
    if cost.unknown:
        noun = "purchase has" if cost.unknown == 1 else "purchases have"
        reasons.append(f"{cost.unknown} {noun} no known price (plan --refresh looks prices up)")
    if not reasons:
        return ""
    return f"{'; '.join(reasons)}, above --max-monthly-increase {limit:.2f}"


def check_budget(plan: Plan) -> None:
    """Refuse a plan over its --max-monthly-increase, naming the figures."""
    problem = budget_problem(plan)
    if problem:
        raise UnsafePlanError(
            f"over budget: {problem}. Nothing was changed. Buy fewer or cheaper numbers, "
            "or raise --max-monthly-increase if that is what you want"
        )


def check_fresh(plan: Plan, state: State, planfile: str | None, replan: str = "") -> None:
    """Refuse a saved plan made against another version of the state; ``replan`` is the
    command that makes a new one (with the -f and --state used), else a plain one."""
    if plan.state_lineage == state.lineage and plan.state_serial == state.serial:
        return
    raise StateError(
        f"{planfile}: the plan is stale: it was made against state serial "
        f"{plan.state_serial} (lineage {plan.state_lineage}), but {state.path} is now at "
        f"serial {state.serial} (lineage {state.lineage}). Make a new plan with "
        f"`{replan or f'exoplan plan --out {planfile}'}` and review it again"
    )


def check_manifest(plan: Plan, manifest: Manifest, planfile: str | None) -> None:
    """Refuse a saved plan made from another version of its manifest."""
    if manifest.sha256 == plan.manifest_sha256:
        return
    raise StateError(
        f"{planfile}: {manifest.path} changed after the plan was made (sha256 "
        f"{plan.manifest_sha256[:12]} then, {manifest.sha256[:12]} now). Nothing was sent. "
        f"Make a new plan with `exoplan plan -f {manifest.path} --out {planfile}` and review it"
    )


def check_replayed(
    differences: list[str], planfile: str | None, manifest: Manifest, state: State
) -> None:
    """Refuse a saved plan that says other than the plan its manifest, its state and the
    answers it recorded give when made again (``differences``, one phrase each)."""
    if not differences:
        return
    shown = "; ".join(shorten(d, 80) for d in differences[:5])
    more = f"; and {len(differences) - 5} more" if len(differences) > 5 else ""
    raise UnsafePlanError(
        f"{planfile}: the plan is not the one {manifest.path} and {state.path} give ({shown}"
        f"{more}); it was changed after it was made. Nothing was sent. Make a new plan with "
        f"`exoplan plan -f {manifest.path} --out {planfile}` and review it"
    )


def mass_change(plan: Plan, state: State, limits: SafetyLimits) -> tuple[Breach, ...]:
    """The thresholds ``plan`` is above (none while fewer than ``min_managed`` numbers
    are managed): releases and quarantines together, and updates."""
    managed = len(state.numbers)
    if managed < limits.min_managed:
        return ()
    counts = plan.counts()
    leaving = counts[ActionKind.RELEASE.value] + counts[ActionKind.QUARANTINE.value]
    figures = (
        ("release", leaving, limits.max_release_percent),
        ("update", counts[ActionKind.UPDATE.value], limits.max_update_percent),
    )
    return tuple(
        Breach(kind, count, managed, limit)
        for kind, count, limit in figures
        if 100.0 * count / managed > limit
    )


def check_mass_change(plan: Plan, allow: bool) -> None:
    """Refuse a plan above a mass-change threshold unless --allow-mass-change."""
    if not plan.breaches or allow:
        return
    figures = "; ".join(describe_breach(b) for b in plan.breaches)
    raise UnsafePlanError(
        f"refusing a mass change: {figures}. Nothing was changed. Check the plan, then "
        "re-run with --allow-mass-change if that is what you want (or raise the limits "
        "under safety: in the manifest)"
    )


def describe_breach(breach: Breach) -> str:
    verb = "release or quarantine" if breach.kind == "release" else "update"
    return (
        f"the plan would {verb} {breach.count} of {breach.managed} managed numbers "
        f"({breach.percent:.0f}%), above safety.max_{breach.kind}_percent = {breach.limit:g}%"
    )


def check_matches_state(plan: Plan, state: State, planfile: str | None) -> None:
    """Refuse a saved plan whose actions do not fit the state it claims: every update and
    release must name a managed number with the state's sid for it, every purchase a
    number the state does not manage, every drift a managed number. A plan file edited
    by hand would otherwise send a release to another number's sid."""
    gone = {d.number for d in plan.drift if d.gone}  # released outside: may be bought again
    misfits = [f"{a.kind.value} {a.number}" for a in plan.actions if not _fits(a, state, gone)]
    misfits += [f"drift of {d.number}" for d in plan.drift if not _drift_fits(d, state)]
    if plan.account_sid != (state.account_sid or plan.account_sid):
        misfits.insert(0, f"account {plan.account_sid}")
    if misfits:
        shown = ", ".join(shorten(m, 60) for m in misfits[:5])
        more = f" and {len(misfits) - 5} more" if len(misfits) > 5 else ""
        mismatch = f"{planfile}: the plan does not match {state.path} ({shown}{more} "
        # A managed number whose drift does not fit: Exotel lists it under another sid.
        resold = [
            d.number for d in plan.drift if d.number in state.numbers and not _drift_fits(d, state)
        ]
        if resold:
            raise UnsafePlanError(
                f"{mismatch}differ from what the state records): Exotel listed "
                f"{shorten(', '.join(resold), 60)} under another sid than the state records "
                "(released and bought again outside exoplan?). Nothing was sent. Record the "
                "account as it is with `exoplan refresh`, then make a new plan with "
                f"`exoplan plan --refresh --out {planfile}` and review it"
            )
        raise UnsafePlanError(
            f"{mismatch}differ from what the state records); it was changed after it was "
            f"made. Nothing was sent. Make a new plan with `exoplan plan --out {planfile}` "
            "and review it"
        )


def _fits(action: Action, state: State, gone: set[str]) -> bool:
    entry = None if action.number in gone else state.numbers.get(action.number)
    if action.kind is ActionKind.PURCHASE:
        return entry is None and action.sid is None
    return entry is not None and action.sid == entry.get("sid")


def _drift_fits(drift: Drift, state: State) -> bool:
    entry = state.numbers.get(drift.number)
    if entry is None:
        return False
    live_sid = (drift.live or {}).get("sid")
    return drift.live is None or live_sid is None or live_sid == entry.get("sid")


def check_pinned(plan: Plan, planfile: str | None) -> None:
    """Refuse a saved plan that leaves pool members unchosen (made offline)."""
    if plan.needs:
        pools = ", ".join(f"{need.pool} ({need.missing})" for need in plan.needs)
        raise UnsafePlanError(
            f"{planfile}: the plan does not say which numbers to buy for pool(s) {pools}: "
            f"make it with `exoplan plan --refresh --out {planfile}`, which picks them, and "
            "review it again"
        )


def check_release(plan: Plan, state: State, allow_release: bool) -> None:
    """Refuse releasing a protected number, or any number without --allow-release."""
    releases = [a.number for a in plan.actions if a.kind is ActionKind.RELEASE]
    protected = [n for n in releases if state.numbers.get(n, {}).get("protect")]
    if protected:
        raise UnsafePlanError(
            f"refusing to release protected number(s) {', '.join(protected)}: their state "
            "entries have protect: true. Set protect: false in the manifest and apply first"
        )
    if releases and not allow_release:
        raise UnsafePlanError(
            f"the plan releases {len(releases)} number(s) ({', '.join(releases)}); a released "
            "number is gone for good. Nothing was changed. Re-run with --allow-release if "
            "that is what you want"
        )


def check_account(manifest: Manifest, state: State) -> None:
    """Refuse a state of another account: its numbers would all look released."""
    if state.account_sid and state.account_sid != manifest.account.sid:
        raise StateError(
            f"{state.path} belongs to account '{state.account_sid}', but {manifest.path} "
            f"describes account '{manifest.account.sid}': pass that account's state with --state"
        )


def check_unlisted_protected(manifest: Manifest, state: State, gone: list[str]) -> None:
    """Refuse a plan that would release protected numbers the manifest no longer lists."""
    protected = sorted(n for n in gone if state.numbers[n].get("protect"))
    if protected:
        raise UnsafePlanError(
            f"{manifest.path} no longer lists protected number(s) {', '.join(protected)}, "
            "so the plan would release them. Put them back; to release one on purpose, first "
            "set protect: false on its entry and apply, then remove it."
        )


@dataclass(frozen=True, slots=True)
class ApplyChecks:
    """What apply allows: ``planfile`` names a saved plan (None for one made now),
    ``replan`` the command that makes a new one. For a saved plan, ``manifest`` is its
    manifest and ``differences`` names what the plan made again from it does not share
    (called last, once every other check has passed)."""

    planfile: str | None = None
    allow_release: bool = False
    allow_mass_change: bool = False
    replan: str = ""
    manifest: Manifest | None = None
    differences: Callable[[], list[str]] | None = None


def check_apply(plan: Plan, state: State, checks: ApplyChecks) -> None:
    """Every refusal of ``plan`` before apply sends anything, in order: stale, not the
    state's (a saved plan), pool members unchosen (a saved plan), a release not allowed
    or protected, a mass change, over budget, and last (the specific refusals say more)
    a saved plan that is not the plan its manifest, state and recorded answers give."""
    check_fresh(plan, state, checks.planfile, checks.replan)
    if checks.planfile is not None:
        check_matches_state(plan, state, checks.planfile)
        check_pinned(plan, checks.planfile)
    check_release(plan, state, checks.allow_release)
    check_mass_change(plan, checks.allow_mass_change)
    check_budget(plan)
    if checks.differences is not None and checks.manifest is not None:
        check_replayed(checks.differences(), checks.planfile, checks.manifest, state)
