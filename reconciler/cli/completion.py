"""``exoplan completion bash|zsh``: a shell completion script generated from the parser
itself (with shtab), so it offers exactly the commands and flags exoplan has, and file
names where an argument names a file (``FILE_ARGUMENTS``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

#: Arguments (dests) that name a file: completion offers file names for them.
FILE_ARGUMENTS = frozenset(
    {"manifest", "manifests", "state", "planfile", "out", "output", "to", "seed", "inventory"}
)


def run_completion(args: argparse.Namespace) -> int:
    """Print the completion script for ``args.shell`` on stdout, from the whole parser
    (``args.whole_parser`` builds it: the parser names this module's caller)."""
    import shtab  # only this command needs it

    parser = args.whole_parser()
    for action in _actions(parser):
        if action.dest in FILE_ARGUMENTS:
            action.complete = shtab.FILE  # type: ignore[attr-defined]  # shtab reads it
    sys.stdout.write(shtab.complete(parser, shell=args.shell))
    return 0


def _actions(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    """Every argument of ``parser`` and of its commands and their verbs."""
    for action in parser._actions:
        yield action
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _actions(sub)
