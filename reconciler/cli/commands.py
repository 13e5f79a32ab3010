"""Which function runs each command: the parser sets one of these as the ``handler``.

Each imports its command's module when its command runs, not before: ``exoplan
validate`` never loads what ``apply`` needs (requests, rich, ...).
"""

from __future__ import annotations

import argparse
import gc


def validate(args: argparse.Namespace) -> int:
    from reconciler.cli.several import run_validate  # one manifest or several

    return run_validate(args)


def plan(args: argparse.Namespace) -> int:
    from reconciler.cli.several import run_plan  # one manifest or several

    return run_plan(args)


def apply(args: argparse.Namespace) -> int:
    from reconciler.cli.several import run_apply  # one manifest or several

    return run_apply(args)


def drift(args: argparse.Namespace) -> int:
    from reconciler.cli.drift import run_drift

    return run_drift(args)


def search(args: argparse.Namespace) -> int:
    from reconciler.cli.search import run_search

    return run_search(args)


def sandbox(args: argparse.Namespace) -> int:
    from reconciler.cli.sandbox import run_sandbox

    gc.enable()  # it serves until stopped: collect as usual (see reconciler.collector)
    return run_sandbox(args)


def schema(args: argparse.Namespace) -> int:
    from reconciler.cli.schema import run_schema

    return run_schema(args)


def refresh(args: argparse.Namespace) -> int:
    from reconciler.cli.several import run_refresh  # one manifest or several

    return run_refresh(args)


def import_numbers(args: argparse.Namespace) -> int:
    from reconciler.cli.several import run_import  # one manifest or several

    return run_import(args)


def export(args: argparse.Namespace) -> int:
    from reconciler.cli.account import run_export

    return run_export(args)


def state_list(args: argparse.Namespace) -> int:
    from reconciler.cli.state import run_list

    return run_list(args)


def state_show(args: argparse.Namespace) -> int:
    from reconciler.cli.state import run_show

    return run_show(args)


def state_rm(args: argparse.Namespace) -> int:
    from reconciler.cli.state import run_rm

    return run_rm(args)


def state_history(args: argparse.Namespace) -> int:
    from reconciler.cli.state import run_history

    return run_history(args)


def state_migrate(args: argparse.Namespace) -> int:
    from reconciler.cli.state import run_migrate

    return run_migrate(args)


def state_diff(args: argparse.Namespace) -> int:
    from reconciler.cli.state import run_diff

    return run_diff(args)


def state_force_unlock(args: argparse.Namespace) -> int:
    from reconciler.cli.state import run_force_unlock

    return run_force_unlock(args)


def completion(args: argparse.Namespace) -> int:
    from reconciler.cli.completion import run_completion

    return run_completion(args)
