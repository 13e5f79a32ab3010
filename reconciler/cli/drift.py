"""``exoplan drift``: :func:`reconciler.api.drift` over the manifests -f names, rendered
in the format asked for. Exit 0 no drift, 2 drift, 1 when a manifest or an account
could not be checked (the others are still reported).
"""

from __future__ import annotations

import argparse
import sys

from reconciler import api
from reconciler.cli.io import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    error_lines,
    still_waiting,
    use_color,
    warn,
)
from reconciler.cli.manifests import state_for
from reconciler.cli.options import api_options, given_state
from reconciler.errors import ExoplanError
from reconciler.manifest.paths import expand
from reconciler.render.drift import render_drift
from reconciler.reports import DriftReport


def run_drift(args: argparse.Namespace) -> int:
    def shown(error: ExoplanError) -> None:
        error_lines(error, use_color(args, sys.stderr))

    report = api.drift(drift_options(args), warn, shown, still_waiting)
    render_drift(report, args.format, sys.stdout, use_color(args, sys.stdout))
    return drift_exit_code(report)


def drift_options(args: argparse.Namespace) -> api.DriftOptions:
    """The manifests -f names, each with its own state (--state among several: see
    :func:`~reconciler.cli.manifests.state_for`)."""
    paths = tuple(manifest_paths(args))
    if len(paths) == 1:
        return api.DriftOptions(paths, state=given_state(args), api=api_options(args))
    states = tuple(state_for(args, path) for path in paths)
    return api.DriftOptions(paths, states=states, api=api_options(args))


def drift_exit_code(report: DriftReport) -> int:
    if report.failed:
        return EXIT_ERROR
    return EXIT_CHANGES if report.has_drift else EXIT_OK


def manifest_paths(args: argparse.Namespace) -> list[str]:
    """The manifests -f names (repeated, or a directory of them)."""
    return expand(getattr(args, "manifests", None) or [args.manifest])
