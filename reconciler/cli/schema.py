"""``exoplan schema``: print a shipped JSON Schema, or where it is installed.

Editors point at the manifest schema to check a manifest as it is typed; printing the
installed path lets them do so from any project, with the schema of exactly the
exoplan that CI runs.
"""

from __future__ import annotations

import argparse
import sys

from reconciler.cli.io import EXIT_OK
from reconciler.errors import ExoplanError
from reconciler.manifest.schema import schema_path


def run_schema(args: argparse.Namespace) -> int:
    """Print schema ``args.name`` (or its path with ``--path``); returns the exit code."""
    try:
        path = schema_path(args.name)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExoplanError(f"cannot read the {args.name} schema: {_reason(exc)}") from None
    sys.stdout.write(f"{path}\n" if args.path else text)
    return EXIT_OK


def _reason(exc: Exception) -> str:
    if isinstance(exc, FileNotFoundError) and not exc.filename:
        return str(exc)  # schema_path's own message: it is missing from this install
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc} ({exc.filename}); reinstall exoplan"
    return "it is not UTF-8 text; reinstall exoplan"
