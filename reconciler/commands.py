"""The offline commands: validate and plan. Each returns the exit code."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

from .errors import ExoplanError
from .manifest import load_manifest
from .model import Manifest, Plan, State
from .planfile import save_plan
from .planner import make_plan
from .state import default_state_path, load_state

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def run_validate(args: argparse.Namespace) -> int:
    """Validate -f's manifest, or every FILE given (pre-commit passes several)."""
    failed = False
    for path in args.files or [args.manifest]:
        try:
            manifest = load_manifest(path)
        except ExoplanError as exc:
            failed = True
            for line in exc.lines():
                print(line, file=sys.stderr)
            continue
        flows, count = len(manifest.flows), len(manifest.numbers)
        print(
            f"{manifest.path}: valid ({count} number{'s' * (count != 1)}, "
            f"{flows} flow{'s' * (flows != 1)}, account {manifest.account.sid})"
        )
    return EXIT_ERROR if failed else EXIT_OK


def state_path_for(args: argparse.Namespace) -> str:
    return str(args.state or default_state_path(args.manifest))


def load_inputs(args: argparse.Namespace) -> tuple[Manifest, State]:
    """The manifest and its state, as named by -f and --state."""
    manifest = load_manifest(args.manifest)
    return manifest, load_state(state_path_for(args))


def run_plan(args: argparse.Namespace) -> int:
    manifest, state = load_inputs(args)
    warn_about_journal(state)
    if args.refresh:
        from .drift_cmd import refreshed_plan

        plan = refreshed_plan(args, manifest, state)
    else:
        plan = make_plan(manifest, state)
    if args.out:
        save_plan(plan, args.out)
    write_plan(plan, args.format, sys.stdout, use_color(args, sys.stdout))
    if args.out:
        print(
            f"Saved the plan to {args.out}; apply it with `exoplan apply {args.out}`.",
            file=sys.stderr,
        )
    return plan_exit_code(plan, args.detailed_exitcode)


def warn_about_journal(state: State) -> None:
    """A journal left by a crashed apply means the state may miss numbers it bought."""
    from .journal import journal_path

    if os.path.exists(journal_path(state.path)):
        print(
            f"warning: {journal_path(state.path)} is left from an interrupted apply; the "
            "plan may show numbers that were already bought. Run `exoplan apply` to settle it.",
            file=sys.stderr,
        )


def plan_exit_code(plan: Plan, detailed: bool) -> int:
    return EXIT_CHANGES if detailed and plan.has_changes else EXIT_OK


def write_plan(plan: Plan, fmt: str, out: TextIO, color: bool) -> None:
    if fmt == "json":
        from .render import render_json

        render_json(plan, out)
    elif fmt == "markdown":
        from .markdown import render_markdown

        render_markdown(plan, out)
    else:
        from .render import render_text

        render_text(plan, out, color=color)


def use_color(args: argparse.Namespace, stream: TextIO) -> bool:
    """Colour only on a terminal, never with NO_COLOR set or --no-color."""
    if getattr(args, "no_color", False) or os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()
