"""``exoplan apply``: plan (or load a saved plan), check, show, confirm, then hand the
actions to the state transaction and print what happened.

Nothing is sent before every check has passed and the user has said yes; the state
lock is held from the first read to the last write.
"""

from __future__ import annotations

import argparse
import os
import sys

from reconciler.apply.executor import Client, Stop
from reconciler.apply.transaction import StateTransaction
from reconciler.cli import guard
from reconciler.cli.io import ask_yes, note, say, use_color, write_plan
from reconciler.cli.options import DEFAULT_MANIFEST, STATE_ENV, open_state
from reconciler.cli.plan import budgeted, pool_candidates, scoped
from reconciler.cli.signals import GracefulStop
from reconciler.errors import StateError, UsageError
from reconciler.exotel.factory import PACING_HEADROOM, ClientFactory
from reconciler.manifest.load import load_manifest
from reconciler.model import ApplyResult, Manifest, Plan, State
from reconciler.plan import safety
from reconciler.plan.planfile import load_plan
from reconciler.plan.planner import make_plan
from reconciler.plan.replay import differences, replay
from reconciler.render.escape import terminal
from reconciler.render.progress import Progress, summary
from reconciler.state.location import public_form, same_location
from reconciler.state.store import Store


def run_apply(args: argparse.Namespace) -> int:
    manifest, saved, store = _inputs(args)
    factory = ClientFactory.from_args(args, manifest, saved)
    with StateTransaction(store, "exoplan apply", args.lock_timeout, note) as tx, factory:
        plan = checked_plan(args, tx, factory, manifest, saved)
        write_plan(plan, "text", sys.stdout, use_color(args, sys.stdout))
        if not plan.has_changes:
            if plan.drift:
                tx.save()
            return 0
        client = factory.client()
        say(estimate(plan, args.rate_limit))
        confirm(args)
        result, code = _execute(tx, plan, client, args)
    say(f"\nApply finished: {summary(result)}.")
    if result.failed:
        note(failure_advice(result))
    # A signal that came once every request had ended still stopped the run: the state
    # was saved whole first, and the exit code says it was signalled.
    return code or (1 if result.failed else 0)


def checked_plan(
    args: argparse.Namespace,
    tx: StateTransaction,
    factory: ClientFactory,
    manifest: Manifest,
    saved: Plan | None,
    taken: frozenset[str] = frozenset(),
) -> Plan:
    """Settle the state, then the plan to apply (``saved``, or made now; pools never
    pick a number in ``taken``), once every check before the first request passed."""
    tx.settle(factory.client)
    plan = budgeted(args, saved or _plan(args, manifest, tx.state, factory, taken))
    plan = guard.configured(args, plan, manifest, saved is not None)
    safety.check_fresh(plan, tx.state, args.planfile, _replan(plan, args.planfile))
    _check(plan, saved, manifest, tx.state, args)
    plan = guard.refuse_used(plan, factory)  # asks Exotel: after every offline check
    tx.record_drift(plan.drift)  # a plan made with --refresh showed it; record it
    return plan


def _execute(
    tx: StateTransaction, plan: Plan, client: Client, args: argparse.Namespace
) -> tuple[ApplyResult, int | None]:
    """Run the plan with live progress; a first signal stops it gracefully."""
    progress = Progress(
        len(plan.actions),
        sys.stdout,
        sys.stdout.isatty() and os.environ.get("TERM") != "dumb",
        use_color(args, sys.stdout),
        waiting=getattr(client, "waiting", None),
        eta=getattr(client, "eta", None),
        calls=sum(1 for action in plan.actions if action.needs_api),
    )
    stop = Stop()
    with GracefulStop(stop, progress.notice) as graceful:
        progress.start()
        try:
            result = tx.apply(plan, client, args.parallelism, progress, stop)
        finally:
            progress.finish()
    return result, graceful.exit_code


def _plan(
    args: argparse.Namespace,
    manifest: Manifest,
    state: State,
    factory: ClientFactory,
    taken: frozenset[str] = frozenset(),
) -> Plan:
    """The plan apply makes itself; pools short of members are filled from the inventory."""
    candidates = pool_candidates(factory.client, manifest, state, taken=taken)
    plan = make_plan(manifest, state, candidates=candidates)
    return scoped(args, plan, manifest, state)


