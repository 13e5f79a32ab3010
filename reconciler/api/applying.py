"""``apply``: plan (or take a saved plan), check, show, confirm, then run the actions
through the state transaction and return what happened.

Nothing is sent before every check has passed and ``confirm`` has returned; the state
lock is held from the first read to the last write. The caller sees the plan, confirms
and watches the run through the callbacks of :class:`ApplyHooks`.
"""

from __future__ import annotations

import dataclasses
import shlex

from reconciler.api import guard
from reconciler.api.inputs import open_state
from reconciler.api.options import DEFAULT_MANIFEST, ApplyOptions
from reconciler.api.planning import budgeted, pool_candidates, restrict
from reconciler.api.results import Applied, ApplyHooks, Execution
from reconciler.apply.executor import Client, OnOutcome, Stop
from reconciler.apply.transaction import StateTransaction
from reconciler.errors import StateError, UsageError
from reconciler.exotel.factory import ClientFactory
from reconciler.manifest.load import load_manifest
from reconciler.model import ApplyResult, Manifest, Plan, State
from reconciler.plan import safety
from reconciler.plan.planfile import load_plan
from reconciler.plan.planner import make_plan
from reconciler.plan.replay import differences, replay
from reconciler.render.escape import terminal
from reconciler.state.location import public_form, same_location
from reconciler.state.store import Store


def apply(options: ApplyOptions, hooks: ApplyHooks) -> Applied:
    """Apply ``options.planfile`` (a saved plan) or the manifest's plan made now."""
    manifest, saved, store = _inputs(options)
    factory = ClientFactory.for_account(options.api, manifest, saved)
    with StateTransaction(store, "exoplan apply", options.lock_timeout, hooks.report) as tx:
        with factory:
            plan = checked_plan(options, tx, factory, manifest, saved)
            hooks.show(plan)
            if not plan.has_changes:
                if plan.drift:
                    tx.save()
                return Applied(plan, None)
            client = factory.client()
            hooks.confirm(plan)
            return Applied(plan, hooks.run(_execution(tx, plan, client, options)))


def checked_plan(
    options: ApplyOptions,
    tx: StateTransaction,
    factory: ClientFactory,
    manifest: Manifest,
    saved: Plan | None,
) -> Plan:
    """Settle the state, then the plan to apply (``saved``, or made now; pools never
    pick a number in ``options.taken``), once every check before the first request
    passed (one call into :mod:`reconciler.plan.safety`)."""
    tx.settle(factory.client)
    made = saved or _plan(options, manifest, tx.state, factory)
    planfile = options.planfile if saved is not None else None
    plan = budgeted(made, options.max_monthly_increase)
    plan = guard.configured(plan, manifest, options.ignore_usage, planfile)
    safety.check_apply(plan, tx.state, _checks(options, plan, saved, manifest, tx.state))
    plan = guard.refuse_used(plan, factory)  # asks Exotel: after every offline check
    tx.record_drift(plan.drift)  # a plan made with --refresh showed it; record it
    return plan


def _execution(
    tx: StateTransaction, plan: Plan, client: Client, options: ApplyOptions
) -> Execution:
    def start(on_outcome: OnOutcome | None, stop: Stop | None) -> ApplyResult:
        return tx.apply(plan, client, options.api.parallelism, on_outcome, stop)

    return Execution(plan, client, start)


def _checks(
    options: ApplyOptions, plan: Plan, saved: Plan | None, manifest: Manifest, state: State
) -> safety.ApplyChecks:
    checks = safety.ApplyChecks(
        planfile=options.planfile or None,
        allow_release=options.allow_release,
        allow_mass_change=options.allow_mass_change,
        replan=_replan(plan, options.planfile),
    )
    if saved is None:
        return checks

    def made_again() -> list[str]:
        """What the saved plan does not share with the plan its inputs give again."""
        return differences(saved, replay(saved, manifest, state))

    return dataclasses.replace(checks, manifest=manifest, differences=made_again)


def _plan(options: ApplyOptions, manifest: Manifest, state: State, factory: ClientFactory) -> Plan:
    """The plan apply makes itself; pools short of members are filled from the inventory."""
    candidates = pool_candidates(factory.client, manifest, state, taken=options.taken)
    made = make_plan(manifest, state, candidates=candidates)
    return restrict(made, manifest, state, options)


def _inputs(options: ApplyOptions) -> tuple[Manifest, Plan | None, Store]:
    """The manifest (a saved plan's own, unless the options name another), the saved
    plan, and the state: chosen exactly as plan chooses it, never by the plan file
    (which a pull request could have written)."""
    if options.planfile:
        if options.targets or options.excludes:
            raise UsageError(
                f"--target and --exclude cannot change a saved plan ({options.planfile} "
                "records its own scope): make a new one with `exoplan plan --target ... --out`"
            )
        saved = load_plan(options.planfile)
        manifest = load_manifest(options.manifest or saved.manifest_path)
        safety.check_manifest(saved, manifest, options.planfile)
        store = open_state(manifest, options.state)
        check_same_state(saved, store.where, options.planfile)
        return manifest, saved, store
    manifest = load_manifest(options.manifest or DEFAULT_MANIFEST)
    return manifest, None, open_state(manifest, options.state)


def check_same_state(saved: Plan, where: str, planfile: str) -> None:
    """Refuse a saved plan made against another state than the one this apply uses."""
    if same_location(saved.state_path, where):
        return
    raise StateError(
        f"{planfile} was made against the state {terminal(public_form(saved.state_path))}, "
        f"but this apply uses {terminal(where)} (from --state, EXOPLAN_STATE or -f's manifest, "
        f"as plan chooses it): run apply with the -f or --state that plan was given "
        f"({_made_with(saved)}), or make a new plan"
    )


def _made_with(plan: Plan) -> str:
    """The -f and --state a saved plan records, as words to type (shown, never used)."""
    words = ["-f", plan.manifest_path, "--state", public_form(plan.state_path)]
    return "plan was given " + terminal(shlex.join(words))


def _replan(plan: Plan, planfile: str | None) -> str:
    """The command that makes a new plan from the manifest and state ``plan`` was made
    from (a saved plan records both; the defaults may name others)."""
    words = ["exoplan", "plan", "-f", plan.manifest_path, "--state", plan.state_path]
    return shlex.join([*words, "--out", str(planfile)])
