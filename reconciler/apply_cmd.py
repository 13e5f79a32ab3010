"""``exoplan apply``: lock, recover, plan (or load a saved plan), check, confirm, execute.

Nothing is sent before every check has passed and the user has said yes; the state
lock is held from the first read to the last write.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .applier import execute
from .commands import state_path_for, use_color, write_plan
from .drift import fold_drift
from .errors import ExoplanError, StateError, UnsafePlanError, UsageError
from .journal import Journal, journal_path, read_journal
from .ledger import fold
from .manifest import load_manifest
from .model import ActionKind, ApplyResult, Manifest, Plan, State
from .planfile import load_plan
from .planner import make_plan
from .progress import Progress, summary
from .recovery import already_folded, fold_done, settle_pending
from .session import PACING_HEADROOM, ClientFactory
from .state import StateLock, load_state, save_state


def run_apply(args: argparse.Namespace) -> int:
    manifest, saved, state_path = _inputs(args)
    factory = ClientFactory.from_args(args, manifest, saved)
    with StateLock(state_path, "exoplan apply", args.lock_timeout), factory:
        state = load_state(state_path)
        recover(state, factory)
        plan = saved if saved is not None else make_plan(_need(manifest), state)
        check_fresh(plan, state, args.planfile)
        check_safe(plan, state, args.allow_release)
        fold_drift(state, plan.drift)  # a plan made with --refresh showed it; record it
        write_plan(plan, "text", sys.stdout, use_color(args, sys.stdout))
        if not plan.has_changes:
            if plan.drift:
                save_state(state)
            return 0
        client = factory.client()
        print(estimate(plan, args.rate_limit))
        confirm(args)
        result = _execute(plan, state, client, args)
    print(f"\nApply finished: {summary(result)}.")
    if result.failed:
        print(_failure_advice(result), file=sys.stderr)
        return 1
    return 0


def _need(manifest: Manifest | None) -> Manifest:
    assert manifest is not None  # without a saved plan the manifest was loaded
    return manifest


def _inputs(args: argparse.Namespace) -> tuple[Manifest | None, Plan | None, str]:
    if args.planfile:
        saved = load_plan(args.planfile)
        return None, saved, str(args.state or saved.state_path)
    return load_manifest(args.manifest), None, state_path_for(args)


def recover(state: State, factory: ClientFactory) -> None:
    """Fold in what an interrupted apply left in the journal, then save and remove it."""
    path = journal_path(state.path)
    contents = read_journal(path)
    if contents is None:
        return
    if already_folded(contents, state):
        Journal(path).remove()
        return
    print(
        f"Found the journal of an interrupted apply ({path}); settling it first.", file=sys.stderr
    )
    messages = fold_done(contents, state)
    if contents.pending:
        messages += settle_pending(contents, state, factory.client())
    save_state(state)
    Journal(path).remove()
    for message in messages:
        print(f"  {message}", file=sys.stderr)


def check_fresh(plan: Plan, state: State, planfile: str | None) -> None:
    if plan.state_lineage == state.lineage and plan.state_serial == state.serial:
        return
    raise StateError(
        f"{planfile}: the plan is stale: it was made against state serial "
        f"{plan.state_serial} (lineage {plan.state_lineage}), but {state.path} is now at "
        f"serial {state.serial} (lineage {state.lineage}). Make a new plan with "
        f"`exoplan plan --out {planfile}` and review it again"
    )


def check_safe(plan: Plan, state: State, allow_release: bool) -> None:
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


def estimate(plan: Plan, rate_limit: float) -> str:
    calls = sum(1 for action in plan.actions if action.needs_api)
    if rate_limit <= 0:
        return f"This plan needs {calls} API call(s); no client-side rate limit is set."
    seconds = calls * 60.0 / (rate_limit * PACING_HEADROOM)
    minutes, rest = divmod(int(round(seconds)), 60)
    duration = f"{minutes} min {rest} s" if minutes else f"{rest} s"
    return (
        f"This plan needs {calls} API call(s); at {rate_limit:g} requests/minute that "
        f"takes about {duration}."
    )


def confirm(args: argparse.Namespace) -> None:
    if args.auto_approve:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            "apply needs a 'yes', but standard input is not a terminal: review the plan "
            "and re-run with --auto-approve (nothing was changed)"
        )
    try:
        answer = input("\nApply these changes? Only 'yes' will be accepted: ")
    except EOFError:
        answer = ""
    if answer.strip() != "yes":
        raise ExoplanError("apply cancelled; nothing was changed")


def _execute(plan: Plan, state: State, client: Any, args: argparse.Namespace) -> ApplyResult:
    journal = Journal(journal_path(state.path))
    journal.open(state.lineage, state.serial)
    live = sys.stdout.isatty()
    progress = Progress(len(plan.actions), sys.stdout, live, use_color(args, sys.stdout))
    try:
        result = execute(plan.actions, client, journal, args.parallelism, progress)
    finally:
        progress.finish()
        journal.close()
    for outcome in result.outcomes:
        if outcome.ok:
            action = outcome.action
            fold(
                state,
                action.kind,
                action.number,
                outcome.record or {},
                action.params,
                action.protect,
            )
    state.account_sid = plan.account_sid
    save_state(state)
    journal.remove()
    return result


def _failure_advice(result: ApplyResult) -> str:
    lines = ["These actions failed; everything else was applied and recorded:"]
    for outcome in result.outcomes:
        if not outcome.ok:
            lines.append(f"  {outcome.action.kind.value} {outcome.action.number}: {outcome.error}")
    lines.append(
        "Fix the cause and run `exoplan apply` again: it retries only what is still to do."
    )
    return "\n".join(lines)