def _check(
    plan: Plan, saved: Plan | None, manifest: Manifest, state: State, args: argparse.Namespace
) -> None:
    """Every refusal before anything is sent. A saved plan must also fit the state it
    names, choose its pool members, and be the plan its manifest, state and recorded
    answers give when made again (checked last: the specific refusals say more)."""
    if saved is not None:
        safety.check_matches_state(saved, state, args.planfile)
        safety.check_pinned(saved, args.planfile)
    safety.check_release(plan, state, args.allow_release)
    safety.check_mass_change(plan, args.allow_mass_change)
    safety.check_budget(plan)
    if saved is not None:
        again = replay(saved, manifest, state)
        safety.check_replayed(differences(saved, again), args.planfile, manifest, state)


def _inputs(args: argparse.Namespace) -> tuple[Manifest, Plan | None, Store]:
    """The manifest (a saved plan's own, unless -f names another), the saved plan, and the
    state: chosen exactly as plan chooses it, never by the plan file (which a pull request
    could have written)."""
    if args.planfile:
        if args.target or args.exclude:
            raise UsageError(
                f"--target and --exclude cannot change a saved plan ({args.planfile} records "
                "its own scope): make a new one with `exoplan plan --target ... --out`"
            )
        saved = load_plan(args.planfile)
        # The plan's own manifest, unless -f names another (then it must be the same).
        path = saved.manifest_path if args.manifest == DEFAULT_MANIFEST else args.manifest
        manifest = load_manifest(path)
        safety.check_manifest(saved, manifest, args.planfile)
        store = open_state(argparse.Namespace(**{**vars(args), "manifest": path}), manifest)
        check_same_state(saved, store.where, args.planfile)
        return manifest, saved, store
    manifest = load_manifest(args.manifest)
    return manifest, None, open_state(args, manifest)


def check_same_state(saved: Plan, where: str, planfile: str) -> None:
    if same_location(saved.state_path, where):
        return
    made = _made_with(saved)
    raise StateError(
        f"{planfile} was made against the state {terminal(public_form(saved.state_path))}, "
        f"but this apply uses {terminal(where)} (from --state, {STATE_ENV} or -f's manifest, "
        f"as plan chooses it): run apply with the -f or --state that plan was given ({made}), "
        "or make a new plan"
    )


def _made_with(plan: Plan) -> str:
    """The -f and --state a saved plan records, as words to type (shown, never used)."""
    import shlex

    words = ["-f", plan.manifest_path, "--state", public_form(plan.state_path)]
    return "plan was given " + terminal(shlex.join(words))


def estimate(plan: Plan, rate_limit: float) -> str:
    calls = sum(1 for action in plan.actions if action.needs_api)
    if rate_limit <= 0:
        return f"This plan needs {calls} API call(s); no client-side write rate limit is set."
    seconds = calls * 60.0 / (rate_limit * PACING_HEADROOM)
    minutes, rest = divmod(int(round(seconds)), 60)
    duration = f"{minutes} min {rest} s" if minutes else f"{rest} s"
    return (
        f"This plan needs {calls} API call(s); at {rate_limit:g} writes/minute that "
        f"takes about {duration}."
    )


def _replan(plan: Plan, planfile: str | None) -> str:
    """The command that makes a new plan from the manifest and state ``plan`` was made
    from (a saved plan records both; the defaults may name others)."""
    import shlex

    words = ["exoplan", "plan", "-f", plan.manifest_path, "--state", plan.state_path]
    return shlex.join([*words, "--out", str(planfile)])


def confirm(args: argparse.Namespace) -> None:
    if args.auto_approve:
        return
    ask_yes(
        "\nApply these changes? Only 'yes' will be accepted: ",
        refusal=(
            "apply needs a 'yes', but standard input is not a terminal: review the plan "
            "and re-run with --auto-approve (none of its changes were made)"
        ),
        cancelled="apply cancelled; none of the plan's changes were made",
    )


def failure_advice(result: ApplyResult) -> str:
    lines = []
    failed = [o for o in result.outcomes if not o.ok]
    if failed:
        lines.append("These actions failed; everything else was applied and recorded:")
        for outcome in failed:
            what = "outcome unknown" if outcome.unknown else "failed"
            lines.append(
                f"  {outcome.action.kind.value} {outcome.action.number} ({what}): {outcome.error}"
            )
    if result.not_started:
        lines.append(
            f"{len(result.not_started)} action(s) were not started ({result.stopped}); "
            "what was done is saved in the state."
        )
    if result.unsettled:
        lines.append(
            f"Whether {', '.join(result.unsettled)} was bought could not be told: the journal "
            "is kept, and the next exoplan command checks the account first."
        )
    lines.append(
        "Fix the cause and run `exoplan apply` again: it retries only what is still to do."
    )
    return "\n".join(lines)
