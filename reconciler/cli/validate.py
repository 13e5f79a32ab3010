"""``exoplan validate``: check manifests and report every problem; never reads the state."""

from __future__ import annotations

import argparse
import sys

from reconciler import api
from reconciler.cli.io import EXIT_ERROR, EXIT_OK, error_lines, say, use_color
from reconciler.errors import ExoplanError


def run_validate(args: argparse.Namespace) -> int:
    """Validate -f's manifest, or every FILE given (pre-commit passes several)."""
    failed = False
    for path in args.files or [args.manifest]:
        try:
            manifest = api.validate(path)
        except ExoplanError as exc:
            failed = True
            error_lines(exc, use_color(args, sys.stderr))
            continue
        flows, count = len(manifest.flows), len(manifest.numbers)
        say(
            f"{manifest.path}: valid ({count} number{'s' * (count != 1)}, "
            f"{flows} flow{'s' * (flows != 1)}, account {manifest.account.sid})"
        )
    return EXIT_ERROR if failed else EXIT_OK
