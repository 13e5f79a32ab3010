"""``exoplan drift``: what changed outside exoplan, read-only.

Reads each manifest and its state (no lock: nothing is written), lists each account
once, and reports managed numbers changed or gone and owned numbers that none of the
manifests of that account manages. Exit 0 no drift, 2 drift, 1 when a manifest or an
account could not be checked (the others are still reported).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from reconciler.cli.io import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    error_lines,
    still_waiting,
    use_color,
)
from reconciler.cli.manifests import for_manifest, state_for
from reconciler.cli.options import open_state
from reconciler.cli.plan import warn_about_journal
from reconciler.errors import ExoplanError
from reconciler.exotel.factory import ClientFactory
from reconciler.manifest.load import load_manifest
from reconciler.manifest.paths import expand
from reconciler.model import Manifest, State
from reconciler.plan import drift, safety
from reconciler.render.drift import render_drift
from reconciler.reports import DriftReport

Pair = tuple[Manifest, State]


def run_drift(args: argparse.Namespace) -> int:
    report = check_drift(args, manifest_paths(args))
    render_drift(report, args.format, sys.stdout, use_color(args, sys.stdout))
    return drift_exit_code(report)


def check_drift(args: argparse.Namespace, paths: Sequence[str]) -> DriftReport:
    """The drift of the manifests at ``paths`` (each with its own state), each account
    listed once; ``args`` gives --state and the API options."""
    several = len(paths) > 1
    for path in paths:  # --state naming one state with several: refused before reading
        state_for(args, path) if several else None
    pairs = [_read(args, path, several) for path in paths]
    return drift.report(pairs, _listings(args, pairs))


def drift_exit_code(report: DriftReport) -> int:
    if report.failed:
        return EXIT_ERROR
    return EXIT_CHANGES if report.has_drift else EXIT_OK


def manifest_paths(args: argparse.Namespace) -> list[str]:
    """The manifests -f names (repeated, or a directory of them)."""
    return expand(getattr(args, "manifests", None) or [args.manifest])


def _read(args: argparse.Namespace, path: str, several: bool = False) -> Pair:
    """A manifest and its state, read without a lock; an error in either stops the
    run (a missing state would turn its numbers into "unmanaged" ones)."""
    manifest = load_manifest(path)
    own = for_manifest(args, path, several)  # -f as this one manifest, and its state
    reading = open_state(own, manifest).read()
    if reading.journal_left:
        warn_about_journal(reading.journal_where)
    safety.check_account(manifest, reading.state)
    return manifest, reading.state


def _listings(
    args: argparse.Namespace, pairs: Sequence[Pair]
) -> dict[drift.AccountKey, drift.Owned | str]:
    """What each account owns (one listing per account), or why it could not be read."""
    listings: dict[drift.AccountKey, drift.Owned | str] = {}
    for manifest, _ in pairs:
        key = drift.account_key(manifest)
        if key in listings:
            continue
        try:
            with ClientFactory.from_args(args, manifest) as factory, still_waiting(factory):
                listings[key] = factory.client().owned_index()
        except ExoplanError as exc:  # the other accounts are still checked
            error_lines(exc, use_color(args, sys.stderr))
            listings[key] = str(exc)
    return listings
