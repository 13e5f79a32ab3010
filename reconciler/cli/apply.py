"""``exoplan apply``: the flags as :class:`reconciler.api.ApplyOptions`, then
:func:`reconciler.api.apply` with the terminal's hooks: the plan shown, the estimate
and the 'yes' asked for, live progress, and signals that stop the run gracefully.

Nothing is sent before every check has passed and the user has said yes; the state
lock is held from the first read to the last write.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

from reconciler import api
from reconciler.api import applying
from reconciler.api.applying import check_same_state as check_same_state
from reconciler.apply.executor import Stop
from reconciler.apply.transaction import StateTransaction
from reconciler.cli.io import ask_yes, note, say, use_color, write_plan
from reconciler.cli.options import DEFAULT_MANIFEST, api_options, given_state
from reconciler.cli.signals import GracefulStop
from reconciler.exotel.factory import PACING_HEADROOM, ClientFactory
from reconciler.model import ApplyResult, Manifest, Plan
from reconciler.render.progress import Progress, summary


def run_apply(args: argparse.Namespace) -> int:
    shell = _Shell(args)
    applied = api.apply(apply_options(args), shell.hooks())
    result = applied.result
    if result is None:
        return 0
    say(f"\nApply finished: {summary(result)}.")
    if result.failed:
        note(failure_advice(result))
    # A signal that came once every request had ended still stopped the run: the state
    # was saved whole first, and the exit code says it was signalled.
    return shell.exit_code or (1 if result.failed else 0)


def apply_options(args: argparse.Namespace) -> api.ApplyOptions:
    # A saved plan reads its own manifest, unless -f names another (it must be the same).
    own = args.planfile and args.manifest == DEFAULT_MANIFEST
    return api.ApplyOptions(
        manifest=None if own else args.manifest,
        planfile=args.planfile,
        state=given_state(args),
        targets=tuple(args.target),
        excludes=tuple(args.exclude),
        max_monthly_increase=getattr(args, "max_monthly_increase", None),
        allow_release=args.allow_release,
        allow_mass_change=args.allow_mass_change,
        lock_timeout=args.lock_timeout,
        api=api_options(args),
        several=getattr(args, "several", False),
        ignore_usage=tuple(getattr(args, "ignore_usage", None) or ()),
    )


def checked_plan(
    args: argparse.Namespace,
    tx: StateTransaction,
    factory: ClientFactory,
    manifest: Manifest,
    saved: Plan | None,
    taken: frozenset[str] = frozenset(),
) -> Plan:
    """The checked plan of one manifest among several (see ``apply_several``): the
    library's, with -f's flags; pools never pick a number in ``taken``."""
    options = dataclasses.replace(apply_options(args), taken=taken)
    return applying.checked_plan(options, tx, factory, manifest, saved)


class _Shell:
    """What apply shows and asks on the terminal, and the signals that stop it."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.exit_code: int | None = None

    def hooks(self) -> api.ApplyHooks:
        return api.ApplyHooks(report=note, show=self.show, confirm=self.confirm, run=self.run)

    def show(self, plan: Plan) -> None:
        write_plan(plan, "text", sys.stdout, use_color(self.args, sys.stdout))

    def confirm(self, plan: Plan) -> None:
        say(estimate(plan, self.args.rate_limit))
        confirm(self.args)

    def run(self, execution: api.Execution) -> ApplyResult:
        """Run the plan with live progress; a first signal stops it gracefully."""
        plan, client = execution.plan, execution.client
        progress = Progress(
            len(plan.actions),
            sys.stdout,
            sys.stdout.isatty() and os.environ.get("TERM") != "dumb",
            use_color(self.args, sys.stdout),
            waiting=getattr(client, "waiting", None),
            eta=getattr(client, "eta", None),
            calls=sum(1 for action in plan.actions if action.needs_api),
        )
        stop = Stop()
        with GracefulStop(stop, progress.notice) as graceful:
            progress.start()
            try:
                result = execution.start(progress, stop)
            finally:
                progress.finish()
        self.exit_code = graceful.exit_code
        return result


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
