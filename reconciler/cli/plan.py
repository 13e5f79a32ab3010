"""``exoplan plan``: the diff between the manifest and the state (or the live account with
--refresh), printed in the format asked for and optionally saved for apply."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from reconciler import api
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
from reconciler.cli.options import api_options, given_state
from reconciler.model import Manifest, Plan


def run_plan(args: argparse.Namespace) -> int:
    plan = compute_plan(args)
    if args.out:
        save_plan(plan, args.out)
    write_plan(plan, args.format, sys.stdout, use_color(args, sys.stdout))
    if args.out:
        note(f"Saved the plan to {args.out}; apply it with `exoplan apply {args.out}`.")
    api.check_budget(plan)  # over budget: exit 1, after the plan was shown
    return plan_exit_code(plan, args.detailed_exitcode)


def compute_plan(
    args: argparse.Namespace, manifest: Manifest | None = None, taken: frozenset[str] = frozenset()
) -> Plan:
    """The plan of -f's manifest (or ``manifest``, already loaded) against its state;
    pools never pick a number in ``taken``."""
    options = dataclasses.replace(plan_options(args), taken=taken)
    return api.plan(options, warn, manifest, still_waiting)


def plan_options(args: argparse.Namespace) -> api.PlanOptions:
    return api.PlanOptions(
        manifest=args.manifest,
        state=given_state(args),
        refresh=args.refresh,
        targets=tuple(args.target),
        excludes=tuple(args.exclude),
        max_monthly_increase=getattr(args, "max_monthly_increase", None),
        api=api_options(args),
        several=getattr(args, "several", False),
        ignore_usage=tuple(getattr(args, "ignore_usage", None) or ()),
    )


def plan_exit_code(plan: Plan, detailed: bool) -> int:
    return EXIT_CHANGES if detailed and plan.has_changes else EXIT_OK
