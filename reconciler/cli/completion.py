"""``exoplan completion bash|zsh``: a shell completion script generated from the parser
itself (with shtab), so it offers exactly the commands and flags exoplan has."""

from __future__ import annotations

import argparse
import sys


def run_completion(args: argparse.Namespace) -> int:
    """Print the completion script for ``args.shell`` on stdout, from the whole parser
    (``args.whole_parser`` builds it: the parser names this module's caller)."""
    import shtab  # only this command needs it

    sys.stdout.write(shtab.complete(args.whole_parser(), shell=args.shell))
    return 0
