"""One manifest among several: which manifests -f names, the arguments of a command
for one of them (its own state), and an error as the text a report shows."""

from __future__ import annotations

import argparse
import os

from reconciler.cli.options import STATE_ENV
from reconciler.errors import ExoplanError, UsageError
from reconciler.manifest.paths import expand
from reconciler.state.location import is_postgres


def manifest_paths(args: argparse.Namespace) -> list[str]:
    """The manifests -f names (directories expanded), in order."""
    return expand(getattr(args, "manifests", None) or [])


def for_manifest(args: argparse.Namespace, path: str, several: bool) -> argparse.Namespace:
    """``args`` for one manifest: -f is ``path``, --state its own state when several."""
    one = argparse.Namespace(**vars(args))
    one.manifest, one.manifests, one.several = path, [path], several
    if several:
        one.state = state_for(args, path)
    return one


def state_for(args: argparse.Namespace, path: str) -> str | None:
    """One manifest's --state among several: a PostgreSQL URL given without ``name=``
    names the state after the manifest's file; without one, the manifest's own."""
    given, flag = (args.state, "--state") if args.state else (os.environ.get(STATE_ENV), STATE_ENV)
    if not given:
        return None
    if not is_postgres(given) or "name=" in given.partition("?")[2]:
        raise UsageError(
            f"{flag} names one state, but several manifests were given and each keeps its "
            "own: leave it out (each manifest's state.url, else the file beside it), or "
            "give a PostgreSQL URL without name= (each state is then named after its file)"
        )
    stem = os.path.splitext(os.path.basename(path))[0]
    from urllib.parse import quote

    joiner = "&" if "?" in given else "?"
    return f"{given}{joiner}name={quote(stem, safe='')}"


def error_text(exc: ExoplanError) -> str:
    """An error's lines, as one text (each line as the command line would print it)."""
    return "\n".join(exc.lines())
